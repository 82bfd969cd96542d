"""Equal response (standard 000: respond to every target group equally): for the complaints and
questions of a period, per group, how many there were, how fast the first response came (median
and 90th percentile), the share answered within the SLA and how many are still unanswered; a
group served markedly slower than the rest is flagged.

The dimensions a report can group by are one table, :data:`DIMENSIONS` (name → the store's
group-by field that gives a mention's group, and the words shown for it): a new dimension is one
line there, once the store can group by it (``GROUP_FIELDS``). Only aggregate store queries are
used (:meth:`Store.first_responses` reads no mention text).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sadap.app.config import Config
from sadap.core.errors import InputError
from sadap.store import GROUP_FIELDS, MentionFilter, Store


@dataclass(frozen=True)
class Dimension:
    """A way to split complaints and questions into groups."""

    #: The store's group-by field (``sadap.store.base.GROUP_FIELDS``) whose value is the group.
    group_field: str
    #: (Thai, English) words for the column heading.
    words: tuple[str, str]
    #: The label kind (``sadap.core.labels``) that names the values, if any.
    label_kind: str | None = None


#: ``--by`` values. ``group`` (a stakeholder's group) needs a store field for it first.
DIMENSIONS: dict[str, Dimension] = {
    "channel": Dimension("source_kind", ("ช่องทาง", "channel"), "source_kind"),
    "source": Dimension("source_name", ("แหล่งที่มา", "source")),
    "sentiment": Dimension("sentiment", ("ความรู้สึก", "sentiment"), "sentiment"),
    "complaint_type": Dimension("complaint_type", ("ประเภทข้อร้องเรียน", "complaint type"), "complaint_type"),
    "category": Dimension("category", ("หมวดเสียงลูกค้า", "voice-of-customer category"), "category"),
    "entity": Dimension("entity", ("ชื่อที่ติดตาม", "watched name")),
    "stakeholder": Dimension("stakeholder", ("ผู้มีส่วนได้ส่วนเสีย", "stakeholder")),
}


def response_sla(config: Config) -> timedelta:
    """``report.response_sla``, else the ``complaint_sla`` rule's SLA on mentions, else 24 hours."""
    if config.report.response_sla is not None:
        return config.report.response_sla
    for rule in config.alert_rules:
        sla = getattr(rule.options, "sla", None)
        if rule.type_name == "complaint_sla" and getattr(rule.options, "scope", "") == "mentions" and isinstance(sla, timedelta):
            return sla
    return timedelta(hours=24)


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

    @property
    def unanswered(self) -> int:
        return self.count - self.answered

    @property
    def within_sla_share(self) -> float | None:
        return self.within_sla / self.count if self.count else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "count": self.count, "answered": self.answered, "unanswered": self.unanswered,
            "median_first_response_s": _round(self.median_s), "p90_first_response_s": _round(self.p90_s),
            "within_sla": self.within_sla, "within_sla_share": _round(self.within_sla_share, 3),
            "flagged_slower": self.flagged,
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
        return [g for g in self.groups if g.flagged]

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
        }


def _figures(group: str, delays: list[float | None], sla_s: float) -> GroupFigures:
    answered = sorted(max(0.0, d) for d in delays if d is not None)
    return GroupFigures(
        group=group, count=len(delays), answered=len(answered),
        within_sla=sum(1 for d in answered if d <= sla_s),
        median_s=percentile(answered, 0.5), p90_s=percentile(answered, 0.9),
    )


def equal_response(
    store: Store,
    config: Config,
    by: str = "channel",
    since: datetime | None = None,
    until: datetime | None = None,
) -> ResponseReport:
    """The equal-response figures for complaints and questions published in ``[since, until)``."""
    dim = DIMENSIONS.get(by)
    if dim is None:
        raise InputError(f"--by {by!r}: unknown (allowed: {', '.join(DIMENSIONS)})")
    sla = response_sla(config)
    base = MentionFilter(since=since, until=until, include_duplicates=False)
    # Complaints, then questions that are not complaints: each mention once.
    rows = store.first_responses(replace(base, complaint=True), dim.group_field)
    rows += store.first_responses(replace(base, complaint=False, sentiment=("q",)), dim.group_field)
    by_group: dict[str, list[float | None]] = {}
    for group, delay in rows:
        by_group.setdefault(group or "-", []).append(delay)
    sla_s = sla.total_seconds()
    # Overall counts each mention once, whatever its number of groups (multi-valued dimensions).
    if GROUP_FIELDS[dim.group_field].multi:
        overall_rows = store.first_responses(replace(base, complaint=True), "sentiment")
        overall_rows += store.first_responses(replace(base, complaint=False, sentiment=("q",)), "sentiment")
        overall = _figures("*", [d for _, d in overall_rows], sla_s)
    else:
        overall = _figures("*", [d for _, d in rows], sla_s)
    groups = [_figures(g, delays, sla_s) for g, delays in by_group.items()]
    groups.sort(key=lambda g: (-g.count, g.group))
    factor = config.report.slower_factor
    if overall.median_s is not None and len(groups) > 1:
        everyone = sorted(max(0.0, d) for delays in by_group.values() for d in delays if d is not None)
        for g in groups:
            # Against the others: a group is slower than the median of everyone else's responses.
            own = sorted(max(0.0, d) for d in by_group[g.group] if d is not None)
            reference = median_without(everyone, own)
            g.flagged = (
                g.answered >= config.report.min_answered and g.median_s is not None and reference is not None
                and g.median_s > factor * max(reference, 60.0)
            )
    return ResponseReport(by=by, since=since, until=until, sla=sla, slower_factor=factor, overall=overall, groups=groups)


def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal (``-`` for none)."""
    return "-" if seconds is None else f"{seconds / 3600:.1f}"
