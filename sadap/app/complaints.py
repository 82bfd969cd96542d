"""Complaint cases (docs/pr-crm.md): complaint mentions grouped into cases, each case's
reconstructed sequence of events, its 24-hour clock, linking by hand, the cause of the problem,
closing with a reason, and the service-recovery steps of a playbook where one applies. News
coverage (``NEWS_SOURCE_KINDS``) forms no case: a news article reporting customers' complaints is
counted as voice of the customer, but it is answered through press relations, not the queue; a
person may still link one into a case by hand."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sadap.app.config import Config
from sadap.core.complaint_case import (CASE_SLA, CAUSE_NOTE_MAX, CAUSE_WORDS, CAUSES, CLOSE_REASONS, ERASED, PRESS_COVERAGE,
                                       CaseEvent, ComplaintCase, current_wait, new_case_id, thread_key, wait_overdue)
from sadap.core.labels import th
from sadap.core.errors import InputError
from sadap.core.mention import Mention
from sadap.core.timeutil import now_utc
from sadap.store import NEWS_SOURCE_KINDS, CaseKey, MentionFilter, Store, case_first_responses, case_times

log = logging.getLogger(__name__)
#: How far back `sync` looks for complaint mentions not yet in a case.
SYNC_WINDOW = timedelta(days=30)
#: How long an open case keeps taking the same author's new complaints.
JOIN_WINDOW = timedelta(days=14)


def _incident_of(store: Store, states: tuple[str, ...] = ("open", "acknowledged", "resolved")) -> dict[str, str]:
    out: dict[str, str] = {}
    for inc in store.list_incidents(states):
        for mid in inc.mention_ids:
            out.setdefault(mid, inc.id)
    return out


def _joins(case: ComplaintCase, m: Mention, incident: str | None) -> bool:
    if m.published_at - case.updated_at > JOIN_WINDOW and m.published_at - case.received_at > JOIN_WINDOW:
        return False
    if m.author_id and case.author_id == m.author_id:
        return True  # a person's follow-ups
    thread = thread_key(m.source_name, m.extras)
    if thread and case.thread == thread:
        return True
    return bool(incident and case.incident_id == incident)


class _OpenCases:
    """The open cases in order, indexed by what can join a mention to one (author, thread,
    incident): :meth:`first_joining` finds what a scan of every case would, without the scan
    (an import of many complaints no longer compares each with every open case)."""

    def __init__(self, cases: Sequence[ComplaintCase]) -> None:
        self.cases: list[ComplaintCase] = []
        self._position: dict[str, int] = {}  # case id → its place in ``cases``
        self._by: dict[tuple[str, str], list[int]] = {}
        for case in cases:
            self.append(case)

    def _index(self, kind: str, value: str | None, position: int) -> None:
        if value:
            self._by.setdefault((kind, value), []).append(position)

    def append(self, case: ComplaintCase) -> None:
        position = self._position[case.id] = len(self.cases)
        self.cases.append(case)
        self._index("author", case.author_id, position)
        self._index("thread", case.thread, position)
        self._index("incident", case.incident_id, position)

    def set_incident(self, case: ComplaintCase, incident: str) -> None:
        case.incident_id = incident
        self._index("incident", incident, self._position[case.id])

    def first_joining(self, m: Mention, incident: str | None) -> ComplaintCase | None:
        """The first open case (in order) that :func:`_joins` ``m``."""
        keys = [("thread", thread_key(m.source_name, m.extras)), ("incident", incident), ("author", m.author_id)]
        positions = sorted({i for kind, value in keys if value for i in self._by.get((kind, value), ())})
        return next((self.cases[i] for i in positions if _joins(self.cases[i], m, incident)), None)


def _add(case: ComplaintCase, m: Mention, at: datetime, why: str) -> None:
    case.mention_ids.append(m.id)
    case.stakeholders = list(dict.fromkeys([*case.stakeholders, *m.stakeholders]))
    case.received_at = min(case.received_at, m.published_at)
    case.updated_at = max(case.updated_at, m.published_at)
    case.events.append(CaseEvent(at=at, kind="mention", text=why, data={"mention_id": m.id}))


def assign(store: Store, mentions: Sequence[Mention], at: datetime | None = None, *, fresh: bool = False) -> list[ComplaintCase]:
    """Put complaint mentions that are in no case yet into one: an open case with the same
    author, thread or incident takes them; else each starts a case. News coverage
    (``NEWS_SOURCE_KINDS``) is left out: it neither starts a case nor joins one (a person may link
    it by hand: :func:`link`). Returns the cases changed.
    Only the cases holding these mentions and the open cases sharing an author, thread or
    incident with them are read (the same cases result as from reading every case: a case
    sharing none of them cannot take any of these mentions, and the cases read keep their
    order), so the cost stays flat as cases pile up. ``fresh``: the mentions were just stored
    (at ingest), so no case can hold them yet (the store is not asked) and only open incidents
    count (a catch-up also counts resolved ones)."""
    at = at or now_utc()
    complaints = sorted((m for m in mentions if m.complaint.is_complaint and m.duplicate_of is None
                         and m.source_kind not in NEWS_SOURCE_KINDS), key=lambda m: (m.published_at, m.id))
    if complaints and not fresh:
        held = store.held_mentions(m.id for m in complaints)
        complaints = [m for m in complaints if m.id not in held]
    if not complaints:
        return []
    incident_of = _incident_of(store, ("open", "acknowledged") if fresh else ("open", "acknowledged", "resolved"))
    cases = store.open_cases_joining(
        {m.author_id for m in complaints if m.author_id},
        {t for m in complaints if (t := thread_key(m.source_name, m.extras))},
        {incident_of[m.id] for m in complaints if m.id in incident_of})
    taken: set[str] = set()  # a mention given twice goes into one case
    open_cases = _OpenCases(cases)
    changed: dict[str, ComplaintCase] = {}
    known = {c.id for c in cases}  # ids a new case must not take in this call
    created: set[str] = set()
    for m in complaints:
        if m.id in taken:
            continue
        incident = incident_of.get(m.id)
        case = open_cases.first_joining(m, incident)
        if case is None:
            case = ComplaintCase(
                received_at=m.published_at, updated_at=m.published_at, channel=m.source_kind,
                source_name=m.source_name, type=m.complaint.type, author_id=m.author_id,
                thread=thread_key(m.source_name, m.extras), incident_id=incident, mention_ids=[m.id],
                stakeholders=list(m.stakeholders),
                events=[CaseEvent(at=at, kind="opened", text="รับเรื่องร้องเรียน", data={"mention_id": m.id})],
            )
            while case.id in known:
                case.id = new_case_id()
            known.add(case.id)
            created.add(case.id)
            open_cases.append(case)
        else:
            _add(case, m, at, "ข้อความร้องเรียนเพิ่มเติม")
            if case.incident_id is None and incident:
                open_cases.set_incident(case, incident)
        taken.add(m.id)
        changed[case.id] = case
    for case in changed.values():
        if case.id in created:
            while not store.add_case(case):  # its id drawn by another case meanwhile: draw again
                case.id = new_case_id()
        else:
            store.save_case(case)
    return list(changed.values())


def sync(store: Store, now: datetime | None = None, window: timedelta = SYNC_WINDOW) -> int:
    """Bring cases up to date with what is stored: complaints in the window not in a case yet
    (news coverage left out), and open cases' incidents. Returns how many cases changed."""
    now = now or now_utc()
    window_filter = MentionFilter(complaint=True, since=now - window, include_duplicates=False,
                                  exclude_source_kinds=NEWS_SOURCE_KINDS)
    ids = store.ids(window_filter, 5000)
    held = store.held_mentions(ids)  # most are in a case already: read only the others
    new = tuple(i for i in ids if i not in held)
    found = store.search(replace(window_filter, ids=new), len(new)) if new else []
    changed = {c.id for c in assign(store, found, now)}
    incident_of = _incident_of(store)
    for case in store.cases_holding(incident_of, ("open",)):  # the open cases holding an incident's mentions
        if case.incident_id is None:
            inc = next((incident_of[i] for i in case.mention_ids if i in incident_of), None)
            if inc:
                case.incident_id = inc
                store.save_case(case)
                changed.add(case.id)
    return len(changed)


def _news_held_open(store: Store) -> set[str]:
    """The news mentions (``NEWS_SOURCE_KINDS``) that open cases hold: the open cases' mention
    ids (the queue's reading), then which of them are news, by id."""
    held = sorted({mid for key in store.open_case_keys() for mid in key.mention_ids})
    news: set[str] = set()
    for i in range(0, len(held), 500):  # SQLite's limit on parameters
        chunk = tuple(held[i:i + 500])
        news.update(store.ids(MentionFilter(ids=chunk, source_kinds=NEWS_SOURCE_KINDS), len(chunk)))
    return news


def _stored(store: Store, ids: Sequence[str]) -> dict[str, Mention]:
    found: dict[str, Mention] = {}
    for i in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = tuple(ids[i:i + 500])
        found.update((m.id, m) for m in store.search(MentionFilter(ids=chunk), len(chunk)))
    return found


def clear_press(store: Store, at: datetime | None = None) -> set[str]:
    """Take news coverage out of the open cases where case forming put it before news stopped
    forming cases (docs/pr-crm.md): a case holding nothing else is closed with the reason
    :data:`PRESS_COVERAGE` (the mentions stay in it, on its timeline); from a case that also holds
    a customer's complaint, the news mentions are taken out (an ``unlinked`` event each) and its
    clock, channel and stakeholders are read again from the complaints left. A news mention a
    person linked by hand stays (their deliberate act), and a case a person reopened after this
    closed it is left to them. Reads every open case's mention ids (:meth:`Store.open_case_keys`),
    so it runs where the whole queue is read anyway (`sadap complaints list`) and on a workspace
    process's first sync, not on each: no news enters a case automatically any more. The ids of
    the cases changed."""
    news = _news_held_open(store)
    if not news:
        return set()
    at = at or now_utc()
    changed: set[str] = set()
    for case in store.cases_holding(news, ("open",)):
        if any(e.kind == "closed" and e.data.get("reason") == PRESS_COVERAGE for e in case.events):
            continue
        by_hand = {e.data.get("mention_id") for e in case.events if e.kind == "linked"}
        press = {mid for mid in case.mention_ids if mid in news and mid not in by_hand}
        if not press:
            continue
        left = [mid for mid in case.mention_ids if mid not in press]
        if not left:
            case.state, case.close_reason, case.closed_at, case.closed_by = "closed", PRESS_COVERAGE, at, "sadap"
            case.events.append(CaseEvent(at=at, kind="closed", text="ข่าวจากสื่อไม่ใช่เรื่องที่ลูกค้ารอคำตอบ",
                                         data={"reason": PRESS_COVERAGE}))
        else:
            _take_out(store, case, press, left, at)
        store.save_case(case)
        changed.add(case.id)
    return changed


def _take_out(store: Store, case: ComplaintCase, press: set[str], left: list[str], at: datetime) -> None:
    """Take the ``press`` mentions out of ``case`` (not saved), keeping ``left``: the case's times
    and stakeholders from the mentions left, and its channel, source, type, author and thread
    from the first of them where a news mention was the first."""
    head_gone = case.mention_ids[0] in press
    for mid in case.mention_ids:
        if mid in press:
            case.events.append(CaseEvent(at=at, kind="unlinked", text="ข่าวจากสื่อ ตอบผ่านงานสื่อสัมพันธ์",
                                         data={"mention_id": mid, "reason": PRESS_COVERAGE}))
    case.mention_ids = left
    stored = _stored(store, left)
    kept = [stored[mid] for mid in left if mid in stored]
    if not kept:  # erased since: the times it had stay
        return
    case.received_at = min(m.published_at for m in kept)
    case.updated_at = max(m.published_at for m in kept)
    case.stakeholders = list(dict.fromkeys(s for m in kept for s in m.stakeholders))
    if head_gone:
        head = kept[0]
        case.channel, case.source_name, case.type = head.source_kind, head.source_name, head.complaint.type
        case.author_id, case.thread = head.author_id, thread_key(head.source_name, head.extras)


class SyncEvery:
    """:func:`sync` at most once per ``interval`` (thread-safe): what the workspace's complaint
    queue runs on each page load. Ingest puts new complaints into cases as it stores them, so
    the page's sync only catches what came another way (an import, another process, an incident
    opened on complaints already in a case); that waits at most ``interval``, and a page load no
    longer reads every case each time. The first sync also takes news coverage out of the open
    cases made before news stopped forming cases (:func:`clear_press`). A sync that fails is
    tried again on the next call."""

    def __init__(self, interval: timedelta = timedelta(minutes=1)) -> None:
        self.interval = interval.total_seconds()
        self._lock = threading.Lock()
        self._last: float | None = None  # time.monotonic() of the last sync started
        self._press_cleared = False  # clear_press ran (once per process: nothing adds news to a case since)

    def __call__(self, store: Store, now: datetime | None = None) -> bool:
        """Sync unless one started less than ``interval`` ago; True when it synced."""
        started = time.monotonic()
        with self._lock:
            before = self._last
            if before is not None and started - before < self.interval:
                return False
            self._last = started
        try:
            sync(store, now)
            if not self._press_cleared:
                clear_press(store, now)
                self._press_cleared = True
        except BaseException:
            with self._lock:
                if self._last == started:
                    self._last = before
            raise
        return True


def case_sla(config: Config) -> timedelta:
    """The case clock's time allowed: the ``complaint_sla`` rule's ``sla`` (``scope: mentions``),
    else 24 hours; the CLI and the workspace both use it, so they agree on what is overdue."""
    for rule in config.alert_rules:
        sla = getattr(rule.options, "sla", None)
        if rule.type_name == "complaint_sla" and getattr(rule.options, "scope", "") == "mentions" and isinstance(sla, timedelta):
            return sla
    return CASE_SLA


def get_case(store: Store, case_id: str) -> ComplaintCase:
    """The case ``case_id`` names, as typed or read out (``case-1a2b3c4d`` and ``1a2b3c4d`` are
    ``CASE-1A2B3C4D``)."""
    typed = case_id.strip()
    for candidate in dict.fromkeys((typed, typed.upper(), f"CASE-{typed.upper()}")):
        case = store.get_case(candidate)
        if case is not None:
            return case
    raise InputError(f"no complaint case {case_id!r} (ids look like CASE-1A2B3C4D; see `sadap complaints list`)")


def link(store: Store, case_id: str, mention_id: str, actor: str, at: datetime | None = None) -> ComplaintCase:
    """Add a mention to a case by hand (moved out of any other case it was in)."""
    at = at or now_utc()
    case = get_case(store, case_id)
    m = store.get(mention_id)
    if m is None:
        raise InputError(f"no mention {mention_id!r}")
    if mention_id in case.mention_ids:
        return case
    for other in store.cases_holding([mention_id]):
        if other.id != case.id and mention_id in other.mention_ids:
            other.mention_ids.remove(mention_id)
            other.events.append(CaseEvent(at=at, kind="unlinked", actor=actor, text=f"ย้ายไป {case.id}",
                                          data={"mention_id": mention_id, "to": case.id}))
            if not other.mention_ids and other.state == "open":
                other.state, other.close_reason, other.closed_at, other.closed_by = "closed", "duplicate", at, actor
            store.save_case(other)
    _add(case, m, at, "เชื่อมโยงโดยผู้ใช้")
    case.events[-1] = case.events[-1].model_copy(update={"kind": "linked", "actor": actor})
    store.save_case(case)
    return case


def assign_case(store: Store, case_id: str, assignee: str, actor: str, at: datetime | None = None) -> ComplaintCase:
    """Give a case (open or closed) to an active workspace user who may answer it (responder or
    above, as the queue offers): its ``assignee``, and an ``assigned`` event on its timeline (who
    gave it, when, from whom to whom) so that each change stays in the history. There is no unassign: the case is given to someone else. The
    same assignee again changes nothing."""
    case = get_case(store, case_id)
    assignee = assignee.strip()
    if not assignee:
        raise InputError("assignee: required (choose who answers)")
    target = store.get_user(assignee)
    if target is None or target.disabled:
        raise InputError(f"assignee: no active user {assignee!r}")
    if target.role == "viewer":  # cannot log a response: never offered by the queue either
        raise InputError(f"assignee: {assignee!r} is a viewer, who cannot answer (choose a responder or above)")
    if assignee != case.assignee:
        case.events.append(CaseEvent(at=at or now_utc(), kind="assigned", actor=actor,
                                     data={"from": case.assignee, "to": assignee}))
        case.assignee = assignee
        store.save_case(case)
    return case


def shown_assignees(store: Store, cases: Sequence[ComplaintCase]) -> dict[str, str | None]:
    """Who each case is with, as the queue, the case page and ``sadap complaints`` show it (case
    id → user, None for no one): its ``assignee``, else, for a case given to no one since cases
    had an assignee, the assignment made before on its first complaint (one store call for all)."""
    before = store.assignments([c.mention_ids[0] for c in cases if not c.assignee and c.mention_ids])
    return {c.id: c.assignee or (before.get(c.mention_ids[0], {}).get("assignee") if c.mention_ids else None)
            for c in cases}


def check_cause(cause: str) -> str:
    """``cause`` if it is one of :data:`CAUSES`, else one line saying which are."""
    if cause not in CAUSE_WORDS:
        raise InputError(f"cause: {cause!r} is not a cause (allowed: {', '.join(CAUSES)})")
    return cause


def _set_cause(case: ComplaintCase, cause: str, actor: str, note: str | None, at: datetime) -> bool:
    """Record ``cause`` on ``case`` (not saved): a ``cause`` event on its timeline with who, when,
    from and to, so an earlier cause stays in the history. ``note``: None keeps the note while
    the cause stays the same (a new cause starts without one). False when nothing changes."""
    if note is None:
        note = case.cause_note if cause == case.cause else ""
    note = note.strip()[:CAUSE_NOTE_MAX]
    if cause == case.cause and note == case.cause_note:
        return False
    case.events.append(CaseEvent(at=at, kind="cause", actor=actor, text=note, data={"from": case.cause, "to": cause}))
    case.cause, case.cause_note, case.cause_by, case.cause_at = cause, note, actor, at
    return True


def set_cause(store: Store, case_id: str, cause: str, actor: str, note: str | None = None,
              at: datetime | None = None) -> ComplaintCase:
    """Set the cause of the problem behind a case (open or closed), with a note (staff text:
    the caller masks personal data); the same cause and note again changes nothing."""
    check_cause(cause)
    case = get_case(store, case_id)
    if _set_cause(case, cause, actor, note, at or now_utc()):
        store.save_case(case)
    return case


def cause_counts(store: Store, since: datetime, until: datetime | None = None) -> list[tuple[str | None, int]]:
    """How many cases closed in [since, until) (until: now) had each cause, most first (then in
    :data:`CAUSES` order; None, no cause recorded, last): what a planner reads for the top
    causes of a period, and what the quarterly report counts. Cases closed as news coverage
    (:data:`PRESS_COVERAGE`) are not counted: no customer complained, so there is no cause."""
    counts = store.case_cause_counts(since, until or now_utc())
    order = {c: n for n, c in enumerate(CAUSES)}
    return sorted(counts.items(), key=lambda kv: (kv[0] is None, -kv[1], order.get(kv[0] or "", len(order))))


def close_emptied(store: Store, actor: str, at: datetime | None = None) -> int:
    """Close every open case an erasure or retention left without a mention (reason ``erased``):
    with nothing to answer it would wait, overdue, for ever. How many were closed."""
    at = at or now_utc()
    emptied = [c for c in store.list_cases(("open",)) if not c.mention_ids]
    for case in emptied:
        case.state, case.close_reason, case.closed_at, case.closed_by = "closed", ERASED, at, actor
        case.events.append(CaseEvent(at=at, kind="closed", actor=actor, data={"reason": ERASED}))
        store.save_case(case)
    return len(emptied)


def close(store: Store, case_id: str, reason: str, actor: str, text: str = "", at: datetime | None = None,
          cause: str | None = None) -> ComplaintCase:
    """Close a case with a reason; ``cause``: its cause recorded with it (:func:`set_cause`)."""
    if reason not in CLOSE_REASONS:
        raise InputError(f"reason: {reason!r} is not a close reason (allowed: {', '.join(CLOSE_REASONS)})")
    if cause is not None:
        check_cause(cause)
    case = get_case(store, case_id)
    if case.state == "closed":
        raise InputError(f"{case_id} is already closed ({case.close_reason})")
    at = at or now_utc()
    if cause is not None:
        _set_cause(case, cause, actor, None, at)
    case.state, case.close_reason, case.closed_at, case.closed_by = "closed", reason, at, actor
    case.events.append(CaseEvent(at=at, kind="closed", actor=actor, text=text, data={"reason": reason}))
    store.save_case(case)
    return case


def reopen(store: Store, case_id: str, actor: str, text: str = "") -> ComplaintCase:
    case = get_case(store, case_id)
    if case.state == "open":
        raise InputError(f"{case.id} is open already (only a closed case can be reopened)")
    at = now_utc()
    case.state, case.close_reason, case.closed_at, case.closed_by = "open", None, None, None
    case.events.append(CaseEvent(at=at, kind="reopened", actor=actor, text=text))
    store.save_case(case)
    return case


def note(store: Store, case_id: str, actor: str, text: str, kind: str = "note", data: dict[str, Any] | None = None) -> ComplaintCase:
    if not text.strip() and kind == "note":
        raise InputError("text: required (what to note on the case)")
    case = get_case(store, case_id)
    case.events.append(CaseEvent(at=now_utc(), kind="recovery_step" if kind == "recovery_step" else "note",
                                 actor=actor, text=text.strip()[:4000], data=data or {}))
    store.save_case(case)
    return case


def mark_step(store: Store, case_id: str, actor: str, step: int, text: str, playbooks: dict[str, Any]) -> ComplaintCase:
    """Mark service-recovery ``step`` (1, 2, …) of the case's recovery playbook done."""
    case = get_case(store, case_id)
    playbook = recovery_playbook(store, case, playbooks)
    count = len(playbook.steps) if playbook is not None else 0
    if not 1 <= step <= count:
        has = (f"its recovery playbook {playbook.id!r} has steps 1–{count}" if count
               else "it has no recovery playbook (its incident's, or complaint-surge, is not loaded)")
        raise InputError(f"step {step}: {has}")
    return note(store, case_id, actor, text or f"step {step}", "recovery_step", {"step": step})


def clock(case: ComplaintCase | CaseKey, posted: Sequence[tuple[datetime, str]], responses: Sequence[datetime],
          now: datetime, sla: timedelta = CASE_SLA) -> dict[str, Any]:
    """The 24-hour clock of the case's current wait (:func:`current_wait`): since (the first
    complaint, or a follow-up posted after our last response: the customer writing again waits
    anew), due, answered (the response that ended the wait), answered in time, overdue, time
    left (only while it runs: open and unanswered; a closed case's clock is stopped);
    ``follow_up``: the mention whose posting started a wait after a response (None for the
    first); ``first_response``: the earliest response of all."""
    since, answered = current_wait(case.received_at, [at for at, _ in posted] if posted else (), responses)
    due = since + sla
    follow_up = next((mid for at, mid in posted if at == since), None) if since > case.received_at else None
    return {"since": since, "due": due, "answered": answered, "follow_up": follow_up,
            "first_response": min(responses) if responses else None,
            "in_time": answered is not None and answered <= due,
            "overdue": wait_overdue(case.state, since, answered, now, sla),
            "left": (due - now) if answered is None and case.state == "open" else None}


def timeline(store: Store, case: ComplaintCase, limit: int = 200) -> list[dict[str, Any]]:
    """The reconstructed sequence of events: the case's complaints, the same author's other
    posts and the thread's other posts around them, the responses logged to any of them, and
    the case's own notes, links and closing — oldest first."""
    mentions: dict[str, Mention] = {}
    for m in (store.get(i) for i in case.mention_ids):
        if m is not None:
            mentions[m.id] = m
    since = case.received_at - timedelta(days=3)
    until = (case.closed_at or now_utc()) + timedelta(days=1)
    if case.author_id:
        for m in store.search(MentionFilter(author_ids=(case.author_id,), since=since, until=until), limit):
            mentions.setdefault(m.id, m)
    if case.thread:
        source = case.thread.split("|", 1)[0]
        for m in store.search(MentionFilter(source_names=(source,), since=since, until=until), 2000):
            if thread_key(m.source_name, m.extras) == case.thread:
                mentions.setdefault(m.id, m)
    items: list[dict[str, Any]] = []
    for m in mentions.values():
        kind = "complaint" if m.id in case.mention_ids else ("same_author" if case.author_id and
                                                               m.author_id == case.author_id else "same_thread")
        items.append({"at": m.published_at, "kind": kind, "mention": m, "text": m.text, "actor": m.source_name})
    for r in store.responses_for(list(mentions)):
        items.append({"at": datetime.fromisoformat(r["at"]), "kind": "response", "mention": mentions.get(r["mention_id"]),
                      "text": r["text"], "actor": r["actor"], "channel": r["channel"]})
    for e in case.events:
        if e.kind in ("note", "linked", "unlinked", "closed", "reopened", "recovery_step", "cause", "assigned"):
            text = e.text
            if e.kind == "cause":  # from → to, in Thai (the workspace shows them in its language from data)
                text = f"{th(CAUSE_WORDS, e.data.get('from'))} → {th(CAUSE_WORDS, e.data.get('to'))}" + (f": {text}" if text else "")
            elif e.kind == "assigned":
                text = f"{e.data.get('from') or '-'} → {e.data.get('to')}"
            items.append({"at": e.at, "kind": e.kind, "mention": None, "text": text, "actor": e.actor,
                          "data": e.data, "note": e.text})
    items.sort(key=lambda x: x["at"])
    return items[:limit]


def first_response(store: Store, case: ComplaintCase) -> datetime | None:
    return case_first_responses(store, [case]).get(case.id)


def case_clock(store: Store, case: ComplaintCase, now: datetime | None = None, sla: timedelta = CASE_SLA) -> dict[str, Any]:
    """:func:`clock` of one case, its complaints' and responses' times read from the store."""
    posted, responses = case_times(store, [case])[case.id]
    return clock(case, posted, responses, now or now_utc(), sla)


def recovery_playbook(store: Store, case: ComplaintCase, playbooks: dict[str, Any]) -> Any:
    """The playbook whose steps are the service recovery: the case's incident's, else the
    complaint playbook (``complaint-surge``) where it is loaded."""
    if case.incident_id:
        inc = store.get_incident(case.incident_id)
        if inc is not None and inc.playbook in playbooks:
            return playbooks[inc.playbook]
    return playbooks.get("complaint-surge")


def case_view(store: Store, case: ComplaintCase, playbooks: dict[str, Any], now: datetime | None = None,
              sla: timedelta = CASE_SLA) -> dict[str, Any]:
    playbook = recovery_playbook(store, case, playbooks)
    done = {int(e.data.get("step", -1)) for e in case.events if e.kind == "recovery_step"}
    return {"case": case, "clock": case_clock(store, case, now, sla), "timeline": timeline(store, case),
            "playbook": playbook, "steps_done": done}


#: Rows on one page of the complaint queue.
PAGE_SIZE = 100


@dataclass
class QueuePage:
    """One page of the complaint queue and the totals over the whole queue."""

    rows: list[dict[str, Any]]
    page: int  # 1-based, within 1..pages
    pages: int  # at least 1
    total: int  # cases in the queue
    open: int
    overdue: int
    unanswered: int  # open and not answered yet


def queue_page(store: Store, now: datetime | None = None, days: int = 7, sla: timedelta = CASE_SLA,
               page: int = 1, per_page: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue: cases still open and those closed in the last ``days`` days (by
    when they were closed, not received), closed last, unanswered first, by due time (the order
    is over every case of the queue). Reads only the cases of the queue (their keys, complaint
    and response times: :meth:`Store.queue_case_keys`), and the whole case, head mention and
    follow-up waiting for an answer of the page's rows only (one :meth:`Store.get_cases` and one
    :meth:`Store.get_many` for the page, not a read per row). A page past the last gives the last."""
    now = now or now_utc()
    keys = store.queue_case_keys(now - timedelta(days=days))
    clocks = [(key, clock(key, key.posted, key.responses, now, sla)) for key in keys]

    def order(row: tuple[CaseKey, dict[str, Any]]) -> tuple[bool, bool, datetime]:
        key, ticking = row
        return key.state == "closed", ticking["answered"] is not None, ticking["due"]

    clocks.sort(key=order)  # stable: list_cases' order among equals, as before
    per_page = max(1, per_page)
    pages = max(1, -(-len(clocks) // per_page))
    page = min(max(1, page), pages)
    shown = clocks[(page - 1) * per_page:page * per_page]
    # whole cases for the rows shown only, then their heads and waiting follow-ups: one read each
    cases = store.get_cases([key.id for key, _ in shown])
    shown_cases = [(cases[key.id], ticking) for key, ticking in shown if key.id in cases]  # deleted since (an erase): not shown
    wanted = [case.mention_ids[0] for case, _ in shown_cases if case.mention_ids]
    wanted += [t["follow_up"] for _, t in shown_cases if t["answered"] is None and t["follow_up"]]
    mentions = store.get_many(wanted)
    rows: list[dict[str, Any]] = []
    for case, ticking in shown_cases:
        head = mentions.get(case.mention_ids[0]) if case.mention_ids else None
        waiting = ticking["follow_up"] if ticking["answered"] is None else None
        rows.append({"case": case, "clock": ticking, "head": head, "follow_up": mentions.get(waiting) if waiting else None})
    open_clocks = [t for k, t in clocks if k.state == "open"]
    return QueuePage(rows=rows, page=page, pages=pages, total=len(clocks), open=len(open_clocks),
                     overdue=sum(1 for _, t in clocks if t["overdue"]),
                     unanswered=sum(1 for t in open_clocks if t["answered"] is None))


def queue(store: Store, now: datetime | None = None, days: int = 7, sla: timedelta = CASE_SLA) -> list[dict[str, Any]]:
    """Cases still open or closed in the last ``days`` days: unanswered first, by due time (every
    row: :func:`queue_page` gives one page of them)."""
    return queue_page(store, now, days, sla, page=1, per_page=1_000_000_000).rows
