"""Commands: alerts check and snooze; mentions respond and export."""

from __future__ import annotations

import getpass
import sys

import click

from alerts.notifiers.console import ConsoleNotifier
from sadap.app import responses
from sadap.app.alerting import build_engine
from sadap.app.cli.common import _dump, _load, config_option, duration_of, handled, resolve_mention_id, since_of, time_of
from sadap.app.export import export_mentions
from sadap.app.snooze_keys import snooze_key
from sadap.core.errors import InputError, SadapError
from sadap.core.timeutil import now_utc, show
from sadap.store import MentionFilter, open_store


# -- alerts ----------------------------------------------------------------------
@click.group()
def alerts() -> None:
    """Alert rules: evaluate them now or as of a past time."""


@alerts.command("check")
@config_option
@click.option("--at", "at_text", default=None, help="Evaluate as of this ISO 8601 time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print fired alerts as JSON (output only: notifications are still sent).")
@click.option("--dry-run", is_flag=True, help="Only say what would fire: no incident, cool-down or notification.")
@click.option("--quiet", is_flag=True, help="Print nothing (notifications are still sent; see --dry-run).")
@handled
def alerts_check(config_path: str | None, at_text: str | None, as_json: bool, dry_run: bool, quiet: bool) -> None:
    """Evaluate every enabled rule, open incidents and notify (through the outbox, then send
    what is due in it, earlier notifications still waiting included); print the alerts fired."""

    config = _load(config_path)
    at = time_of(at_text, "--at") if at_text else now_utc()
    with open_store(config) as store:
        engine = build_engine(config, store, notifiers=[] if dry_run else None)
        for notifier in engine.notifiers:
            if isinstance(notifier, ConsoleNotifier) and (as_json or quiet):
                notifier.stream = sys.stderr  # stdout carries the JSON (or nothing)
        fired = engine.check(at, dry_run=dry_run)
    rows = [
        {"rule": a.rule, "severity": a.severity, "key": a.key, "count": a.count, "playbook": a.playbook,
         "incident": a.incident, "mentions": a.mention_ids, **({"dry_run": True} if dry_run else {})}
        for a in fired
    ]
    if as_json:
        _dump(rows)
    elif quiet:
        return
    elif dry_run:
        for row in rows:
            click.echo(f"จะแจ้งเตือน (would fire): {row['rule']} [{row['key'] or '*'}] {row['count']} — playbook {row['playbook'] or '-'}")
        if not rows:
            click.echo("ไม่มีการแจ้งเตือน (no alerts)")
    elif not rows:
        click.echo("ไม่มีการแจ้งเตือน (no alerts)")


@alerts.command("snooze")
@click.argument("rule")
@config_option
@click.option("--key", default="*", show_default=True,
              help="The key to silence as the alert shows it (`*`: every key); a hashtag's # and case and an "
              "entity's aliases are read as the rule stores them.")
@click.option("--for", "duration", default=None, help="How long, e.g. 2h.")
@click.option("--until", "until_text", default=None, help="Until when, ISO 8601.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@click.option("--reason", default="", help="Why (kept with the snooze).")
@handled
def alerts_snooze(
    rule: str, config_path: str | None, key: str, duration: str | None, until_text: str | None, actor: str | None, reason: str
) -> None:
    """Silence RULE for a key until a time (kept in the store; survives restarts)."""

    config = _load(config_path)
    found = {r.id: r for r in config.alert_rules}
    if rule not in found:
        raise SadapError(f"unknown rule {rule!r} (rules: {', '.join(found) or 'none'})")
    if bool(duration) == bool(until_text):
        raise SadapError("give exactly one of --for DURATION or --until TIME")
    until = time_of(until_text, "--until") if until_text else now_utc() + duration_of(duration or "", "--for")
    if until <= now_utc():
        raise InputError(f"{'--until' if until_text else '--for'}: the snooze would end at {show(until)}, which has "
                         "passed; give a later time or a positive duration")
    with open_store(config) as store:
        checked = snooze_key(config, store, found[rule], key)
        if checked.warning:
            click.echo(checked.warning, err=True)
        store.snooze(rule, checked.key, until, actor or getpass.getuser(), responses.staff_text(config, reason.strip()))
    click.echo(f"{rule} [{checked.key}] เงียบถึง {show(until)} (snoozed)")


# -- mentions ------------------------------------------------------------------------
@click.group()
def mentions() -> None:
    """Stored mentions: log a response (stops the complaint SLA clock), export them."""


@mentions.command("respond")
@click.argument("mention_id")
@click.argument("text")
@config_option
@click.option("--channel", default="social", show_default=True, help="Where the response went.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def mentions_respond(mention_id: str, text: str, config_path: str | None, channel: str, actor: str | None) -> None:
    """Log that MENTION_ID was answered (TEXT is what was said).

    MENTION_ID may be the start of an id that no other mention shares (`sadap search` shows the
    first 12 characters)."""

    config = _load(config_path)
    with open_store(config) as store:
        mention_id = resolve_mention_id(store, mention_id)
        responses.record(store, config, mention_id, actor or getpass.getuser(), channel, text)
    click.echo(f"ok {mention_id}")


@mentions.command("export")
@config_option
@click.option("--since", default=None, help="Only mentions published this recently, e.g. 24h, 7d (default: all).")
@click.option("--source", multiple=True, help="Only this source name (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: standard output).")
@handled
def mentions_export(config_path: str | None, since: str | None, source: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Write stored mentions, every field `search --json` shows, as JSON lines or CSV.

    CSV cells holding lists or objects (entities, sentiment, engagement, extras) are JSON.
    Mentions come in id order, a page at a time, so any number can be exported.
    """
    config = _load(config_path)
    flt = MentionFilter(since=since_of(since), source_names=tuple(source))
    if output:
        # A CSV file starts with a BOM, so that Excel reads its Thai as UTF-8.
        with open(output, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as fh:
            count = export_mentions(config, flt, fh, fmt)
        click.echo(f"ส่งออก {count} ข้อความ → {output}", err=True)
    else:
        count = export_mentions(config, flt, sys.stdout, fmt)
        click.echo(f"ส่งออก {count} ข้อความ", err=True)
