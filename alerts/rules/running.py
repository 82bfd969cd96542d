"""Incremental rule evaluation: running state kept between cycles, shared by every question.

A *question* is what a rule asks the store, without its time bounds: a filter, a group field
and a time field. The engine keeps, per query delay, one :class:`Feed`: every mention of the
last hours (as far back as any rule needs, by publication or collection time) as a light
:class:`~sadap.store.base.RuleRow` with every field the rules filter and group by. Each
question is a :class:`Window` on it: the feed's rows that pass the question's filter (tested
here; a full-text query by the ids the store found for it), with the question's group keys.

* **One read per cycle**: what was collected since the last cycle's watermark (less
  ``OVERLAP`` for late visibility: an Elasticsearch refresh, a batch written while the cycle
  ran), with every field and the ids matching each rule query, and two counts that check the
  feed against the store (a mention stored with an older collection time, or erased, makes
  them differ and the feed is read again). On Elasticsearch that is one ``_msearch``.
* **Baselines** (spike, sentiment_shift) count each settled bucket once: SQLite from its
  hourly rollup (``mention_hours``, kept at write time), other backends from one read of the
  baseline's rows shared by every question, anything else from the store's own aggregation.
* **Seen terms** (new_term): only the window's candidates are looked up, the latest time each
  was seen before the window, from the feed and, for those not in it, from the store once;
  later cycles fold what they read into that.

Going back in time or a gap longer than ``MAX_GAP`` reads the feed again, so the answers are
always those of a full re-evaluation as of the cycle's time (``tests/test_incremental.py``
replays a stream both ways and compares the alerts). A question the feed cannot answer (a
filter on authors, languages, complaints…) keeps its own rows, read per question.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from alerts.rules.buckets import SETTLE, grid
from sadap.store import MentionFilter, Store
from sadap.store.base import SEEN_TERM_FIELDS, BucketTable, HourCells, MentionRow, RuleRow, TimeField, count_buckets
from sadap.store.query import Query

log = logging.getLogger(__name__)

#: Mentions collected up to this long before the last cycle's watermark are asked for again
#: (duplicates by id are harmless): what became visible late is not missed.
OVERLAP = timedelta(minutes=2)
#: A longer gap between cycles rebuilds the state from the store instead of reading the gap.
MAX_GAP = timedelta(hours=1)
#: Settled buckets kept per question, step and measure (a year of daily ones).
MAX_BUCKETS = 10_000
#: Feed changes kept for windows that were not brought up to date in some cycle.
_LOG = 32

_SINGLE = {"sentiment": "sentiment", "source_names": "source_name", "source_kinds": "source_kind",
           "categories": "category", "expectations": "expectation", "news_topics": "news_topic"}
_MULTI = {"entities": "entities", "hashtags": "hashtags", "keywords": "keywords", "stakeholders": "stakeholders"}
_KEY_ATTR = {"entity": "entities", "hashtag": "hashtags", "keyword": "keywords", "stakeholder": "stakeholders",
             "source_name": "source_name", "source_kind": "source_kind", "sentiment": "sentiment",
             "category": "category", "expectation": "expectation", "news_topic": "news_topic"}


@dataclass(frozen=True)
class Question:
    flt: MentionFilter  # without time bounds, ids or collected_until; duplicates included
    group_by: str | None
    time_field: TimeField

    @staticmethod
    def of(flt: MentionFilter, group_by: str | None) -> Question:
        base = replace(flt, since=None, until=None, collected_until=None, ids=(), include_duplicates=True)
        return Question(base, group_by, flt.time_field)


Predicate = Callable[[RuleRow, "set[str] | None"], bool]


def predicate(flt: MentionFilter) -> Predicate | None:
    """``flt`` as a test on a :class:`RuleRow` (its query's matches passed in), or None when
    it filters on something a RuleRow does not hold."""
    if (flt.author_ids or flt.clusters or flt.complaint_types or flt.languages or flt.ids or flt.complaint is not None
            or flt.responded is not None or flt.since or flt.until or flt.collected_until):
        return None
    single = [(attr, frozenset(getattr(flt, name))) for name, attr in _SINGLE.items() if getattr(flt, name)]
    multi = [(attr, frozenset(getattr(flt, name))) for name, attr in _MULTI.items() if getattr(flt, name)]
    originals = not flt.include_duplicates
    left_out = frozenset(flt.exclude_source_kinds)
    spam = flt.max_spam_score
    queried = flt.query is not None and not flt.query.empty

    def test(r: RuleRow, hits: set[str] | None) -> bool:
        if queried and (hits is None or r.id not in hits):
            return False
        if originals and r.duplicate_of is not None:
            return False
        if r.source_kind in left_out:
            return False
        if spam is not None and r.spam is not None and r.spam > spam:
            return False
        for attr, values in single:
            if getattr(r, attr) not in values:
                return False
        for attr, values in multi:
            if values.isdisjoint(getattr(r, attr)):
                return False
        return True

    return test


def keys_of(r: RuleRow, group_by: str | None) -> tuple[str, ...]:
    if group_by is None:
        return ()
    value = getattr(r, _KEY_ATTR[group_by])
    if isinstance(value, tuple):
        return value
    return () if value is None else (str(value),)


def light(r: RuleRow, group_by: str | None) -> MentionRow:
    return MentionRow(r.id, r.published, r.collected, r.duplicate_of is not None, r.voice, r.author, keys_of(r, group_by))


def _dt(ts: float, like: datetime) -> datetime:
    return datetime.fromtimestamp(ts, like.tzinfo)


@dataclass
class _History:
    lo: float
    hi: float
    rows: dict[str, RuleRow]
    hits: dict[Query, set[str]]
    at: float  # read as of then: it answers for buckets settled by then


class Feed:
    """Every mention of the last ``span`` seconds (published or collected since then, collected
    by the cycle's time), shared by every question of one query delay."""

    def __init__(self) -> None:
        self.rows: dict[str, RuleRow] = {}
        self.hits: dict[Query, set[str]] = {}
        self.span = 0.0
        self.watermark: float | None = None
        self.loaded_at: float | None = None
        self.cycle = -1
        self.generation = 0  # a full read starts a new one
        self.version = 0
        self.log: list[tuple[int, list[RuleRow], list[str]]] = []  # (version, rows added or changed, ids gone)
        self.queries = 0  # store calls
        self._history: dict[TimeField, _History] = {}
        self._cells: tuple[float, float, HourCells, float] | None = None  # lo, hi, cells, read as of
        self.has_cells: bool | None = None  # whether the store keeps the hourly rollup
        self.mark: int | None = None  # Store.changes as of the last read
        self._round = -1  # the last cycle the history and cells were used in
        self._read = -1  # the feed's generation then

    @property
    def floor(self) -> float:
        return (self.loaded_at or 0.0) - self.span

    def expect(self, span: timedelta, query: Query | None) -> None:
        """Before a read: reach this far back and find this query's matches too (a feed that
        holds rows already extends itself when asked)."""
        if self.loaded_at is None:
            self.span = max(self.span, (span + MAX_GAP).total_seconds())
            if query is not None and not query.empty:
                self.hits.setdefault(query, set())

    # -- keeping the rows current ----------------------------------------------------------
    def sync(self, store: Store, at: datetime, span: timedelta, cycle: int, query: Query | None) -> None:
        a = at.timestamp()
        # Padded by the longest gap between cycles: what a window saw last cycle is still here.
        want = (span + MAX_GAP).total_seconds()
        if self.cycle != cycle or self.loaded_at != a:
            self.cycle = cycle
            mark = store.changes()
            self.queries += 1
            rebuild = (self.watermark is None or a < self.watermark or a - self.watermark > MAX_GAP.total_seconds()
                       or mark != self.mark)
            self.mark = mark
            if not rebuild and not self._increment(store, at):
                log.info("running state: the store changed behind the increment; read again")
                rebuild = True
            if rebuild:
                self._load(store, at, max(want, self.span))
            self.watermark = self.loaded_at = a
            self._trim(a)
        if want > self.span:
            self._extend(store, at, want)
        if query is not None and not query.empty and query not in self.hits:
            self._add_query(store, at, query)

    def _bounds(self, at: datetime, floor: float) -> tuple[MentionFilter, MentionFilter]:
        since = _dt(floor, at)
        return (MentionFilter(time_field="published_at", since=since, collected_until=at),
                MentionFilter(time_field="collected_at", since=since, collected_until=at))

    def _changed(self, added: list[RuleRow], gone: list[str]) -> None:
        self.version += 1
        self.log.append((self.version, added, gone))
        del self.log[:-_LOG]

    def _load(self, store: Store, at: datetime, span: float) -> None:
        self.span = span
        by_pub, by_col = self._bounds(at, at.timestamp() - span)
        queries = list(self.hits)
        self.rows, self.hits = {}, {q: set() for q in queries}
        for flt, before in ((by_pub, None), (by_col, by_pub.since)):  # published since the floor, or only collected since
            got = store.rule_rows(flt, queries, published_before=before)
            self.queries += 1
            self._merge(got.rows, queries, got.hits)
        self.generation += 1
        self.version += 1
        self.log.clear()

    def _merge(self, rows: list[RuleRow], queries: list[Query], hits: list[set[str]]) -> list[RuleRow]:
        changed = []
        for r in rows:
            if self.rows.get(r.id) != r:
                self.rows[r.id] = r
                changed.append(r)
        for q, got in zip(queries, hits):
            held = self.hits.setdefault(q, set())
            for r in rows:
                if r.id in got:
                    held.add(r.id)
                else:
                    held.discard(r.id)
        return changed

    def _increment(self, store: Store, at: datetime) -> bool:
        assert self.watermark is not None
        a = at.timestamp()
        since = _dt(self.watermark, at) - OVERLAP
        floor = a - self.span
        queries = list(self.hits)
        got = store.rule_rows(MentionFilter(time_field="collected_at", since=since, collected_until=at), queries,
                              counts=self._bounds(at, floor))
        self.queries += 1
        changed = self._merge(got.rows, queries, got.hits)
        if changed:
            self._changed(changed, [])
        # The store's counts for the feed's span must be what it holds.
        held_pub = sum(1 for r in self.rows.values() if r.published >= floor)
        held_col = sum(1 for r in self.rows.values() if r.collected >= floor)
        return got.counts == [held_pub, held_col]

    def _trim(self, a: float) -> None:
        floor = a - self.span
        gone = [r.id for r in self.rows.values() if r.published < floor and r.collected < floor]
        if gone:
            for i in gone:
                del self.rows[i]
            for held in self.hits.values():
                held.difference_update(gone)
            self._changed([], gone)

    def _extend(self, store: Store, at: datetime, want: float) -> None:
        """Reach further back: what was published or collected between the new and old floor."""
        assert self.loaded_at is not None
        old, new = _dt(self.floor, at), _dt(self.loaded_at - want, at)
        queries = list(self.hits)
        added: list[RuleRow] = []
        fields: tuple[TimeField, ...] = ("published_at", "collected_at")
        for tf in fields:
            got = store.rule_rows(MentionFilter(time_field=tf, since=new, until=old, collected_until=at), queries,
                                  published_before=new if tf == "collected_at" else None)
            self.queries += 1
            added += self._merge(got.rows, queries, got.hits)
        self.span = want
        if added:
            self._changed(added, [])

    def _add_query(self, store: Store, at: datetime, query: Query) -> None:
        """The ids among the held rows that match a query no window asked before."""
        held = self.hits[query] = set()
        by_pub, by_col = self._bounds(at, self.floor)
        for flt, before in ((by_pub, None), (by_col, by_pub.since)):
            got = store.rule_rows(flt, [query], rows=False, published_before=before)
            self.queries += 1
            held.update(i for i in got.hits[0] if i in self.rows)

    # -- older mentions, once per cycle, for baselines -------------------------------------------
    def _fresh(self, cycle: int) -> None:
        """Older rows stay while questions keep asking for them (a rule that had nothing in its
        window asks for its baseline later) and go after a cycle without use, or when the
        feed is read again."""
        if self._round != cycle:
            if self._round < cycle - 1 or self._read != self.generation:
                self._history.clear()
                self._cells = None
            self._round = cycle
            self._read = self.generation

    def cells(self, store: Store, at: datetime, lo: float, hi: float) -> HourCells | None:
        """The hourly rollup for [lo, hi) (whole hours), or None where the store keeps none."""
        if self.has_cells is False:
            return None
        self._fresh(self.cycle)
        settle = SETTLE.total_seconds()
        if self._cells is not None and hi + settle > self._cells[3]:
            self._cells = None  # read before these buckets settled
        if self._cells is None or lo < self._cells[0] or hi > self._cells[1]:
            if self._cells is not None:
                lo, hi = min(lo, self._cells[0]), max(hi, self._cells[1])
            got = store.hour_cells(_dt(lo, at), _dt(hi, at))
            self.queries += 1
            self.has_cells = got is not None
            if got is None:
                return None
            self._cells = (lo, hi, got, at.timestamp())
        return self._cells[2]

    def history(self, store: Store, at: datetime, tf: TimeField, lo: float, hi: float, query: Query | None) -> _History:
        """Every mention with ``tf`` in [lo, hi), collected by ``at``: read once per cycle for
        every question's older baseline buckets."""
        self._fresh(self.cycle)
        h = self._history.get(tf)
        if h is not None and hi + SETTLE.total_seconds() > h.at:
            h = None  # read before these buckets settled
        if h is None:  # the queries of the questions that read it (see below)
            h = self._history[tf] = _History(lo, lo, {}, {}, at.timestamp())
        pieces = [(lo, min(hi, h.lo)), (max(lo, h.hi), hi)] if h.hi > h.lo else [(lo, hi)]
        for p_lo, p_hi in pieces:
            if p_lo >= p_hi:
                continue
            qs = list(h.hits)
            got = store.rule_rows(MentionFilter(time_field=tf, since=_dt(p_lo, at), until=_dt(p_hi, at), collected_until=at), qs)
            self.queries += 1
            for r in got.rows:
                h.rows[r.id] = r
            for q, ids in zip(qs, got.hits):
                h.hits[q].update(ids)
            h.lo, h.hi = (min(h.lo, p_lo), max(h.hi, p_hi)) if h.hi > h.lo else (p_lo, p_hi)
        if query is not None and not query.empty and query not in h.hits:
            got = store.rule_rows(MentionFilter(time_field=tf, since=_dt(h.lo, at), until=_dt(h.hi, at), collected_until=at),
                                  [query], rows=False)
            self.queries += 1
            h.hits[query] = got.hits[0]
        return h


@dataclass
class _Seen:
    boundary: float  # sightings before this are folded into last
    low: float  # …and from this on
    last: dict[str, float | None] = field(default_factory=dict)  # term: latest sighting, None: none


@dataclass
class Window:
    question: Question
    feed: Feed | None = None  # None: this question keeps its own rows (the feed cannot filter it)
    test: Predicate | None = None
    rows: dict[str, MentionRow] = field(default_factory=dict)
    span: float = 0.0  # own rows only: seconds back from the cycle's time that rows cover
    watermark: float | None = None
    loaded_at: float | None = None
    cycle: int = -1
    generation: int = -1
    version: int = -1
    settled: dict[tuple[float, bool], dict[float, dict[str | None, int]]] = field(default_factory=dict)
    seen: dict[tuple[float, bool], _Seen] = field(default_factory=dict)
    queries: int = 0
    mark: int | None = None  # own rows only: Store.changes as of the last read
    _order: tuple[list[float], list[MentionRow]] | None = None  # the rows by time, until they change

    def _hits(self, hits: dict[Query, set[str]]) -> set[str] | None:
        q = self.question.flt.query
        return hits.get(q) if q is not None else None

    # -- keeping the rows current ----------------------------------------------------------
    def sync(self, store: Store, at: datetime, span: timedelta, cycle: int) -> None:
        if self.feed is None:
            self._sync_own(store, at, span, cycle)
            return
        feed = self.feed
        feed.sync(store, at, span, cycle, self.question.flt.query)
        self.cycle = cycle
        self.loaded_at = feed.loaded_at
        if self.generation == feed.generation and self.version == feed.version:
            return
        self._order = None
        assert self.test is not None
        test, gb, hits = self.test, self.question.group_by, self._hits(feed.hits)
        following = self.generation == feed.generation and feed.log and feed.log[0][0] <= self.version + 1
        if not following:
            if self.generation != feed.generation:
                self.settled.clear()  # the store changed behind the increment: count again
            self.seen.clear()
            self.rows = {r.id: light(r, gb) for r in feed.rows.values() if test(r, hits)}
        else:
            tf = self.question.time_field
            for version, added, gone in feed.log:
                if version <= self.version:
                    continue
                for r in added:
                    if test(r, hits):
                        row = self.rows[r.id] = light(r, gb)
                        self._fold_late(row, row.time(tf))
                    else:
                        self.rows.pop(r.id, None)
                for i in gone:
                    self.rows.pop(i, None)
        self.generation, self.version = feed.generation, feed.version

    def _sync_own(self, store: Store, at: datetime, span: timedelta, cycle: int) -> None:
        a = at.timestamp()
        want = (span + MAX_GAP).total_seconds()
        if self.cycle == cycle and self.loaded_at == a and want <= self.span:
            return  # rules asking the same question in one cycle share one query
        self.cycle = cycle
        self._order = None
        q = self.question
        mark = store.changes()
        rebuild = (self.watermark is None or a < self.watermark or a - self.watermark > MAX_GAP.total_seconds()
                   or want > self.span or mark != self.mark)
        self.mark = mark
        if not rebuild:
            assert self.watermark is not None
            since = datetime.fromtimestamp(self.watermark, at.tzinfo) - OVERLAP
            for r in store.mention_rows(replace(q.flt, time_field="collected_at", since=since, collected_until=at), q.group_by):
                self.rows[r.id] = r
                self._fold_late(r, r.time(q.time_field))
            self.queries += 1
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
            self.seen.clear()
            self.settled.clear()
            self.queries += 1
        self.watermark = self.loaded_at = a
        floor = a - self.span
        for i in [r.id for r in self.rows.values() if r.time(q.time_field) < floor]:
            del self.rows[i]

    @property
    def floor(self) -> float:
        """Rows are held for every mention with the question's time at or after this."""
        if self.feed is not None:
            return self.feed.floor
        return (self.loaded_at or 0.0) - self.span

    def between(self, lo: float, hi: float) -> Iterable[MentionRow]:
        if self._order is None:
            tf = self.question.time_field
            ordered = sorted(self.rows.values(), key=lambda r: r.time(tf))
            self._order = ([r.time(tf) for r in ordered], ordered)
        times, ordered = self._order
        return ordered[bisect_left(times, lo):bisect_left(times, hi)]

    # -- baselines ---------------------------------------------------------------------------
    def buckets(
        self, store: Store, at: datetime, start: datetime, end: datetime, step: timedelta, voices: bool,
    ) -> dict[float, dict[str | None, int]]:
        """Per whole grid bucket in [start, end) (one ``step`` wide, as
        :func:`alerts.rules.buckets.grid`): counts (or voices) per key. Settled buckets are
        counted once (those already in memory from the rows, the older ones in one read);
        the others from the rows as of ``at``."""
        a = at.timestamp()
        width = step.total_seconds()
        settle = SETTLE.total_seconds()
        cache = self.settled.setdefault((width, voices), {})
        starts = [b.timestamp() for b in grid(start, end, step)]
        floor = self.floor
        missing = [b for b in starts if b + width + settle <= a and b not in cache and b < floor]
        if missing:
            n = int(round((missing[-1] - missing[0]) / width)) + 1
            got = self._older(store, at, missing[0], width, n, voices)
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

    def _older(self, store: Store, at: datetime, first: float, width: float, n: int, voices: bool) -> BucketTable:
        """Settled buckets older than the rows: from the hourly rollup where it answers the
        question, else from the feed's shared read of older rows, else from the store."""
        q = self.question
        lo, hi = first, first + width * n
        fits = self._fits_cells(width, lo)
        if self.feed is not None and (fits or self.feed.has_cells is None):
            cells = self.feed.cells(store, at, lo, hi)  # the first call learns whether the store keeps them
            if fits and cells is not None:
                return self._from_cells(cells, lo, width, n, voices)
        if self.feed is not None and self.feed.has_cells is False:
            assert self.test is not None
            h = self.feed.history(store, at, q.time_field, lo, hi, q.flt.query)
            return bucket_rows(h.rows.values(), self.test, self._hits(h.hits), q.time_field, q.group_by, lo, width, n, voices)
        self.queries += 1
        return store.bucket_counts(replace(q.flt, time_field=q.time_field), q.group_by, _dt(first, at), timedelta(seconds=width),
                                   n, SETTLE, voices)

    def _fits_cells(self, width: float, lo: float) -> bool:
        f = self.question.flt
        if self.question.time_field != "published_at" or width % 3600 or lo % 3600:
            return False
        if f.query is not None and not f.query.empty:
            return False
        if (f.source_kinds or f.exclude_source_kinds or f.categories or f.expectations or f.news_topics or f.hashtags
                or f.keywords or f.stakeholders
                or f.max_spam_score is not None):
            return False
        gb = self.question.group_by
        if gb not in (None, "entity", "source_name", "sentiment"):
            return False
        return not f.entities or (len(f.entities) == 1 and gb != "entity")

    def _from_cells(self, cells: HourCells, lo: float, width: float, n: int, voices: bool) -> BucketTable:
        """Buckets from the rollup: mentions (or, with ``voices``, originals, plus the copies'
        voices that are not their original's voice in the same bucket and key)."""
        f, gb = self.question.flt, self.question.group_by
        settle = SETTLE.total_seconds()
        hi = lo + width * n
        sentiments = set(f.sentiment)
        sources = set(f.source_names)
        entity = f.entities[0] if f.entities else ""
        out: BucketTable = {}
        for hour, ent, sentiment, source, lag, copy, count in cells.cells:
            start = hour * 3600.0
            if not lo <= start < hi or (voices and copy):
                continue
            if (sentiments and sentiment not in sentiments) or (sources and source not in sources):
                continue
            if gb == "entity":
                if not ent:
                    continue
                key: str | None = ent
            else:
                if ent != entity:
                    continue
                key = None if gb is None else (source if gb == "source_name" else (sentiment or None))
                if gb == "sentiment" and key is None:
                    continue
            b = lo + width * int((start - lo) // width)
            if lag > (b + width + settle - start - 3600) / 3600:
                continue  # collected after the bucket settled
            row = out.setdefault(b, {})
            row[key] = row.get(key, 0) + count
        if voices:
            assert self.test is not None
            extra: dict[tuple[float, str | None], set[str]] = {}
            for c in cells.copies:
                if not lo <= c.published < hi or not self.test(c, None):
                    continue
                b = lo + width * int((c.published - lo) // width)
                if c.collected > b + width + settle:
                    continue
                o = cells.originals.get(c.duplicate_of or "")
                same = (o is not None and o.duplicate_of is None and o.voice == c.voice and b <= o.published < b + width
                        and o.collected <= b + width + settle and self.test(o, None))
                okeys = keys_of(o, gb) if same and o is not None else ()
                for k in (keys_of(c, gb) if gb is not None else (None,)):
                    if same and (gb is None or k in okeys):
                        continue  # the original already counts this voice here
                    extra.setdefault((b, k), set()).add(c.voice)
            for (b, k), vs in extra.items():
                row = out.setdefault(b, {})
                row[k] = row.get(k, 0) + len(vs)
        return out

    # -- seen terms (new_term) -----------------------------------------------------------------
    def _fold_late(self, r: MentionRow, t: float) -> None:
        """A row that arrived after its time passed a seen-term boundary."""
        for (_, originals), seen in self.seen.items():
            if t < seen.boundary and t >= seen.low and not (originals and r.duplicate):
                _fold(seen.last, r, t)

    def last_seen(self, store: Store, at: datetime, start: datetime, baseline: timedelta, originals: bool,
                  terms: Iterable[str]) -> dict[str, float]:
        """Per term of ``terms``, the latest time it was seen before ``start`` and at or after
        ``start - baseline``, among mentions collected by ``at`` (absent: not seen then).

        The rows answer from a boundary on (one that stays inside them next cycle); before it,
        each term's answer comes from the store once and is kept, with the rows that pass the
        boundary (or arrive late, published before it) folded in."""
        key = ((at - start).total_seconds(), originals)
        s = start.timestamp()
        low = s - baseline.total_seconds()
        # On a whole hour (the seen-terms table's grid), still inside the rows.
        edge = min(s, max(low, (self.floor + MAX_GAP.total_seconds()) // 3600 * 3600))
        tf = self.question.time_field
        seen = self.seen.get(key)
        if seen is None or low < seen.low or edge < seen.boundary:
            seen = self.seen[key] = _Seen(edge, low)
        elif edge > seen.boundary:
            for r in self.between(seen.boundary, edge):
                if not (originals and r.duplicate):
                    _fold(seen.last, r, r.time(tf))
            seen.boundary = edge
        wanted = set(terms)
        recent: dict[str, float] = {}
        for r in self.between(seen.boundary, s):
            if originals and r.duplicate:
                continue
            t = r.time(tf)
            for term in r.keys:
                if term in wanted and t > recent.get(term, float("-inf")):
                    recent[term] = t
        missing = [term for term in wanted if term not in recent and term not in seen.last]
        if missing:
            known, ask = self._sightings(store, at, seen, missing, originals)
            seen.last.update(known)
            if ask:
                flt = replace(self.question.flt, time_field=tf, since=_dt(seen.low, at), until=_dt(seen.boundary, at),
                              collected_until=at, include_duplicates=not originals)
                assert self.question.group_by is not None
                found = store.terms_seen(flt, self.question.group_by, sorted(ask))
                self.queries += 1
                for term in ask:
                    seen.last[term] = found.get(term)
            if len(seen.last) > 100_000:  # the oldest answers go first
                for term in list(seen.last)[: len(seen.last) - 100_000]:
                    del seen.last[term]
        out: dict[str, float] = {}
        for term in wanted:
            v = recent.get(term)
            if v is None:
                v = seen.last.get(term)
            if v is not None and v >= low:
                out[term] = v
        return out

    def _sightings(self, store: Store, at: datetime, seen: _Seen, terms: list[str], originals: bool,
                   ) -> tuple[dict[str, float | None], list[str]]:
        """Per term, its latest sighting in [seen.low, seen.boundary) from the store's seen-terms
        table (``Store.term_sightings``), and the terms the table cannot answer, which the
        mentions answer: those in a cell that changed since it was built or holds a mention
        collected after ``at``, and, for a question that filters on more than sources, those
        the table has seen (that they were seen nowhere answers every filter)."""
        q = self.question
        if seen.boundary <= seen.low:
            return {t: None for t in terms}, []
        if q.time_field != "published_at" or q.group_by not in SEEN_TERM_FIELDS or seen.boundary % 3600:
            return {}, terms
        cells = store.term_sightings(q.group_by, terms, _dt(seen.low, at), _dt(seen.boundary, at))
        self.queries += 1
        if cells is None:
            return {}, terms
        plain = replace(q.flt, source_names=(), time_field="published_at") == MentionFilter()
        sources = frozenset(q.flt.source_names)
        a = at.timestamp()
        latest: dict[str, float] = {}
        unsure: set[str] = set()
        for term, hour, source, copy, _, published, collected, stale in cells:
            if (originals and copy) or (sources and source not in sources):
                continue
            if not seen.low - 3600 < hour * 3600 < seen.boundary:
                continue
            if stale or collected > a:
                unsure.add(term)
            elif published > latest.get(term, float("-inf")):
                latest[term] = published
        known: dict[str, float | None] = {}
        ask = []
        for t in terms:
            if t in unsure or (t in latest and not plain):
                ask.append(t)
            else:
                known[t] = latest.get(t)
        return known, ask


def baseline_span(window: timedelta) -> timedelta:
    """How far back the rows must reach for a baseline of ``window``-wide buckets: the window
    and every bucket not yet settled."""
    return window * 3 + SETTLE


def _fold(last: dict[str, float | None], r: MentionRow, t: float) -> None:
    for term in r.keys:
        if term in last:
            prev = last[term]
            if prev is None or t > prev:
                last[term] = t


def bucket_rows(
    rows: Iterable[RuleRow], test: Predicate, hits: set[str] | None, tf: str, group_by: str | None,
    lo: float, width: float, n: int, voices: bool,
) -> BucketTable:
    """``Store.bucket_counts`` from rows (:func:`sadap.store.base.count_buckets`, as the store
    counts them): the rows that pass the question's test."""
    hi = lo + width * n
    items = ((r.time(tf), r.collected, keys_of(r, group_by) if group_by is not None else (None,), r.voice)
             for r in rows if lo <= r.time(tf) < hi and test(r, hits))
    return count_buckets(items, lo, width, n, SETTLE.total_seconds(), voices)


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
    """The engine's running state: one :class:`Feed` per query delay and one :class:`Window`
    per question (and query delay)."""

    def __init__(self) -> None:
        self.windows: dict[tuple[Question, timedelta], Window] = {}
        self.feeds: dict[timedelta, Feed] = {}
        self.cycle = 0  # the engine counts its cycles here

    def window(self, flt: MentionFilter, group_by: str | None, delay: timedelta = timedelta(0)) -> Window:
        q = Question.of(flt, group_by)
        w = self.windows.get((q, delay))
        if w is None:
            test = predicate(q.flt)
            feed = self.feeds.setdefault(delay, Feed()) if test is not None else None
            w = self.windows[(q, delay)] = Window(q, feed, test)
        return w

    def expect(self, delay: timedelta, span: timedelta, query: Query | None) -> None:
        """A rule will ask for ``span`` back, with ``query``: the feed reads that far, and that
        query's matches, in its first read of the cycle."""
        self.feeds.setdefault(delay, Feed()).expect(span, query)

    @property
    def queries(self) -> int:
        return sum(w.queries for w in self.windows.values()) + sum(f.queries for f in self.feeds.values())
