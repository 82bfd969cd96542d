"""The store interface. SQLite (embedded) and Elasticsearch backends implement it and
pass the same contract tests (``tests/test_store_contract.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, Protocol, Self

from sadap.core.errors import InputError
from sadap.core.complaint_case import PRESS_COVERAGE, ComplaintCase, closed_time
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import NEWS_SOURCE_KINDS as NEWS_SOURCE_KINDS  # re-exported: the store and the rules read it here
from sadap.core.mention import LabelCorrection, Mention, apply_correction, merge_correction
from sadap.core.stakeholder import Stakeholder
from sadap.core.users import ApiToken, User
from sadap.store.query import Query

TimeField = Literal["published_at", "collected_at"]
#: A place in :meth:`Store.search`'s order (newest first, then id): a mention's time (the
#: filter's time field) and its id. :meth:`Store.search_page` reads on from one.
PageKey = tuple[datetime, str]


def page_key(m: Mention, time_field: TimeField = "published_at") -> PageKey:
    """Where ``m`` stands in :meth:`Store.search`'s order."""
    return (m.published_at if time_field == "published_at" else m.collected_at, m.id)


# -- what the store reads from the assembled config (the app layer's ``Config``), declared here
# so that the store need not import the app layer.
class ElasticsearchSettings(Protocol):
    """``store.elasticsearch`` (see the configuration reference)."""

    @property
    def hosts(self) -> Sequence[str]: ...
    @property
    def index_prefix(self) -> str: ...
    @property
    def api_key_env(self) -> str | None: ...
    @property
    def username(self) -> str | None: ...
    @property
    def password_env(self) -> str: ...
    @property
    def verify_certs(self) -> bool: ...
    @property
    def ca_certs(self) -> str | None: ...
    @property
    def request_timeout(self) -> timedelta: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def bulk_chunk_size(self) -> int: ...
    @property
    def refresh_on_write(self) -> bool: ...
    @property
    def spool_dir(self) -> str: ...
    @property
    def shards(self) -> int: ...
    @property
    def replicas(self) -> int: ...
    @property
    def retention_months(self) -> int | None: ...
    @property
    def auto_setup(self) -> bool: ...


class StoreSettings(Protocol):
    """``store``: which backend, and its settings."""

    @property
    def backend(self) -> str: ...
    @property
    def elasticsearch(self) -> ElasticsearchSettings: ...


class StoreSource(Protocol):
    """What :func:`sadap.store.open_store` reads from the assembled config."""

    @property
    def store(self) -> StoreSettings: ...
    @property
    def store_path(self) -> Path: ...
    @property
    def data_path(self) -> Path: ...


@dataclass(frozen=True)
class GroupField:
    """A field mentions can be counted by: the one table both backends and the rules read."""

    name: str
    #: SQLite: a column of the mentions table, or, for multi-valued fields, the ``kind`` of
    #: its rows in the terms table.
    sqlite: str
    #: Elasticsearch: the field of the mentions index.
    elasticsearch: str
    multi: bool = False
    #: The :class:`MentionFilter` field that keeps one value of it; rules can group by it when set.
    filter: str | None = None


_GROUP_FIELDS = (
    GroupField("entity", "entity", "entities", multi=True, filter="entities"),
    GroupField("hashtag", "hashtag", "hashtags", multi=True, filter="hashtags"),
    GroupField("keyword", "keyword", "keywords", multi=True, filter="keywords"),
    GroupField("csr", "csr", "csr", multi=True),
    GroupField("stakeholder", "stakeholder", "stakeholders", multi=True, filter="stakeholders"),
    GroupField("source_name", "source_name", "source_name", filter="source_names"),
    GroupField("source_kind", "source_kind", "source_kind", filter="source_kinds"),
    GroupField("sentiment", "sentiment", "sentiment", filter="sentiment"),
    GroupField("category", "category", "category", filter="categories"),
    GroupField("complaint_type", "complaint_type", "complaint_type"),
    GroupField("author_id", "author_id", "author_id"),
    GroupField("language", "language", "language"),
    GroupField("expectation", "expectation", "expectation", filter="expectations"),
    # News and long posts only (enrich/news.py): politics, economy, crime, accident…
    GroupField("news_topic", "news_topic", "news_topic", filter="news_topics"),
    # The first mention of a near-duplicate group (duplicate_of, else the mention's own id).
    GroupField("cluster", "COALESCE(duplicate_of, id)", "cluster"),
)
GROUP_FIELDS: dict[str, GroupField] = {f.name: f for f in _GROUP_FIELDS}
#: What a rule's ``group_by`` may name.
RULE_GROUP_FIELDS: tuple[str, ...] = tuple(f.name for f in _GROUP_FIELDS if f.filter is not None)

# Between two searchable segments in SQLite's one FTS column (Elasticsearch gets an array, whose
# values its phrase queries never join): a term no query can hold, since query words need a
# letter or digit, so no phrase runs from one segment into the next.
SEGMENT_BREAK = "\u00b6"


def search_segments(m: Mention) -> list[str]:
    """What a store's full-text index holds for ``m``: the title's and text's tokens as one
    segment, then each hashtag's words (``extras["hashtag_tokens"]``, from enrichment) as
    its own, so ``down`` and ``"thong down"`` find ``#SaengThongDown``."""
    title_tokens = [str(t) for t in (m.extras.get("title_tokens") or [])]
    segments = [" ".join(title_tokens + list(m.tokens))]
    for words in m.extras.get("hashtag_tokens") or []:
        if isinstance(words, list) and words:
            segments.append(" ".join(str(w) for w in words))
    return segments


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions a query or aggregation looks at. Empty tuples mean no restriction."""

    since: datetime | None = None
    until: datetime | None = None
    time_field: TimeField = "published_at"
    # "As of": only mentions already collected by then (replays and backtests see what was known).
    collected_until: datetime | None = None
    query: Query | None = None
    sentiment: tuple[str, ...] = ()
    source_names: tuple[str, ...] = ()
    source_kinds: tuple[str, ...] = ()
    # Source kinds left out (the equal-response report and the `complaint_sla` rule leave out
    # NEWS_SOURCE_KINDS: press coverage is no customer waiting for an answer).
    exclude_source_kinds: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    expectations: tuple[str, ...] = ()
    news_topics: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()
    # Authors as stored: the keyed pseudonym (``author_id``), never a name as it arrived.
    author_ids: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    complaint_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    complaint: bool | None = None
    # True: only mentions with a logged response; False: only those without one.
    responded: bool | None = None
    ids: tuple[str, ...] = ()
    include_duplicates: bool = True
    # Hide spam/bot-like mentions: those scored above this are left out; unscored ones (None) stay.
    max_spam_score: float | None = None


@dataclass
class UpsertResult:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def _group_values(m: Mention, group_by: str) -> list[str]:
    """A mention's values of a GROUP_FIELDS field (the generic paths that read whole mentions)."""
    single: dict[str, str | None] = {
        "source_name": m.source_name, "source_kind": m.source_kind,
        "sentiment": m.sentiment.label if m.sentiment else None, "category": m.category,
        "complaint_type": m.complaint.type, "author_id": m.author_id, "language": m.language,
        "expectation": m.expectation, "cluster": m.duplicate_of or m.id, "news_topic": m.news_topic,
    }
    multi: dict[str, list[str]] = {"entity": m.entities, "hashtag": m.hashtags, "keyword": m.keywords, "csr": m.csr,
                                   "stakeholder": m.stakeholders}
    if group_by in multi:
        return sorted(set(multi[group_by]))
    value = single.get(group_by)
    return [value] if value is not None else []


#: One complaint or question and one of its group values (``Store.response_rows``): its id, the
#: group value, its publication time (epoch seconds) and the seconds to its first logged response
#: (None: unanswered). No text. A plain tuple: a million-mention report reads hundreds of
#: thousands of them, as SQLite hands them over.
ResponseRow = tuple[str, str, float, float | None]


#: What :meth:`Store.engagement_totals` sums.
ENGAGEMENT_FIELDS: tuple[str, ...] = ("likes", "shares", "comments", "views")


def voice_key(m: Mention) -> str:
    """Who is speaking, and what: a mention's near-duplicate cluster and its speaker — the
    author (else the outlet) for social posts, and "news" for news sources, so one press
    release carried by many outlets is one voice. Copies by the same author (or outlet) share
    the key; the same words from another person are another voice."""
    cluster = m.duplicate_of or m.id
    speaker = "" if m.source_kind in NEWS_SOURCE_KINDS else (m.author_id or m.source_name)
    return f"{cluster}|{speaker}"


@dataclass(frozen=True, slots=True)
class MentionRow:
    """What incremental rule evaluation keeps of a mention (``Store.mention_rows``): its times
    (epoch seconds), whether it is a near-duplicate copy, its voice (:func:`voice_key`), its
    author, and its values of one group field (several for multi-valued fields)."""

    id: str
    published: float
    collected: float
    duplicate: bool
    voice: str
    author: str | None
    keys: tuple[str, ...] = ()

    def time(self, time_field: str) -> float:
        return self.published if time_field == "published_at" else self.collected


def mention_row(m: Mention, group_by: str | None) -> MentionRow:
    """A :class:`MentionRow` from a whole mention (the generic path; backends read fewer fields)."""
    keys: tuple[str, ...] = ()
    if group_by is not None:
        value = getattr(m, {"entity": "entities", "hashtag": "hashtags", "keyword": "keywords"}.get(group_by, group_by), None)
        if group_by == "sentiment":
            value = m.sentiment.label if m.sentiment else None
        elif group_by == "complaint_type":
            value = m.complaint.type
        elif group_by == "cluster":
            value = m.duplicate_of or m.id
        if isinstance(value, list):
            keys = tuple(dict.fromkeys(str(v) for v in value))
        elif value is not None:
            keys = (str(value),)
    return MentionRow(m.id, m.published_at.timestamp(), m.collected_at.timestamp(), m.duplicate_of is not None,
                      voice_key(m), m.author_id, keys)


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A mention as incremental rule evaluation keeps it for every question at once
    (``Store.rule_rows``): times (epoch seconds), copy or not, speaker, the fields rule filters
    and group keys read, and the multi-valued ones as tuples."""

    id: str
    published: float
    collected: float
    duplicate_of: str | None
    source_kind: str
    source_name: str
    author: str | None
    sentiment: str | None = None
    spam: float | None = None
    expectation: str | None = None
    category: str | None = None
    news_topic: str | None = None
    entities: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    stakeholders: tuple[str, ...] = ()

    @property
    def voice(self) -> str:
        """As :func:`voice_key`."""
        speaker = "" if self.source_kind in NEWS_SOURCE_KINDS else (self.author or self.source_name)
        return f"{self.duplicate_of or self.id}|{speaker}"

    def time(self, time_field: str) -> float:
        return self.published if time_field == "published_at" else self.collected


def rule_row(m: Mention) -> RuleRow:
    """A :class:`RuleRow` from a whole mention (the generic path)."""
    return RuleRow(
        m.id, m.published_at.timestamp(), m.collected_at.timestamp(), m.duplicate_of, m.source_kind, m.source_name,
        m.author_id, m.sentiment.label if m.sentiment else None, m.spam_score, m.expectation, m.category, m.news_topic,
        tuple(sorted(set(m.entities))), tuple(sorted(set(m.hashtags))), tuple(sorted(set(m.keywords))),
        tuple(sorted(set(m.stakeholders))),
    )


@dataclass
class RuleRead:
    """``Store.rule_rows`` answers: the rows, for each query asked the ids among them that
    match it, and each count asked."""

    rows: list[RuleRow]
    hits: list[set[str]]
    counts: list[int]


#: An hourly rollup cell (``Store.hour_cells``): hour (published epoch // 3600), watched entity
#: ("" for the cell of every mention), sentiment ("" for none), source name, lag (whole hours,
#: rounded up, from the end of the hour to collection; 0 within it), copy (1: a near-duplicate), count.
HourCell = tuple[int, str, str, str, int, int, int]


@dataclass
class HourCells:
    """Mentions published in a span, as the hourly rollup holds them, with the near-duplicate
    copies among them as rows and those copies' originals (wherever published): enough to
    count mentions, or voices, per bucket of whole hours."""

    cells: list[HourCell]
    copies: list[RuleRow]
    originals: dict[str, RuleRow]


def hour_lag(published: float, collected: float) -> tuple[int, int]:
    """(hour, lag) of a mention in the hourly rollup; SQLite's migration computes the same."""
    hour = int(published / 3600)  # as SQLite computes it: CAST(published_at / 3600 AS INTEGER)
    late = collected - (hour + 1) * 3600
    if late <= 0:
        return hour, 0
    d = late / 3600
    return hour, int(d) + (1 if d > int(d) else 0)


#: ``Store.bucket_counts`` answers: per bucket start (epoch seconds), per key, how many.
BucketTable = dict[float, dict[str | None, int]]


def count_buckets(
    items: Iterable[tuple[float, float, Iterable[str | None], str]], lo: float, width: float, n: int, settle: float,
    voices: bool,
) -> BucketTable:
    """The one way baseline buckets are counted from mentions (``Store.bucket_counts`` and the
    rules' running state both call it): ``items`` are (time, collected, keys, voice) of each
    mention; per bucket of ``width`` seconds from ``lo`` (``n`` of them), per key, the mentions
    — or, with ``voices``, the distinct voices — among those collected within ``settle``
    seconds of the bucket's end."""
    hi = lo + width * n
    counts: BucketTable = {}
    sets: dict[float, dict[str | None, set[str]]] = {}
    for t, collected, keys, voice in items:
        if not lo <= t < hi:
            continue
        b = lo + width * int((t - lo) // width)
        if collected > b + width + settle:
            continue
        for key in keys:
            if voices:
                sets.setdefault(b, {}).setdefault(key, set()).add(voice)
            else:
                row = counts.setdefault(b, {})
                row[key] = row.get(key, 0) + 1
    if voices:
        return {b: {k: len(v) for k, v in per.items()} for b, per in sets.items()}
    return counts


#: A new mention collected this long before the newest stored one moves the change mark
#: (``Store.changes``): rule state reads increments by collection time, and this one is older.
LATE_WRITE = timedelta(hours=1)


#: The fields whose terms the store keeps a seen-terms table of (what ``new_term`` can watch).
#: Not authors or anything else personal: the table holds words, hashtags and watched names.
SEEN_TERM_FIELDS: tuple[str, ...] = ("hashtag", "keyword", "entity")

#: A seen-terms cell (``Store.term_sightings``): term, hour (published epoch // 3600, as
#: :func:`hour_lag`), source name, copy (1: a near-duplicate), mentions, the latest publication
#: and the latest collection time among them (epoch seconds), and stale (1: a mention left the
#: cell since it was built — re-enriched or erased — so the two latest times may be too late:
#: ask the mentions about this term).
TermCell = tuple[str, int, str, int, int, float, float, int]


#: Seen-terms changes of one write: cell (field, term, hour, source name, copy) -> [mentions added
#: less removed, latest publication and collection time added, (publication, collection) of the
#: mentions removed, and of those added after a removal].
SeenDelta = dict[tuple[str, str, int, str, int], list[Any]]
_NO_TIME = -1e300  # below every real time


def seen_change(delta: SeenDelta, m: Mention, collected: float, sign: int, published: float | None = None) -> None:
    """Add (``sign`` 1) or remove (-1) a mention, stored with this collection time, to ``delta``
    (``published``: its publication time's epoch seconds, if the caller has them)."""
    seen_change_of(delta, m.published_at.timestamp() if published is None else published, collected, m.source_name,
                   m.duplicate_of is not None, {"hashtag": m.hashtags, "keyword": m.keywords, "entity": m.entities}, sign)


def seen_change_of(delta: SeenDelta, published: float, collected: float, source_name: str, copy: bool,
                   values: dict[str, Sequence[str]], sign: int) -> None:
    """:func:`seen_change` from a mention's stored fields (``values``: its terms per field)."""
    hour = int(published / 3600)  # as hour_lag
    flag = 1 if copy else 0
    for f in SEEN_TERM_FIELDS:
        terms = values.get(f)
        if not terms:
            continue
        for term in set(terms):
            key = (f, term, hour, source_name, flag)
            cell = delta.get(key)
            if cell is None:
                if sign > 0:  # a new cell: what the steps below make of an empty one, at once
                    delta[key] = [sign, published, collected, [], []]
                    continue
                cell = delta[key] = [0, _NO_TIME, _NO_TIME, [], []]
            cell[0] += sign
            if sign > 0:
                if published > cell[1]:
                    cell[1] = published
                if collected > cell[2]:
                    cell[2] = collected
                if cell[3]:  # what came back after leaving (an unchanged re-upsert) keeps the cell exact
                    cell[4].append((published, collected))
            else:
                cell[3].append((published, collected))


def seen_rows(delta: SeenDelta) -> list[tuple[str, str, int, str, int, int, float, float, int]]:
    """What a write changes in the seen-terms table: per cell, (field, term, hour, source name,
    copy, mentions to add, latest publication and collection time to fold in, stale). A cell a
    mention left goes stale, unless the same mention with the same times came back in the same
    write (an unchanged re-upsert changes nothing)."""
    rows = []
    for key, (n, published, collected, removed, added) in delta.items():
        stale = 1 if removed and any(p not in added for p in removed) else 0
        if n or stale:
            rows.append((*key, n, published, collected, stale))
    return rows


@dataclass
class Delivery:
    """One notification to one notifier, kept in the store's outbox until it is sent or given up.

    ``id`` is the idempotency key the receiver sees (``X-Sadap-Delivery`` on webhooks): the same
    on every attempt, in every process, after any restart."""

    id: str
    notifier: str
    created_at: datetime
    text_th: str
    text_en: str
    payload: dict[str, Any]
    incident_id: str | None = None
    kind: str = "alert"  # alert | escalation | gave_up (the escalation of a delivery given up)
    #: pending (waiting or retrying), sending (claimed by a worker until ``next_at``), sent, gave_up,
    #: cancelled (an escalation whose incident was acknowledged or resolved before it went out)
    status: str = "pending"
    attempts: int = 0
    next_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None


OUTBOX_STATUSES = ("pending", "sending", "sent", "gave_up", "cancelled")
#: What :meth:`Store.erase` counts.
ERASE_COUNTS = ("mentions", "responses", "incidents", "events", "alerts", "notifications")
#: What :meth:`Store.erase_keys` counts.
KEY_COUNTS = ("alerts", "incidents", "events", "notifications", "snoozes")
#: What :meth:`Store.save_delivery` writes: a delivery's state, never what it says.
DELIVERY_STATE = ("status", "attempts", "next_at", "last_error", "sent_at")


def with_correction(m: Mention, correction: LabelCorrection) -> Mention:
    """``m`` with ``correction`` merged over its earlier one (:func:`merge_correction`) and applied."""
    return apply_correction(m.model_copy(update={"corrected": merge_correction(m.corrected, correction)}))


def delivery_json(d: Delivery) -> str:
    doc = dict(d.__dict__)
    for name in ("created_at", "next_at", "sent_at"):
        if doc[name] is not None:
            doc[name] = doc[name].astimezone(timezone.utc).isoformat()
    return json.dumps(doc, ensure_ascii=False)


def delivery_from_json(doc: str) -> Delivery:
    data = json.loads(doc)
    for name in ("created_at", "next_at", "sent_at"):
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    return Delivery(**data)


@dataclass(frozen=True)
class Fingerprint:
    id: str
    text_hash: str | None
    simhash: int | None


@dataclass(frozen=True)
class CaseKey:
    """What the complaint queue orders a case by and counts, without the case's whole document
    (its events and all): :meth:`Store.queue_case_keys`. ``posted``: its complaints as (publication
    time, mention id), oldest first, where it has more than one (a single complaint waits from
    ``received_at``, so most cases need no look-up of it); ``responses``: the times of the
    responses logged to any of them, earliest first (:func:`case_times`); what the case clock is
    read from. ``mention_ids``: the ids it holds, sorted, where asked for
    (:meth:`Store.open_case_keys`: what the ``complaint_sla`` rule lists)."""

    id: str
    state: str
    received_at: datetime
    posted: tuple[tuple[datetime, str], ...] = ()
    responses: tuple[datetime, ...] = ()
    mention_ids: tuple[str, ...] = ()

    @property
    def first_response(self) -> datetime | None:
        """The earliest response logged to any of its mentions, None before one."""
        return self.responses[0] if self.responses else None


class Store(ABC):
    """Mentions, alert state and incidents."""

    # -- mentions ---------------------------------------------------------
    @abstractmethod
    def upsert(self, mentions: Sequence[Mention]) -> UpsertResult:
        """Insert or replace by id (idempotent)."""

    @abstractmethod
    def existing_ids(self, ids: Iterable[str]) -> set[str]: ...

    @abstractmethod
    def get(self, mention_id: str) -> Mention | None: ...

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Mention]:
        """The stored mentions among ``mention_ids``, by id (one not stored is left out): what
        :meth:`get` gives for each. This default asks :meth:`get` once an id; SQLite reads them
        in one query, Elasticsearch in one search (a page of the complaint queue)."""
        out: dict[str, Mention] = {}
        for mention_id in dict.fromkeys(mention_ids):
            m = self.get(mention_id)
            if m is not None:
                out[mention_id] = m
        return out

    @abstractmethod
    def search(self, flt: MentionFilter, limit: int = 20) -> list[Mention]:
        """Matching mentions, newest first (by the filter's time field)."""

    def search_page(self, flt: MentionFilter, limit: int = 20, after: PageKey | None = None,
                    before: PageKey | None = None) -> list[Mention]:
        """Keyset paging in :meth:`search`'s order (newest first by the filter's time field, then
        id): with ``after``, the ``limit`` mentions that follow that key; with ``before``, the
        ``limit`` that come just ahead of it (still newest first). A key is any
        :func:`page_key`, even of a mention since removed; mentions that arrive meanwhile never
        make a page repeat or skip one. Neither: :meth:`search`."""
        if after is None and before is None:
            return self.search(flt, limit)
        if after is not None and before is not None:
            raise InputError("page by after or by before, not both")
        if limit <= 0:
            return []
        if after is not None:
            return self._page(flt, limit, after, forward=True)
        assert before is not None
        return self._page(flt, limit, before, forward=False)

    def _page(self, flt: MentionFilter, limit: int, key: PageKey, forward: bool) -> list[Mention]:
        """:meth:`search_page`'s one page, newest first: the ``limit`` mentions after ``key``
        (``forward``) or just ahead of it."""
        raise NotImplementedError(f"{type(self).__name__} cannot page by key")

    @abstractmethod
    def ids(self, flt: MentionFilter, limit: int = 20) -> list[str]:
        """Ids of matching mentions, newest first."""

    @abstractmethod
    def page_by_id(self, flt: MentionFilter, after: str | None = None, limit: int = 500) -> list[Mention]:
        """Matching mentions in ascending id order, only ids greater than ``after``: pass the
        last id of one page to get the next. Ids never change, so paging is stable while the
        pages' mentions are rewritten (``sadap reenrich``)."""

    @abstractmethod
    def count(self, flt: MentionFilter) -> int: ...

    def exists(self, flt: MentionFilter) -> bool:
        """Whether any mention matches (backends may answer faster than ``count``)."""
        return self.count(flt) > 0

    def count_upto(self, flt: MentionFilter, cap: int) -> int:
        """How many mentions match, counted no further than ``cap`` (the workspace's "10000+"):
        backends stop at the cap, in whatever order is cheapest, instead of counting them all."""
        return min(self.count(flt), cap)

    def count_voices(self, flt: MentionFilter) -> int:
        """Distinct voices among the matching mentions (see :func:`voice_key`); copies by the
        same author or outlet, and syndicated news, count once. Backends may answer faster."""
        keys: set[str] = set()
        after: str | None = None
        while True:
            page = self.page_by_id(flt, after, limit=500)
            keys.update(voice_key(m) for m in page)
            if len(page) < 500:
                return len(keys)
            after = page[-1].id

    def mention_rows(self, flt: MentionFilter, group_by: str | None = None) -> list[MentionRow]:
        """Every matching mention as a light :class:`MentionRow` (incremental rule evaluation
        reads a window's mentions, or what was collected since its last cycle, this way).
        Backends read only the fields needed; this generic one pages whole mentions."""
        rows: list[MentionRow] = []
        after: str | None = None
        while True:
            page = self.page_by_id(flt, after, limit=500)
            rows.extend(mention_row(m, group_by) for m in page)
            if len(page) < 500:
                return rows
            after = page[-1].id

    def bucket_counts(
        self, flt: MentionFilter, group_by: str | None, origin: datetime, step: timedelta, buckets: int,
        settle: timedelta, voices: bool,
    ) -> BucketTable:
        """Settled baseline buckets in one call: for each of ``buckets`` buckets of ``step``
        from ``origin`` (on ``flt.time_field``), per value of ``group_by`` (or None), the
        mentions — or, with ``voices``, the distinct voices — among those collected within
        ``settle`` of the bucket's end. ``flt``'s own time bounds are ignored. Backends may
        answer in one aggregation; this generic one reads rows."""
        lo = origin.timestamp()
        rows = self.mention_rows(
            replace(flt, since=origin, until=origin + step * buckets, collected_until=origin + step * buckets + settle),
            group_by,
        )
        items = ((r.time(flt.time_field), r.collected, r.keys if group_by is not None else (None,), r.voice) for r in rows)
        return count_buckets(items, lo, step.total_seconds(), buckets, settle.total_seconds(), voices)

    def terms_last_seen(self, flt: MentionFilter, field: str) -> dict[str, float]:
        """Per value of the multi-valued ``field`` (hashtag, keyword, entity) among the matching
        mentions, the latest time (epoch seconds, on ``flt.time_field``) it was seen: the
        seen-term set of ``new_term``, in one call. Every value, no top-N."""
        out: dict[str, float] = {}
        for r in self.mention_rows(flt, field):
            t = r.time(flt.time_field)
            for key in r.keys:
                if t > out.get(key, float("-inf")):
                    out[key] = t
        return out

    def terms_seen(self, flt: MentionFilter, field: str, terms: Sequence[str]) -> dict[str, float]:
        """:meth:`terms_last_seen` for these terms only (``new_term`` asks about the window's
        candidates, not every term of the baseline)."""
        if not terms:
            return {}
        name = {"entity": "entities", "hashtag": "hashtags", "keyword": "keywords", "stakeholder": "stakeholders"}[field]
        changes: dict[str, Any] = {name: tuple(terms)}
        wanted = set(terms)
        return {t: v for t, v in self.terms_last_seen(replace(flt, **changes), field).items() if t in wanted}

    def rule_rows(self, flt: MentionFilter, queries: Sequence[Query] = (), counts: Sequence[MentionFilter] = (),
                  rows: bool = True, published_before: datetime | None = None) -> RuleRead:
        """Every matching mention as a :class:`RuleRow` (incremental rule evaluation reads what
        was collected since its last cycle this way, once for every question), for each of
        ``queries`` the ids among them that match it, and the count of each of ``counts``
        (one round trip where the backend can). ``rows=False``: the hits only.
        ``published_before``: only mentions published before then as well."""
        found: list[RuleRow] = []
        after: str | None = None
        while True:
            page = self.page_by_id(flt, after, limit=500)
            found.extend(rule_row(m) for m in page if published_before is None or m.published_at < published_before)
            if len(page) < 500:
                break
            after = page[-1].id
        ids = {r.id for r in found}
        hits = []
        for q in queries:
            got: set[str] = set()
            after = None
            while True:
                page = self.page_by_id(replace(flt, query=q), after, limit=500)
                got.update(m.id for m in page if m.id in ids)
                if len(page) < 500:
                    break
                after = page[-1].id
            hits.append(got)
        return RuleRead(found if rows else [], hits, [self.count(c) for c in counts])

    def term_sightings(self, field: str, terms: Sequence[str], since: datetime, until: datetime) -> list[TermCell] | None:
        """The seen-terms table, kept at write time for the fields of :data:`SEEN_TERM_FIELDS`:
        the cells of these terms whose published hour overlaps [since, until), or None where
        the backend keeps no such table (``new_term`` then asks the mentions)."""
        return None

    def changes(self) -> int:
        """A mark that moves whenever stored mentions are rewritten or erased, or new ones are
        added with a collection time more than :data:`LATE_WRITE` before the newest stored
        one (an import of old files; not ordinary new mentions): running rule state that
        cached answers about older mentions reads again."""
        return 0

    def hour_cells(self, since: datetime, until: datetime) -> HourCells | None:
        """Mentions published in [since, until) (whole hours) from an hourly rollup kept at
        write time, or None where the backend keeps none (rules then read rows)."""
        return None

    @abstractmethod
    def count_by(self, flt: MentionFilter, group_by: str, limit: int = 100) -> dict[str, int]:
        """Mentions per value of ``group_by`` (one of GROUP_FIELDS), largest first."""

    @abstractmethod
    def count_distinct(self, flt: MentionFilter, fld: str) -> int: ...

    @abstractmethod
    def histogram(self, flt: MentionFilter, interval: timedelta, origin: datetime | None = None) -> list[tuple[datetime, int]]:
        """Counts per time bucket (non-empty buckets, in order, starts in UTC). Buckets are
        aligned to ``origin`` when given, else to midnight Asia/Bangkok."""

    @abstractmethod
    def find_by_text_hash(self, text_hash: str) -> str | None:
        """Id of the earliest stored mention with this normalised-text hash."""

    def find_by_text_hashes(self, text_hashes: Iterable[str]) -> dict[str, str]:
        """:meth:`find_by_text_hash` for many hashes at once: hash → id, for the hashes found.
        A backend overrides it with one query per batch (the ingest writer asks once a batch)."""
        found: dict[str, str] = {}
        for h in dict.fromkeys(text_hashes):
            original = self.find_by_text_hash(h)
            if original is not None:
                found[h] = original
        return found

    @abstractmethod
    def fingerprints_since(self, since: datetime) -> list[Fingerprint]:
        """Fingerprints of mentions collected since ``since`` (for near-duplicate detection)."""

    # -- alert state -------------------------------------------------------
    @abstractmethod
    def last_fired(self, rule_id: str, key: str) -> datetime | None: ...

    @abstractmethod
    def set_last_fired(self, rule_id: str, key: str, at: datetime) -> None: ...

    def last_fired_many(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
        """:meth:`last_fired` of several (rule, key) pairs, in one read where the backend can;
        pairs that never fired are left out."""
        out: dict[tuple[str, str], datetime] = {}
        for rule_id, key in dict.fromkeys(pairs):
            at = self.last_fired(rule_id, key)
            if at is not None:
                out[(rule_id, key)] = at
        return out

    def write_alert_state(
        self,
        cooling: Sequence[tuple[str, str, datetime]] = (),
        incidents: Sequence[Incident] = (),
        events: Sequence[tuple[str, IncidentEvent]] = (),
    ) -> None:
        """Cool-down extensions (rule, key, at), incident updates and timeline events, in this
        order, written together: one transaction or one bulk request where the backend can (the
        bookkeeping of matches that keep firing, batched per evaluation cycle)."""
        for rule_id, key, at in cooling:
            self.set_last_fired(rule_id, key, at)
        for incident in incidents:
            self.save_incident(incident)
        for incident_id, event in events:
            self.add_event(incident_id, event)

    @abstractmethod
    def record_alert(self, alert_json: str, rule_id: str, key: str, fired_at: datetime, incident_id: str | None) -> None: ...

    @abstractmethod
    def alerts_since(self, since: datetime) -> list[dict[str, Any]]: ...

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
        """Record a fired alert, its cool-down, its outbox deliveries and their ``queued``
        events together: SQLite in one transaction; Elasticsearch in one bulk request,
        outbox first (see docs/alerts.md)."""
        raise NotImplementedError

    def enqueue(self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]] = ()) -> None:
        """Add deliveries (an escalation) to the outbox with their timeline events, together."""
        raise NotImplementedError

    def claim_due(self, at: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        """Deliveries due at ``at`` (pending with ``next_at`` passed, or ``sending`` whose lease
        ran out: the worker that claimed them died), now marked ``sending`` until ``at + lease``
        so that a second worker does not take them too."""
        raise NotImplementedError

    def save_delivery(self, delivery: Delivery) -> None:
        """Write a delivery's new state (after an attempt): :data:`DELIVERY_STATE`, keeping its
        texts and payload as stored (an erasure may have rewritten them meanwhile)."""
        raise NotImplementedError

    def deliveries(self, status: str | None = None, incident_id: str | None = None) -> list[Delivery]:
        """Outbox entries, oldest first."""
        raise NotImplementedError

    def log_response(self, mention_id: str, at: datetime, actor: str, channel: str, text: str) -> None:
        """Record that someone responded to a mention (a complaint answered, a post replied to)."""
        raise NotImplementedError

    def engagement_totals(self, flt: MentionFilter) -> dict[str, int]:
        """Likes, shares, comments and views summed over the matching mentions (the quarterly
        report's interactions). This default pages through the mentions; backends sum in one query."""
        totals = dict.fromkeys(ENGAGEMENT_FIELDS, 0)
        after: str | None = None
        while True:
            page = self.page_by_id(flt, after, limit=500)
            for m in page:
                for name in ENGAGEMENT_FIELDS:
                    totals[name] += int(getattr(m.engagement, name) or 0)
            if len(page) < 500:
                return totals
            after = page[-1].id

    def first_responses(self, flt: MentionFilter, group_by: str) -> list[tuple[str, float | None]]:
        """For each matching mention and each of its values of ``group_by`` (one of GROUP_FIELDS;
        a mention without one counts under ``""``): the seconds from its publication to its first
        logged response, None when unanswered. No mention text is read (the equal-response report).
        :meth:`response_rows` with the ids and times left out."""
        return [(group, delay) for _, group, _, delay in self.response_rows(flt, group_by)]

    def response_rows(self, flt: MentionFilter, group_by: str) -> list[ResponseRow]:
        """:meth:`first_responses` with each mention's id and publication time: one row per
        matching mention and value of ``group_by`` (``""`` when it has none). This default pages
        through the mentions; backends answer with one query (SQLite) or an aggregation
        (Elasticsearch) and read no text."""
        fld = GROUP_FIELDS.get(group_by)
        if fld is None:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        out: list[ResponseRow] = []
        after: str | None = None
        while True:
            page = self.page_by_id(flt, after, limit=500)
            first: dict[str, datetime] = {}
            for r in self.responses_for([m.id for m in page]) if page else []:
                at = r["at"] if isinstance(r["at"], datetime) else datetime.fromisoformat(str(r["at"]))
                if r["mention_id"] not in first or at < first[r["mention_id"]]:
                    first[r["mention_id"]] = at
            for m in page:
                delay = (first[m.id] - m.published_at).total_seconds() if m.id in first else None
                published = m.published_at.timestamp()
                for value in _group_values(m, group_by) or [""]:
                    out.append((m.id, value, published, delay))
            if len(page) < 500:
                return out
            after = page[-1].id

    def snooze(self, rule_id: str, key: str, until: datetime, actor: str, reason: str = "") -> None:
        """Silence a rule for a key (``*``: every key) until a time."""
        raise NotImplementedError

    def snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        """The latest snooze end for this rule and key (or ``*``), if any."""
        raise NotImplementedError

    def responses(self, mention_id: str) -> list[dict[str, Any]]:
        """Responses logged for a mention, oldest first: ``{"at", "actor", "channel", "text"}``."""
        raise NotImplementedError

    def assign(self, mention_id: str, assignee: str, actor: str, at: datetime) -> None:
        """Give a mention (a complaint) to someone to answer; the latest assignment counts."""
        raise NotImplementedError

    def assignments(self, mention_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The current assignment of each of these mentions that has one: ``{"assignee", "actor", "at"}``."""
        raise NotImplementedError

    # -- hand-corrected labels ---------------------------------------------------------
    def correct(self, mention_id: str, correction: LabelCorrection) -> Mention | None:
        """Set a person's labels on a stored mention and record who and when; None when there is no
        such mention. Fields the correction leaves out keep an earlier correction, if any (a
        complaint turned off drops an earlier complaint type; a complaint type turns it on). The
        mention is written at once with the corrected labels, which re-enrichment keeps.

        The stores do it atomically (SQLite: read, merge, write and history in one write
        transaction; Elasticsearch: a write conditional on the version read, read again on a
        conflict): two people correcting one mention at once keep each other's fields. This
        default (for other stores) reads, merges and writes in turn."""
        m = self.get(mention_id)
        if m is None:
            return None
        fixed = with_correction(m, correction)
        self.upsert([fixed])
        self.record_correction(mention_id, correction)
        return fixed

    def record_correction(self, mention_id: str, correction: LabelCorrection) -> None:
        """Append a correction to the history (:meth:`correct` calls it after writing the mention)."""
        raise NotImplementedError

    def corrections(self, mention_id: str | None = None) -> list[dict[str, Any]]:
        """The correction history (of one mention, or all), oldest first:
        ``{"mention_id", "at", "actor", "fields"}``."""
        raise NotImplementedError

    def corrected_ids(self) -> list[str]:
        """Ids of the mentions that carry a hand correction (what ``sadap train`` learns from)."""
        return sorted({c["mention_id"] for c in self.corrections()})

    def snoozes(self) -> list[dict[str, Any]]:
        """Every stored snooze: ``{"rule_id", "key", "until", "actor", "reason"}``."""
        raise NotImplementedError

    # -- users and API tokens (the web workspace) -------------------------------
    def save_user(self, user: User) -> None:
        """Insert or replace by username."""
        raise NotImplementedError

    def get_user(self, username: str) -> User | None:
        raise NotImplementedError

    def list_users(self) -> list[User]:
        """Every user, by username."""
        raise NotImplementedError

    def save_api_token(self, token: ApiToken) -> None:
        """Insert or replace by hash."""
        raise NotImplementedError

    def find_api_token(self, token_hash: str) -> ApiToken | None:
        raise NotImplementedError

    def list_api_tokens(self, username: str | None = None) -> list[ApiToken]:
        """Tokens (all, or one user's), newest first."""
        raise NotImplementedError

    # -- crawl reports (the workspace's Sources page; sadap/app/crawl_reports.py) -----
    def save_crawl_report(self, report: dict[str, Any]) -> None:
        """Insert or replace the last crawl of ``report["source"]``: a JSON object whose
        ``finished_at`` is an ISO 8601 string (the rest is the caller's)."""
        raise NotImplementedError

    def crawl_reports(self) -> list[dict[str, Any]]:
        """The last crawl report of each source, as saved, by source name."""
        raise NotImplementedError

    # -- stakeholder registry and complaint cases (docs/pr-crm.md) ------------------
    def save_stakeholder(self, stakeholder: Stakeholder) -> None:
        """Insert or replace by id."""
        raise NotImplementedError

    def get_stakeholder(self, stakeholder_id: str) -> Stakeholder | None:
        raise NotImplementedError

    def list_stakeholders(self) -> list[Stakeholder]:
        """Every stakeholder, by id."""
        raise NotImplementedError

    def delete_stakeholder(self, stakeholder_id: str) -> bool:
        """Remove one; False if there was none."""
        raise NotImplementedError

    def save_case(self, case: ComplaintCase) -> None:
        """Insert or replace a complaint case by id."""
        raise NotImplementedError

    def get_case(self, case_id: str) -> ComplaintCase | None:
        raise NotImplementedError

    def get_cases(self, case_ids: Sequence[str]) -> dict[str, ComplaintCase]:
        """The stored cases among ``case_ids``, by id (one not stored is left out): what
        :meth:`get_case` gives for each. This default asks :meth:`get_case` once an id; SQLite
        reads them in one query, Elasticsearch in one ``mget``."""
        out: dict[str, ComplaintCase] = {}
        for case_id in dict.fromkeys(case_ids):
            case = self.get_case(case_id)
            if case is not None:
                out[case_id] = case
        return out

    def list_cases(self, states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        """Complaint cases (all, or in these states), latest received first."""
        raise NotImplementedError

    def add_case(self, case: ComplaintCase) -> bool:
        """Insert a new case unless a case with its id is stored already (then nothing is
        written): False when the id is taken. Case ids are short for people to quote (32 random
        bits), so among tens of thousands of cases two new ones can draw the same id; a new
        case must not replace another (:meth:`save_case` would)."""
        raise NotImplementedError

    def queue_cases(self, closed_since: datetime) -> list[ComplaintCase]:
        """The cases of the complaint queue: those not closed, and those closed at or after
        ``closed_since`` (:func:`~sadap.core.complaint_case.closed_time`: a case received a month
        ago and closed yesterday is in a week's queue), in :meth:`list_cases` order (latest
        received first, then id) — the queue reads only these, not every case
        (sadap/app/complaints.py). This default filters :meth:`list_cases` (SQLite's queue reads
        :meth:`queue_case_keys` alone); Elasticsearch asks an index."""
        return [c for c in self.list_cases() if (closed_time(c) or closed_since) >= closed_since]

    def case_cause_counts(self, closed_since: datetime, closed_until: datetime) -> dict[str | None, int]:
        """How many of the cases closed at or after ``closed_since`` and before ``closed_until``
        (:func:`~sadap.core.complaint_case.closed_time`) have each cause (None: none recorded);
        causes no such case has are left out, and so are the cases the system closed as news
        coverage (:data:`~sadap.core.complaint_case.PRESS_COVERAGE`): no customer's complaint, so
        no cause to analyse (docs/pr-crm.md). This default reads every closed case; SQLite counts
        its ``cause`` column over its closed_at index, Elasticsearch asks an index."""
        counts: dict[str | None, int] = {}
        for c in self.list_cases(("closed",)):
            if c.close_reason != PRESS_COVERAGE and closed_since <= (closed_time(c) or closed_until) < closed_until:
                counts[c.cause] = counts.get(c.cause, 0) + 1
        return counts

    def queue_case_keys(self, closed_since: datetime) -> list[CaseKey]:
        """:meth:`queue_cases` as :class:`CaseKey` (the same cases, in the same order): all the
        queue needs of every case; it reads whole cases only for the rows it shows. This default
        derives them from :meth:`queue_cases` and :func:`case_times`; SQLite asks for the fields,
        the complaints' times and the responses' in one read, Elasticsearch for the fields and
        times alone, many ids a request (no whole case)."""
        cases = self.queue_cases(closed_since)
        times = case_times(self, cases)
        return [CaseKey(c.id, c.state, c.received_at, *times[c.id]) for c in cases]

    def open_case_keys(self) -> list[CaseKey]:
        """Every open case as :class:`CaseKey` (the queue's reading of it: the same clock), with its
        ``mention_ids``, in :meth:`list_cases` order: what the ``complaint_sla`` rule reads to find
        the overdue waits, however long ago they began. This default derives them from the open
        cases and :func:`case_times`; SQLite asks for the fields and times in one read."""
        cases = self.list_cases(("open",))
        times = case_times(self, cases)
        return [CaseKey(c.id, c.state, c.received_at, *times[c.id], mention_ids=tuple(sorted(set(c.mention_ids))))
                for c in cases]

    def open_cases_joining(self, authors: Iterable[str] = (), threads: Iterable[str] = (),
                           incidents: Iterable[str] = ()) -> list[ComplaintCase]:
        """The open cases whose ``author_id`` is one of ``authors``, ``thread`` one of
        ``threads`` or ``incident_id`` one of ``incidents``, in :meth:`list_cases` order (latest
        received first, then id): the cases a batch of new complaints can join, read without
        reading every open case (sadap/app/complaints.py). Empty keys match nothing. This
        default filters :meth:`list_cases`; the backends ask an index instead."""
        wanted = {("a", v) for v in authors if v} | {("t", v) for v in threads if v} | {("i", v) for v in incidents if v}
        return [c for c in self.list_cases(("open",))
                if {("a", c.author_id), ("t", c.thread), ("i", c.incident_id)} & wanted]

    def cases_holding(self, mention_ids: Iterable[str], states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        """The cases (all, or in these states) holding any of ``mention_ids``, in
        :meth:`list_cases` order: which case holds a mention, without reading every case
        (sadap/app/complaints.py). This default filters :meth:`list_cases`; the backends ask an
        index instead (SQLite's ``case_mentions`` table, Elasticsearch's ``mention_ids`` field)."""
        wanted = set(mention_ids)
        return [c for c in self.list_cases(states) if wanted.intersection(c.mention_ids)] if wanted else []

    def open_cases_of(self, stakeholder_id: str) -> list[ComplaintCase]:
        """The open cases one of whose complaints names ``stakeholder_id`` (the case's
        ``stakeholders``), in :meth:`list_cases` order: a stakeholder's page. This default filters
        every open case; SQLite filters the documents in its query, Elasticsearch asks an index."""
        return [c for c in self.list_cases(("open",)) if stakeholder_id in c.stakeholders]

    def held_mentions(self, mention_ids: Iterable[str]) -> set[str]:
        """Those of ``mention_ids`` that a case holds: which complaints are in a case already,
        without reading the cases themselves. This default reads :meth:`cases_holding`; the
        backends read only the cases' mention ids."""
        wanted = set(mention_ids)
        return {m for c in self.cases_holding(wanted) for m in c.mention_ids if m in wanted}

    # -- incidents -------------------------------------------------------
    def add_incident(self, incident: Incident) -> bool:
        """Insert a new incident unless one with its id is stored already (then nothing is
        written): False when the id is taken, as :meth:`add_case` for cases (``INC-`` and 32
        random bits: short to quote, so two draws can meet)."""
        raise NotImplementedError

    @abstractmethod
    def save_incident(self, incident: Incident) -> None:
        """Insert or replace."""

    @abstractmethod
    def get_incident(self, incident_id: str) -> Incident | None: ...

    @abstractmethod
    def find_incident(self, playbook: str, key: str | None, states: tuple[str, ...] = ("open", "acknowledged")) -> Incident | None: ...

    @abstractmethod
    def list_incidents(self, states: tuple[str, ...] = ()) -> list[Incident]: ...

    @abstractmethod
    def add_event(self, incident_id: str, event: IncidentEvent) -> None: ...

    @abstractmethod
    def events(self, incident_id: str) -> list[IncidentEvent]: ...

    def events_many(self, incident_ids: Iterable[str]) -> dict[str, list[IncidentEvent]]:
        """:meth:`events` of several incidents, in one read where the backend can."""
        return {i: self.events(i) for i in dict.fromkeys(incident_ids)}

    @abstractmethod
    def _find_event(self, incident_id: str, kind: str, same: str, value: object) -> tuple[Any, IncidentEvent] | None:
        """The latest event of ``kind`` on the incident whose ``data[same]`` is ``value``, with a
        handle that ``_replace_event`` takes; None if there is none."""

    @abstractmethod
    def _replace_event(self, incident_id: str, handle: Any, event: IncidentEvent) -> None:
        """Replace the event ``handle`` names, keeping its place in the timeline."""

    def fold_event(self, incident_id: str, event: IncidentEvent, same: str) -> IncidentEvent:
        """Add ``event``, or fold it into the incident's event of the same kind with the same
        ``data[same]`` (e.g. the same delivery failing again): one line that keeps the first time
        (``at``) and says how often (``data.times``), when last (``data.last_at``) and the latest
        text (the last error). Returns the event as stored."""
        found = self._find_event(incident_id, event.kind, same, event.data.get(same))
        if found is None:
            self.add_event(incident_id, event)
            return event
        handle, old = found
        times = old.data.get("times", 1)
        folded = old.model_copy(update={"text": event.text, "data": {
            **old.data, **event.data,
            "times": (times if isinstance(times, int) else 1) + 1,
            "last_at": event.at.astimezone(timezone.utc).isoformat(),
        }})
        self._replace_event(incident_id, handle, folded)
        return folded

    # -- partner sharing audit --------------------------------------------
    def record_share(self, share: dict[str, Any]) -> None:
        """Record what was shared with a partner: ``{partner, at, channel, actor, upto, items}``
        (``items``: ``mention:<id>`` / ``incident:<id>``; ``upto``: the newest collection time
        included, or None)."""
        raise NotImplementedError

    def shares(self, partner: str | None = None, channel: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded shares, newest first."""
        raise NotImplementedError

    # -- personal data (PDPA) ---------------------------------------------
    # Backends implement these for `sadap privacy` (erase, export, retention, report).
    def ids_by_author(self, author_ids: Sequence[str], author_names: Sequence[str] = ()) -> list[str]:
        """Ids of mentions whose ``author_id`` is one of ``author_ids`` or whose stored display
        name equals one of ``author_names`` (case-insensitively)."""
        raise NotImplementedError

    def copies_of(self, ids: Sequence[str]) -> list[str]:
        """Ids of mentions marked as copies (``duplicate_of``) of any of ``ids``."""
        raise NotImplementedError

    def ids_collected_before(self, cutoff: datetime, limit: int = 5000) -> list[str]:
        """Ids of up to ``limit`` mentions collected before ``cutoff``, oldest first."""
        raise NotImplementedError

    def responses_for(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Logged responses to these mentions: ``{mention_id, at, actor, channel, text}``."""
        raise NotImplementedError

    def erase(self, ids: Sequence[str]) -> dict[str, int]:
        """Delete these mentions with their responses and search entries, and remove them from
        incidents, incident timelines, alerts, complaint cases and notifications (queued or sent).
        Returns counts of what changed: ``mentions``, ``responses``, ``incidents``, ``events``,
        ``alerts``, ``notifications``."""
        raise NotImplementedError

    def erase_keys(self, keys: frozenset[str]) -> dict[str, int]:
        """Where an alert, incident or notification is keyed by an erased person (its key is one
        of ``keys``, :func:`sadap.store.erasure.person_keys`), mask the key wherever it is written
        (the key, titles, texts, the incident's timeline and notifications), and delete the
        snoozes and cool-downs for it. Returns counts of what changed: ``alerts``, ``incidents``,
        ``events``, ``notifications``, ``snoozes`` (cool-downs included)."""
        raise NotImplementedError

    def compact(self) -> None:
        """Make erased data unrecoverable from the storage files where the backend can."""

    def privacy_counts(self) -> dict[str, int | str | None]:
        """How much personal data is held: mentions, with an author pseudonym, with a display
        name, with extra fields, responses, incidents and alerts naming mentions."""
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def case_first_responses(store: Store, cases: Sequence[ComplaintCase]) -> dict[str, datetime]:
    """Each case's first response (the earliest response logged to any of its mentions), for
    many cases in one store call: the cases without a response are not in the result."""
    return {case_id: answers[0] for case_id, (_, answers) in case_times(store, cases, posted=False).items() if answers}


def case_times(store: Store, cases: Sequence[ComplaintCase], *, posted: bool = True
               ) -> dict[str, tuple[tuple[tuple[datetime, str], ...], tuple[datetime, ...]]]:
    """Each case's complaints as (publication time, mention id) where it has more than one, and
    the times of the responses logged to any of them, both oldest first (what :class:`CaseKey`
    carries), for many cases in two store calls (one without ``posted``: then no complaint
    times); a mention erased since is not among the complaints."""
    owners: dict[str, list[str]] = {}  # mention id → the cases holding it
    for case in cases:
        for mid in case.mention_ids:
            owners.setdefault(mid, []).append(case.id)
    times: dict[str, list[tuple[datetime, str]]] = {c.id: [] for c in cases}
    answers: dict[str, list[datetime]] = {c.id: [] for c in cases}
    for r in store.responses_for(list(owners)) if owners else ():
        at = datetime.fromisoformat(r["at"])
        for case_id in owners.get(r["mention_id"], ()):
            answers[case_id].append(at)
    several = {c.id for c in cases if len(set(c.mention_ids)) > 1} if posted else set()
    ids = list(dict.fromkeys(m for c in cases if c.id in several for m in c.mention_ids))
    for i in range(0, len(ids), 500):  # SQLite's limit on parameters
        for row in store.mention_rows(MentionFilter(ids=tuple(ids[i:i + 500]))):
            at = datetime.fromtimestamp(row.published, timezone.utc)
            for case_id in owners.get(row.id, ()):
                if case_id in several:
                    times[case_id].append((at, row.id))
    return {c.id: (tuple(sorted(times[c.id])), tuple(sorted(answers[c.id]))) for c in cases}
