"""Incremental rule evaluation: per-question running state kept between cycles.

A *question* is what a rule asks the store, without its time bounds: a filter, a group
field and a time field. Rules asking the same question share one :class:`Window`. For each
question the engine keeps, in memory:

* the recent mentions as light rows (:class:`~sadap.store.base.MentionRow`), as far back
  as the rules need (their window, and for baselines the buckets not yet settled);
* settled baseline buckets (counts or voices per key), each counted once;
* for ``new_term``, the latest time each term was seen before the window (the seen-term
  set: a term is new when it was not seen in the baseline period).

The first cycle builds this from the store (one rows query per question, one aggregation for
the settled buckets, one for the seen terms). Every later cycle asks only for what was
collected since the last one (``collected_at`` after its watermark, less ``OVERLAP`` for
late visibility: an Elasticsearch refresh, a batch written while the cycle ran), folds it in
and drops what fell out of every window. Going back in time, a gap longer than ``MAX_GAP``
or a wider window than was loaded rebuilds from the store, so the answers are always those of
a full re-evaluation as of the cycle's time (``tests/test_incremental.py`` replays a stream
both ways and compares the alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from alerts.rules.buckets import SETTLE, grid
from sadap.store import MentionFilter, Store
from sadap.store.base import MentionRow, TimeField

log = logging.getLogger(__name__)

#: Mentions collected up to this long before the last cycle's watermark are asked for again
#: (duplicates by id are harmless): what became visible late is not missed.
OVERLAP = timedelta(minutes=2)
#: A longer gap between cycles rebuilds the state from the store instead of reading the gap.
MAX_GAP = timedelta(hours=1)
#: Settled buckets kept per question, step and measure (a year of daily ones).
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class Question:
    flt: MentionFilter  # without time bounds, ids or collected_until; duplicates included
    group_by: str | None
    time_field: TimeField

    @staticmethod
    def of(flt: MentionFilter, group_by: str | None) -> Question:
        base = replace(flt, since=None, until=None, collected_until=None, ids=(), include_duplicates=True)
        return Question(base, group_by, flt.time_field)


@dataclass
class _Seen:
    last_seen: dict[str, float]
    boundary: float  # every mention with time before this is folded into last_seen


@dataclass
class Window:
    question: Question
    rows: dict[str, MentionRow] = field(default_factory=dict)
    span: float = 0.0  # seconds back from the cycle's time that rows cover
    watermark: float | None = None
    loaded_at: float | None = None
    cycle: int = -1  # the engine's cycle it was last brought up to date in
    settled: dict[tuple[float, bool], dict[float, dict[str | None, int]]] = field(default_factory=dict)
    seen: dict[tuple[float, bool], _Seen] = field(default_factory=dict)
    queries: int = 0

    # -- keeping the rows current ----------------------------------------------------------
    def sync(self, store: Store, at: datetime, span: timedelta, cycle: int) -> None:
        a = at.timestamp()
        want = span.total_seconds()
        if self.cycle == cycle and self.loaded_at == a and want <= self.span:
            return  # rules asking the same question in one cycle share one query
        self.cycle = cycle
        q = self.question
        rebuild = self.watermark is None or a < self.watermark or a - self.watermark > MAX_GAP.total_seconds() or want > self.span
        if not rebuild:
            self._increment(store, at)
            # The store's count for the rows' span must be what the rows hold: a mention stored
            # with a collected time older than the overlap (an import with its own times), an
            # erased or re-enriched one, makes it differ, and the rows are read again.
            flt = replace(q.flt, time_field=q.time_field, since=at - timedelta(seconds=self.span), collected_until=at)
            floor = a - self.span
            held = sum(1 for r in self.rows.values() if r.time(q.time_field) >= floor)
            self.queries += 1
            if store.count(flt) != held:
                log.info("running state of %s: the store changed behind the increment; read again", q)
                rebuild = True
        if rebuild:
            self.span = max(want, self.span)
            flt = replace(q.flt, time_field=q.time_field, since=at - timedelta(seconds=self.span), collected_until=at)
            self.rows = {r.id: r for r in store.mention_rows(flt, q.group_by)}
            self.seen.clear()  # rebuilt on demand, for the new time
            self.queries += 1
        self.watermark = self.loaded_at = a
        self._trim(a)

    def _increment(self, store: Store, at: datetime) -> None:
        q = self.question
        assert self.watermark is not None
        since = datetime.fromtimestamp(self.watermark, at.tzinfo) - OVERLAP
        delta = store.mention_rows(replace(q.flt, time_field="collected_at", since=since, collected_until=at), q.group_by)
        self.queries += 1
        for r in delta:
            t = r.time(q.time_field)
            for (_, originals), seen in self.seen.items():
                if t < seen.boundary and not (originals and r.duplicate):
                    _fold(seen.last_seen, r, t)
            self.rows[r.id] = r

    def _trim(self, a: float) -> None:
        q = self.question
        floor = a - self.span
        old = [r for r in self.rows.values() if r.time(q.time_field) < floor]
        if old:
            for (_, originals), seen in self.seen.items():
                for r in old:
                    t = r.time(q.time_field)
                    if t >= seen.boundary and not (originals and r.duplicate):
                        _fold(seen.last_seen, r, t)
            for r in old:
                del self.rows[r.id]

    def between(self, lo: float, hi: float) -> Iterable[MentionRow]:
        tf = self.question.time_field
        return (r for r in self.rows.values() if lo <= r.time(tf) < hi)

    # -- baselines ---------------------------------------------------------------------------
    def buckets(
        self, store: Store, at: datetime, start: datetime, end: datetime, step: timedelta, voices: bool,
    ) -> dict[float, dict[str | None, int]]:
        """Per whole grid bucket in [start, end) (one ``step`` wide, as
        :func:`alerts.rules.buckets.grid`): counts (or voices) per key. Settled buckets are
        counted once (those already in memory from the rows, the older ones in one store
        call); the others from the rows as of ``at``."""
        a = at.timestamp()
        width = step.total_seconds()
        settle = SETTLE.total_seconds()
        cache = self.settled.setdefault((width, voices), {})
        starts = [b.timestamp() for b in grid(start, end, step)]
        floor = (self.loaded_at or a) - self.span
        missing = [b for b in starts if b + width + settle <= a and b not in cache and b < floor]
        if missing:
            n = int(round((missing[-1] - missing[0]) / width)) + 1
            got = store.bucket_counts(
                replace(self.question.flt, time_field=self.question.time_field),
                self.question.group_by, datetime.fromtimestamp(missing[0], at.tzinfo), step, n, SETTLE, voices,
            )
            self.queries += 1
            for i in range(n):
                b = missing[0] + width * i
                cache.setdefault(b, got.get(b, {}))
        out: dict[float, dict[str | None, int]] = {}
        for b in starts:
            if b in cache:
                out[b] = cache[b]
                continue
            settled = b + width + settle <= a
            until = min(a, b + width + settle)
            rows = [r for r in self.between(b, b + width) if r.collected <= until]
            counts = tally(rows, self.question.group_by, voices)
            if settled:
                cache[b] = counts
            out[b] = counts
        if len(cache) > MAX_BUCKETS:  # the oldest go first
            for b in sorted(cache)[: len(cache) - MAX_BUCKETS]:
                del cache[b]
        return out

    # -- seen terms (new_term) -----------------------------------------------------------------
    def last_seen(self, store: Store, at: datetime, start: datetime, baseline: timedelta, originals: bool) -> dict[str, float]:
        """Per term, the latest time it was seen before ``start`` (at least as far back as
        ``start - baseline``), among mentions collected by ``at``."""
        key = ((at - start).total_seconds(), originals)
        s = start.timestamp()
        seen = self.seen.get(key)
        if seen is None:
            flt = replace(self.question.flt, time_field=self.question.time_field, since=start - baseline, until=start,
                          collected_until=at, include_duplicates=not originals)
            assert self.question.group_by is not None
            seen = self.seen[key] = _Seen(store.terms_last_seen(flt, self.question.group_by), s)
            self.queries += 1
        elif s > seen.boundary:
            for r in self.between(seen.boundary, s):
                if not (originals and r.duplicate):
                    _fold(seen.last_seen, r, r.time(self.question.time_field))
            seen.boundary = s
            gone = s - baseline.total_seconds()
            if len(seen.last_seen) > 1000:
                for term in [t for t, last in seen.last_seen.items() if last < gone]:
                    del seen.last_seen[term]
        return seen.last_seen


def baseline_span(window: timedelta) -> timedelta:
    """How far back the rows must reach for a baseline of ``window``-wide buckets: the window
    and every bucket not yet settled."""
    return window * 3 + SETTLE


def _fold(last_seen: dict[str, float], r: MentionRow, t: float) -> None:
    for term in r.keys:
        if t > last_seen.get(term, float("-inf")):
            last_seen[term] = t


def tally(rows: Iterable[MentionRow], group_by: str | None, voices: bool) -> dict[str | None, int]:
    """Per key: distinct voices (``voices``) or mentions."""
    if not voices:
        counts: dict[str | None, int] = {}
        for r in rows:
            for key in (r.keys if group_by is not None else (None,)):
                counts[key] = counts.get(key, 0) + 1
        return counts
    sets: dict[str | None, set[str]] = {}
    for r in rows:
        for key in (r.keys if group_by is not None else (None,)):
            sets.setdefault(key, set()).add(r.voice)
    return {k: len(v) for k, v in sets.items()}


def newest(rows: Iterable[MentionRow], time_field: str, n: int) -> list[str]:
    """Ids of the ``n`` newest rows (time descending, then id), as the stores' ``ids``."""
    return [r.id for r in sorted(rows, key=lambda r: (-r.time(time_field), r.id))[:n]]


class RunningState:
    """The engine's running state: one :class:`Window` per question (and query delay)."""

    def __init__(self) -> None:
        self.windows: dict[tuple[Question, timedelta], Window] = {}
        self.cycle = 0  # the engine counts its cycles here

    def window(self, flt: MentionFilter, group_by: str | None, delay: timedelta = timedelta(0)) -> Window:
        q = Question.of(flt, group_by)
        w = self.windows.get((q, delay))
        if w is None:
            w = self.windows[(q, delay)] = Window(q)
        return w

    @property
    def queries(self) -> int:
        return sum(w.queries for w in self.windows.values())
