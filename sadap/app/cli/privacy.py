"""``sadap privacy``: erase, export, purge and report personal data (Thailand's PDPA)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from sadap.app import privacy as pdpa
from sadap.app.cli.common import _dump, _load, config_option, handled
from sadap.core.datalock import hold
from sadap.core.files import open_private
from sadap.core.timeutil import show
from sadap.store import open_store

_WHO = [
    click.option("--author", default=None, help="The author's handle or name as it arrived (pseudonymised the same way)."),
    click.option("--source", default=None, help="Only the author's mentions from this source name."),
    click.option("--mention", "mention_ids", multiple=True, help="A mention id (repeatable)."),
]


def _who(fn: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_WHO):
        fn = option(fn)
    return fn


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container
        return "unknown"


@click.group()
def privacy() -> None:
    """Personal data (PDPA): erase or export a person's data, apply retention, report what is held."""


@privacy.command("erase")
@_who
@config_option
@click.option("--reference", default="", help="Request reference for the audit log (a ticket number; no names).")
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@click.option("--no-compact", is_flag=True, help="Skip compacting the SQLite file afterwards (VACUUM).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handled
def privacy_erase(author: str | None, source: str | None, mention_ids: tuple[str, ...], config_path: str | None,
                  reference: str, dry_run: bool, no_compact: bool, as_json: bool) -> None:
    """Erase a person's mentions (by --author) or single mentions (by --mention): their copies,
    responses, search entries, spool entries, ids in incidents, alerts and complaint cases and
    excerpts in notifications go too. An audit
    record without personal data is kept in data_dir/privacy-audit.jsonl."""

    config = _load(config_path)
    with open_store(config) as store:
        sel = pdpa.select(config, store, author=author, source=source, mention_ids=mention_ids)
        if dry_run:
            copies = [i for i in store.copies_of(sel.ids) if i not in set(sel.ids)]
            result: dict[str, Any] = {"dry_run": True, "mentions": len(sel.ids), "copies": len(copies)}
        else:
            result = pdpa.erase(config, store, sel, actor=_actor(), reference=reference, compact=not no_compact)
    if as_json:
        _dump(result)
        return
    if dry_run:
        click.echo(f"would erase {result['mentions']} mentions and {result['copies']} copies (dry run: nothing changed)")
        return
    click.echo(
        f"erased {result['mentions']} mentions (copies of them included: {result['copies']}), {result['responses']} responses, "
        f"{result['spool_entries']} spool entries; ids removed from {result['incidents_updated']} incidents, "
        f"{result['events_updated']} timeline events, {result['alerts_updated']} alerts, "
        f"{result['notifications_updated']} notifications"
    )
    if result["keys_masked"] or result["snoozes_removed"]:
        click.echo(f"  the handle as an alert key: masked in {result['keys_masked']} alerts, incidents, timeline events and "
                   f"notifications; {result['snoozes_removed']} snoozes and cool-downs for it removed")
    if result["cases_closed_empty"]:
        click.echo(f"  {result['cases_closed_empty']} complaint case(s) left with no mention closed (reason: erased)")
    if result["stakeholders_naming_author"]:
        click.echo(f"  still named as an account of stakeholder(s) {', '.join(result['stakeholders_naming_author'])}: "
                   "replace their accounts with `sadap stakeholders edit ID --account …` if the request covers the registry", err=True)
    if result["ids_not_found"]:
        click.echo(f"  {result['ids_not_found']} mention id(s) not found", err=True)
    if result.get("register_shared") is False:
        click.echo("  ส่งการลบไปยังเครื่องอื่นทาง Redis ไม่ได้: เครื่องอื่นอาจเก็บโพสต์ของบุคคลนี้อีก สั่งลบซ้ำเมื่อ Redis กลับมา "
                   "(Redis did not take the erase: run the same erase again once it answers, so the other machines "
                   "know of it)", err=True)
    archives = pdpa.archives(config.backup_path)
    if archives:
        click.echo(f"  {len(archives)} backup(s) in {config.backup_path} still hold it until rotated out (backup.keep, "
                   "`sadap backup create --keep`); a restore lists this erasure to repeat", err=True)
    aside = pdpa.set_aside(config)
    if aside:
        click.echo(f"  {len(aside)} folder(s) set aside by `sadap backup restore --replace` still hold it "
                   f"(oldest {aside[0]}): delete them once not needed", err=True)
    click.echo(f"audit: {result['audit_log']}")


@privacy.command("export")
@_who
@config_option
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to this file (0600) instead of stdout.")
@handled
def privacy_export(author: str | None, source: str | None, mention_ids: tuple[str, ...], config_path: str | None,
                   out: str | None) -> None:
    """Everything stored about a person (right of access), as JSON."""

    config = _load(config_path)
    with open_store(config) as store:
        sel = pdpa.select(config, store, author=author, source=source, mention_ids=mention_ids)
        data = pdpa.export(config, store, sel)
    if out:
        with open_private(out) as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
        click.echo(f"wrote {len(data['mentions'])} mentions, {len(data['responses'])} responses to {out}", err=True)
        return
    _dump(data)


@privacy.command("purge")
@config_option
@click.option("--days", type=click.IntRange(1, 36500), default=None,
              help="Erase mentions collected more than this many days ago (default: privacy.retention_days).")
@click.option("--compact", is_flag=True, help="Compact the SQLite file afterwards (VACUUM).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handled
def privacy_purge(config_path: str | None, days: int | None, compact: bool, as_json: bool) -> None:
    """Apply the retention period now (`sadap run` does it daily when privacy.retention_days is set)."""

    config = _load(config_path)
    with hold(config.data_path, "sadap privacy purge"), open_store(config) as store:  # a restore waits for it
        result = pdpa.purge(config, store, days=days, actor=_actor(), compact=compact)
    if as_json:
        _dump(result)
        return
    click.echo(
        f"erased {result['mentions']} mentions collected before {result['cutoff']} "
        f"({result['retention_days']} days), {result['responses']} responses, {result['spool_entries']} spool entries"
    )


@privacy.command("report")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handled
def privacy_report(config_path: str | None, as_json: bool) -> None:
    """What personal data is stored where, with counts (for the data protection officer)."""

    config = _load(config_path)
    with open_store(config) as store:
        result = pdpa.report(config, store)
    if as_json:
        _dump(result)
        return
    c, st = result["counts"], result["settings"]
    click.echo("ข้อมูลส่วนบุคคลที่จัดเก็บ (PDPA) · personal data held")
    click.echo(f"โฟลเดอร์ข้อมูล: {result['data_dir']} (สิทธิ์ {result['data_dir_mode']}) · ที่เก็บ: {result['backend']}")
    click.echo(
        f"ข้อความ: {c['mentions']} · มีนามแฝงผู้เขียน: {c['with_author_pseudonym']} "
        f"({c['distinct_author_pseudonyms']} คน) · มีชื่อที่แสดง: {c['with_author_name']} · "
        f"มีฟิลด์เพิ่มเติม: {'-' if c['with_extra_fields'] is None else c['with_extra_fields']}"
    )
    click.echo(
        f"การตอบกลับ: {c['responses']} · เหตุการณ์: {c['incidents']} (บันทึกในลำดับเหตุการณ์ {c['incident_events']}) · "
        f"การแจ้งเตือน: {c['alerts']} (พักไว้ {c['snoozes']} คีย์) · รอใน spool: {c['spool_pending']} · "
        f"ผู้มีส่วนได้ส่วนเสีย: {c['stakeholders']} (ผู้ติดต่อ {c['stakeholder_contacts']} คน) · "
        f"เรื่องร้องเรียน: {c['complaint_cases']} · "
        f"เก็บเก่าที่สุด: {show(datetime.fromisoformat(c['oldest_collected_at'])) if c['oldest_collected_at'] else '-'}"
    )
    click.echo(
        f"การตั้งค่า: keep_author_names={st['keep_author_names']} · mask_personal_data={st['mask_personal_data']} · "
        f"retention_days={st['retention_days']}" + (f" · retention_months={st['retention_months']}" if st["retention_months"] else "")
    )
    click.echo("เก็บที่ไหน:")
    for place in result["places"]:
        extra = f" · {place['count']} รายการ" if "count" in place else ""
        if place.get("oldest"):
            extra += f" · เก่าที่สุด {place['oldest']}"
        mode = f" (สิทธิ์ {place['mode']})" if place.get("mode") else ""
        click.echo(f"  {place['what_th']}: {place['where']}{mode}{extra}")
    click.echo("เก็บอะไร:")
    for line in result["personal_data_th"]:
        click.echo(f"  - {line}")
    click.echo("(--json: the same report in English keys and words)")
