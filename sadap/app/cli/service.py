"""Commands: crawl, run and serve."""

from __future__ import annotations

import click

from sadap.app.cli.common import _load, config_option, handled
from sadap.app.crawl import crawl as run_crawl
from sadap.app.service import run_service
from sadap.core.errors import SadapError


# -- crawl / run / serve ---------------------------------------------------------------
@click.command()
@click.argument("source")
@config_option
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING", show_default=True)
@handled
def crawl(source: str, config_path: str | None, log_level: str) -> None:
    """Crawl one configured SOURCE now (use `all` for every enabled source)."""

    config = _load(config_path)
    sources = [s for s in config.sources if s.enabled] if source == "all" else [config.source(source)]
    if not sources:
        raise SadapError("no enabled sources in the config (add some under `sources:`)")
    stats = run_crawl(config, sources, log_level=log_level)
    for name, st in stats.items():
        skipped = st.get("skipped") or {}
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]))
        click.echo(
            f"{name}: items {st.get('items', 0)} · new {st.get('new', st.get('stored', 0))}"
            f" · skipped {sum(skipped.values())}{f' ({reasons})' if reasons else ''}"
            f" · alerts {st.get('alerts', 0)} · errors {st.get('errors', 0)}"
        )


@click.command()
@config_option
@click.option("--port", type=int, default=None, help="Also serve the web workspace on this port.")
@handled
def run(config_path: str | None, port: int | None) -> None:
    """Run the service: crawl each source on its schedule and evaluate rules (APScheduler)."""

    config = _load(config_path)
    run_service(config, port=port)


@click.command()
@config_option
@click.option("--host", default=None, help="Address to listen on (default: console.bind, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: console.port, 8470).")
@handled
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the web workspace (sign-in required; see `sadap users add`)."""
    from sadap.app.web import serve_forever

    config = _load(config_path)
    serve_forever(config, host, port)
