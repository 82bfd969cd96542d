"""Commands: stakeholders add, list, show, edit, remove, import, export, retag, inform."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from sadap.app import stakeholders as registry
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.app.config import configured_playbooks
from sadap.app.responses import staff_text
from sadap.core.errors import InputError
from sadap.core.stakeholder import CONTACT_CHANNELS, GROUPS, LEVEL_WORDS, LEVELS, STATUSES, Stakeholder
from sadap.core.labels import th
from sadap.core.timeutil import now_utc, parse_duration, show
from sadap.core.yamlsource import LineMap, validation_lines
from sadap.store import open_store


@click.group()
def stakeholders() -> None:
    """The stakeholder registry (profiles): add, list, show, edit, import and export as YAML or CSV."""


def _profile_options(fn: Any) -> Any:
    opts = [
        click.option("--name", help="Name (Thai)."),
        click.option("--name-en", help="Name in English."),
        click.option("--status", type=click.Choice(STATUSES), help="What kind of body."),
        click.option("--group", type=click.Choice(GROUPS), help="Stakeholder group."),
        click.option("--role", help="Their role and way of working."),
        click.option("--issue", "key_issues", multiple=True, help="A key issue (repeat for more)."),
        click.option("--expectation", "expectations", multiple=True, help="An expectation (repeat)."),
        click.option("--contact", "contacts", multiple=True,
                     help="A representative: 'name|channel|address|title' (channel: " + ", ".join(CONTACT_CHANNELS) + ")."),
        click.option("--level", type=click.Choice(LEVELS), help="Relationship level (give --reason too)."),
        click.option("--reason", default="", help="Why this relationship level."),
        click.option("--watched", multiple=True, help="A linked watched name from `watch:` (repeat)."),
        click.option("--alias", "aliases", multiple=True, help="Another name or spelling (repeat)."),
        click.option("--account", "accounts", multiple=True, help="Their own account: 'source:handle' or 'handle'."),
        click.option("--inform-as", "inform_as", multiple=True, help="Playbook stakeholder role they are informed as."),
        click.option("--notes", help="Free notes."),
        click.option("--by", "actor", default=None, help="Who (default: $USER)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _changes(opts: dict[str, Any]) -> dict[str, Any]:
    """The profile fields the options give (lists replace what was there)."""
    doc: dict[str, Any] = {}
    for key in ("name", "name_en", "status", "group", "role", "notes"):
        if opts.get(key) is not None:
            doc[key] = opts[key].strip()
    for key in ("key_issues", "expectations", "watched", "aliases", "inform_as"):
        if opts.get(key):  # each option given is one item, `;` and all
            doc[key] = [v.strip() for v in opts[key] if v.strip()]
    if opts.get("contacts"):
        doc["contacts"] = [registry.parse_contact(v) for v in opts["contacts"]]
    if opts.get("accounts"):
        doc["accounts"] = [registry.parse_account(v) for v in opts["accounts"]]
    return doc


def _save(store: Any, config: Any, doc: dict[str, Any], actor: str, level: str | None, reason: str) -> Stakeholder:
    now = now_utc()
    if level:
        doc["relationship"] = {"level": level, "set_by": actor, "reason": reason, "set_at": now}
    try:
        s = Stakeholder.model_validate({**doc, "updated_at": now, "updated_by": actor})
    except ValidationError as err:
        lines = validation_lines(err, None, LineMap(), Stakeholder)
        raise InputError("\n".join(line.split(": ", 1)[1] if ": " in line else line for line in lines)) from None
    for name in registry.unknown_watched(config, s):
        click.echo(f"sadap: warning: watched: {name!r} is not a watched name in this config", err=True)
    return registry.save(store, s)


@stakeholders.command("add")
@click.argument("stakeholder_id")
@_profile_options
@config_option
@handled
def add(stakeholder_id: str, config_path: str | None, actor: str | None, level: str | None, reason: str,
        **opts: Any) -> None:
    """Add a stakeholder STAKEHOLDER_ID (needs --name, --status and --group)."""
    config = _load(config_path)
    with open_store(config) as store:
        if store.get_stakeholder(stakeholder_id) is not None:
            raise InputError(f"{stakeholder_id!r} exists already; use `sadap stakeholders edit`")
        s = _save(store, config, {"id": stakeholder_id, **_changes(opts)}, actor or getpass.getuser(), level, reason)
    click.echo(f"{s.id}: added ({s.name}); run `sadap stakeholders retag` to tag stored mentions")


@stakeholders.command("edit")
@click.argument("stakeholder_id")
@_profile_options
@config_option
@handled
def edit(stakeholder_id: str, config_path: str | None, actor: str | None, level: str | None, reason: str,
         **opts: Any) -> None:
    """Change a stakeholder's fields (the lists given replace the old ones)."""
    config = _load(config_path)
    with open_store(config) as store:
        old = store.get_stakeholder(stakeholder_id)
        if old is None:
            raise InputError(f"no stakeholder {stakeholder_id!r} (see `sadap stakeholders list`)")
        doc = old.model_dump(exclude={"updated_at", "updated_by"})
        doc.update(_changes(opts))
        s = _save(store, config, doc, actor or getpass.getuser(), level, reason)
    click.echo(f"{s.id}: saved")


@stakeholders.command("remove")
@click.argument("stakeholder_id")
@config_option
@handled
def remove(stakeholder_id: str, config_path: str | None) -> None:
    """Remove a stakeholder from the registry."""
    config = _load(config_path)
    with open_store(config) as store:
        if not store.delete_stakeholder(stakeholder_id):
            raise InputError(f"no stakeholder {stakeholder_id!r}")
    click.echo(f"{stakeholder_id}: removed")


@stakeholders.command("list")
@config_option
@click.option("--group", type=click.Choice(GROUPS), default=None)
@click.option("--json", "as_json", is_flag=True)
@handled
def list_(config_path: str | None, group: str | None, as_json: bool) -> None:
    """List the registry."""
    config = _load(config_path)
    with open_store(config) as store:
        found = [s for s in store.list_stakeholders() if group is None or s.group == group]
    if as_json:
        _dump([s.model_dump(mode="json") for s in found])
        return
    if not found:
        click.echo("ยังไม่มีผู้มีส่วนได้ส่วนเสียในทะเบียน (no stakeholders yet)")
    for s in found:
        level = th(LEVEL_WORDS, s.relationship.level) if s.relationship else "-"
        contact = f"{s.contacts[0].name} ({s.contacts[0].channel})" if s.contacts else "-"
        click.echo(f"{s.id:<22} {s.name}  [{s.group}/{s.status}]  ความสัมพันธ์: {level}  ผู้ประสานงาน: {contact}")


@stakeholders.command("show")
@click.argument("stakeholder_id")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def show_(stakeholder_id: str, config_path: str | None, as_json: bool) -> None:
    """Show a profile with its mentions, open incidents and complaint cases."""
    config = _load(config_path)
    with open_store(config) as store:
        s = store.get_stakeholder(stakeholder_id)
        if s is None:
            raise InputError(f"no stakeholder {stakeholder_id!r} (see `sadap stakeholders list`)")
        p = registry.profile(store, s)
    if as_json:
        _dump({"stakeholder": s.model_dump(mode="json"), "mentions": p["count"], "mentions_30d": p["month"],
               "sentiment_30d": p["sentiment"], "key_issues_30d": p["issues"],
               "open_incidents": [i.id for i in p["incidents"]], "open_cases": [c.id for c in p["cases"]],
               "last_contact": p["last_contact"].isoformat() if p["last_contact"] else None,
               "recent": [m.id for m in p["mentions"][:10]]})
        return
    click.echo(f"{s.id}  {s.name}" + (f" ({s.name_en})" if s.name_en else "") + f"  [{s.group}/{s.status}]")
    if s.role:
        click.echo(f"บทบาท: {s.role}")
    for label, values in (("ประเด็นสำคัญ", s.key_issues), ("ความคาดหวัง", s.expectations)):
        if values:
            click.echo(f"{label}: " + "; ".join(values))
    for c in s.contacts:
        click.echo(f"ผู้ประสานงาน: {c.name}" + (f" ({c.title})" if c.title else "") + f" ทาง {c.channel} {c.address}")
    if s.relationship:
        r = s.relationship
        click.echo(f"ความสัมพันธ์: {th(LEVEL_WORDS, r.level)} โดย {r.set_by}"
                   + (f" {show(r.set_at)}" if r.set_at else "") + (f" — {r.reason}" if r.reason else ""))
    for h in reversed(s.relationship_history):  # newest first
        click.echo(f"  ก่อนหน้า: {th(LEVEL_WORDS, h.level)} โดย {h.set_by}"
                   + (f" {show(h.set_at)}" if h.set_at else "") + (f" — {h.reason}" if h.reason else ""))
    click.echo(f"ข้อความ: {p['count']} (30 วัน: {p['month']}) · อารมณ์ 30 วัน: {p['sentiment']}")
    click.echo(f"เหตุการณ์ที่เปิดอยู่: {', '.join(i.id for i in p['incidents']) or '-'} · "
               f"เรื่องร้องเรียนที่เปิดอยู่: {', '.join(c.id for c in p['cases']) or '-'}")
    click.echo(f"ติดต่อล่าสุด: {show(p['last_contact']) if p['last_contact'] else '-'}")
    for m in p["mentions"][:5]:
        click.echo(f"  • {show(m.published_at)} [{m.source_name}] {' '.join(m.text.split())[:100]}")


@stakeholders.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@click.option("--no-retag", is_flag=True, help="Do not tag stored mentions again afterwards.")
@handled
def import_(path: str, config_path: str | None, actor: str | None, no_retag: bool) -> None:
    """Import profiles from YAML or CSV (by extension). Good rows are saved; each bad row gets
    one line on stderr and the exit code is 1."""
    config = _load(config_path)
    found, problems = registry.read_file(path, actor or getpass.getuser())
    with open_store(config) as store:
        for s in found:
            registry.save(store, s)
            for name in registry.unknown_watched(config, s):
                click.echo(f"sadap: warning: {s.id}: watched: {name!r} is not a watched name in this config", err=True)
        tagged = registry.retag(config, store) if found and not no_retag else None
    click.echo(f"imported {len(found)} stakeholder(s), {len(problems)} problem(s)"
               + (f"; {tagged['changed']} stored mention(s) tagged anew" if tagged else ""))
    for line in problems:
        click.echo(f"sadap: {line}", err=True)
    if problems:
        sys.exit(1)


@stakeholders.command("export")
@config_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@handled
def export(config_path: str | None, fmt: str, output: str | None) -> None:
    """Write the registry as YAML or CSV (what `import` reads)."""
    config = _load(config_path)
    with open_store(config) as store:
        found = store.list_stakeholders()
    text = registry.export_yaml(found) if fmt == "yaml" else registry.export_csv(found)
    if output:
        # A CSV file starts with a BOM, so that Excel reads its Thai as UTF-8 (import skips it).
        Path(output).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        click.echo(f"wrote {len(found)} stakeholder(s) to {output}")
    else:
        click.echo(text, nl=False)


@stakeholders.command("retag")
@config_option
@click.option("--since", default=None, help="Only mentions published since (e.g. 30d); default: all.")
@handled
def retag(config_path: str | None, since: str | None) -> None:
    """Tag stored mentions with the registry as it is now."""
    config = _load(config_path)
    with open_store(config) as store:
        done = registry.retag(config, store, now_utc() - parse_duration(since) if since else None)
    click.echo(f"read {done['read']}, changed {done['changed']}")


@stakeholders.command("inform")
@click.argument("incident_id")
@click.argument("entry", type=int)
@click.option("--stakeholder", "stakeholder_id", default="", help="Which registry stakeholder of the entry.")
@click.option("--note", default="", help="What was said.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@config_option
@handled
def inform(incident_id: str, entry: int, stakeholder_id: str, note: str, actor: str | None, config_path: str | None) -> None:
    """Tick playbook stakeholder ENTRY (0, 1, …; see `sadap incidents show`) as informed."""
    config = _load(config_path)
    with open_store(config) as store:
        incident = store.get_incident(incident_id)
        if incident is None:
            raise InputError(f"no incident {incident_id!r} (see `sadap incidents list`)")
        playbook = next((p for p in configured_playbooks(config, check_references=False) if p.id == incident.playbook), None)
        event = registry.mark_informed(store, incident_id, playbook, entry, stakeholder_id, actor or getpass.getuser(),
                                       staff_text(config, note))
    click.echo(f"{incident_id}: {event.text}")
