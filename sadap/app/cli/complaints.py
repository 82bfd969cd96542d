"""Commands: complaints list, show, assign, link, cause, close, reopen, note, causes."""

from __future__ import annotations

import getpass
import json
from datetime import datetime, timedelta
from typing import Any

import click

from sadap.app import complaints as cases
from sadap.app.responses import staff_text
from sadap.app.cli.common import (SHOWN_ID, _dump, _load, columns, config_option, handled, pad, pad_left,
                                  point_in_time, resolve_mention_id)
from sadap.app.config import configured_playbooks
from sadap.app.names import complaint_type_names, source_kinds
from sadap.core.complaint_case import CAUSE_WORDS, CAUSES, CLOSE_REASON_WORDS, CLOSE_REASONS, ComplaintCase
from sadap.core.errors import InputError
from sadap.core.labels import CASE_STATE, CASE_TIMELINE, th
from sadap.core.timeutil import now_utc, show
from sadap.store import open_store


@click.group()
def complaints() -> None:
    """Complaint cases: related complaint mentions handled as one case (standard 002, ISO 10002)."""


def _clock_words(clock: dict[str, Any]) -> str:
    if clock["answered"] is not None:
        return "ตอบแล้ว" + ("ทันเวลา" if clock["in_time"] else "เกินเวลา")
    again = "ติดตามซ้ำ " if clock["follow_up"] else ""  # the customer wrote again after our answer
    if clock["overdue"]:
        return again + "เลยกำหนด"
    left = clock["left"]
    return again + (f"เหลือ {int(left.total_seconds() // 3600)} ชม." if left is not None else "ปิดโดยไม่ได้ตอบ")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _cause_names(cause: str | None) -> dict[str, str | None]:
    """The cause's Thai and English names, for the JSON beside its key."""
    th_en = CAUSE_WORDS.get(cause) if cause else None
    return {"cause_th": th_en[0] if th_en else None, "cause_en": th_en[1] if th_en else None}


def _cause_line(case: ComplaintCase) -> str:
    words = CAUSE_WORDS.get(case.cause or "")
    if words is None:
        return "สาเหตุของปัญหา: ยังไม่ได้บันทึก (not recorded)"
    note = " ".join(case.cause_note.split())
    return (f"สาเหตุของปัญหา: {words[0]} ({words[1]})" + (f" — {note}" if note else "")
            + f" · โดย {case.cause_by} {show(case.cause_at)}")


@complaints.command("list")
@config_option
@click.option("--state", type=click.Choice(["open", "closed"]), default=None)
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True,
              help="Closed cases: those closed in the last N days (by when they were closed, not received). "
                   "Open cases are all listed, however old.")
@click.option("--cause", type=click.Choice(CAUSES), default=None, metavar="CAUSE",
              help="Only the cases of this cause (see `complaints cause --help`).")
@click.option("--assignee", default=None, metavar="USER", help="Only the cases given to this user (`complaints assign`).")
@click.option("--unassigned", is_flag=True, help="Only the cases given to no one.")
@click.option("--json", "as_json", is_flag=True)
@handled
def list_(config_path: str | None, state: str | None, days: int, cause: str | None, assignee: str | None,
          unassigned: bool, as_json: bool) -> None:
    """List open cases and those closed in the last --days days, unanswered first (complaints not
    yet in a case are put in one first; news coverage forms no case, and what older versions put
    in open cases is taken out). A case whose customer wrote again after our answer is
    unanswered again, its clock running from that follow-up."""
    if assignee is not None and unassigned:
        raise InputError("--assignee and --unassigned: choose one")
    if assignee is not None and not assignee.strip():
        raise InputError("--assignee: empty (name a user, or use --unassigned)")
    config = _load(config_path)
    with open_store(config) as store:
        cases.sync(store)
        cases.clear_press(store)
        rows = [r for r in cases.queue(store, days=days, sla=cases.case_sla(config))
                if (state is None or r["case"].state == state) and (cause is None or r["case"].cause == cause)]
        with_whom = cases.shown_assignees(store, [r["case"] for r in rows])
    if assignee is not None or unassigned:
        wanted = assignee.strip() if assignee is not None else None
        rows = [r for r in rows if with_whom[r["case"].id] == wanted]
    if as_json:
        _dump([{**r["case"].model_dump(mode="json", exclude={"events"}), "assignee": with_whom[r["case"].id],
                **_cause_names(r["case"].cause),
                "waiting_since": r["clock"]["since"].isoformat(), "follow_up": r["clock"]["follow_up"],
                "due": r["clock"]["due"].isoformat(), "answered": _iso(r["clock"]["answered"]),
                "first_response": _iso(r["clock"]["first_response"]),
                "in_time": r["clock"]["in_time"], "overdue": r["clock"]["overdue"]} for r in rows])
        return
    if not rows:
        click.echo("ไม่มีเรื่องร้องเรียน (no complaint cases)")
    for r in rows:
        c = r["case"]
        head = " ".join(r["head"].text.split())[:70] if r["head"] else ""
        click.echo(f"{c.id}  {pad(th(CASE_STATE, c.state), 8)} {show(c.received_at)}  {pad(_clock_words(r['clock']), 20)} "
                   f"{th(source_kinds(), c.channel)}/{c.source_name}"
                   f"  {th(complaint_type_names(), c.type)}" + (f"  สาเหตุ: {th(CAUSE_WORDS, c.cause)}" if c.cause else "")
                   + (f"  ผู้รับเรื่อง: {with_whom[c.id]}" if with_whom[c.id] else "")
                   + f"  ×{len(c.mention_ids)}  {head}")


@complaints.command("show")
@click.argument("case_id")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def show_(case_id: str, config_path: str | None, as_json: bool) -> None:
    """Show a case: channel, type, the 24-hour clock (from the first complaint, or from the
    customer's follow-up after our answer), the sequence of events, recovery steps."""
    config = _load(config_path)
    playbooks = {p.id: p for p in configured_playbooks(config, check_references=False)}
    with open_store(config) as store:
        case = cases.get_case(store, case_id)
        view = cases.case_view(store, case, playbooks, sla=cases.case_sla(config))
        assignee = cases.shown_assignees(store, [case])[case.id]
    clock = view["clock"]
    if as_json:
        data = {**case.model_dump(mode="json"), "assignee": assignee, **_cause_names(case.cause)}
        # true/false stay JSON booleans (a string "False" reads as true); the time left in seconds
        data["clock"] = {k: _iso(v) if isinstance(v, datetime) else v for k, v in clock.items() if k != "left"}
        data["clock"]["left_s"] = int(clock["left"].total_seconds()) if clock["left"] is not None else None
        data["timeline"] = [{"at": i["at"].isoformat(), "kind": i["kind"], "actor": i["actor"], "text": i["text"],
                             "mention_id": i["mention"].id if i["mention"] else None} for i in view["timeline"]]
        data["recovery_playbook"] = view["playbook"].id if view["playbook"] else None
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{case.id}  {th(CASE_STATE, case.state)}  ช่องทาง {th(source_kinds(), case.channel)}/{case.source_name}  "
               f"ประเภท {th(complaint_type_names(), case.type)}")
    if clock["follow_up"]:  # answered before; the customer wrote again, and the clock runs from then
        click.echo(f"รับเรื่อง {show(case.received_at)} · ตอบครั้งแรก {show(clock['first_response'])} · "
                   f"ผู้ร้องติดตามอีกครั้ง {show(clock['since'])} ({clock['follow_up'][:SHOWN_ID]}) · "
                   f"ครบกำหนดตอบ {show(clock['due'])} · "
                   + (f"ตอบแล้ว {show(clock['answered'])}" if clock["answered"] else _clock_words(clock)))
    else:
        click.echo(f"รับเรื่อง {show(case.received_at)} · ครบกำหนดตอบ {show(clock['due'])} · "
                   + (f"ตอบครั้งแรก {show(clock['answered'])}" if clock["answered"] else _clock_words(clock)))
    if case.incident_id:
        click.echo(f"เหตุการณ์: {case.incident_id}")
    if case.stakeholders:
        click.echo(f"ผู้มีส่วนได้ส่วนเสีย: {', '.join(case.stakeholders)}")
    click.echo(f"ผู้รับเรื่อง: {assignee or 'ยังไม่มอบหมาย (not assigned)'}")
    click.echo(_cause_line(case))
    if case.state == "closed":
        click.echo(f"ปิดเรื่อง: {th(CLOSE_REASON_WORDS, case.close_reason)} โดย {case.closed_by} {show(case.closed_at)}")
    click.echo("ลำดับเหตุการณ์:")
    for item in view["timeline"]:
        mid = f" ({item['mention'].id[:SHOWN_ID]})" if item["mention"] else ""
        click.echo(f"  {show(item['at'])}  {pad(th(CASE_TIMELINE, item['kind']), 16)} {pad(item['actor'][:14], 14)} {' '.join(item['text'].split())[:90]}{mid}")
    if view["playbook"]:
        click.echo(f"การแก้ไขปัญหาบริการ ({view['playbook'].id}):")
        for n, step in enumerate(view["playbook"].steps, 1):
            mark = "✓" if n in view["steps_done"] else " "
            click.echo(f"  [{mark}] {n}. {step.title.th}")


@complaints.command("assign")
@click.argument("case_id")
@click.option("--to", "assignee", required=True, metavar="USER",
              help="The workspace user who answers the case: an existing user, not disabled, responder or above "
                   "(`sadap users list`).")
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def assign(case_id: str, assignee: str, config_path: str | None, actor: str | None) -> None:
    """Give a case, open or closed, to a workspace user to answer (as the workspace's Assign):
    each change is kept on the case's timeline (who, when, from → to). There is no unassign: give
    the case to someone else."""
    config = _load(config_path)
    with open_store(config) as store:
        case = cases.assign_case(store, case_id, assignee, actor or getpass.getuser())
    click.echo(f"{case.id}: มอบหมายให้ {case.assignee}")


@complaints.command("link")
@click.argument("case_id")
@click.argument("mention_ids", nargs=-1, required=True)
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def link(case_id: str, mention_ids: tuple[str, ...], config_path: str | None, actor: str | None) -> None:
    """Add mentions to a case by hand (from any other case they were in).

    A MENTION_ID may be the start of an id that no other mention shares (`complaints show` and
    `sadap search` show the first 12 characters)."""
    config = _load(config_path)
    with open_store(config) as store:
        for mid in mention_ids:
            case = cases.link(store, case_id, resolve_mention_id(store, mid), actor or getpass.getuser())
    click.echo(f"{case.id}: {len(case.mention_ids)} mention(s)")


@complaints.command("cause", help=(
    "Record the cause of the problem behind a case, open or closed (standard 002: วิเคราะห์สาเหตุของปัญหา). "
    "A change is kept on the case's timeline (who, when, from → to).\n\n\b\nCAUSE:\n"
    + "\n".join(f"  {k:<17} {th} ({en})" for k, (th, en) in CAUSE_WORDS.items())))
@click.argument("case_id")
@click.argument("cause", type=click.Choice(CAUSES), metavar="CAUSE")
@click.option("--note", default=None, help="What was found, in a sentence (personal data masked as in notes; "
              "default: the note kept while the cause stays the same).")
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def cause(case_id: str, cause: str, note: str | None, config_path: str | None, actor: str | None) -> None:
    config = _load(config_path)
    with open_store(config) as store:
        case = cases.set_cause(store, case_id, cause, actor or getpass.getuser(),
                               None if note is None else staff_text(config, note))
    click.echo(f"{case.id}: สาเหตุ {th(CAUSE_WORDS, case.cause)} ({case.cause})")


@complaints.command("close")
@click.argument("case_id")
@click.option("--reason", type=click.Choice(CLOSE_REASONS), required=True)
@click.option("--cause", type=click.Choice(CAUSES), default=None, metavar="CAUSE",
              help="The cause of the problem, recorded with the closing (as `complaints cause`).")
@click.option("--note", default="", help="The resolution, in a sentence.")
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def close(case_id: str, reason: str, cause: str | None, note: str, config_path: str | None, actor: str | None) -> None:
    """Close a case with a reason (and, with --cause, the cause of its problem)."""
    config = _load(config_path)
    with open_store(config) as store:
        case = cases.close(store, case_id, reason, actor or getpass.getuser(), staff_text(config, note), cause=cause)
    click.echo(f"{case.id}: closed ({case.close_reason})" + (f", cause {case.cause}" if case.cause else ""))


@complaints.command("reopen")
@click.argument("case_id")
@config_option
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def reopen(case_id: str, config_path: str | None, actor: str | None) -> None:
    """Reopen a closed case."""
    config = _load(config_path)
    with open_store(config) as store:
        case = cases.reopen(store, case_id, actor or getpass.getuser())
    click.echo(f"{case.id}: {th(CASE_STATE, case.state)}")


@complaints.command("note")
@click.argument("case_id")
@click.argument("text")
@config_option
@click.option("--step", type=click.IntRange(1, 100), default=None, help="Mark this service-recovery step done.")
@click.option("--by", "actor", default=None, help="Who (default: $USER).")
@handled
def note(case_id: str, text: str, config_path: str | None, step: int | None, actor: str | None) -> None:
    """Add a note to a case's timeline (or, with --step, mark a recovery step done)."""
    config = _load(config_path)
    with open_store(config) as store:
        if step is not None:
            playbooks = {p.id: p for p in configured_playbooks(config, check_references=False)}
            cases.mark_step(store, case_id, actor or getpass.getuser(), step, staff_text(config, text), playbooks)
        else:
            cases.note(store, case_id, actor or getpass.getuser(), staff_text(config, text))
    click.echo("ok")


@complaints.command("causes")
@click.option("--since", default="90d", show_default=True,
              help="Cases closed from: a duration back from now (90d) or an ISO date/time.")
@click.option("--until", default=None, help="Until (not included): a duration back from now or an ISO date/time "
              "(default: now).")
@config_option
@click.option("--json", "as_json", is_flag=True)
@handled
def causes(since: str, until: str | None, config_path: str | None, as_json: bool) -> None:
    """The causes of the cases closed in a period, most first: the top causes to plan against
    (cases closed without a cause are counted as not recorded; news coverage the system closed
    is no complaint and is not counted)."""
    start = point_in_time(since, "--since") or now_utc() - timedelta(days=90)
    end = point_in_time(until, "--until") or now_utc()
    if end <= start:
        raise InputError(f"--until {repr(until) if until else '(now)'}: not after --since {since!r}")
    config = _load(config_path)
    with open_store(config) as store:
        counted = cases.cause_counts(store, start, end)
    total = sum(n for _, n in counted)
    if as_json:
        _dump({"since": start.isoformat(), "until": end.isoformat(), "closed": total,
               "causes": [{"cause": c, **_cause_names(c), "cases": n, "share": round(n / total, 4)}
                          for c, n in counted]})
        return
    click.echo(f"สาเหตุของปัญหาในเรื่องร้องเรียนที่ปิดแล้ว {show(start)} – {show(end)}: {total} เรื่อง")
    if not counted:
        click.echo("ไม่มีเรื่องที่ปิดในช่วงนี้ (no cases closed in this period)")
        return
    width = max(28, *(columns(th(CAUSE_WORDS, c)) + 2 for c, _ in counted))
    click.echo(f"{pad('สาเหตุ', width)}{pad_left('เรื่อง', 7)}{pad_left('สัดส่วน', 9)}")
    for c, n in counted:
        name = th(CAUSE_WORDS, c) if c else "ยังไม่ได้บันทึก"
        click.echo(f"{pad(name, width)}{pad_left(str(n), 7)}{pad_left(f'{n / total * 100:.0f}%', 9)}")
