"""Equal response (standard 000: respond to every target group equally): for the complaints and
questions of a period (news coverage left out: ``NEWS_SOURCE_KINDS``), per group, how many there were, how fast the first response came and how
fast they were resolved (median and 90th percentile of each), the share answered within the SLA,
and how many are still unanswered and unresolved; a group served markedly slower than the rest
(first response, or resolution) is flagged.

The dimensions a report can group by are one table, :data:`DIMENSIONS` (name → the store's
group-by field that gives a mention's group, and the words shown for it): a new dimension is one
line there, once the store can group by it (``GROUP_FIELDS``). Only aggregate store queries are
used (:meth:`Store.response_rows` reads no mention text), with the complaint cases' close
times and, for ``group``, the stakeholder registry.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from enrich.privacy import mask_emails, mask_handles, mask_national_ids, mask_personal_data, mask_phones
from sadap.app.complaints import case_sla
from sadap.app.config import Config
from sadap.core.errors import InputError
from sadap.core.timeutil import now_utc, show
from sadap.store import GROUP_FIELDS, NEWS_SOURCE_KINDS, MentionFilter, ResponseRow, Store


@dataclass(frozen=True)
class Dimension:
    """A way to split complaints and questions into groups."""

    #: The store's group-by field (``sadap.store.base.GROUP_FIELDS``) whose value is the group.
    group_field: str
    #: (Thai, English) words for the column heading.
    words: tuple[str, str]
    #: The label kind (``sadap.core.labels``) that names the values, if any.
    label_kind: str | None = None
    #: The field's values are stakeholder ids, counted under their group in the registry.
    via_stakeholder_group: bool = False


#: ``--by`` values.
DIMENSIONS: dict[str, Dimension] = {
    "channel": Dimension("source_kind", ("ช่องทาง", "channel"), "source_kind"),
    "source": Dimension("source_name", ("แหล่งที่มา", "source")),
    "sentiment": Dimension("sentiment", ("ความรู้สึก", "sentiment"), "sentiment"),
    "complaint_type": Dimension("complaint_type", ("ประเภทข้อร้องเรียน", "complaint type"), "complaint_type"),
    "category": Dimension("category", ("หมวดเสียงลูกค้า", "voice-of-customer category"), "category"),
    "entity": Dimension("entity", ("ชื่อที่ติดตาม", "watched name")),
    "stakeholder": Dimension("stakeholder", ("ผู้มีส่วนได้ส่วนเสีย", "stakeholder")),
    # A mention's stakeholders' groups (customers, community, regulators …) in the registry.
    "group": Dimension("stakeholder", ("กลุ่มผู้มีส่วนได้ส่วนเสีย", "stakeholder group"), "stakeholder_group",
                       via_stakeholder_group=True),
}


RESPONSE_MASKS = (mask_emails, mask_national_ids, mask_phones, mask_handles)


def record(store: Store, config: Config, mention_id: str, actor: str, channel: str, text: str,
           at: datetime | None = None) -> None:
    """Log a staff response to a mention, with e-mail addresses, national ID numbers, phone
    numbers and @handles masked as in a mention (``enrich.mask_personal_data``): a reply may quote
    the customer's number back to them. Links stay: they are the organisation's own pages."""
    store.log_response(mention_id, at or now_utc(), actor, channel, staff_text(config, text))


def staff_text(config: Config, text: str) -> str:
    """What staff write to a timeline (a response, a case's or an incident's note, a closing
    note), with e-mail addresses, national ID numbers, phone numbers and @handles masked as in a
    mention (``enrich.mask_personal_data``): staff quote a customer's number back, or note it."""
    return mask_personal_data(text, RESPONSE_MASKS) if config.enrich.mask_personal_data else text


def response_sla(config: Config) -> timedelta:
    """``report.response_sla``, else the ``complaint_sla`` rule's SLA on mentions, else 24 hours."""
    if config.report.response_sla is not None:
        return config.report.response_sla
    return case_sla(config)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of sorted values, by linear interpolation between closest ranks."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _kth_without(everyone: Sequence[float], own: Sequence[float], k: int) -> float:
    """The k-th smallest (from 0) of ``everyone`` with ``own`` (a sub-multiset, both sorted) taken out."""
    lo, hi = 0, len(everyone) - 1
    while lo < hi:  # the first position whose value has more than k others at or below it
        mid = (lo + hi) // 2
        value = everyone[mid]
        if bisect.bisect_right(everyone, value) - bisect.bisect_right(own, value) >= k + 1:
            hi = mid
        else:
            lo = mid + 1
    return everyone[lo]


def median_without(everyone: Sequence[float], own: Sequence[float]) -> float | None:
    """The median of ``everyone`` without ``own`` (sorted lists; ``own`` is part of ``everyone``),
    interpolated as :func:`percentile` does, without building the difference."""
    n = len(everyone) - len(own)
    if n <= 0:
        return None
    pos = (n - 1) * 0.5
    lo, hi = math.floor(pos), math.ceil(pos)
    a = _kth_without(everyone, own, lo)
    b = a if hi == lo else _kth_without(everyone, own, hi)
    return a + (b - a) * (pos - lo)


@dataclass
class GroupFigures:
    group: str
    count: int = 0
    answered: int = 0
    within_sla: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    flagged: bool = False
    resolved: int = 0
    resolution_median_s: float | None = None
    resolution_p90_s: float | None = None
    flagged_resolution: bool = False
    #: Not answered yet and still within the SLA: neither in time nor late so far.
    not_yet_due: int = 0

    @property
    def unanswered(self) -> int:
        return self.count - self.answered

    @property
    def unresolved(self) -> int:
        return self.count - self.resolved

    @property
    def within_sla_share(self) -> float | None:
        """Of the items that are due (answered, or unanswered past the SLA), the share answered
        within it: one received an hour ago and not answered yet has not missed anything."""
        due = self.count - self.not_yet_due
        return self.within_sla / due if due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "count": self.count, "answered": self.answered, "unanswered": self.unanswered,
            "median_first_response_s": _round(self.median_s), "p90_first_response_s": _round(self.p90_s),
            "within_sla": self.within_sla, "not_yet_due": self.not_yet_due,
            "within_sla_share": _round(self.within_sla_share, 3),
            "resolved": self.resolved, "unresolved": self.unresolved,
            "median_resolution_s": _round(self.resolution_median_s), "p90_resolution_s": _round(self.resolution_p90_s),
            "flagged_slower": self.flagged, "flagged_slower_resolution": self.flagged_resolution,
        }


def _round(value: float | None, digits: int = 0) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class ResponseReport:
    by: str
    since: datetime | None
    until: datetime | None
    sla: timedelta
    slower_factor: float
    overall: GroupFigures
    groups: list[GroupFigures] = field(default_factory=list)

    @property
    def flagged(self) -> list[GroupFigures]:
        """Groups whose first responses are markedly slower than the rest's."""
        return [g for g in self.groups if g.flagged]

    @property
    def flagged_resolution(self) -> list[GroupFigures]:
        """Groups whose complaints and questions are resolved markedly slower than the rest's."""
        return [g for g in self.groups if g.flagged_resolution]

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sla_s": int(self.sla.total_seconds()),
            "slower_factor": self.slower_factor,
            "overall": self.overall.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "flagged": [g.group for g in self.flagged],
            "flagged_resolution": [g.group for g in self.flagged_resolution],
        }


#: One complaint or question: seconds to its first response and to its resolution (None: not
#: yet), and seconds it has waited since publication (to the report's making).
Times = tuple[float | None, float | None, float]


@dataclass
class _Delays:
    """One group's items: how many, the sorted (non-negative) delays of those answered and resolved,
    and for the flag test every item's delay, or for one not yet answered (resolved) the time it
    has waited so far: at least its delay will be."""

    count: int
    answered: list[float]
    resolved: list[float]
    answered_or_waiting: list[float]
    resolved_or_waiting: list[float]
    #: How long each item not yet answered has waited, sorted.
    waiting: list[float]


def _delays(times: list[Times]) -> _Delays:
    def at_least(delay: float | None, waited: float) -> float:
        return max(0.0, waited if delay is None else delay)

    return _Delays(
        len(times),
        sorted([f if f > 0.0 else 0.0 for f, _, _ in times if f is not None]),
        sorted([r if r > 0.0 else 0.0 for _, r, _ in times if r is not None]),
        sorted(at_least(f, w) for f, _, w in times),
        sorted(at_least(r, w) for _, r, w in times),
        sorted(w for f, _, w in times if f is None),
    )


def _figures(group: str, d: _Delays, sla_s: float) -> GroupFigures:
    return GroupFigures(
        group=group, count=d.count, answered=len(d.answered),
        within_sla=bisect.bisect_right(d.answered, sla_s),
        median_s=percentile(d.answered, 0.5), p90_s=percentile(d.answered, 0.9),
        resolved=len(d.resolved), resolution_median_s=percentile(d.resolved, 0.5),
        resolution_p90_s=percentile(d.resolved, 0.9),
        not_yet_due=bisect.bisect_left(d.waiting, sla_s),
    )


def resolution_times(store: Store) -> dict[str, float | None]:
    """When each mention held by a complaint case was resolved (epoch seconds: the case's close
    time), None while its case is open. Mentions in no case are not here (see :func:`equal_response`)."""
    out: dict[str, float | None] = {}
    for case in store.list_cases():
        closed = case.closed_at.timestamp() if case.state == "closed" and case.closed_at is not None else None
        for mention_id in case.mention_ids:
            out.setdefault(mention_id, closed)
    return out


def _flag_slower(groups: list[GroupFigures], delays: dict[str, _Delays], everyone: list[float], config: Config,
                 resolution: bool) -> None:
    """Flag the groups whose median is more than ``slower_factor`` times the median of everyone
    else's delays (at least a minute), among groups with ``min_answered`` items or more.

    A group's median counts its items not yet answered (resolved) with the time they have waited
    so far, which their delay will at least be: a group nobody answers is flagged once it has
    waited markedly longer than the others took. The others' median counts only delays that are
    known (``everyone``: all answered or resolved delays, sorted)."""
    if len(groups) < 2:
        return
    factor = config.report.slower_factor
    for g in groups:
        d = delays[g.group]
        own = d.resolved_or_waiting if resolution else d.answered_or_waiting
        median = percentile(own, 0.5)
        reference = median_without(everyone, d.resolved if resolution else d.answered)
        slower = (len(own) >= config.report.min_answered and median is not None and reference is not None
                  and median > factor * max(reference, 60.0))
        if resolution:
            g.flagged_resolution = slower
        else:
            g.flagged = slower


@dataclass(frozen=True)
class ResponseData:
    """What :func:`equal_response` reads from the store for one dimension and period: the
    complaints' and questions' rows, the cases' close times, and (``group``) the registry, as of
    ``now`` (epoch seconds). :func:`response_report` makes the figures of it, or of a part of
    its period: a year's report reads the year once and splits it into its quarters."""

    by: str
    since: datetime | None
    until: datetime | None
    rows: list[ResponseRow]
    closed: dict[str, float | None]
    registry: dict[str, str]
    now: float


def read_responses(
    store: Store,
    config: Config,
    by: str = "channel",
    since: datetime | None = None,
    until: datetime | None = None,
    at: datetime | None = None,
    closed: dict[str, float | None] | None = None,
) -> ResponseData:
    """What :func:`equal_response` counts, read once (see :class:`ResponseData`); ``closed``:
    :func:`resolution_times` where the caller read them already (they do not depend on the period)."""
    dim = DIMENSIONS.get(by)
    if dim is None:
        raise InputError(f"--by {by!r}: unknown (allowed: {', '.join(DIMENSIONS)})")
    if since is not None and until is not None and since >= until:
        raise InputError(f"--since {show(since)} is not before --until {show(until)} (Bangkok time): "
                         "the period would be empty")
    # News coverage is no customer waiting for the organisation's answer (press relations answers
    # it): counted as voice of the customer elsewhere, not here.
    base = MentionFilter(since=since, until=until, include_duplicates=False, exclude_source_kinds=NEWS_SOURCE_KINDS)
    # Complaints, then questions that are not complaints: each mention once.
    rows = store.response_rows(replace(base, complaint=True), dim.group_field)
    rows += store.response_rows(replace(base, complaint=False, sentiment=("q",)), dim.group_field)
    registry: dict[str, str] = {s.id: s.group for s in store.list_stakeholders()} if dim.via_stakeholder_group else {}
    return ResponseData(by, since, until, rows, resolution_times(store) if closed is None else closed, registry,
                        (at or now_utc()).timestamp())


def response_report(data: ResponseData, config: Config, since: datetime | None = None,
                    until: datetime | None = None) -> ResponseReport:
    """The equal-response figures of ``data``, or of the mentions in it published in ``[since,
    until)`` (within its period; each None: its period's): the same as :func:`equal_response`
    reading that part alone, as the store's publication window compares (epoch seconds)."""
    dim = DIMENSIONS[data.by]
    rows = data.rows
    if since is not None or until is not None:
        low = -math.inf if since is None else since.timestamp()
        high = math.inf if until is None else until.timestamp()
        rows = [row for row in rows if low <= row[2] < high]
    since = data.since if since is None else since
    until = data.until if until is None else until
    closed, registry, now = data.closed, data.registry, data.now
    sla = response_sla(config)
    every: list[Times] = []  # each mention once
    per_group: dict[str, list[Times]] = {}
    if not GROUP_FIELDS[dim.group_field].multi and not dim.via_stakeholder_group:
        # One row per mention (complaints and questions are disjoint): no de-duplication needed.
        for row in rows:
            t = (row[3], _resolution(row, closed), now - row[2])
            every.append(t)
            per_group.setdefault(row[1] or "-", []).append(t)
    else:
        times: dict[str, Times] = {}
        members: dict[str, dict[str, None]] = {}  # group -> its mentions (each once, in order)
        for row in rows:
            mention_id, value = row[0], row[1]
            if mention_id not in times:
                times[mention_id] = (row[3], _resolution(row, closed), now - row[2])
            group = registry.get(value, "") if dim.via_stakeholder_group else value
            members.setdefault(group or "-", {})[mention_id] = None
        every = list(times.values())
        per_group = {g: [times[i] for i in ids] for g, ids in members.items()}
    sla_s = sla.total_seconds()
    # Overall counts each mention once, whatever its number of groups (multi-valued dimensions).
    overall_delays = _delays(every)
    overall = _figures("*", overall_delays, sla_s)
    delays = {g: _delays(t) for g, t in per_group.items()}
    groups = [_figures(g, d, sla_s) for g, d in delays.items()]
    groups.sort(key=lambda g: (-g.count, g.group))
    single = sum(d.count for d in delays.values()) == overall_delays.count  # every mention in one group
    for resolution in (False, True):
        if single:
            everyone = overall_delays.resolved if resolution else overall_delays.answered
        else:
            everyone = sorted(v for d in delays.values() for v in (d.resolved if resolution else d.answered))
        _flag_slower(groups, delays, everyone, config, resolution)
    return ResponseReport(by=data.by, since=since, until=until, sla=sla, slower_factor=config.report.slower_factor,
                          overall=overall, groups=groups)


def equal_response(
    store: Store,
    config: Config,
    by: str = "channel",
    since: datetime | None = None,
    until: datetime | None = None,
    at: datetime | None = None,
) -> ResponseReport:
    """The equal-response figures for complaints and questions published in ``[since, until)``,
    as of ``at`` (default now: how long the unanswered ones have waited).

    Time to first response: from publication to the first logged response. Time to resolution:
    to the close of the complaint case that holds the mention (unresolved while the case is open);
    a mention in no case (most questions; complaints stored before cases existed) is resolved by
    its first response, the only settlement the store records for it. News coverage
    (``NEWS_SOURCE_KINDS``) is not counted, even where a person linked it into a case."""
    return response_report(read_responses(store, config, by, since, until, at), config)


def _resolution(row: ResponseRow, closed: dict[str, float | None]) -> float | None:
    """Seconds from publication to resolution: to its case's close (None while open), else to
    its first response."""
    mention_id, _, published, first = row
    if mention_id not in closed:
        return first
    at = closed[mention_id]
    return None if at is None else max(0.0, at - published)


def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal (``-`` for none)."""
    return "-" if seconds is None else f"{seconds / 3600:.1f}"
