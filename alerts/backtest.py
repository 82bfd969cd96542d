"""Backtests: replay stored history through the rules, exactly as live evaluation would
(the same engine, time as a parameter), and report when incidents would have opened.

Mentions are read from the real store; alert state, incidents and notifications go to a
scratch in-memory store and counting notifiers, so a backtest changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from alerts.engine import AlertEngine
from alerts.maintenance import MaintenanceWindow
from alerts.notifiers import Notification, Notifier
from alerts.rules.base import Rule
from playbooks.schema import Playbook
from sadap.core.complaint_case import ComplaintCase
from sadap.core.errors import InputError
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Mention
from sadap.core.timeutil import format_duration, now_utc, to_bangkok
from sadap.store import CaseKey, Fingerprint, MentionFilter, Store, UpsertResult
from sadap.store.base import BucketTable, Delivery, MentionRow, PageKey
from sadap.store.sqlite import SQLiteStore

MAX_EVALUATIONS = 5000

#: The earliest time a backtest replays: no stored history is older.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: How far past now a backtest may end (history is stored up to now; this leaves room for clocks).
LATEST_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Progress:
    """Where a running backtest is: handed to the ``progress`` callback after each evaluation."""

    at: datetime  # the time just evaluated
    done: int  # evaluations made
    total: int  # evaluations in all
    alerts: int  # alerts so far


def rule_window(rule: Rule) -> timedelta | None:
    """How far back one evaluation of ``rule`` looks (its ``window``), or None for a rule type without one."""
    window = getattr(rule.options, "window", None)
    return window if isinstance(window, timedelta) and window > timedelta(0) else None


def feeding_rules(rules: list[Rule], playbooks: list[Playbook], target: str) -> list[Rule]:
    """The enabled rules whose alerts a backtest of ``target`` counts: the rule itself, or for a
    playbook the rules that name it (``playbook:``) and those its ``when.rules``/``when.rule_types``
    admit (a rule naming another loaded playbook never opens this one)."""
    enabled = [r for r in rules if r.options.enabled]
    if any(r.id == target for r in rules):
        return [r for r in enabled if r.id == target]
    playbook = next((p for p in playbooks if p.id == target), None)
    if playbook is None:
        return []
    loaded = {p.id for p in playbooks}
    when = playbook.when
    out = []
    for rule in enabled:
        hint = rule.options.playbook
        if hint == target:
            out.append(rule)
        elif hint in loaded or when.is_empty():
            continue
        elif (not when.rules or rule.id in when.rules) and (not when.rule_types or rule.type_name in when.rule_types):
            out.append(rule)
    return out


def shortest_window(rules: Iterable[Rule]) -> tuple[timedelta, str] | None:
    """The shortest ``window`` among ``rules`` and the id of the rule with it (None: no rule has one)."""
    found = [(w, r.id) for r in rules if (w := rule_window(r)) is not None]
    return min(found) if found else None


def evaluation_count(since: datetime, until: datetime, step: timedelta) -> int:
    """Evaluations from ``since`` to ``until`` every ``step``: at since + k·step for k = 0 … n, never past until."""
    return (until - since) // step + 1


def _day(value: datetime) -> str:
    """The date of ``value`` in Bangkok (in UTC at the very ends of the calendar, where Bangkok's is out of range)."""
    try:
        return to_bangkok(value).date().isoformat()
    except OverflowError:
        return value.date().isoformat()


def check_period(since: datetime, until: datetime, step: timedelta) -> None:
    """Raise InputError (one line) for a period or step a backtest cannot replay."""
    if step <= timedelta(0):
        raise InputError(f"--step {format_duration(step)}: the step must be longer than 0s (e.g. 15m)")
    if step % timedelta(seconds=1):
        raise InputError(
            f"--step {step.total_seconds():g}s: give the step in whole seconds, at least 1s (e.g. 1m, 15m)"
        )
    if since < EARLIEST:
        raise InputError(f"--since reaches back to {_day(since)}: a backtest starts in 1970 or later")
    if until > now_utc() + LATEST_AHEAD:
        raise InputError(
            f"--until {_day(until)} is more than a year from now: a backtest replays stored history "
            "(give a time up to now)"
        )
    if until <= since:
        raise InputError("the backtest period is empty (--since must be before --until)")
    if evaluation_count(since, until, step) > MAX_EVALUATIONS:
        raise InputError(
            f"{evaluation_count(since, until, step)} evaluations at a step of {format_duration(step)}; "
            f"use a larger --step (at most {MAX_EVALUATIONS} evaluations)"
        )


def step_warnings(rules: Iterable[Rule], step: timedelta) -> list[str]:
    """One line per rule whose window is shorter than ``step``: a burst between two evaluations
    of the replay is never seen by it (live, the rule is evaluated every minute or so)."""
    return [
        f"--step {format_duration(step)} is longer than the {format_duration(w)} window of rule {rule.id}: "
        f"mentions between two evaluations are never counted by it, so alerts can be missed "
        f"(use --step {format_duration(w)} or less)"
        for rule in rules
        if (w := rule_window(rule)) is not None and step > w
    ]


class ReplayStore(Store):
    """Reads mentions from ``base``; keeps alert state and incidents in a scratch store."""

    def __init__(self, base: Store):
        self.base = base
        self.scratch = SQLiteStore(":memory:")

    # mentions: read-only from the real store
    def upsert(self, mentions: Sequence[Mention]) -> UpsertResult:
        raise InputError("a backtest never writes mentions")

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return self.base.existing_ids(ids)

    def get(self, mention_id: str) -> Mention | None:
        return self.base.get(mention_id)

    def search(self, flt: MentionFilter, limit: int = 20) -> list[Mention]:
        return self.base.search(flt, limit)

    def search_page(self, flt: MentionFilter, limit: int = 20, after: PageKey | None = None,
                    before: PageKey | None = None) -> list[Mention]:
        return self.base.search_page(flt, limit, after, before)

    def ids(self, flt: MentionFilter, limit: int = 20) -> list[str]:
        return self.base.ids(flt, limit)

    def page_by_id(self, flt: MentionFilter, after: str | None = None, limit: int = 500) -> list[Mention]:
        return self.base.page_by_id(flt, after, limit)

    def count(self, flt: MentionFilter) -> int:
        return self.base.count(flt)

    def exists(self, flt: MentionFilter) -> bool:
        return self.base.exists(flt)

    def count_upto(self, flt: MentionFilter, cap: int) -> int:
        return self.base.count_upto(flt, cap)

    def count_by(self, flt: MentionFilter, group_by: str, limit: int = 100) -> dict[str, int]:
        return self.base.count_by(flt, group_by, limit)

    def count_distinct(self, flt: MentionFilter, fld: str) -> int:
        return self.base.count_distinct(flt, fld)

    def count_voices(self, flt: MentionFilter) -> int:
        return self.base.count_voices(flt)

    def mention_rows(self, flt: MentionFilter, group_by: str | None = None) -> list[MentionRow]:
        return self.base.mention_rows(flt, group_by)

    def bucket_counts(
        self, flt: MentionFilter, group_by: str | None, origin: datetime, step: timedelta, buckets: int,
        settle: timedelta, voices: bool,
    ) -> BucketTable:
        return self.base.bucket_counts(flt, group_by, origin, step, buckets, settle, voices)

    def terms_last_seen(self, flt: MentionFilter, field: str) -> dict[str, float]:
        return self.base.terms_last_seen(flt, field)

    def histogram(self, flt: MentionFilter, interval: timedelta, origin: datetime | None = None) -> list[tuple[datetime, int]]:
        return self.base.histogram(flt, interval, origin)

    def find_by_text_hash(self, text_hash: str) -> str | None:
        return self.base.find_by_text_hash(text_hash)

    def fingerprints_since(self, since: datetime) -> list[Fingerprint]:
        return self.base.fingerprints_since(since)

    # complaint cases and responses, read-only from the real store (``complaint_sla`` judges a
    # complaint in a case by the case's clock)
    def held_mentions(self, mention_ids: Iterable[str]) -> set[str]:
        return self.base.held_mentions(mention_ids)

    def cases_holding(self, mention_ids: Iterable[str], states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        return self.base.cases_holding(mention_ids, states)

    def open_case_keys(self) -> list[CaseKey]:
        return self.base.open_case_keys()

    def responses_for(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        return self.base.responses_for(ids)

    # state: scratch only
    def last_fired(self, rule_id: str, key: str) -> datetime | None:
        return self.scratch.last_fired(rule_id, key)

    def set_last_fired(self, rule_id: str, key: str, at: datetime) -> None:
        self.scratch.set_last_fired(rule_id, key, at)

    def record_alert(self, alert_json: str, rule_id: str, key: str, fired_at: datetime, incident_id: str | None) -> None:
        self.scratch.record_alert(alert_json, rule_id, key, fired_at, incident_id)

    def record_fired(
        self,
        alert_json: str,
        rule_id: str,
        key: str,
        fired_at: datetime,
        incident_id: str | None,
        deliveries: Sequence[Delivery] = (),
        events: Sequence[tuple[str, IncidentEvent]] = (),
    ) -> None:
        self.scratch.record_fired(alert_json, rule_id, key, fired_at, incident_id, deliveries, events)

    def enqueue(self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]] = ()) -> None:
        self.scratch.enqueue(deliveries, events)

    def claim_due(self, at: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        return self.scratch.claim_due(at, lease, limit)

    def save_delivery(self, delivery: Delivery) -> None:
        self.scratch.save_delivery(delivery)

    def deliveries(self, status: str | None = None, incident_id: str | None = None) -> list[Delivery]:
        return self.scratch.deliveries(status, incident_id)

    def alerts_since(self, since: datetime) -> list[dict[str, Any]]:
        return self.scratch.alerts_since(since)

    def snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        return None  # snoozes are live decisions; a backtest shows what the rules alone do

    def save_incident(self, incident: Incident) -> None:
        self.scratch.save_incident(incident)

    def add_incident(self, incident: Incident) -> bool:
        return self.scratch.add_incident(incident)

    def get_incident(self, incident_id: str) -> Incident | None:
        return self.scratch.get_incident(incident_id)

    def find_incident(self, playbook: str, key: str | None, states: tuple[str, ...] = ("open", "acknowledged")) -> Incident | None:
        return self.scratch.find_incident(playbook, key, states)

    def list_incidents(self, states: tuple[str, ...] = ()) -> list[Incident]:
        return self.scratch.list_incidents(states)

    def add_event(self, incident_id: str, event: IncidentEvent) -> None:
        self.scratch.add_event(incident_id, event)

    def events(self, incident_id: str) -> list[IncidentEvent]:
        return self.scratch.events(incident_id)

    def _find_event(self, incident_id: str, kind: str, same: str, value: object) -> tuple[Any, IncidentEvent] | None:
        return self.scratch._find_event(incident_id, kind, same, value)

    def _replace_event(self, incident_id: str, handle: Any, event: IncidentEvent) -> None:
        self.scratch._replace_event(incident_id, handle, event)

    def close(self) -> None:
        self.scratch.close()


class CountingNotifier(Notifier):
    """Stands in for a configured notifier: counts what would have been sent."""

    type_name = "counting"

    def __init__(self, notifier_id: str, playbook: str | None = None):
        self._id = notifier_id
        self.playbook = playbook
        self.sent = 0
        self.escalations = 0

    @property
    def id(self) -> str:
        return self._id

    def send(self, notification: Notification) -> None:
        payload = notification.payload
        playbook = (payload.get("playbook") or {}).get("id") or (payload.get("incident") or {}).get("playbook")
        if self.playbook is None or playbook == self.playbook:
            self.sent += 1
            self.escalations += 1 if "escalation" in payload else 0


def backtest(
    store: Store,
    rules: list[Rule],
    playbooks: list[Playbook],
    notifier_ids: list[str],
    target: str,
    since: datetime,
    until: datetime,
    step: timedelta,
    *,
    custom_words: tuple[str, ...] = (),
    maintenance: list[MaintenanceWindow] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Replay ``store`` from ``since`` to ``until`` every ``step`` through the same engine as live,
    for one rule or one playbook (``target``), with notifiers that only count.

    Evaluates at ``since + k·step`` for k = 0 … n (never past ``until``). ``progress``, when
    given, is called after each evaluation. The report's ``warnings`` name each rule whose
    window is shorter than ``step`` (what falls between two evaluations is never counted)."""
    rule_ids = {r.id for r in rules}
    playbook_ids = {p.id for p in playbooks}
    if target in rule_ids:
        selected, only_playbook = [r for r in rules if r.id == target], None
    elif target in playbook_ids:
        selected, only_playbook = rules, target
    else:
        raise InputError(
            f"{target!r} is neither a rule nor a playbook (rules: {', '.join(sorted(rule_ids)) or 'none'}; "
            f"playbooks: {', '.join(sorted(playbook_ids))})"
        )
    check_period(since, until, step)
    total = evaluation_count(since, until, step)
    warnings = step_warnings(feeding_rules(rules, playbooks, target), step)
    replay = ReplayStore(store)
    counters = [CountingNotifier(notifier_id, only_playbook) for notifier_id in notifier_ids]
    engine = AlertEngine(replay, selected, playbooks, list(counters), custom_words, maintenance)
    fired = []
    evaluations = 0
    try:
        for k in range(total):
            at = since + k * step
            evaluations += 1
            for alert in engine.check(at):
                if only_playbook is None or alert.playbook == only_playbook:
                    fired.append({"at": at.isoformat(), "rule": alert.rule, "severity": alert.severity, "key": alert.key,
                                  "count": alert.count, "playbook": alert.playbook, "incident": alert.incident,
                                  "mentions": alert.mention_ids})
            if progress is not None:
                progress(Progress(at, evaluations, total, len(fired)))
        incidents = [
            {"id": i.id, "playbook": i.playbook, "rule": i.rule, "key": i.key, "severity": i.severity,
             "opened_at": i.opened_at.isoformat(), "alerts": i.alert_count}
            for i in sorted(replay.list_incidents(), key=lambda i: i.opened_at)
            if only_playbook is None or i.playbook == only_playbook
        ]
    finally:
        replay.close()
    return {
        "target": target,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "step": format_duration(step),
        "evaluations": evaluations,
        "alerts": fired,
        "incidents": incidents,
        "notifications": sum(c.sent for c in counters),
        "escalation_notifications": sum(c.escalations for c in counters),
        "warnings": warnings,
    }
