"""Complaint cases (มาตรฐาน 002: รับเรื่อง ระบุประเภท วิเคราะห์และลำดับเหตุการณ์; ISO 10002):
related complaint mentions — the same author, the same thread, the same incident, or linked by
hand — handled as one case with its channel, type, timeline, 24-hour clock and resolution."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (AwareDatetime, BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator,
                      model_serializer)

CaseState = Literal["open", "closed"]
CaseEventKind = Literal["opened", "mention", "linked", "unlinked", "note", "closed", "reopened", "recovery_step", "cause",
                        "assigned"]
#: The close reason of an open case left with no mention by an erasure or retention.
ERASED = "erased"
#: The close reason of an open case that held only news coverage, put there automatically before
#: news stopped forming cases: media coverage is answered through press relations, not the queue.
PRESS_COVERAGE = "press_coverage"
#: Why a case was closed (what ``sadap complaints close --reason`` accepts).
CLOSE_REASONS: tuple[str, ...] = (
    "resolved", "explained", "compensated", "referred", "duplicate", "not_a_complaint", "no_contact",
)
CLOSE_REASON_WORDS: dict[str, tuple[str, str]] = {
    "resolved": ("แก้ไขแล้ว", "resolved"),
    "explained": ("ชี้แจงแล้ว", "explained"),
    "compensated": ("เยียวยาแล้ว", "compensated"),
    "referred": ("ส่งต่อหน่วยงานที่รับผิดชอบ", "referred"),
    "duplicate": ("ซ้ำกับเรื่องอื่น", "duplicate"),
    "not_a_complaint": ("ไม่ใช่ข้อร้องเรียน", "not a complaint"),
    "no_contact": ("ติดต่อผู้ร้องไม่ได้", "no contact"),
    # Not a reason staff give: an open case whose every mention was erased (PDPA) or retention removed.
    ERASED: ("ข้อความถูกลบทั้งหมด (PDPA)", "every mention erased"),
    # Not a reason staff give either: news coverage, which no longer forms cases (docs/pr-crm.md).
    PRESS_COVERAGE: ("ข่าวจากสื่อ ตอบผ่านงานสื่อสัมพันธ์", "press coverage, answered through press relations"),
}
#: The cause of the problem behind a case (standard 002 A4013.01: วิเคราะห์สาเหตุของปัญหา; ISO 10002's
#: root cause), what ``sadap complaints cause`` and ``close --cause`` accept: its Thai and English names.
CAUSE_WORDS: dict[str, tuple[str, str]] = {
    "system_failure": ("ระบบขัดข้อง", "system failure"),
    "process": ("กระบวนการหรือขั้นตอนการทำงาน", "process or procedure"),
    "staff_conduct": ("การปฏิบัติงานของพนักงาน", "staff conduct"),
    "product_defect": ("สินค้าหรือบริการบกพร่อง", "product or service defect"),
    "communication": ("การสื่อสารหรือข้อมูลไม่ชัดเจน", "unclear communication or information"),
    "third_party": ("คู่ค้าหรือบุคคลภายนอก", "partner or third party"),
    "policy": ("นโยบายหรือเงื่อนไข", "policy or terms"),
    "misunderstanding": ("ผู้ร้องเข้าใจคลาดเคลื่อน", "the complainant's misunderstanding"),
    "external": ("เหตุนอกเหนือการควบคุมขององค์กร", "outside the organisation's control"),
    "undetermined": ("ยังระบุสาเหตุไม่ได้", "not determined"),
}
CAUSES: tuple[str, ...] = tuple(CAUSE_WORDS)
#: The longest cause note kept (as a case note).
CAUSE_NOTE_MAX = 4000
#: The default clock for a first answer (the `complaint_sla` rule's ``sla`` replaces it). Standard
#: 000 asks that complaints be followed around the clock (ตลอด 24 ชั่วโมง); no standard sets the
#: deadline itself.
CASE_SLA = timedelta(hours=24)


def new_case_id() -> str:
    return "CASE-" + secrets.token_hex(4).upper()


class CaseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime
    kind: CaseEventKind
    actor: str = "sadap"
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class ComplaintCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(default_factory=new_case_id)
    state: CaseState = "open"
    #: When the first complaint of the case was posted (the 24-hour clock starts here).
    received_at: AwareDatetime
    updated_at: AwareDatetime
    #: Where it was received: the first complaint's source kind and name.
    channel: str
    source_name: str
    #: The complaint type (enrichment's, or set by hand).
    type: str | None = None
    #: What joins the mentions: the complainant's pseudonym, the thread, the incident.
    author_id: str | None = None
    thread: str | None = None
    incident_id: str | None = None
    mention_ids: list[str] = Field(default_factory=list)
    stakeholders: list[str] = Field(default_factory=list)
    #: Who was given the case to answer (a workspace user); each change is also an ``assigned``
    #: event on the timeline (who gave it, when, from, to).
    assignee: str | None = None
    close_reason: str | None = None
    closed_at: AwareDatetime | None = None
    closed_by: str | None = None
    #: The cause of the problem (a key of :data:`CAUSE_WORDS`), a note on it, and who set it when;
    #: each change is also a ``cause`` event on the timeline (from, to), so none is lost.
    cause: str | None = None
    cause_note: str = ""
    cause_by: str | None = None
    cause_at: AwareDatetime | None = None
    events: list[CaseEvent] = Field(default_factory=list)

    @field_validator("cause")
    @classmethod
    def _known_cause(cls, value: str | None) -> str | None:
        if value is not None and value not in CAUSE_WORDS:
            raise ValueError(f"{value!r} is not a cause (allowed: {', '.join(CAUSES)})")
        return value

    @model_serializer(mode="wrap")
    def _assignee_only_when_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A case given to no one is written as before cases had an assignee, so that a store
        # stays readable by the release before (extra fields are refused) until one is assigned.
        out: dict[str, Any] = handler(self)
        if out.get("assignee") is None:
            out.pop("assignee", None)
        return out


def thread_key(source_name: str, extras: dict[str, Any]) -> str | None:
    """A mention's thread (forum topic, page post), as ``source|thread id``, if it has one."""
    tid = extras.get("thread_id")
    return f"{source_name}|{tid}" if tid not in (None, "") else None


def closed_time(case: ComplaintCase) -> datetime | None:
    """When a closed case was closed (None while open): its ``closed_at``, else the last closing
    on its timeline (a case written without one), else when it was received. The complaint
    queue's window on closed cases is on this time."""
    if case.state != "closed":
        return None
    if case.closed_at is not None:
        return case.closed_at
    closings = [e.at for e in case.events if e.kind == "closed"]
    return max(closings) if closings else case.received_at


def current_wait(received_at: datetime, posted: Iterable[datetime], responses: Iterable[datetime]) -> tuple[datetime, datetime | None]:
    """The case clock's current round: since when the complainant has been waiting for us, and
    the response that ended that wait (None while they still wait). A complaint posted after the
    last response — the same customer writing again — starts a new wait from its own posting;
    the complaints before any response wait from ``received_at`` (the first); a response at or
    after the latest complaint answers them all. ``posted``: the case's complaints' publication
    times; ``responses``: the times of the responses logged to any of them."""
    answers = sorted(responses)
    if not answers:  # most cases of a queue: nothing to read in the complaints' times
        return received_at, None
    times = sorted(posted)
    latest = max(times[-1], received_at) if times else received_at
    before = [r for r in answers if r < latest]
    start = received_at if not before else next((p for p in times if p > before[-1]), latest)
    return start, next((r for r in answers if r >= latest), None)


def wait_overdue(state: str, since: datetime, answered: datetime | None, now: datetime, sla: timedelta) -> bool:
    """Whether a case's current wait (:func:`current_wait`: ``since``, ``answered``) is overdue at
    ``now``: the case open, the wait unanswered and begun more than ``sla`` ago, however long
    ago that was. The complaint queue's clock and the ``complaint_sla`` rule both decide with it,
    on the same reading of the case (every mention it holds, a complaint or one linked by hand)."""
    return state == "open" and answered is None and now > since + sla


def wait_complaints(received_at: datetime, since: datetime, posted: Iterable[tuple[datetime, str]],
                    mention_ids: Iterable[str]) -> list[str]:
    """The complaints the customer is waiting on in the wait that began at ``since``
    (:func:`current_wait`): every one of the case's in its first wait (nothing answered yet),
    else those posted at or after ``since`` (the earlier ones were answered). ``posted``: the
    complaints as (publication time, mention id), empty for a case of one complaint."""
    times = list(posted)
    if since <= received_at or not times:
        return list(dict.fromkeys(mention_ids))
    return [mid for at, mid in times if at >= since]
