"""The ``sadap`` command line. Library code raises domain errors; only this module turns
them into exit codes (0 ok, 1 user error with one line per problem on stderr, 2 usage)."""

from __future__ import annotations

import functools
import json
import sys
from datetime import timedelta
from pathlib import Path

import click

from sadap.errors import SadapError

CONFIG_HELP = "Config file (default: $SADAP_CONFIG, then ./sadap.yaml, else built-in defaults)."


def _fail(message: str) -> None:
    for line in str(message).splitlines() or [""]:
        click.echo(f"sadap: {line}", err=True)
    sys.exit(1)


def handled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SadapError as err:
            _fail(str(err))
        except KeyboardInterrupt:
            click.echo("sadap: interrupted", err=True)
            sys.exit(130)

    return wrapper


def config_option(fn):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None, help=CONFIG_HELP)(fn)


def _load(config_path):
    from sadap.config import load_config

    return load_config(config_path)


def _dump(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sadap")
def main() -> None:
    """สดับ (Sadap): social listening and proactive monitoring for Thai organisations.

    Start with `sadap demo`, then `sadap init` to write your own sadap.yaml.
    """
    from sadap.logs import setup_cli_logging

    setup_cli_logging()


# -- demo / init ---------------------------------------------------------------
@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False), default="sadap-demo", show_default=True,
              help="Folder for the demo's config and SQLite store (replaced on each run).")
@click.option("--serve", is_flag=True, help="Keep running with the web console after the demo.")
@click.option("--port", type=int, default=8470, show_default=True, help="Console port for --serve.")
@handled
def demo(data_dir: str, serve: bool, port: int) -> None:
    """Run the whole flow on shipped Thai sample data, offline.

    Starts a small local web site (news feed, articles, a forum), crawls it with the real
    spiders, enriches every mention, stores it in SQLite, evaluates the default alert rules
    and opens incidents with the matching playbooks, then prints a summary.
    """
    from sadap.demo.run import run_demo

    run_demo(Path(data_dir), serve=serve, port=port)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing sadap.yaml.")
@handled
def init(directory: str, force: bool) -> None:
    """Write a commented starter sadap.yaml into DIRECTORY (default: here)."""
    from sadap.starter import write_starter

    path = write_starter(Path(directory), force=force)
    click.echo(f"wrote {path}")
    click.echo("next: edit `watch:` and `sources:`, then `sadap crawl SOURCE --config " + str(path) + "`")


# -- ingest / enrich / search ------------------------------------------------------
@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--batch-size", type=click.IntRange(1, 10000), default=500, show_default=True)
@handled
def ingest(file: str, config_path, as_json: bool, batch_size: int) -> None:
    """Import mentions from a JSON-lines or CSV file.

    Fields: text (required), published_at (ISO 8601; without an offset it means
    Asia/Bangkok), id, source (default: the file name), url, author, title; other fields
    are kept as extras. Bad lines are reported and skipped; re-running stores nothing twice.
    """
    from sadap.importer import import_file

    config = _load(config_path)
    report = import_file(config, file, batch_size=batch_size, progress=not as_json)
    if as_json:
        _dump(report)
        return
    click.echo(
        f"อ่าน {report['read']} · บันทึกใหม่ {report['stored']} · ซ้ำ {report['duplicates']} · "
        f"ข้ามบรรทัดเสีย {len(report['rejected'])} · แจ้งเตือน {report['alerts']}"
    )
    for bad in report["rejected"][:20]:
        click.echo(f"  {file}:{bad['line']}: {bad['error']}", err=True)
    if len(report["rejected"]) > 20:
        click.echo(f"  … and {len(report['rejected']) - 20} more (use --json for all)", err=True)


@main.command()
@click.argument("text")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the enriched mention as JSON.")
@handled
def enrich(text: str, config_path, as_json: bool) -> None:
    """Enrich TEXT as a mention and show what Sadap hears in it."""
    from enrich.pipeline import Enricher
    from sadap.labels import SENTIMENT, th
    from sadap.mention import RawMention, to_mention

    config = _load(config_path)
    raw = RawMention(source_kind="file", source_name="cli", text=text)
    mention = Enricher.from_config(config).enrich([to_mention(raw, pseudonym_key=b"cli")])[0]
    if as_json:
        _dump(mention.model_dump(mode="json"))
        return
    s = mention.sentiment
    click.echo(f"ภาษา: {mention.language}")
    click.echo(f"ความรู้สึก: {th(SENTIMENT, s.label)} ({s.label}, {s.score:.2f})" if s else "ความรู้สึก: -")
    click.echo("คำ: " + " | ".join(mention.tokens))
    if mention.entities:
        click.echo("สิ่งที่ติดตาม: " + ", ".join(mention.entities))
    if mention.hashtags:
        click.echo("แฮชแท็ก: " + ", ".join(mention.hashtags))


@main.command()
@click.argument("query")
@config_option
@click.option("--since", default=None, help="Only mentions published this recently, e.g. 24h, 7d.")
@click.option("--sentiment", type=click.Choice(["pos", "neu", "neg", "q"]), multiple=True, help="Only this sentiment (repeatable).")
@click.option("--source", multiple=True, help="Only this source name (repeatable).")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print mentions as JSON.")
@handled
def search(query: str, config_path, since, sentiment, source, limit: int, as_json: bool) -> None:
    """Thai full-text search over stored mentions.

    Words must all appear; `A OR B` either; "a phrase"; -word excludes.
    """
    from sadap.labels import SENTIMENT, th
    from sadap.query import parse_query
    from sadap.store import MentionFilter, open_store
    from sadap.timeutil import now_utc, parse_duration, show

    config = _load(config_path)
    flt = MentionFilter(
        query=parse_query(query, tuple(config.custom_words())),
        since=now_utc() - parse_duration(since) if since else None,
        sentiment=tuple(sentiment),
        source_names=tuple(source),
    )
    with open_store(config) as store:
        total = store.count(flt)
        found = store.search(flt, limit=limit)
    if as_json:
        _dump([m.model_dump(mode="json", exclude={"tokens", "simhash"}) for m in found])
        return
    click.echo(f"พบ {total} ข้อความ (แสดง {len(found)})")
    for m in found:
        label = th(SENTIMENT, m.sentiment.label) if m.sentiment else "-"
        snippet = " ".join(m.text.split())[:140]
        click.echo(f"{show(m.published_at)}  [{m.source_name}] ({label}) {snippet}")


# -- alerts ----------------------------------------------------------------------
@main.group()
def alerts() -> None:
    """Alert rules: evaluate them now or as of a past time."""


@alerts.command("check")
@config_option
@click.option("--at", "at_text", default=None, help="Evaluate as of this ISO 8601 time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print fired alerts as JSON.")
@click.option("--quiet", is_flag=True, help="Do not send notifications (still opens incidents).")
@handled
def alerts_check(config_path, at_text, as_json: bool, quiet: bool) -> None:
    """Evaluate every enabled rule, open incidents and notify; print the alerts fired."""
    from alerts.engine import AlertEngine
    from sadap.store import open_store
    from sadap.timeutil import now_utc, parse_iso

    config = _load(config_path)
    at = parse_iso(at_text) if at_text else now_utc()
    with open_store(config) as store:
        engine = AlertEngine.from_config(config, store, notifiers=[] if (quiet or as_json) else None)
        fired = engine.check(at)
    rows = [
        {"rule": a.rule, "severity": a.severity, "key": a.key, "count": a.count, "playbook": a.playbook,
         "incident": a.incident, "mentions": a.mention_ids}
        for a in fired
    ]
    if as_json:
        _dump(rows)
    elif not rows:
        click.echo("ไม่มีการแจ้งเตือน (no alerts)")


@alerts.command("snooze")
@click.argument("rule")
@config_option
@click.option("--key", default="*", show_default=True, help="The key to silence (`*`: every key).")
@click.option("--for", "duration", default=None, help="How long, e.g. 2h.")
@click.option("--until", "until_text", default=None, help="Until when, ISO 8601.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@click.option("--reason", default="", help="Why (kept with the snooze).")
@handled
def alerts_snooze(rule: str, config_path, key: str, duration, until_text, actor, reason: str) -> None:
    """Silence RULE for a key until a time (kept in the store; survives restarts)."""
    import getpass

    from sadap.store import open_store
    from sadap.timeutil import now_utc, parse_duration, parse_iso, show

    config = _load(config_path)
    if rule not in {r.id for r in config.alert_rules}:
        raise SadapError(f"unknown rule {rule!r} (rules: {', '.join(r.id for r in config.alert_rules) or 'none'})")
    if bool(duration) == bool(until_text):
        raise SadapError("give exactly one of --for DURATION or --until TIME")
    until = parse_iso(until_text) if until_text else now_utc() + parse_duration(duration)
    with open_store(config) as store:
        store.snooze(rule, key, until, actor or getpass.getuser(), reason)
    click.echo(f"{rule} [{key}] เงียบถึง {show(until)} (snoozed)")


# -- mentions ------------------------------------------------------------------------
@main.group()
def mentions() -> None:
    """Single mentions: log a response (stops the complaint SLA clock)."""


@mentions.command("respond")
@click.argument("mention_id")
@click.argument("text")
@config_option
@click.option("--channel", default="social", show_default=True, help="Where the response went.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def mentions_respond(mention_id: str, text: str, config_path, channel: str, actor) -> None:
    """Log that MENTION_ID was answered (TEXT is what was said)."""
    import getpass

    from sadap.errors import InputError
    from sadap.store import open_store
    from sadap.timeutil import now_utc

    config = _load(config_path)
    with open_store(config) as store:
        if store.get(mention_id) is None:
            raise InputError(f"no mention {mention_id!r} (see `sadap search --json` for ids)")
        store.log_response(mention_id, now_utc(), actor or getpass.getuser(), channel, text)
    click.echo("ok")


# -- playbooks ---------------------------------------------------------------------
@main.group()
def playbooks() -> None:
    """Situation playbooks: validate and list."""


@playbooks.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@config_option
@handled
def playbooks_validate(paths, config_path) -> None:
    """Validate playbook files or folders (default: the configured ones and the shipped library)."""
    from playbooks.loader import load_playbooks

    config = _load(config_path)
    known = {r.id for r in config.alert_rules}
    if paths:
        loaded = load_playbooks(list(paths), shipped=False, known_rules=known, known_notifiers={n.id for n in config.notifiers})
    else:
        loaded = load_playbooks([config.base_dir / p for p in config.playbooks.paths], shipped=config.playbooks.shipped, known_rules=known, known_notifiers={n.id for n in config.notifiers})
    click.echo(f"ok: {len(loaded)} playbook(s) valid")


@playbooks.command("test")
@click.argument("target", metavar="PLAYBOOK_OR_RULE")
@config_option
@click.option("--since", default="30d", show_default=True, help="How far back to replay, e.g. 7d, 30d.")
@click.option("--until", "until_text", default=None, help="End of the replay, ISO 8601 (default: now).")
@click.option("--step", default=None, help="Time between evaluations (default: schedule.alerts_every).")
@click.option("--json", "as_json", is_flag=True)
@handled
def playbooks_test(target: str, config_path, since: str, until_text, step, as_json: bool) -> None:
    """Backtest a playbook or rule on stored history: when incidents would have opened,
    for which keys and mentions, and how many notifications would have gone out.

    Uses the same evaluation code as live alerting, with time as a parameter; nothing is
    written to the store and nothing is sent.
    """
    from alerts.backtest import backtest
    from sadap.store import open_store
    from sadap.timeutil import now_utc, parse_duration, parse_iso, show

    config = _load(config_path)
    until = parse_iso(until_text) if until_text else now_utc()
    start = until - parse_duration(since)
    with open_store(config) as store:
        report = backtest(config, store, target, start, until, parse_duration(step) if step else None)
    if as_json:
        _dump(report)
        return
    click.echo(
        f"{target}: {report['evaluations']} evaluations every {report['step']} · alerts {len(report['alerts'])}"
        f" · incidents {len(report['incidents'])} · notifications {report['notifications']}"
    )
    for inc in report["incidents"]:
        from datetime import datetime

        click.echo(f"  {show(datetime.fromisoformat(inc['opened_at']))}  {inc['severity']}  {inc['playbook']}"
                   f"  key={inc['key'] or '-'}  rule={inc['rule']}  alerts={inc['alerts']}")


@playbooks.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def playbooks_list(config_path, as_json: bool) -> None:
    """List the loaded playbooks."""
    from playbooks.loader import load_playbooks

    config = _load(config_path)
    loaded = load_playbooks([config.base_dir / p for p in config.playbooks.paths], shipped=config.playbooks.shipped,
                            known_rules={r.id for r in config.alert_rules}, known_notifiers={n.id for n in config.notifiers})
    if as_json:
        _dump([{"id": p.id, "title": {"th": p.title.th, "en": p.title.en}, "severity": p.severity} for p in loaded])
        return
    for p in loaded:
        click.echo(f"{p.id:<22} {p.severity}  {p.title.th} / {p.title.en}")


# -- incidents ---------------------------------------------------------------------
@main.group()
def incidents() -> None:
    """Incidents opened by alerts: list, show, acknowledge, resolve, add notes."""


@incidents.command("list")
@config_option
@click.option("--state", type=click.Choice(["open", "acknowledged", "resolved"]), multiple=True)
@click.option("--json", "as_json", is_flag=True)
@handled
def incidents_list(config_path, state, as_json: bool) -> None:
    """List incidents, newest first."""
    from sadap.labels import INCIDENT_STATE, th
    from sadap.store import open_store
    from sadap.timeutil import show

    config = _load(config_path)
    with open_store(config) as store:
        found = store.list_incidents(tuple(state))
    if as_json:
        _dump([i.model_dump(mode="json") for i in found])
        return
    if not found:
        click.echo("ไม่มีเหตุการณ์ (no incidents)")
    for i in found:
        click.echo(f"{i.id}  {i.severity}  {th(INCIDENT_STATE, i.state):<10} {show(i.opened_at)}  {i.title}  [{i.playbook}]")


@incidents.command("show")
@click.argument("incident_id")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def incidents_show(incident_id: str, config_path, as_json: bool) -> None:
    """Show an incident with its playbook steps and timeline."""
    from sadap.incident_view import show_incident

    config = _load(config_path)
    show_incident(config, incident_id, as_json=as_json, echo=click.echo)


def _transition(state: str):
    @click.argument("incident_id")
    @config_option
    @click.option("--by", "actor", default=None, help="Who (default: $USER).")
    @click.option("--note", default="", help="A note for the timeline.")
    @handled
    def command(incident_id: str, config_path, actor, note: str) -> None:
        import getpass

        from alerts.incidents import transition
        from sadap.store import open_store

        config = _load(config_path)
        with open_store(config) as store:
            incident = transition(store, incident_id, state, actor or getpass.getuser(), note)
        click.echo(f"{incident.id}: {incident.state}")

    return command


incidents.command("ack", help="Acknowledge an incident (you are working on it).")(_transition("acknowledged"))
incidents.command("resolve", help="Resolve an incident.")(_transition("resolved"))
incidents.command("reopen", help="Reopen a resolved incident.")(_transition("open"))


def _timeline_entry(kind: str):
    @click.argument("incident_id")
    @click.argument("text")
    @config_option
    @click.option("--by", "actor", default=None, help="Who (default: $USER).")
    @handled
    def command(incident_id: str, text: str, config_path, actor, channel=None) -> None:
        import getpass

        from alerts.incidents import add_note
        from sadap.store import open_store

        config = _load(config_path)
        with open_store(config) as store:
            add_note(store, incident_id, actor or getpass.getuser(), text, kind=kind, channel=channel)
        click.echo("ok")

    return command


incidents.command("note", help="Add a note to an incident's timeline.")(_timeline_entry("note"))


@incidents.command("step")
@click.argument("incident_id")
@click.argument("number", type=click.IntRange(1, 100))
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@click.option("--note", default="", help="What was done.")
@handled
def incidents_step(incident_id: str, number: int, config_path, actor, note: str) -> None:
    """Mark step NUMBER of the incident's playbook as done."""
    import getpass

    from alerts.incidents import add_note
    from playbooks.loader import load_playbooks
    from sadap.errors import InputError
    from sadap.store import open_store

    config = _load(config_path)
    with open_store(config) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
        playbook = next((p for p in load_playbooks([config.base_dir / p for p in config.playbooks.paths],
                                                   shipped=config.playbooks.shipped) if p.id == incident.playbook), None)
        steps = playbook.steps if playbook else []
        if number > len(steps):
            raise InputError(f"playbook {incident.playbook!r} has {len(steps)} step(s); choose 1 to {len(steps)}")
        title = steps[number - 1].title.th
        add_note(store, incident_id, actor or getpass.getuser(), f"{number}. {title}" + (f" — {note}" if note else ""), kind="step_done")
    click.echo(f"{incident_id}: step {number} done ({title})")
incidents.command("respond", help="Log a response sent to the public (stops the incident SLA clock).")(
    click.option("--channel", default="social", show_default=True, help="Where the response went.")(_timeline_entry("response"))
)


# -- crawl / run / serve ---------------------------------------------------------------
@main.command()
@click.argument("source")
@config_option
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING", show_default=True)
@handled
def crawl(source: str, config_path, log_level: str) -> None:
    """Crawl one configured SOURCE now (use `all` for every enabled source)."""
    from crawlers.run import crawl as run_crawl

    config = _load(config_path)
    sources = [s for s in config.sources if s.enabled] if source == "all" else [config.source(source)]
    if not sources:
        raise SadapError("no enabled sources in the config (add some under `sources:`)")
    stats = run_crawl(config, sources, log_level=log_level)
    for name, st in stats.items():
        click.echo(
            f"{name}: items {st.get('items', 0)} · stored {st.get('stored', 0)} · duplicates {st.get('duplicates', 0)}"
            f" · alerts {st.get('alerts', 0)} · errors {st.get('errors', 0)}"
        )


@main.command()
@config_option
@click.option("--port", type=int, default=None, help="Also serve the web console on this port.")
@handled
def run(config_path, port) -> None:
    """Run the service: crawl each source on its schedule and evaluate rules (APScheduler)."""
    from alerts.scheduler import run_service

    config = _load(config_path)
    run_service(config, port=port)


@main.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8470, show_default=True)
@handled
def serve(config_path, host: str, port: int) -> None:
    """Serve the read-only web console."""
    from sadap.web import serve_forever

    config = _load(config_path)
    serve_forever(config, host, port)


from sadap.cli_es import es, kibana  # noqa: E402
main.add_command(es); main.add_command(kibana)  # noqa: E702

if __name__ == "__main__":
    main()
