"""Commands: crawl, run and serve."""

from __future__ import annotations

import os
import re

import click

from crawlers.options import SourceOptions
from sadap.app.cli.common import _load, config_option, handled
from sadap.app.config import Config
from sadap.app.crawl import crawl as run_crawl
from sadap.app.service import ROLES, run_service
from sadap.app.worker import run_worker, worker_config
from sadap.core.datalock import hold
from sadap.core.errors import InputError, SadapError
from sadap.core.timeutil import format_duration


# -- crawl / run / serve ---------------------------------------------------------------
@click.command()
@click.argument("source")
@config_option
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING", show_default=True)
@handled
def crawl(source: str, config_path: str | None, log_level: str) -> None:
    """Crawl one configured SOURCE now (use `all` for every enabled source; `file` sources are
    imported by `sadap ingest` and `sadap run`, not crawled)."""

    config = _load(config_path)
    sources = [s for s in config.sources if s.enabled] if source == "all" else [config.source(source)]
    if not sources:
        raise SadapError("no enabled sources in the config (add some under `sources:`)")
    files = [s for s in sources if s.kind == "file"]
    if source != "all" and files:
        raise InputError(f"source {source!r} is a file source, not crawled: {_import_hint(config, files[0], config_path)}")
    for file_source in files:
        click.echo(f"{file_source.name}: file source, not crawled: {_import_hint(config, file_source, config_path)}")
    sources = [s for s in sources if s.kind != "file"]
    if not sources:
        return
    with hold(config.data_path, f"sadap crawl {source}"):  # a restore refuses while a crawl writes
        stats = run_crawl(config, sources, log_level=log_level)
    for name, st in stats.items():
        skipped = st.get("skipped") or {}
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]))
        click.echo(
            f"{name}: items {st.get('items', 0)} · new {st.get('new', st.get('stored', 0))}"
            f" · skipped {sum(skipped.values())}{f' ({reasons})' if reasons else ''}"
            f" · alerts {st.get('alerts', 0)} · errors {st.get('errors', 0)}"
        )


def _import_hint(config: Config, source: SourceOptions, config_path: str | None) -> str:
    command = f"sadap ingest {os.path.relpath(config.base_dir / source.url)}" + (f" --config {config_path}" if config_path else "")
    return f"import it now with `{command}` (`sadap run` imports it every {format_duration(source.every)})"


@click.command()
@config_option
@click.option("--port", type=int, default=None, help="Also serve the web workspace on this port (roles all and web).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="all",
    show_default=True,
    help="all: everything on one machine (with distributed.redis_url, crawls go to `sadap worker`); scheduler: rules, notifications and crawl rounds (one active at a "
    "time, others stand by); worker: as `sadap worker`; web: the workspace only.",
)
@handled
def run(config_path: str | None, port: int | None, role: str) -> None:
    """Run the service: crawl each source on its schedule and evaluate rules (APScheduler)."""

    config = _load(config_path)
    run_service(config, port=port, role=role)


@click.command()
@config_option
@click.option("--id", "worker_id", default=None, help="This worker's name (default: distributed.worker_id, "
              "$SADAP_WORKER_ID, else the host name); names its spool folder.")
@click.option("--source", "sources", multiple=True, help="Work on this source only (repeat for more; default: all enabled).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO", show_default=True)
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy setting for this worker (e.g. -s DOWNLOAD_DELAY=0 against your own site).")
@handled
def worker(
    config_path: str | None, worker_id: str | None, sources: tuple[str, ...], log_level: str, overrides: tuple[str, ...]
) -> None:
    """Crawl, enrich and store from the shared queue in Redis (distributed.redis_url) until stopped."""
    settings: dict[str, str] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise click.BadParameter(f"{item!r}: use NAME=VALUE with an upper-case Scrapy setting name", param_hint="--set")
        settings[name] = value
    config = worker_config(_load(config_path), worker_id)
    run_worker(config, sources=list(sources) or None, log_level=log_level, settings=settings)


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
