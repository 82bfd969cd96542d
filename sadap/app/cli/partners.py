"""Commands: partners list, feed, push, audit (the partner news network; see docs/partners.md)."""

from __future__ import annotations

import sys
from typing import Any

import click

from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.partners import atom_feed, json_feed, push, record, select
from sadap.core.errors import ConfigError
from sadap.core.timeutil import now_utc, show
from sadap.store import open_store


@click.group()
def partners() -> None:
    """Partners that receive a masked feed of chosen mentions and incidents."""


@partners.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handled
def partners_list(config_path: str | None, as_json: bool) -> None:
    """The configured partners, what each receives, and their last share."""
    config = _load(config_path)
    rows: list[dict[str, Any]] = []
    with open_store(config) as store:
        for p in config.partners:
            last = store.shares(p.name, limit=1)
            try:
                p.token()
                token = "set"
            except ConfigError:
                token = f"missing (${p.token_env})"
            rows.append({"name": p.name, "title": p.title, "share": p.share, "entities": p.entities,
                         "webhook": bool(p.webhook), "token": token,
                         "last_share": last[0]["at"].isoformat() if last else None})
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("no partners: add them under partners: in sadap.yaml (see docs/partners.md)")
    for r in rows:
        click.echo(f"{r['name']}: {', '.join(r['share'])}; entities {', '.join(r['entities']) or 'all'}; "
                   f"webhook {'yes' if r['webhook'] else 'no'}; token {r['token']}; last share {r['last_share'] or '-'}")


@partners.command("feed")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["json", "atom"]), default="json", show_default=True)
@click.option("--record/--no-record", "to_record", default=False, show_default=True,
              help="Record it in the sharing audit (when you hand the file to the partner).")
@config_option
@handled
def partners_feed(name: str, fmt: str, to_record: bool, config_path: str | None) -> None:
    """Print the feed NAME would read now (masked), e.g. to check its filters."""
    config = _load(config_path)
    partner = config.partner(name)
    now = now_utc()
    with open_store(config) as store:
        items, _ = select(store, partner, now)
        url = f"/partners/{name}/feed.{fmt}"
        body = json_feed(partner, items, url) if fmt == "json" else atom_feed(partner, items, url, now)
        if to_record:
            record(store, partner, f"file.{fmt}", items, "cli", now)
    sys.stdout.buffer.write(body + b"\n")
    click.echo(f"{len(items)} item(s) for {name}", err=True)


@partners.command("push")
@click.argument("names", nargs=-1)
@config_option
@handled
def partners_push(names: tuple[str, ...], config_path: str | None) -> None:
    """Push what is new to each partner's webhook now (all partners with one, or NAMES)."""
    config = _load(config_path)
    chosen = [config.partner(n) for n in names] if names else [p for p in config.partners if p.webhook]
    if not chosen:
        click.echo("no partner has a webhook")
        return
    with open_store(config) as store:
        for p in chosen:
            result = push(store, p, actor="cli")
            click.echo(f"{p.name}: {result.sent} item(s) sent in {result.batches} push(es)")


@partners.command("audit")
@click.argument("name", required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the ids shared).")
@config_option
@handled
def partners_audit(name: str | None, limit: int, as_json: bool, config_path: str | None) -> None:
    """What was shared with whom and when (newest first)."""
    config = _load(config_path)
    if name:
        config.partner(name)
    with open_store(config) as store:
        rows = store.shares(name, limit=limit)
    if as_json:
        _dump([{**r, "at": r["at"].isoformat(), "upto": r["upto"].isoformat() if r["upto"] else None} for r in rows])
        return
    for r in rows:
        click.echo(f"{show(r['at'])}  {r['partner']}  {r['channel']}  {len(r['items'])} item(s)  by {r['actor']}")
