"""SQLite backend: the embedded default. One file, WAL mode, FTS5 over pre-tokenised Thai."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import replace
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sadap.core.errors import InputError, StoreError
from sadap.core.files import private_file
from sadap.core.complaint_case import PRESS_COVERAGE, ComplaintCase, closed_time
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import LabelCorrection, Mention, keep_stored_correction
from sadap.core.stakeholder import Stakeholder
from sadap.core.users import ApiToken, User
from sadap.store.erasure import names_person, scrub_case, scrub_delivery, scrub_ids, scrub_keyed
from sadap.store.query import Query
from sadap.store.base import LATE_WRITE, CaseKey, ENGAGEMENT_FIELDS, GROUP_FIELDS, NEWS_SOURCE_KINDS, BucketTable, HourCells, MentionRow, ResponseRow, RuleRead, RuleRow, SeenDelta, TermCell, hour_lag, seen_change, seen_rows, SEGMENT_BREAK, DELIVERY_STATE, ERASE_COUNTS, KEY_COUNTS, Delivery, Fingerprint, delivery_from_json, delivery_json, MentionFilter, PageKey, Store, UpsertResult, search_segments, with_correction
from sadap.core.timeutil import UTC

log = logging.getLogger(__name__)

SCHEMA_VERSION = 11  # 2: mentions.spam_score column; 3: mention_days (daily counts); 4: engagement sums per day; 5: mentions.news_topic;
# 6: mention_hours (the rules' hourly rollup); 7: seen_terms (new_term's seen-terms table);
# 8: complaint_cases.author_id/thread/incident_id (what joins a complaint to an open case, indexed);
# 9: case_mentions (which case holds a mention); 10: complaint_cases.closed_at (the queue's window on closed cases);
# 11: complaint_cases.cause (the cause of the problem, counted by Store.case_cause_counts)
DAY = 86400
#: A complaint case's join keys, kept as indexed columns beside its document (schema 8).
_CASE_KEYS = ("author_id", "thread", "incident_id")
BANGKOK_OFFSET = 7 * 3600  # Asia/Bangkok has had no daylight saving since 1920.
#: A writing connection's page cache (SQLite's default is 2 MiB) and pages of write-ahead log
#: between automatic checkpoints (default 1,000): see ``SQLiteStore._writer_settings``.
WRITER_CACHE_KIB = 32 * 1024
WRITER_CHECKPOINT_PAGES = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    id TEXT PRIMARY KEY,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    url TEXT,
    author_id TEXT,
    published_at REAL NOT NULL,
    collected_at REAL NOT NULL,
    language TEXT,
    sentiment TEXT,
    sentiment_score REAL,
    expectation TEXT,
    category TEXT,
    is_complaint INTEGER NOT NULL DEFAULT 0,
    complaint_type TEXT,
    text_hash TEXT,
    simhash INTEGER,
    duplicate_of TEXT,
    doc TEXT NOT NULL,
    spam_score REAL,
    news_topic TEXT
);
CREATE INDEX IF NOT EXISTS mentions_published ON mentions(published_at);
CREATE INDEX IF NOT EXISTS mentions_collected ON mentions(collected_at);
CREATE INDEX IF NOT EXISTS mentions_text_hash ON mentions(text_hash);
-- Complaints and questions with what the equal-response report groups them by: it reads these
-- indexes only, never the rows (whose JSON makes a scan of a quarter read the whole file).
CREATE INDEX IF NOT EXISTS mentions_complaints ON mentions(is_complaint, published_at, duplicate_of, id, source_kind,
    source_name, sentiment, complaint_type, category, expectation);
CREATE INDEX IF NOT EXISTS mentions_sentiments ON mentions(sentiment, published_at, is_complaint, duplicate_of, id,
    source_kind, source_name, complaint_type, category, expectation);
-- The workspace's author, language and complaint-type filters (newest first: each index walks
-- one value's mentions in time order), `sadap privacy erase --author` and the complaint-case
-- timeline (one author's mentions). A store made with mentions_author on author_id alone keeps it.
CREATE INDEX IF NOT EXISTS mentions_author ON mentions(author_id, published_at);
CREATE INDEX IF NOT EXISTS mentions_language ON mentions(language, published_at);
CREATE INDEX IF NOT EXISTS mentions_complaint_type ON mentions(complaint_type, published_at);
-- near-duplicate clusters (the `cluster` filter and group-by use this very expression)
CREATE INDEX IF NOT EXISTS mentions_cluster ON mentions(COALESCE(duplicate_of, id));
CREATE TABLE IF NOT EXISTS mention_terms (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    mention_id TEXT NOT NULL,
    PRIMARY KEY (field, value, mention_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_terms_mention ON mention_terms(mention_id);
-- Text is tokenised by PyThaiNLP before it gets here; the ascii tokenizer then only
-- splits on spaces and ASCII punctuation and keeps Thai words (marks included) whole.
CREATE VIRTUAL TABLE IF NOT EXISTS mention_fts USING fts5(tokens, tokenize = 'ascii');
-- Mentions per Bangkok day and label, kept in step with every write: the workspace's overview
-- reads whole-day windows from here instead of scanning a month of mentions. Field `_engagement`
-- holds sums, not counts: likes, shares, comments and views per day.
CREATE TABLE IF NOT EXISTS mention_days (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (field, value, day)
) WITHOUT ROWID;
-- The rules' hourly rollup (alerts/rules/running.py), kept in step with every write: mentions
-- per published hour, watched entity ('' = every mention), sentiment, source, lag (whole hours
-- from the hour's end to collection, rounded up) and copy or not. Baselines of spike and
-- sentiment_shift read days of buckets from here instead of the mentions.
CREATE TABLE IF NOT EXISTS mention_hours (
    hour INTEGER NOT NULL,
    entity TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    source_name TEXT NOT NULL,
    lag INTEGER NOT NULL,
    copy INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hour, entity, sentiment, source_name, lag, copy)
) WITHOUT ROWID;
-- new_term's seen-terms table (Store.term_sightings), kept in step with every write: per term of
-- the fields new_term watches (hashtag, keyword, entity; nothing personal), published hour,
-- source and copy or not, the mentions and the latest publication and collection time among
-- them. A mention leaving a cell (re-enriched, erased) makes it stale: its latest times may be
-- too late, and new_term asks the mentions about that term instead.
CREATE TABLE IF NOT EXISTS seen_terms (
    field TEXT NOT NULL,
    term TEXT NOT NULL,
    hour INTEGER NOT NULL,
    source_name TEXT NOT NULL,
    copy INTEGER NOT NULL,
    n INTEGER NOT NULL,
    last_published REAL NOT NULL,
    last_collected REAL NOT NULL,
    stale INTEGER NOT NULL,
    PRIMARY KEY (field, term, hour, source_name, copy)
) WITHOUT ROWID;
-- Moves whenever stored mentions are rewritten or erased, or a new one arrives collected long
-- before the newest (Store.changes).
CREATE TABLE IF NOT EXISTS store_marks (
    name TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rule_state (
    rule_id TEXT NOT NULL,
    key TEXT NOT NULL,
    last_fired_at REAL NOT NULL,
    PRIMARY KEY (rule_id, key)
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fired_at REAL NOT NULL,
    incident_id TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_fired ON alerts(fired_at);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    playbook TEXT NOT NULL,
    key TEXT,
    state TEXT NOT NULL,
    opened_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_lookup ON incidents(playbook, key, state);
CREATE TABLE IF NOT EXISTS incident_events (
    id INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL,
    at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events(incident_id, id);
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY,
    mention_id TEXT NOT NULL,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_mention ON responses(mention_id);
CREATE TABLE IF NOT EXISTS assignments (
    mention_id TEXT PRIMARY KEY,
    assignee TEXT NOT NULL,
    actor TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY,
    mention_id TEXT NOT NULL,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_mention ON corrections(mention_id);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snoozes (
    rule_id TEXT NOT NULL,
    key TEXT NOT NULL,
    until REAL NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, key)
);
-- Notifications waiting to be sent (or kept after): written with the alert, in its transaction.
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    notifier TEXT NOT NULL,
    incident_id TEXT,
    status TEXT NOT NULL,
    next_at REAL,
    created_at REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, next_at);
-- the last crawl of each source (the Sources page; sadap/app/crawl_reports.py)
CREATE TABLE IF NOT EXISTS crawl_reports (
    source TEXT PRIMARY KEY,
    finished_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
-- the stakeholder registry and complaint cases (docs/pr-crm.md)
CREATE TABLE IF NOT EXISTS stakeholders (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
-- author_id, thread, incident_id: copies of the doc's, what joins a new complaint to an open
-- case (Store.open_cases_joining); their indexes are made by _migrate (schema 8). closed_at: when a
-- closed case was closed (core.complaint_case.closed_time; NULL while open), what the queue's
-- window on closed cases reads (Store.queue_cases; schema 10, its index made by _migrate). cause:
-- the doc's, counted over closed_at's index (Store.case_cause_counts; schema 11; no index of its own:
-- a count reads the period's closed cases, and the queue filters the cases it has read).
CREATE TABLE IF NOT EXISTS complaint_cases (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    received_at REAL NOT NULL,
    doc TEXT NOT NULL,
    author_id TEXT,
    thread TEXT,
    incident_id TEXT,
    closed_at REAL,
    cause TEXT
);
CREATE INDEX IF NOT EXISTS complaint_cases_state ON complaint_cases(state, received_at);
-- Which case holds each mention: copies of the cases' mention_ids, kept with every case write
-- (Store.cases_holding), so that nothing reads every case to find one mention's (schema 9).
CREATE TABLE IF NOT EXISTS case_mentions (
    mention_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (mention_id, case_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS case_mentions_case ON case_mentions(case_id);
-- What was shared with each partner, when, how and up to when (an audit; ids only).
CREATE TABLE IF NOT EXISTS shares (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    partner TEXT NOT NULL,
    at REAL NOT NULL,
    channel TEXT NOT NULL,
    actor TEXT NOT NULL,
    upto REAL,
    items TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shares_partner ON shares(partner, channel, seq);
"""

_COLUMNS = {f.name: f.sqlite for f in GROUP_FIELDS.values() if not f.multi}
_MULTI = {f.name: f.sqlite for f in GROUP_FIELDS.values() if f.multi}
# Fields counted per day in mention_days (complaint_type only for complaints), and the totals.
_DAY_COLUMNS = ("sentiment", "expectation", "category", "source_name", "source_kind", "language", "author_id", "news_topic")
_DAY_FIELDS = frozenset(_DAY_COLUMNS + ("complaint_type", "entity", "hashtag", "keyword", "stakeholder", "csr"))


def _day_of(ts: float) -> int:
    return int((ts + BANGKOK_OFFSET) // DAY)


def _day_keys(m: Mention, day: int | None = None) -> list[tuple[str, str, int]]:
    """The mention_days rows a mention counts in (``day``: its published day, if known)."""
    if day is None:
        day = _day_of(_ts(m.published_at))
    keys = [("_all", "", day)]
    if m.duplicate_of is None:
        keys.append(("_unique", "", day))
    sentiment = m.sentiment
    values = (sentiment.label if sentiment else None, m.expectation, m.category, m.source_name, m.source_kind,
              m.language, m.author_id, m.news_topic)
    keys += [(f, v, day) for f, v in zip(_DAY_COLUMNS, values) if v is not None]
    complaint = m.complaint
    if complaint.is_complaint:
        keys.append(("_complaints", "", day))
        if complaint.type:
            keys.append(("complaint_type", complaint.type, day))
    for fld, items in (("entity", m.entities), ("hashtag", m.hashtags), ("keyword", m.keywords),
                       ("stakeholder", m.stakeholders), ("csr", m.csr)):
        if items:
            keys += [(fld, v, day) for v in set(items)]
    # The same counts within each watched entity of the mention (`field@entity`), for the
    # overview filtered to one entity.
    if m.entities:
        keys += [(f"{f}@{e}", v, d) for e in set(m.entities) for f, v, d in keys]
    return keys


def _day_weights(m: Mention, day: int | None = None) -> list[tuple[tuple[str, str, int], int]]:
    """The engagement sums a mention adds to mention_days (``_engagement``, also within each entity)."""
    engagement = m.engagement
    weights = [(name, w) for name in ENGAGEMENT_FIELDS if (w := int(getattr(engagement, name) or 0))]
    if not weights:
        return []
    if day is None:
        day = _day_of(_ts(m.published_at))
    keys = [(("_engagement", name, day), w) for name, w in weights]
    return keys + [((f"_engagement@{e}", k[1], k[2]), w) for e in set(m.entities) for k, w in keys]


_REBUILD_DAYS = [
    "DELETE FROM mention_days",
    "INSERT INTO mention_days SELECT '_all', '', CAST((published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mentions GROUP BY d",
    "INSERT INTO mention_days SELECT '_unique', '', CAST((published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mentions WHERE duplicate_of IS NULL GROUP BY d",
    "INSERT INTO mention_days SELECT '_complaints', '', CAST((published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mentions WHERE is_complaint = 1 GROUP BY d",
    "INSERT INTO mention_days SELECT 'complaint_type', complaint_type, CAST((published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mentions WHERE is_complaint = 1 AND complaint_type IS NOT NULL GROUP BY complaint_type, d",
    *[f"INSERT INTO mention_days SELECT '{c}', {c}, CAST((published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mentions WHERE {c} IS NOT NULL GROUP BY {c}, d" for c in _DAY_COLUMNS],
    "INSERT INTO mention_days SELECT t.field, t.value, CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) FROM mention_terms t JOIN mentions m ON m.id = t.mention_id GROUP BY t.field, t.value, d",
    # within each entity
    *[f"INSERT INTO mention_days SELECT '{name}@' || e.value, '', CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) "
      f"FROM mentions m JOIN mention_terms e ON e.mention_id = m.id AND e.field = 'entity'{where} GROUP BY e.value, d"
      for name, where in (("_all", ""), ("_unique", " WHERE m.duplicate_of IS NULL"), ("_complaints", " WHERE m.is_complaint = 1"))],
    *[f"INSERT INTO mention_days SELECT '_engagement', '{n}', CAST((published_at + 25200) / 86400 AS INTEGER) AS d, "
      f"SUM(json_extract(doc, '$.engagement.{n}')) AS s FROM mentions GROUP BY d HAVING s > 0" for n in ENGAGEMENT_FIELDS],
    *[f"INSERT INTO mention_days SELECT '_engagement@' || e.value, '{n}', CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, "
      f"SUM(json_extract(m.doc, '$.engagement.{n}')) AS s FROM mentions m JOIN mention_terms e ON e.mention_id = m.id "
      f"AND e.field = 'entity' GROUP BY e.value, d HAVING s > 0" for n in ENGAGEMENT_FIELDS],
    "INSERT INTO mention_days SELECT 'complaint_type@' || e.value, m.complaint_type, CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) "
    "FROM mentions m JOIN mention_terms e ON e.mention_id = m.id AND e.field = 'entity' WHERE m.is_complaint = 1 AND m.complaint_type IS NOT NULL "
    "GROUP BY e.value, m.complaint_type, d",
    *[f"INSERT INTO mention_days SELECT '{c}@' || e.value, m.{c}, CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) "
      f"FROM mentions m JOIN mention_terms e ON e.mention_id = m.id AND e.field = 'entity' WHERE m.{c} IS NOT NULL GROUP BY e.value, m.{c}, d"
      for c in _DAY_COLUMNS],
    "INSERT INTO mention_days SELECT t.field || '@' || e.value, t.value, CAST((m.published_at + 25200) / 86400 AS INTEGER) AS d, COUNT(*) "
    "FROM mention_terms t JOIN mention_terms e ON e.mention_id = t.mention_id AND e.field = 'entity' JOIN mentions m ON m.id = t.mention_id "
    "GROUP BY t.field, e.value, t.value, d",
]


def _hour_keys(m: Mention, collected: float | None = None, published: float | None = None) -> list[tuple[int, str, str, str, int, int]]:
    """The mention_hours cells a mention counts in (``collected``: the stored collection time,
    which a later upsert of the same mention keeps; ``published``: its publication time, if known)."""
    hour, lag = hour_lag(_ts(m.published_at) if published is None else published,
                         _ts(m.collected_at) if collected is None else collected)
    sentiment = m.sentiment.label if m.sentiment else ""
    copy = 1 if m.duplicate_of is not None else 0
    if not m.entities:
        return [(hour, "", sentiment, m.source_name, lag, copy)]
    return [(hour, e, sentiment, m.source_name, lag, copy) for e in ("", *sorted(set(m.entities)))]


# The same cells from what is stored (a store made before schema 6): lag as hour_lag computes it.
_HOUR_COLUMNS = (
    "CAST(m.published_at / 3600 AS INTEGER) AS h, {entity}, COALESCE(m.sentiment, '') AS s, m.source_name AS src, "
    "CASE WHEN m.collected_at - (CAST(m.published_at / 3600 AS INTEGER) + 1) * 3600 <= 0 THEN 0 ELSE "
    "CAST((m.collected_at - (CAST(m.published_at / 3600 AS INTEGER) + 1) * 3600) / 3600.0 AS INTEGER) + "
    "((m.collected_at - (CAST(m.published_at / 3600 AS INTEGER) + 1) * 3600) / 3600.0 > "
    "CAST((m.collected_at - (CAST(m.published_at / 3600 AS INTEGER) + 1) * 3600) / 3600.0 AS INTEGER)) END AS lag, "
    "m.duplicate_of IS NOT NULL AS c, COUNT(*)"
)
_REBUILD_HOURS = [
    "DELETE FROM mention_hours",
    "INSERT INTO mention_hours SELECT " + _HOUR_COLUMNS.format(entity="'' AS e") + " FROM mentions m GROUP BY h, e, s, src, lag, c",
    "INSERT INTO mention_hours SELECT " + _HOUR_COLUMNS.format(entity="t.value AS e")
    + " FROM mentions m JOIN mention_terms t ON t.mention_id = m.id AND t.field = 'entity' GROUP BY h, e, s, src, lag, c",
]


# The seen-terms table from what is stored (a store made before schema 7).
_REBUILD_SEEN = [
    "DELETE FROM seen_terms",
    "INSERT INTO seen_terms SELECT t.field, t.value, CAST(m.published_at / 3600 AS INTEGER) AS h, m.source_name, "
    "m.duplicate_of IS NOT NULL AS c, COUNT(*), MAX(m.published_at), MAX(m.collected_at), 0 "
    "FROM mention_terms t JOIN mentions m ON m.id = t.mention_id WHERE t.field IN ('hashtag', 'keyword', 'entity') "
    "GROUP BY t.field, t.value, h, m.source_name, c",
]


def _ts(value: datetime) -> float:
    # An aware time's epoch seconds do not depend on its zone (the same integer arithmetic).
    return value.timestamp() if value.tzinfo is not None else value.astimezone(UTC).timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _closed_ts(case: ComplaintCase) -> float | None:
    closed = closed_time(case)
    return None if closed is None else _ts(closed)


def _fts_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def _fts_expr(query: Query) -> str | None:
    if not query.all_of:
        return None
    groups = []
    for group in query.all_of:
        alts = [_fts_phrase(p) for p in group]
        groups.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    return " AND ".join(groups)


_MENTION_COLUMNS = ("id, source_kind, source_name, url, author_id, published_at, collected_at, language, sentiment, "
                    "sentiment_score, expectation, category, is_complaint, complaint_type, text_hash, simhash, "
                    "duplicate_of, doc, spam_score, news_topic")
_UPSERT = (
    f"INSERT INTO mentions ({_MENTION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(id) DO UPDATE SET source_kind=excluded.source_kind, source_name=excluded.source_name, "
    "url=excluded.url, author_id=excluded.author_id, published_at=excluded.published_at, "
    "language=excluded.language, sentiment=excluded.sentiment, sentiment_score=excluded.sentiment_score, "
    "expectation=excluded.expectation, category=excluded.category, is_complaint=excluded.is_complaint, "
    "complaint_type=excluded.complaint_type, text_hash=excluded.text_hash, simhash=excluded.simhash, "
    "duplicate_of=excluded.duplicate_of, doc=excluded.doc, spam_score=excluded.spam_score, "
    "news_topic=excluded.news_topic RETURNING rowid"
)
#: A batch's new mentions (none stored yet, checked in the write transaction), rowids given.
_INSERT_NEW = f"INSERT INTO mentions (rowid, {_MENTION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_MAX_ROWID = 2**63 - 1


def _row(m: Mention) -> tuple[object, ...]:
    """``m``'s columns of mentions, in :data:`_MENTION_COLUMNS` order."""
    sentiment, complaint = m.sentiment, m.complaint
    return (
        m.id, m.source_kind, m.source_name, m.url, m.author_id,
        _ts(m.published_at), _ts(m.collected_at), m.language,
        sentiment.label if sentiment else None,
        sentiment.score if sentiment else None,
        m.expectation, m.category, 1 if complaint.is_complaint else 0, complaint.type,
        m.text_hash, _signed(m.simhash), m.duplicate_of, m.model_dump_json(), m.spam_score, m.news_topic,
    )


def _index_rows(m: Mention, rowid: int, fts: list[tuple[int, str]], terms: list[tuple[str, str, str]]) -> None:
    """``m``'s full-text row and terms, added to ``fts`` and ``terms``."""
    fts.append((rowid, f" {SEGMENT_BREAK} ".join(search_segments(m))))
    mid = m.id
    for name, values in (("entity", m.entities), ("hashtag", m.hashtags), ("keyword", m.keywords),
                         ("csr", m.csr), ("stakeholder", m.stakeholders)):
        if values:
            terms.extend([(name, v, mid) for v in set(values)])


class SQLiteStore(Store):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        # Processes opening a new file at once (workers starting together) can meet SQLite's
        # "database is locked" without its busy wait (switching the file to WAL): open again.
        deadline = time.monotonic() + 30
        while True:
            try:
                self._open(str(path) != ":memory:")
                break
            except sqlite3.OperationalError as err:
                if hasattr(self, "_db"):
                    self._db.close()
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise StoreError(f"{self.path}: cannot open the SQLite store: {err}") from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as err:
                raise StoreError(f"{self.path}: cannot open the SQLite store: {err}") from None
        self._lock = threading.RLock()
        self._writing = False

    def _open(self, on_disk: bool) -> None:
        if on_disk:
            private_file(self.path)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer Sadap (schema {version}); upgrade Sadap")
        self._db.executescript(_SCHEMA)
        if version < SCHEMA_VERSION:
            self._migrate()

    def _writer_settings(self) -> None:
        """Once, on a connection's first mention write (an import, a crawl, the service): more
        page cache and a longer write-ahead log between checkpoints, so that a batch's inserts
        into the mention indexes, terms and counts find their pages in memory and a page written
        by batch after batch is copied back to the file less often. Neither changes what is
        stored or when a commit is durable (WAL, synchronous=NORMAL, as set at open); readers
        (the workspace) keep SQLite's defaults."""
        if not self._writing:
            self._writing = True
            self._db.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            self._db.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")

    def _migrate(self) -> None:
        """Bring a new or older store up to this schema, in one transaction (idempotent, so
        two processes opening an old file at once both succeed)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            columns = {r[1] for r in db.execute("PRAGMA table_info(mentions)")}
            if "spam_score" not in columns:  # schema 1 kept the score only inside doc
                db.execute("ALTER TABLE mentions ADD COLUMN spam_score REAL")
                db.execute(
                    "UPDATE mentions SET spam_score = json_extract(doc, '$.spam_score')"
                    " WHERE json_extract(doc, '$.spam_score') IS NOT NULL"
                )
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if "news_topic" not in columns:  # schema 5: news topics (older mentions have none)
                db.execute("ALTER TABLE mentions ADD COLUMN news_topic TEXT")
                db.execute(
                    "UPDATE mentions SET news_topic = json_extract(doc, '$.news_topic')"
                    " WHERE json_extract(doc, '$.news_topic') IS NOT NULL"
                )
            if version in (3, 4):  # daily counts exist: add only the engagement sums and news topics
                db.execute("DELETE FROM mention_days WHERE field IN ('_engagement', 'news_topic') "
                           "OR field LIKE '\\_engagement@%' ESCAPE '\\' OR field LIKE 'news\\_topic@%' ESCAPE '\\'")
                for sql in _REBUILD_DAYS:
                    if "'_engagement" in sql or "'news_topic" in sql:
                        db.execute(sql)
            elif version < 3:
                for sql in _REBUILD_DAYS:  # before schema 3: daily counts, built once from what is stored
                    db.execute(sql)
            if version < 6:  # schema 6: the rules' hourly rollup, built once from what is stored
                if version:
                    log.info("%s: building the hourly rollup for rule baselines (once; about a minute per million mentions)",
                             self.path)
                started = time.monotonic()
                for i, sql in enumerate(_REBUILD_HOURS):
                    db.execute(sql)
                    if version:
                        log.info("%s: hourly rollup step %d of %d done (%.0f s)", self.path, i + 1, len(_REBUILD_HOURS),
                                 time.monotonic() - started)
            if version < 7:  # schema 7: new_term's seen-terms table, built once from what is stored
                if version:
                    log.info("%s: building the seen-terms table for new_term rules (once)", self.path)
                started = time.monotonic()
                for sql in _REBUILD_SEEN:
                    db.execute(sql)
                if version:
                    log.info("%s: seen-terms table built (%.0f s)", self.path, time.monotonic() - started)
            case_columns = {r[1] for r in db.execute("PRAGMA table_info(complaint_cases)")}
            if "author_id" not in case_columns:  # schema 8: the join keys of complaint cases, from their documents
                for column in _CASE_KEYS:
                    db.execute(f"ALTER TABLE complaint_cases ADD COLUMN {column} TEXT")
                db.execute("UPDATE complaint_cases SET " + ", ".join(f"{c} = json_extract(doc, '$.{c}')" for c in _CASE_KEYS))
            for column in _CASE_KEYS:
                db.execute(f"CREATE INDEX IF NOT EXISTS complaint_cases_{column} ON complaint_cases({column}, state)")
            if "closed_at" not in case_columns:
                db.execute("ALTER TABLE complaint_cases ADD COLUMN closed_at REAL")
            if version < 10:  # schema 10: when each closed case was closed, from its document (its
                # closed_at, else its timeline's closing), afresh as for schema 9
                closed = db.execute("SELECT id, doc FROM complaint_cases WHERE state='closed'").fetchall()
                db.execute("UPDATE complaint_cases SET closed_at=NULL WHERE state!='closed'")
                db.executemany("UPDATE complaint_cases SET closed_at=? WHERE id=?",
                               [(_closed_ts(ComplaintCase.model_validate_json(doc)), i) for i, doc in closed])
            db.execute("CREATE INDEX IF NOT EXISTS complaint_cases_closed ON complaint_cases(state, closed_at)")
            if "cause" not in case_columns:  # schema 11: the cause of each case, from its document
                db.execute("ALTER TABLE complaint_cases ADD COLUMN cause TEXT")
            if version < 11:
                db.execute("UPDATE complaint_cases SET cause = json_extract(doc, '$.cause')")
            if version < 9:  # schema 9: which case holds each mention, from the case documents (afresh:
                # a process of the version before may have moved mentions since it marked the file 8)
                db.execute("DELETE FROM case_mentions")
                db.execute("INSERT OR IGNORE INTO case_mentions (mention_id, case_id) SELECT j.value, c.id "
                           "FROM complaint_cases c, json_each(c.doc, '$.mention_ids') j")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- helpers -----------------------------------------------------------
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            rows: list[tuple[Any, ...]] = self._db.execute(sql, params).fetchall()
            return rows

    def _where(self, flt: MentionFilter, terms_first: bool = False, ordered: bool = False,
               walk: bool = False) -> tuple[str, list[object]]:
        """The WHERE clause for ``flt``. ``ordered``: the query may use the language index (for a
        newest-first query, one language's mentions in time order; for a count, a rare language);
        otherwise that index, whose common values hold nearly every mention, is left out (``+``).
        ``walk``: the full-text match is tested on rows walked in time order (``+`` again)
        instead of driving the query, which is faster when it matches many mentions."""
        clauses: list[str] = []
        params: list[object] = []
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        if flt.since is not None:
            clauses.append(f"m.{tcol} >= ?")
            params.append(_ts(flt.since))
        if flt.until is not None:
            clauses.append(f"m.{tcol} < ?")
            params.append(_ts(flt.until))
        if flt.collected_until is not None:
            # "As of" is rarely selective (most mentions were collected before it): with a
            # publication window, keep the planner on that window's index (unary + hides this one).
            by_published = tcol == "published_at" and (flt.since is not None or flt.until is not None)
            clauses.append("+m.collected_at <= ?" if by_published else "m.collected_at <= ?")
            params.append(_ts(flt.collected_until))
        for column, values in (
            ("sentiment", flt.sentiment),
            ("source_name", flt.source_names),
            ("source_kind", flt.source_kinds),
            ("category", flt.categories),
            ("news_topic", flt.news_topics),
            ("complaint_type", flt.complaint_types),
            ("language", flt.languages),
            ("id", flt.ids),
            ("author_id", flt.author_ids),
        ):
            if values:
                plus = "+" if column == "language" and not ordered else ""
                clauses.append(f"{plus}m.{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if flt.exclude_source_kinds:
            clauses.append(f"m.source_kind NOT IN ({','.join('?' * len(flt.exclude_source_kinds))})")
            params.extend(flt.exclude_source_kinds)
        bounded = (flt.since is not None or bool(flt.ids)) and not terms_first
        for fld, values in (("entity", flt.entities), ("hashtag", flt.hashtags), ("keyword", flt.keywords),
                            ("stakeholder", flt.stakeholders)):
            if values:
                marks = ",".join("?" * len(values))
                if bounded:  # few candidate mentions: look each one's terms up
                    clauses.append(
                        f"EXISTS (SELECT 1 FROM mention_terms t2 WHERE t2.mention_id = m.id AND t2.field='{fld}' AND t2.value IN ({marks}))"
                    )
                else:
                    clauses.append(f"m.id IN (SELECT mention_id FROM mention_terms WHERE field='{fld}' AND value IN ({marks}))")
                params.extend(values)
        if flt.expectations:
            clauses.append(f"m.expectation IN ({','.join('?' * len(flt.expectations))})")
            params.extend(flt.expectations)
        if flt.clusters:
            clauses.append(f"COALESCE(m.duplicate_of, m.id) IN ({','.join('?' * len(flt.clusters))})")
            params.extend(flt.clusters)
        if flt.complaint is not None:
            clauses.append("m.is_complaint = ?")
            params.append(1 if flt.complaint else 0)
        if flt.responded is not None:
            clauses.append(f"m.id {'IN' if flt.responded else 'NOT IN'} (SELECT mention_id FROM responses)")
        if not flt.include_duplicates:
            clauses.append("m.duplicate_of IS NULL")
        if flt.max_spam_score is not None:  # a plain column test on rows the other clauses select
            clauses.append("(m.spam_score IS NULL OR m.spam_score <= ?)")
            params.append(float(flt.max_spam_score))
        if flt.query is not None and not flt.query.empty:
            expr = _fts_expr(flt.query)
            if expr:
                clauses.append(f"{'+' if walk else ''}m.rowid IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
                params.append(expr)
            if flt.query.none_of:
                clauses.append("m.rowid NOT IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
                params.append(" OR ".join(_fts_phrase(p) for p in flt.query.none_of))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    # -- mentions -------------------------------------------------------------
    def upsert(self, mentions: Sequence[Mention]) -> UpsertResult:
        if not mentions:
            return UpsertResult()
        with self._lock:
            self._writer_settings()
            with self._immediate():
                result = self._upsert(mentions)
        return result

    def _upsert(self, mentions: Sequence[Mention], keep_corrections: bool = True) -> UpsertResult:
        """:meth:`upsert` inside the caller's write transaction. ``keep_corrections``: a mention
        stored with a correction the incoming one lacks, or has an older one of (read before
        someone corrected it: ``sadap reenrich``, re-tagging), keeps the stored correction
        (:func:`keep_stored_correction`); :meth:`correct`, which merged it itself, passes False."""
        result = UpsertResult()
        by_id = {m.id: m for m in mentions}  # last one wins within a batch
        # Inside the write lock: another process may have stored some of these meanwhile.
        existing = self._existing(list(by_id))
        newest = self._db.execute("SELECT MAX(collected_at) FROM mentions").fetchone()[0]
        # Counters: adding a mention's keys is one C call (the same dictionaries otherwise).
        deltas: Counter[tuple[str, str, int]] = Counter()
        hours: Counter[tuple[int, str, str, str, int, int]] = Counter()
        seen: SeenDelta = {}
        fts: list[tuple[int, str]] = []
        terms: list[tuple[str, str, str]] = []
        # New mentions go in with one statement, each with the rowid SQLite would give it
        # (one more than the largest; read once, inside the write lock), so their full-text
        # rows need no RETURNING: the same rows and rowids as one INSERT each.
        new_rows: list[tuple[object, ...]] = []
        rowid = self._next_rowid() if len(existing) < len(by_id) else None
        for m in by_id.values():
            kept: float | None = None  # an update keeps the first collection time
            old_doc = m.id in existing
            if old_doc:
                got = self._query("SELECT doc, collected_at FROM mentions WHERE id=?", (m.id,))
                old = Mention.model_validate_json(got[0][0]) if got else None
                kept = got[0][1] if got else None
                if keep_corrections:
                    m = by_id[m.id] = keep_stored_correction(m, old)
                for key in _day_keys(old) if old else ():
                    deltas[key] = deltas.get(key, 0) - 1
                for cell in _hour_keys(old, kept) if old else ():
                    hours[cell] = hours.get(cell, 0) - 1
                if old is not None and kept is not None:
                    seen_change(seen, old, kept, -1)
                for key, weight in _day_weights(old) if old else ():
                    deltas[key] = deltas.get(key, 0) - weight
            published = _ts(m.published_at)
            collected = _ts(m.collected_at) if kept is None else kept
            day = _day_of(published)
            deltas.update(_day_keys(m, day))
            hours.update(_hour_keys(m, collected, published))
            seen_change(seen, m, collected, 1, published)
            for key, weight in _day_weights(m, day):
                deltas[key] = deltas.get(key, 0) + weight
            if old_doc or rowid is None:
                self._write(m, old_doc, fts, terms)
            else:
                new_rows.append((rowid, *_row(m)))
                _index_rows(m, rowid, fts, terms)
                rowid += 1
            (result.updated if old_doc else result.inserted).append(m.id)
        if new_rows:
            self._db.executemany(_INSERT_NEW, new_rows)
        # The batch's index rows at once (one statement each, not one per mention).
        self._db.executemany("INSERT INTO mention_fts (rowid, tokens) VALUES (?, ?)", fts)
        self._db.executemany("INSERT OR IGNORE INTO mention_terms (field, value, mention_id) VALUES (?,?,?)", terms)
        self._db.executemany(
            "INSERT INTO mention_days (field, value, day, n) VALUES (?,?,?,?) "
            "ON CONFLICT(field, value, day) DO UPDATE SET n = n + excluded.n",
            [(f, v, d, n) for (f, v, d), n in deltas.items() if n],
        )
        self._add_hours(hours)
        self._add_seen(seen)
        late = newest is not None and any(_ts(by_id[i].collected_at) < newest - LATE_WRITE.total_seconds()
                                          for i in result.inserted)
        if result.updated or late:  # rewritten, or older than what rule state has read
            self._mark()
        return result

    def _mark(self) -> None:
        self._db.execute("INSERT INTO store_marks (name, n) VALUES ('mentions', 1) "
                         "ON CONFLICT(name) DO UPDATE SET n = n + 1")

    def changes(self) -> int:
        rows = self._query("SELECT n FROM store_marks WHERE name='mentions'")
        return int(rows[0][0]) if rows else 0

    def _add_hours(self, hours: dict[tuple[int, str, str, str, int, int], int]) -> None:
        """Apply changes to mention_hours (inside the caller's transaction); empty cells go."""
        changed = [(*cell, n) for cell, n in hours.items() if n]
        if not changed:
            return
        self._db.executemany(
            "INSERT INTO mention_hours (hour, entity, sentiment, source_name, lag, copy, n) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(hour, entity, sentiment, source_name, lag, copy) DO UPDATE SET n = n + excluded.n", changed)
        if any(n < 0 for *_, n in changed):
            self._db.executemany(
                "DELETE FROM mention_hours WHERE hour=? AND entity=? AND sentiment=? AND source_name=? AND lag=? AND copy=? AND n <= 0",
                [cell for *cell, n in changed if n < 0])

    def _add_seen(self, delta: SeenDelta) -> None:
        """Apply a write's changes to seen_terms (inside the caller's transaction); empty cells go."""
        rows = seen_rows(delta)
        if not rows:
            return
        self._db.executemany(
            "INSERT INTO seen_terms (field, term, hour, source_name, copy, n, last_published, last_collected, stale) "
            "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(field, term, hour, source_name, copy) DO UPDATE SET n = n + excluded.n, "
            "last_published = MAX(last_published, excluded.last_published), "
            "last_collected = MAX(last_collected, excluded.last_collected), stale = MAX(stale, excluded.stale)", rows)
        gone = [r[:5] for r in rows if r[5] < 0]
        if gone:
            self._db.executemany(
                "DELETE FROM seen_terms WHERE field=? AND term=? AND hour=? AND source_name=? AND copy=? AND n <= 0", gone)

    def _next_rowid(self) -> int | None:
        """The rowid SQLite gives the next row of mentions (one more than the largest, 1 when
        empty); None when the largest is the last possible rowid (SQLite then picks at random)."""
        top = self._db.execute("SELECT MAX(rowid) FROM mentions").fetchone()[0]
        return None if top is not None and top >= _MAX_ROWID else (top or 0) + 1

    def _write(self, m: Mention, existing: bool, fts: list[tuple[int, str]], terms: list[tuple[str, str, str]]) -> None:
        """Insert or update ``m``'s row; its full-text row and terms are added to ``fts`` and
        ``terms`` for the caller to insert (an existing mention's old ones are deleted here)."""
        db = self._db
        rowid = db.execute(_UPSERT, _row(m)).fetchone()[0]
        if existing:  # a new mention has neither (checked inside the write transaction)
            db.execute("DELETE FROM mention_fts WHERE rowid=?", (rowid,))
            db.execute("DELETE FROM mention_terms WHERE mention_id=?", (m.id,))
        _index_rows(m, rowid, fts, terms)

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return self._existing(list(ids))

    def _existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self._query(f"SELECT id FROM mentions WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            found.update(r[0] for r in rows)
        return found

    def get(self, mention_id: str) -> Mention | None:
        rows = self._query("SELECT doc FROM mentions WHERE id=?", (mention_id,))
        return Mention.model_validate_json(rows[0][0]) if rows else None

    def get_many(self, mention_ids: Sequence[str]) -> dict[str, Mention]:
        return {i: Mention.model_validate_json(doc) for i, doc in self._docs("mentions", mention_ids)}

    def _walk(self, flt: MentionFilter, limit: int) -> bool:
        """Whether a newest-first query should walk mentions in time order and test the full-text
        match on each (many matches: the first ``limit`` come soon) rather than fetch every
        match and sort them (few matches). Walking reads about limit × total / matches rows,
        fetching reads every match: walk when matches² is well above limit × total."""
        if flt.query is None or flt.query.empty or flt.ids or flt.clusters or flt.author_ids:
            return False
        expr = _fts_expr(flt.query)
        if not expr:
            return False
        matches = self._query("SELECT COUNT(*) FROM mention_fts WHERE mention_fts MATCH ?", (expr,))[0][0]
        total = self._query("SELECT MAX(rowid) FROM mentions")[0][0] or 0
        return bool(matches * matches > 4 * max(int(limit), 1) * total)

    def search(self, flt: MentionFilter, limit: int = 20) -> list[Mention]:
        where, params = self._where(flt, ordered=True, walk=self._walk(flt, limit))
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        rows = self._query(f"SELECT m.doc FROM mentions m{where} ORDER BY m.{tcol} DESC, m.id LIMIT ?", [*params, int(limit)])
        return [Mention.model_validate_json(r[0]) for r in rows]

    def _page(self, flt: MentionFilter, limit: int, key: PageKey, forward: bool) -> list[Mention]:
        where, params = self._where(flt, ordered=True, walk=self._walk(flt, limit))
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        # The same float as the mention's stored time: both are _ts of the same instant.
        at, mid = _ts(key[0]), key[1]
        if forward:
            keyset, order = f"(m.{tcol} < ? OR (m.{tcol} = ? AND m.id > ?))", f"m.{tcol} DESC, m.id"
        else:
            keyset, order = f"(m.{tcol} > ? OR (m.{tcol} = ? AND m.id < ?))", f"m.{tcol}, m.id DESC"
        where = f"{where}{' AND' if where else ' WHERE'} {keyset}"
        rows = self._query(f"SELECT m.doc FROM mentions m{where} ORDER BY {order} LIMIT ?",
                           [*params, at, at, mid, int(limit)])
        found = [Mention.model_validate_json(r[0]) for r in rows]
        return found if forward else found[::-1]

    def ids(self, flt: MentionFilter, limit: int = 20) -> list[str]:
        where, params = self._where(flt, ordered=True, walk=self._walk(flt, limit))
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        rows = self._query(f"SELECT m.id FROM mentions m{where} ORDER BY m.{tcol} DESC, m.id LIMIT ?", [*params, int(limit)])
        return [r[0] for r in rows]

    def page_by_id(self, flt: MentionFilter, after: str | None = None, limit: int = 500) -> list[Mention]:
        where, params = self._where(flt)
        if after is not None:
            where = f"{where}{' AND' if where else ' WHERE'} m.id > ?"
            params = [*params, after]
        rows = self._query(f"SELECT m.doc FROM mentions m{where} ORDER BY m.id LIMIT ?", [*params, int(limit)])
        return [Mention.model_validate_json(r[0]) for r in rows]

    def exists(self, flt: MentionFilter) -> bool:
        # Start from the term index: a rare term has few rows to check, a common one
        # has a match among the first few.
        where, params = self._where(flt, terms_first=True)
        return bool(self._query(f"SELECT 1 FROM mentions m{where} LIMIT 1", params))

    # -- whole-day windows from mention_days ---------------------------------------------
    def _days(self, flt: MentionFilter) -> tuple[tuple[str, str] | None, int | None, int | None, str] | None:
        """For a filter that is only a published_at window on Bangkok midnights, at most one watched
        entity and at most one simple condition: (that condition as a mention_days key, first day,
        end day, the entity scope suffix ``@entity`` or ""); else None."""
        if flt.time_field != "published_at":
            return None
        bounds: list[int | None] = []
        for value in (flt.since, flt.until):
            if value is None:
                bounds.append(None)
                continue
            ts = _ts(value)
            if (ts + BANGKOK_OFFSET) % DAY:
                return None
            bounds.append(_day_of(ts))
        rest = replace(flt, since=None, until=None, time_field="published_at")
        suffix = ""
        if len(rest.entities) == 1:
            suffix = "@" + rest.entities[0]
            rest = replace(rest, entities=())
        conditions: dict[MentionFilter, tuple[str, str] | None] = {
            MentionFilter(): None,
            MentionFilter(include_duplicates=False): ("_unique", ""),
            MentionFilter(complaint=True): ("_complaints", ""),
        }
        if rest in conditions:
            return conditions[rest], bounds[0], bounds[1], suffix
        if len(rest.sentiment) == 1 and rest == MentionFilter(sentiment=rest.sentiment):
            return ("sentiment", rest.sentiment[0]), bounds[0], bounds[1], suffix
        if not suffix and len(rest.entities) == 1 and rest == MentionFilter(entities=rest.entities):
            return ("entity", rest.entities[0]), bounds[0], bounds[1], suffix
        return None

    @staticmethod
    def _day_range(first: int | None, end: int | None) -> tuple[str, list[Any]]:
        sql, params = "", list[Any]()
        if first is not None:
            sql += " AND day >= ?"
            params.append(first)
        if end is not None:
            sql += " AND day < ?"
            params.append(end)
        return sql, params

    def count(self, flt: MentionFilter) -> int:
        days = self._days(flt)
        if days is not None:
            key, first, end, suffix = days
            field, value = key or ("_all", "")
            extra, params = self._day_range(first, end)
            row = self._query(f"SELECT COALESCE(SUM(n), 0) FROM mention_days WHERE field=? AND value=?{extra}",
                              [field + suffix, value, *params])
            return int(row[0][0])
        where, params = self._where(flt, ordered=self._few_of_language(flt))
        n: int = self._query(f"SELECT COUNT(*) FROM mentions m{where}", params)[0][0]
        return n

    def _few_of_language(self, flt: MentionFilter) -> bool:
        """Whether the filter's languages hold few of the stored mentions (a fifth at most, by the
        daily counts), so that walking the language index beats scanning every row."""
        if not flt.languages:
            return False
        marks = ",".join("?" * len(flt.languages))
        some = self._query(f"SELECT COALESCE(SUM(n), 0) FROM mention_days WHERE field='language' AND value IN ({marks})",
                           list(flt.languages))[0][0]
        every = self._query("SELECT COALESCE(SUM(n), 0) FROM mention_days WHERE field='_all'")[0][0]
        return bool(some * 5 <= every)

    def count_upto(self, flt: MentionFilter, cap: int) -> int:
        if self._days(flt) is not None:
            return min(self.count(flt), cap)
        where, params = self._where(flt, ordered=self._few_of_language(flt))
        # No ORDER BY: the planner walks rows in the cheapest order and stops at the cap.
        n: int = self._query(f"SELECT COUNT(*) FROM (SELECT 1 FROM mentions m{where} LIMIT ?)", [*params, int(cap)])[0][0]
        return n

    def count_by(self, flt: MentionFilter, group_by: str, limit: int = 100) -> dict[str, int]:
        days = self._days(flt)
        if days is not None and group_by in _DAY_FIELDS and (
            days[0] is None or (days[0] == ("_complaints", "") and group_by == "complaint_type")
        ):
            extra, params = self._day_range(days[1], days[2])
            rows = self._query(
                f"SELECT value, SUM(n) AS s FROM mention_days WHERE field=?{extra} GROUP BY value HAVING s > 0 "
                "ORDER BY s DESC, value LIMIT ?",
                [group_by + days[3], *params, int(limit)],
            )
            return {value: int(n) for value, n in rows}
        where, params = self._where(flt)
        if group_by in _COLUMNS:
            col = _COLUMNS[group_by] if group_by == "cluster" else f"m.{_COLUMNS[group_by]}"
            col = col.replace("(duplicate_of, id)", "(m.duplicate_of, m.id)")
            sql = (
                f"SELECT {col} AS v, COUNT(*) AS n FROM mentions m{where}"
                f"{' AND' if where else ' WHERE'} {col} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?"
            )
        elif group_by in _MULTI:
            # With a time window, walk the window's mentions and look their terms up
            # (CROSS JOIN fixes that order); without one, let the planner choose.
            join = "mentions m CROSS JOIN mention_terms t" if (flt.since is not None or flt.ids) else "mention_terms t JOIN mentions m"
            sql = (
                f"SELECT t.value, COUNT(*) AS n FROM {join} ON m.id = t.mention_id"
                f"{where}{' AND' if where else ' WHERE'} t.field = ? GROUP BY t.value ORDER BY n DESC, t.value LIMIT ?"
            )
            params = [*params, _MULTI[group_by]]
        else:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        return {value: n for value, n in self._query(sql, [*params, int(limit)])}

    def count_voices(self, flt: MentionFilter) -> int:
        where, params = self._where(flt)
        news = ",".join("?" * len(NEWS_SOURCE_KINDS))
        sql = (
            "SELECT COUNT(DISTINCT COALESCE(m.duplicate_of, m.id) || '|' || "
            f"CASE WHEN m.source_kind IN ({news}) THEN '' ELSE COALESCE(m.author_id, m.source_name) END) "
            f"FROM mentions m{where}"
        )
        return int(self._query(sql, [*NEWS_SOURCE_KINDS, *params])[0][0])

    # -- incremental rule evaluation (see alerts/running.py) -------------------------------
    _VOICE_SQL = (
        "COALESCE(m.duplicate_of, m.id) || '|' || CASE WHEN m.source_kind IN ({news}) THEN '' "
        "ELSE COALESCE(NULLIF(m.author_id, ''), m.source_name) END"
    )

    def _key_sql(self, group_by: str | None) -> tuple[str, list[object]]:
        if group_by is None:
            return "NULL", []
        if group_by in _MULTI:
            return ("(SELECT group_concat(t.value, char(31)) FROM mention_terms t WHERE t.mention_id = m.id AND t.field = ?)",
                    [_MULTI[group_by]])
        if group_by in _COLUMNS:
            return (_COLUMNS[group_by] if group_by == "cluster" else f"m.{_COLUMNS[group_by]}").replace(
                "(duplicate_of, id)", "(m.duplicate_of, m.id)"), []
        raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")

    def mention_rows(self, flt: MentionFilter, group_by: str | None = None) -> list[MentionRow]:
        where, params = self._where(flt)
        key_sql, key_params = self._key_sql(group_by)
        rows = self._query(
            "SELECT m.id, m.published_at, m.collected_at, m.duplicate_of, m.source_kind, m.source_name, m.author_id, "
            f"{key_sql} FROM mentions m{where}", [*key_params, *params])
        out = []
        multi = group_by in _MULTI
        for i, pub, col, dup, kind, name, author, key in rows:
            speaker = "" if kind in NEWS_SOURCE_KINDS else (author or name)
            keys: tuple[str, ...] = () if key is None else (tuple(key.split("\x1f")) if multi else (str(key),))
            out.append(MentionRow(i, pub, col, dup is not None, f"{dup or i}|{speaker}", author, keys))
        return out

    def bucket_counts(
        self, flt: MentionFilter, group_by: str | None, origin: datetime, step: timedelta, buckets: int,
        settle: timedelta, voices: bool,
    ) -> BucketTable:
        # One pass over the baseline: bucket index from the time, the settle condition per
        # bucket, grouped by (bucket, key).
        lo, width = _ts(origin), step.total_seconds()
        where, params = self._where(replace(flt, since=origin, until=origin + step * buckets, collected_until=None))
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        bucket = f"CAST((m.{tcol} - ?) / ? AS INTEGER)"
        settled = f"m.collected_at <= ? + ({bucket} + 1) * ? + ?"
        counted = ("COUNT(DISTINCT " + self._VOICE_SQL.format(news=",".join("?" * len(NEWS_SOURCE_KINDS))) + ")") if voices else "COUNT(*)"
        head: list[object] = [lo, width, *(NEWS_SOURCE_KINDS if voices else ())]
        tail: list[object] = [lo, lo, width, width, settle.total_seconds()]
        if group_by in _MULTI:
            sql = (f"SELECT {bucket} AS b, t.value, {counted} FROM mentions m CROSS JOIN mention_terms t ON m.id = t.mention_id"
                   f"{where}{' AND' if where else ' WHERE'} t.field = ? AND {settled} GROUP BY b, t.value")
            args = [*head, *params, _MULTI[group_by], *tail]
        else:
            key_sql, _ = self._key_sql(group_by)
            sql = f"SELECT {bucket} AS b, {key_sql}, {counted} FROM mentions m{where}{' AND' if where else ' WHERE'} {settled} GROUP BY b, 2"
            args = [*head, *params, *tail]
        out: BucketTable = {}
        for b, key, n in self._query(sql, args):
            if group_by is not None and key is None:
                continue
            out.setdefault(lo + width * b, {})[key] = int(n)
        return out

    def terms_last_seen(self, flt: MentionFilter, field: str) -> dict[str, float]:
        if field not in _MULTI:
            raise InputError(f"not a multi-valued field: {field!r}")
        where, params = self._where(flt)
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        rows = self._query(
            f"SELECT t.value, MAX(m.{tcol}) FROM mentions m CROSS JOIN mention_terms t ON m.id = t.mention_id"
            f"{where}{' AND' if where else ' WHERE'} t.field = ? GROUP BY t.value", [*params, _MULTI[field]])
        return {value: float(t) for value, t in rows}

    def terms_seen(self, flt: MentionFilter, field: str, terms: Sequence[str]) -> dict[str, float]:
        # Few terms: walk each one's mentions from the term index (a rare term has few).
        if field not in _MULTI:
            raise InputError(f"not a multi-valued field: {field!r}")
        out: dict[str, float] = {}
        terms = list(dict.fromkeys(terms))
        where, params = self._where(flt, terms_first=True)
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        for i in range(0, len(terms), 200):
            chunk = terms[i:i + 200]
            rows = self._query(
                f"SELECT t.value, MAX(m.{tcol}) FROM mention_terms t CROSS JOIN mentions m ON m.id = t.mention_id"
                f"{where}{' AND' if where else ' WHERE'} t.field = ? AND t.value IN ({','.join('?' * len(chunk))}) "
                "GROUP BY t.value", [*params, _MULTI[field], *chunk])
            out.update((value, float(t)) for value, t in rows if t is not None)
        return out

    _RULE_COLUMNS = (
        "m.rowid, m.id, m.published_at, m.collected_at, m.duplicate_of, m.source_kind, m.source_name, m.author_id, "
        "m.sentiment, m.spam_score, m.expectation, m.category, m.news_topic, "
        "(SELECT group_concat(t.field || char(30) || t.value, char(31)) FROM mention_terms t WHERE t.mention_id = m.id "
        "AND t.field IN ('entity', 'hashtag', 'keyword', 'stakeholder'))"
    )

    @staticmethod
    def _rule_row(r: tuple[Any, ...]) -> RuleRow:
        if not r[13]:
            return RuleRow(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12])
        multi: dict[str, list[str]] = {"entity": [], "hashtag": [], "keyword": [], "stakeholder": []}
        for item in r[13].split("\x1f"):
            fld, _, value = item.partition("\x1e")
            multi[fld].append(value)
        return RuleRow(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
                       tuple(multi["entity"]), tuple(multi["hashtag"]), tuple(multi["keyword"]), tuple(multi["stakeholder"]))

    def _fts_rowids(self, expr: str, lo: int, hi: int) -> set[int]:
        """Rowids in [lo, hi] whose text matches ``expr`` (the full-text index seeks the range)."""
        rows = self._query("SELECT rowid FROM mention_fts WHERE mention_fts MATCH ? AND rowid >= ? AND rowid <= ?", (expr, lo, hi))
        return {r[0] for r in rows}

    def rule_rows(self, flt: MentionFilter, queries: Sequence[Query] = (), counts: Sequence[MentionFilter] = (),
                  rows: bool = True, published_before: datetime | None = None) -> RuleRead:
        where, params = self._where(flt)
        if published_before is not None:
            where = f"{where}{' AND' if where else ' WHERE'} +m.published_at < ?"
            params = [*params, _ts(published_before)]
        columns = self._RULE_COLUMNS if rows else "m.rowid, m.id"
        found = self._query(f"SELECT {columns} FROM mentions m{where}", params)
        hits: list[set[str]] = []
        if queries:
            rowids = {r[0]: r[1] for r in found}
            lo, hi = (min(rowids), max(rowids)) if rowids else (0, -1)
            for q in queries:
                expr = _fts_expr(q)
                keep = set(rowids) if expr is None else (self._fts_rowids(expr, lo, hi) & rowids.keys())
                if q.none_of and keep:
                    keep -= self._fts_rowids(" OR ".join(_fts_phrase(p) for p in q.none_of), lo, hi)
                hits.append({rowids[r] for r in keep})
        return RuleRead([self._rule_row(r) for r in found] if rows else [], hits, [self.count(c) for c in counts])

    def hour_cells(self, since: datetime, until: datetime) -> HourCells:
        lo, hi = int(_ts(since) // 3600), int(-(-_ts(until) // 3600))
        cells = [tuple(r) for r in self._query(
            "SELECT hour, entity, sentiment, source_name, lag, copy, n FROM mention_hours WHERE hour >= ? AND hour < ?", (lo, hi))]
        # The copies' ids from an index that holds publication time and duplicate_of (not the rows).
        sql = (f"SELECT {self._RULE_COLUMNS} FROM mentions m WHERE m.id IN (SELECT id FROM mentions {{}}WHERE is_complaint IN (0, 1) "
               "AND published_at >= ? AND published_at < ? AND duplicate_of IS NOT NULL)")
        try:
            found = self._query(sql.format("INDEXED BY mentions_complaints "), (lo * 3600, hi * 3600))
        except sqlite3.OperationalError:  # no such index: let the planner choose
            found = self._query(sql.format(""), (lo * 3600, hi * 3600))
        copies = [self._rule_row(r) for r in found]
        originals: dict[str, RuleRow] = {}
        wanted = sorted({c.duplicate_of for c in copies if c.duplicate_of})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for r in self._query(f"SELECT {self._RULE_COLUMNS} FROM mentions m WHERE m.id IN ({','.join('?' * len(chunk))})", chunk):
                row = self._rule_row(r)
                originals[row.id] = row
        return HourCells(cells, copies, originals)

    def term_sightings(self, field: str, terms: Sequence[str], since: datetime, until: datetime) -> list[TermCell]:
        lo, hi = int(_ts(since) // 3600), int(-(-_ts(until) // 3600))
        wanted = list(dict.fromkeys(terms))
        out: list[TermCell] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            out.extend(tuple(r) for r in self._query(
                "SELECT term, hour, source_name, copy, n, last_published, last_collected, stale FROM seen_terms "
                f"WHERE field = ? AND term IN ({','.join('?' * len(chunk))}) AND hour >= ? AND hour < ?",
                [field, *chunk, lo, hi]))
        return out

    def count_distinct(self, flt: MentionFilter, fld: str) -> int:
        if fld not in _COLUMNS:
            raise InputError(f"cannot count distinct {fld!r} (allowed: {', '.join(_COLUMNS)})")
        days = self._days(flt)
        if days is not None and days[0] is None and fld in _DAY_COLUMNS:
            extra, day_params = self._day_range(days[1], days[2])
            found: int = self._query(f"SELECT COUNT(DISTINCT value) FROM mention_days WHERE field=? AND n > 0{extra}",
                                     [fld + days[3], *day_params])[0][0]
            return found
        where, params = self._where(flt)
        col = "COALESCE(m.duplicate_of, m.id)" if fld == "cluster" else f"m.{_COLUMNS[fld]}"
        n: int = self._query(f"SELECT COUNT(DISTINCT {col}) FROM mentions m{where}", params)[0][0]
        return n

    def histogram(self, flt: MentionFilter, interval: timedelta, origin: datetime | None = None) -> list[tuple[datetime, int]]:
        step = interval.total_seconds()
        if step <= 0:
            raise InputError("histogram interval must be positive")
        days = self._days(flt) if step == DAY and origin is None else None
        if days is not None:
            key, first, end, suffix = days
            field, value = key or ("_all", "")
            extra, params = self._day_range(first, end)
            rows = self._query(
                f"SELECT day, SUM(n) AS s FROM mention_days WHERE field=? AND value=?{extra} GROUP BY day "
                "HAVING s > 0 ORDER BY day",
                [field + suffix, value, *params],
            )
            return [(_dt(d * DAY - BANGKOK_OFFSET), int(n)) for d, n in rows]
        where, params = self._where(flt)
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        # Shift so that bucket 0 starts at the origin (default: a Bangkok midnight).
        shift = -_ts(origin) if origin is not None else BANGKOK_OFFSET
        sql = (
            f"SELECT CAST(floor((m.{tcol} + ?) / ?) AS INTEGER) AS b, COUNT(*) FROM mentions m{where} "
            "GROUP BY b ORDER BY b"
        )
        rows = self._query(sql, [shift, step, *params])
        return [(_dt(b * step - shift), n) for b, n in rows]

    def find_by_text_hash(self, text_hash: str) -> str | None:
        rows = self._query(
            "SELECT id FROM mentions WHERE text_hash=? ORDER BY collected_at, id LIMIT 1", (text_hash,)
        )
        return rows[0][0] if rows else None

    def find_by_text_hashes(self, text_hashes: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(text_hashes))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = self._query(f"SELECT text_hash, id FROM mentions WHERE text_hash IN ({','.join('?' * len(chunk))}) "
                               "ORDER BY collected_at, id", chunk)
            for h, mention_id in rows:  # the earliest of each hash comes first
                found.setdefault(h, mention_id)
        return found

    def fingerprints_since(self, since: datetime) -> list[Fingerprint]:
        rows = self._query(
            "SELECT id, text_hash, simhash FROM mentions WHERE collected_at >= ? AND duplicate_of IS NULL "
            "ORDER BY collected_at, id",
            (_ts(since),),
        )
        return [Fingerprint(i, h, _unsigned(s)) for i, h, s in rows]

    # -- alert state -------------------------------------------------------------
    def last_fired(self, rule_id: str, key: str) -> datetime | None:
        rows = self._query("SELECT last_fired_at FROM rule_state WHERE rule_id=? AND key=?", (rule_id, key))
        return _dt(rows[0][0]) if rows else None

    def set_last_fired(self, rule_id: str, key: str, at: datetime) -> None:
        self._query(
            "INSERT INTO rule_state (rule_id, key, last_fired_at) VALUES (?,?,?) "
            "ON CONFLICT(rule_id, key) DO UPDATE SET last_fired_at=excluded.last_fired_at",
            (rule_id, key, _ts(at)),
        )

    def record_alert(self, alert_json: str, rule_id: str, key: str, fired_at: datetime, incident_id: str | None) -> None:
        self._query(
            "INSERT INTO alerts (rule_id, key, fired_at, incident_id, doc) VALUES (?,?,?,?,?)",
            (rule_id, key, _ts(fired_at), incident_id, alert_json),
        )

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """One write transaction, its lock taken at the start (BEGIN IMMEDIATE), under this
        connection's lock: committed when the block ends, rolled back when it raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

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
        with self._immediate():
            self.set_last_fired(rule_id, key, fired_at)
            self.record_alert(alert_json, rule_id, key, fired_at, incident_id)
            self._enqueue(deliveries, events)

    def write_alert_state(
        self,
        cooling: Sequence[tuple[str, str, datetime]] = (),
        incidents: Sequence[Incident] = (),
        events: Sequence[tuple[str, IncidentEvent]] = (),
    ) -> None:
        with self._immediate():
            super().write_alert_state(cooling, incidents, events)

    def enqueue(self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]] = ()) -> None:
        with self._immediate():
            self._enqueue(deliveries, events)

    def _enqueue(self, deliveries: Sequence[Delivery], events: Sequence[tuple[str, IncidentEvent]]) -> None:
        for d in deliveries:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (id, notifier, incident_id, status, next_at, created_at, doc) VALUES (?,?,?,?,?,?,?)",
                _outbox_row(d),
            )
        for incident_id, event in events:
            self._db.execute(
                "INSERT INTO incident_events (incident_id, at, doc) VALUES (?,?,?)",
                (incident_id, _ts(event.at), event.model_dump_json()),
            )

    def claim_due(self, at: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        now = _ts(at)
        with self._immediate():
            rows = self._db.execute(
                "SELECT doc FROM outbox WHERE status IN ('pending', 'sending') AND (next_at IS NULL OR next_at <= ?) "
                "ORDER BY created_at, rowid LIMIT ?",
                (now, int(limit)),
            ).fetchall()
            claimed = []
            for (doc,) in rows:
                d = delivery_from_json(doc)
                d.status, d.next_at = "sending", at + lease
                self._db.execute(
                    "UPDATE outbox SET status=?, next_at=?, doc=? WHERE id=?",
                    (d.status, _ts(d.next_at), delivery_json(d), d.id),
                )
                claimed.append(d)
        return claimed

    def save_delivery(self, delivery: Delivery) -> None:
        # The state only: what it says stays as stored, which an erasure may have rewritten
        # since this delivery was claimed (scrub_delivery).
        state = json.loads(delivery_json(delivery))
        self._query(
            "UPDATE outbox SET status=?, next_at=?, doc=json_set(doc, " + ", ".join(f"'$.{k}', json(?)" for k in DELIVERY_STATE)
            + ") WHERE id=?",
            (delivery.status, _ts(delivery.next_at) if delivery.next_at else None,
             *(json.dumps(state[k], ensure_ascii=False) for k in DELIVERY_STATE), delivery.id),
        )

    def deliveries(self, status: str | None = None, incident_id: str | None = None) -> list[Delivery]:
        clauses: list[str] = []
        params: list[object] = []
        if status is not None:
            clauses.append("status=?")
            params.append(status)
        if incident_id is not None:
            clauses.append("incident_id=?")
            params.append(incident_id)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._query(f"SELECT doc FROM outbox{where} ORDER BY created_at, rowid", params)
        return [delivery_from_json(r[0]) for r in rows]

    def alerts_since(self, since: datetime) -> list[dict[str, Any]]:
        rows = self._query("SELECT doc FROM alerts WHERE fired_at >= ? ORDER BY fired_at, id", (_ts(since),))
        return [json.loads(r[0]) for r in rows]

    def log_response(self, mention_id: str, at: datetime, actor: str, channel: str, text: str) -> None:
        self._query(
            "INSERT INTO responses (mention_id, at, actor, channel, text) VALUES (?,?,?,?,?)",
            (mention_id, _ts(at), actor, channel, text),
        )

    def engagement_totals(self, flt: MentionFilter) -> dict[str, int]:
        days = self._days(flt)
        if days is not None and days[0] is None:
            extra, day_params = self._day_range(days[1], days[2])
            rows = self._query(f"SELECT value, SUM(n) FROM mention_days WHERE field=?{extra} GROUP BY value",
                               ["_engagement" + days[3], *day_params])
            found = {str(v): int(n) for v, n in rows}
            return {n: found.get(n, 0) for n in ENGAGEMENT_FIELDS}
        where, params = self._where(flt)
        sums = ", ".join(f"COALESCE(SUM(json_extract(m.doc, '$.engagement.{n}')), 0)" for n in ENGAGEMENT_FIELDS)
        row = self._query(f"SELECT {sums} FROM mentions m{where}", params)[0]
        return {n: int(v) for n, v in zip(ENGAGEMENT_FIELDS, row)}

    def response_rows(self, flt: MentionFilter, group_by: str) -> list[ResponseRow]:
        where, params = self._where(flt)
        delay = "(SELECT MIN(r.at) FROM responses r WHERE r.mention_id = m.id) - m.published_at"
        if group_by in _COLUMNS:
            col = "COALESCE(m.duplicate_of, m.id)" if group_by == "cluster" else f"m.{_COLUMNS[group_by]}"
            sql = f"SELECT m.id, COALESCE({col}, ''), m.published_at, {delay} FROM mentions m{where}"
        elif group_by in _MULTI:
            sql = (
                f"SELECT m.id, COALESCE(t.value, ''), m.published_at, {delay} FROM mentions m "
                f"LEFT JOIN mention_terms t ON t.mention_id = m.id AND t.field = '{_MULTI[group_by]}'{where}"
            )
        else:
            raise InputError(f"cannot group by {group_by!r} (allowed: {', '.join(GROUP_FIELDS)})")
        # Ids and values are TEXT, times REAL (the delay NULL when unanswered): rows as they come.
        rows: list[ResponseRow] = self._query(sql, params)
        return rows

    def snooze(self, rule_id: str, key: str, until: datetime, actor: str, reason: str = "") -> None:
        self._query(
            "INSERT INTO snoozes (rule_id, key, until, actor, reason) VALUES (?,?,?,?,?) "
            "ON CONFLICT(rule_id, key) DO UPDATE SET until=excluded.until, actor=excluded.actor, reason=excluded.reason",
            (rule_id, key, _ts(until), actor, reason),
        )

    def snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        rows = self._query("SELECT MAX(until) FROM snoozes WHERE rule_id=? AND key IN (?, '*')", (rule_id, key))
        return _dt(rows[0][0]) if rows and rows[0][0] is not None else None

    def responses(self, mention_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT at, actor, channel, text FROM responses WHERE mention_id=? ORDER BY at, id", (mention_id,))
        return [{"at": _dt(a), "actor": actor, "channel": ch, "text": t} for a, actor, ch, t in rows]

    def assign(self, mention_id: str, assignee: str, actor: str, at: datetime) -> None:
        self._query(
            "INSERT INTO assignments (mention_id, assignee, actor, at) VALUES (?,?,?,?) ON CONFLICT(mention_id) "
            "DO UPDATE SET assignee=excluded.assignee, actor=excluded.actor, at=excluded.at",
            (mention_id, assignee, actor, _ts(at)),
        )

    def correct(self, mention_id: str, correction: LabelCorrection) -> Mention | None:
        # One write transaction (BEGIN IMMEDIATE: other processes wait) for the read, the merge,
        # the write and the history row: two corrections at once both count.
        with self._lock:
            self._writer_settings()
            with self._immediate():
                got = self._db.execute("SELECT doc FROM mentions WHERE id=?", (mention_id,)).fetchone()
                if got is None:
                    return None
                fixed = with_correction(Mention.model_validate_json(got[0]), correction)
                self._upsert([fixed], keep_corrections=False)
                self.record_correction(mention_id, correction)
        return fixed

    def record_correction(self, mention_id: str, correction: LabelCorrection) -> None:
        self._query(
            "INSERT INTO corrections (mention_id, at, actor, fields) VALUES (?,?,?,?)",
            (mention_id, _ts(correction.at), correction.by, json.dumps(correction.fields(), ensure_ascii=False)),
        )

    def corrections(self, mention_id: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE mention_id=?", (mention_id,)) if mention_id is not None else ("", ())
        rows = self._query(f"SELECT mention_id, at, actor, fields FROM corrections {where} ORDER BY at, id", params)
        return [{"mention_id": m, "at": _dt(at), "actor": actor, "fields": json.loads(f)} for m, at, actor, f in rows]

    def corrected_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT mention_id FROM corrections ORDER BY mention_id")]

    def assignments(self, mention_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        ids = list(mention_ids)
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self._query(
                f"SELECT mention_id, assignee, actor, at FROM assignments WHERE mention_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({m: {"assignee": a, "actor": actor, "at": _dt(at)} for m, a, actor, at in rows})
        return out

    def snoozes(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT rule_id, key, until, actor, reason FROM snoozes ORDER BY rule_id, key")
        return [{"rule_id": r, "key": k, "until": _dt(u), "actor": a, "reason": why} for r, k, u, a, why in rows]

    # -- partner sharing audit --------------------------------------------------------
    def record_share(self, share: dict[str, Any]) -> None:
        self._query(
            "INSERT INTO shares (partner, at, channel, actor, upto, items) VALUES (?,?,?,?,?,?)",
            (share["partner"], _ts(share["at"]), share["channel"], share["actor"],
             _ts(share["upto"]) if share.get("upto") else None, json.dumps(list(share["items"]))),
        )

    def shares(self, partner: str | None = None, channel: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, params = [], []
        if partner is not None:
            where.append("partner=?")
            params.append(partner)
        if channel is not None:
            where.append("channel=?")
            params.append(channel)
        sql = "SELECT partner, at, channel, actor, upto, items FROM shares"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._query(sql + " ORDER BY seq DESC LIMIT ?", [*params, limit])
        return [{"partner": p, "at": _dt(at), "channel": ch, "actor": actor, "upto": _dt(upto) if upto is not None else None,
                 "items": json.loads(items)} for p, at, ch, actor, upto, items in rows]

    # -- users and API tokens -------------------------------------------------------
    def save_user(self, user: User) -> None:
        self._query(
            "INSERT INTO users (username, doc) VALUES (?,?) ON CONFLICT(username) DO UPDATE SET doc=excluded.doc",
            (user.username, user.model_dump_json()),
        )

    def get_user(self, username: str) -> User | None:
        rows = self._query("SELECT doc FROM users WHERE username=?", (username,))
        return User.model_validate_json(rows[0][0]) if rows else None

    def list_users(self) -> list[User]:
        return [User.model_validate_json(r[0]) for r in self._query("SELECT doc FROM users ORDER BY username")]

    def save_api_token(self, token: ApiToken) -> None:
        self._query(
            "INSERT INTO api_tokens (token_hash, username, created_at, doc) VALUES (?,?,?,?) "
            "ON CONFLICT(token_hash) DO UPDATE SET doc=excluded.doc",
            (token.token_hash, token.username, _ts(token.created_at), token.model_dump_json()),
        )

    def find_api_token(self, token_hash: str) -> ApiToken | None:
        rows = self._query("SELECT doc FROM api_tokens WHERE token_hash=?", (token_hash,))
        return ApiToken.model_validate_json(rows[0][0]) if rows else None

    def list_api_tokens(self, username: str | None = None) -> list[ApiToken]:
        if username is None:
            rows = self._query("SELECT doc FROM api_tokens ORDER BY created_at DESC")
        else:
            rows = self._query("SELECT doc FROM api_tokens WHERE username=? ORDER BY created_at DESC", (username,))
        return [ApiToken.model_validate_json(r[0]) for r in rows]

    # -- crawl reports ------------------------------------------------------------------
    def save_crawl_report(self, report: dict[str, Any]) -> None:
        self._query(
            "INSERT INTO crawl_reports (source, finished_at, doc) VALUES (?,?,?) "
            "ON CONFLICT(source) DO UPDATE SET finished_at=excluded.finished_at, doc=excluded.doc",
            (str(report["source"]), str(report["finished_at"]), json.dumps(report, ensure_ascii=False)),
        )

    def crawl_reports(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self._query("SELECT doc FROM crawl_reports ORDER BY source")]

    # -- stakeholder registry and complaint cases -------------------------------------
    def save_stakeholder(self, stakeholder: Stakeholder) -> None:
        self._query(
            "INSERT INTO stakeholders (id, doc) VALUES (?,?) ON CONFLICT(id) DO UPDATE SET doc=excluded.doc",
            (stakeholder.id, stakeholder.model_dump_json()),
        )

    def get_stakeholder(self, stakeholder_id: str) -> Stakeholder | None:
        rows = self._query("SELECT doc FROM stakeholders WHERE id=?", (stakeholder_id,))
        return Stakeholder.model_validate_json(rows[0][0]) if rows else None

    def list_stakeholders(self) -> list[Stakeholder]:
        return [Stakeholder.model_validate_json(r[0]) for r in self._query("SELECT doc FROM stakeholders ORDER BY id")]

    def delete_stakeholder(self, stakeholder_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM stakeholders WHERE id=?", (stakeholder_id,)).rowcount > 0

    _CASE_INSERT = ("INSERT INTO complaint_cases (id, state, received_at, doc, author_id, thread, incident_id, closed_at, "
                    "cause) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO ")

    @staticmethod
    def _case_row(case: ComplaintCase) -> tuple[object, ...]:
        return (case.id, case.state, _ts(case.received_at), case.model_dump_json(), case.author_id, case.thread,
                case.incident_id, _closed_ts(case), case.cause)

    def _hold(self, case_id: str, mention_ids: Iterable[str]) -> None:
        """Set the case_mentions rows of one case (inside the caller's transaction)."""
        self._db.execute("DELETE FROM case_mentions WHERE case_id=?", (case_id,))
        self._db.executemany("INSERT OR IGNORE INTO case_mentions (mention_id, case_id) VALUES (?,?)",
                             [(m, case_id) for m in mention_ids])

    def save_case(self, case: ComplaintCase) -> None:
        with self._immediate():
            self._db.execute(self._CASE_INSERT + "UPDATE SET state=excluded.state, received_at=excluded.received_at, "
                             "doc=excluded.doc, author_id=excluded.author_id, thread=excluded.thread, "
                             "incident_id=excluded.incident_id, closed_at=excluded.closed_at, cause=excluded.cause",
                             self._case_row(case))
            self._hold(case.id, case.mention_ids)

    def add_case(self, case: ComplaintCase) -> bool:
        with self._immediate():
            added = self._db.execute(self._CASE_INSERT + "NOTHING", self._case_row(case)).rowcount == 1
            if added:
                self._hold(case.id, case.mention_ids)
            return added

    def get_case(self, case_id: str) -> ComplaintCase | None:
        rows = self._query("SELECT doc FROM complaint_cases WHERE id=?", (case_id,))
        return ComplaintCase.model_validate_json(rows[0][0]) if rows else None

    def get_cases(self, case_ids: Sequence[str]) -> dict[str, ComplaintCase]:
        return {i: ComplaintCase.model_validate_json(doc) for i, doc in self._docs("complaint_cases", case_ids)}

    def _docs(self, table: str, ids: Sequence[str]) -> list[tuple[str, str]]:
        """(id, doc) of the rows of ``table`` with these ids: an IN query per 500 ids."""
        ids = list(dict.fromkeys(ids))
        out: list[tuple[str, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out.extend(self._query(f"SELECT id, doc FROM {table} WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def list_cases(self, states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        if states:
            rows = self._query(
                f"SELECT doc FROM complaint_cases WHERE state IN ({','.join('?' * len(states))}) "
                "ORDER BY received_at DESC, id", states,
            )
        else:
            rows = self._query("SELECT doc FROM complaint_cases ORDER BY received_at DESC, id")
        return [ComplaintCase.model_validate_json(r[0]) for r in rows]

    def queue_case_keys(self, closed_since: datetime) -> list[CaseKey]:
        # The times are stored as floats: the query takes a second more and the exact bound is
        # applied to the datetimes (a float's rounding cannot drop a case at the boundary).
        keys = self._case_keys("c.state = 'open' OR (c.state = 'closed' AND c.closed_at >= ?)",
                               (_ts(closed_since) - 1,), with_ids=False)
        return [k for k, closed in keys if closed is None or closed >= closed_since]

    def open_case_keys(self) -> list[CaseKey]:
        return [k for k, _ in self._case_keys("c.state = 'open'", (), with_ids=True)]

    def _case_keys(self, where: str, bound: tuple[object, ...],
                   with_ids: bool) -> list[tuple[CaseKey, datetime | None]]:
        """The cases ``where`` picks as :class:`CaseKey`, each with when it was closed (None while
        open), in list_cases order. The complaints' publication times and the responses to them
        come from case_mentions, in the same read transaction (one snapshot: a case saved
        meanwhile is not half read); ``with_ids``: the ids each case holds as well."""
        cases = f"FROM complaint_cases c WHERE {where}"
        held: list[tuple[str, str]] = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute("SELECT c.id, c.state, json_extract(c.doc, '$.received_at'), "
                                        f"json_extract(c.doc, '$.closed_at'), c.closed_at {cases} "
                                        "ORDER BY c.received_at DESC, c.id", bound).fetchall()
                posted = self._db.execute("SELECT cm.case_id, m.published_at, m.id FROM case_mentions cm "
                                          "JOIN mentions m ON m.id = cm.mention_id WHERE cm.case_id IN "
                                          f"(SELECT c.id {cases}) AND cm.case_id IN (SELECT case_id FROM case_mentions "
                                          "GROUP BY case_id HAVING COUNT(*) > 1) ORDER BY m.published_at, m.id",
                                          bound).fetchall()
                answers = self._db.execute("SELECT cm.case_id, r.at FROM case_mentions cm JOIN responses r ON "
                                           f"r.mention_id = cm.mention_id WHERE cm.case_id IN (SELECT c.id {cases}) "
                                           "ORDER BY r.at", bound).fetchall()
                if with_ids:
                    held = self._db.execute("SELECT cm.case_id, cm.mention_id FROM case_mentions cm WHERE "
                                            f"cm.case_id IN (SELECT c.id {cases})", bound).fetchall()
            finally:
                self._db.execute("COMMIT")
        times: dict[str, list[tuple[datetime, str]]] = {}
        for case_id, at, mid in posted:
            times.setdefault(case_id, []).append((_dt(at), mid))
        responses: dict[str, list[datetime]] = {}
        for case_id, at in answers:
            responses.setdefault(case_id, []).append(_dt(at))
        ids: dict[str, list[str]] = {}
        for case_id, mid in held:
            ids.setdefault(case_id, []).append(mid)
        return [(CaseKey(i, state, datetime.fromisoformat(at), tuple(times.get(i, ())), tuple(responses.get(i, ())),
                         tuple(sorted(ids.get(i, ())))),
                 None if state != "closed" else datetime.fromisoformat(closed_iso) if closed_iso else _dt(closed_ts))
                for i, state, at, closed_iso, closed_ts in rows]

    def case_cause_counts(self, closed_since: datetime, closed_until: datetime) -> dict[str | None, int]:
        # as queue_case_keys: a second more either side in the query, the exact bounds applied
        # to the datetimes (the document's closed_at, else the column: its timeline's closing)
        rows = self._query("SELECT cause, json_extract(doc, '$.closed_at'), closed_at FROM complaint_cases "
                           "WHERE state = 'closed' AND closed_at >= ? AND closed_at < ? "
                           "AND json_extract(doc, '$.close_reason') IS NOT ?",
                           (_ts(closed_since) - 1, _ts(closed_until) + 1, PRESS_COVERAGE))
        counts: dict[str | None, int] = {}
        for cause, closed_iso, closed_ts in rows:
            if closed_since <= (datetime.fromisoformat(closed_iso) if closed_iso else _dt(closed_ts)) < closed_until:
                counts[cause] = counts.get(cause, 0) + 1
        return counts

    def open_cases_joining(self, authors: Iterable[str] = (), threads: Iterable[str] = (),
                           incidents: Iterable[str] = ()) -> list[ComplaintCase]:
        found: dict[str, tuple[float, str]] = {}  # case id → received_at, doc
        for column, values in zip(_CASE_KEYS, (authors, threads, incidents), strict=True):
            keys = sorted({v for v in values if v})
            for i in range(0, len(keys), 500):  # SQLite's limit on parameters
                chunk = keys[i:i + 500]
                rows = self._query(f"SELECT id, received_at, doc FROM complaint_cases WHERE {column} IN "
                                   f"({','.join('?' * len(chunk))}) AND state='open'", chunk)
                found.update((case_id, (received, doc)) for case_id, received, doc in rows)
        return _in_list_order(found)

    def open_cases_of(self, stakeholder_id: str) -> list[ComplaintCase]:
        # the documents are read in SQLite's JSON functions; only the stakeholder's are parsed here
        rows = self._query("SELECT doc FROM complaint_cases WHERE state='open' AND EXISTS (SELECT 1 FROM "
                           "json_each(doc, '$.stakeholders') WHERE value = ?) ORDER BY received_at DESC, id",
                           (stakeholder_id,))
        return [ComplaintCase.model_validate_json(r[0]) for r in rows]

    def held_mentions(self, mention_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(mention_ids))
        held: set[str] = set()
        for i in range(0, len(ids), 500):  # SQLite's limit on parameters
            chunk = ids[i:i + 500]
            held.update(r[0] for r in self._query(
                f"SELECT DISTINCT mention_id FROM case_mentions WHERE mention_id IN ({','.join('?' * len(chunk))})", chunk))
        return held

    def cases_holding(self, mention_ids: Iterable[str], states: tuple[str, ...] = ()) -> list[ComplaintCase]:
        found: dict[str, tuple[float, str]] = {}  # case id → received_at, doc
        ids = sorted(set(mention_ids))
        in_states = f" AND state IN ({','.join('?' * len(states))})" if states else ""
        for i in range(0, len(ids), 500):  # SQLite's limit on parameters
            chunk = ids[i:i + 500]
            rows = self._query("SELECT id, received_at, doc FROM complaint_cases WHERE id IN (SELECT case_id FROM "
                               f"case_mentions WHERE mention_id IN ({','.join('?' * len(chunk))})){in_states}",
                               [*chunk, *states])
            found.update((case_id, (received, doc)) for case_id, received, doc in rows)
        return _in_list_order(found)

    # -- incidents ------------------------------------------------------------------
    def add_incident(self, incident: Incident) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO incidents (id, playbook, key, state, opened_at, updated_at, doc) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO NOTHING",
                (incident.id, incident.playbook, incident.key, incident.state, _ts(incident.opened_at),
                 _ts(incident.updated_at), incident.model_dump_json()),
            )
            return cursor.rowcount == 1

    def save_incident(self, incident: Incident) -> None:
        self._query(
            "INSERT INTO incidents (id, playbook, key, state, opened_at, updated_at, doc) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at, doc=excluded.doc",
            (
                incident.id, incident.playbook, incident.key, incident.state,
                _ts(incident.opened_at), _ts(incident.updated_at), incident.model_dump_json(),
            ),
        )

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._query("SELECT doc FROM incidents WHERE id=?", (incident_id,))
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def find_incident(self, playbook: str, key: str | None, states: tuple[str, ...] = ("open", "acknowledged")) -> Incident | None:
        rows = self._query(
            f"SELECT doc FROM incidents WHERE playbook=? AND key IS ? AND state IN ({','.join('?' * len(states))}) "
            "ORDER BY opened_at DESC LIMIT 1",
            (playbook, key, *states),
        )
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def list_incidents(self, states: tuple[str, ...] = ()) -> list[Incident]:
        if states:
            rows = self._query(
                f"SELECT doc FROM incidents WHERE state IN ({','.join('?' * len(states))}) ORDER BY opened_at DESC",
                states,
            )
        else:
            rows = self._query("SELECT doc FROM incidents ORDER BY opened_at DESC")
        return [Incident.model_validate_json(r[0]) for r in rows]

    def add_event(self, incident_id: str, event: IncidentEvent) -> None:
        self._query(
            "INSERT INTO incident_events (incident_id, at, doc) VALUES (?,?,?)",
            (incident_id, _ts(event.at), event.model_dump_json()),
        )

    def events(self, incident_id: str) -> list[IncidentEvent]:
        rows = self._query("SELECT doc FROM incident_events WHERE incident_id=? ORDER BY id", (incident_id,))
        return [IncidentEvent.model_validate_json(r[0]) for r in rows]

    def _find_event(self, incident_id: str, kind: str, same: str, value: object) -> tuple[Any, IncidentEvent] | None:
        rows = self._query(
            "SELECT id, doc FROM incident_events WHERE incident_id=? AND json_extract(doc, '$.kind')=? ORDER BY id DESC",
            (incident_id, kind),
        )
        for row_id, doc in rows:
            event = IncidentEvent.model_validate_json(doc)
            if event.data.get(same) == value:
                return row_id, event
        return None

    def _replace_event(self, incident_id: str, handle: Any, event: IncidentEvent) -> None:
        self._query("UPDATE incident_events SET doc=? WHERE id=? AND incident_id=?",
                    (event.model_dump_json(), int(handle), incident_id))

    # -- personal data (PDPA) ------------------------------------------------------
    def ids_by_author(self, author_ids: Sequence[str], author_names: Sequence[str] = ()) -> list[str]:
        found: list[str] = []
        author_ids = list(author_ids)
        for i in range(0, len(author_ids), 500):
            chunk = author_ids[i:i + 500]
            rows = self._query(f"SELECT id FROM mentions WHERE author_id IN ({','.join('?' * len(chunk))})", chunk)
            found.extend(r[0] for r in rows)
        names = sorted({n.strip().lower() for n in author_names if n.strip()})
        if names:
            rows = self._query(
                "SELECT id FROM mentions WHERE json_extract(doc, '$.author_name') IS NOT NULL AND "
                f"lower(trim(json_extract(doc, '$.author_name'))) IN ({','.join('?' * len(names))})",
                names,
            )
            found.extend(r[0] for r in rows)
        return list(dict.fromkeys(found))

    def copies_of(self, ids: Sequence[str]) -> list[str]:
        ids = list(ids)
        found: list[str] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self._query(f"SELECT id FROM mentions WHERE duplicate_of IN ({','.join('?' * len(chunk))})", chunk)
            found.extend(r[0] for r in rows)
        return found

    def ids_collected_before(self, cutoff: datetime, limit: int = 5000) -> list[str]:
        rows = self._query(
            "SELECT id FROM mentions WHERE collected_at < ? ORDER BY collected_at, id LIMIT ?", (_ts(cutoff), int(limit))
        )
        return [r[0] for r in rows]

    def responses_for(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        ids = list(ids)
        out: list[dict[str, Any]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self._query(
                f"SELECT mention_id, at, actor, channel, text FROM responses WHERE mention_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY at, id",
                chunk,
            )
            out.extend({"mention_id": m, "at": _dt(a).isoformat(), "actor": ac, "channel": c, "text": t} for m, a, ac, c, t in rows)
        return out

    def erase(self, ids: Sequence[str]) -> dict[str, int]:
        gone = set(ids)
        counts = dict.fromkeys(ERASE_COUNTS, 0)
        if not gone:
            return counts
        chunks = [sorted(gone)[i:i + 500] for i in range(0, len(gone), 500)]
        with self._lock:
            db = self._db
            db.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
            db.execute("BEGIN IMMEDIATE")
            try:
                deltas: dict[tuple[str, str, int], int] = {}
                hours: dict[tuple[int, str, str, str, int, int], int] = {}
                seen: SeenDelta = {}
                for chunk in chunks:
                    marks = ",".join("?" * len(chunk))
                    for doc, collected in db.execute(f"SELECT doc, collected_at FROM mentions WHERE id IN ({marks})", chunk).fetchall():
                        erased = Mention.model_validate_json(doc)
                        for key in _day_keys(erased):  # out of the daily counts too
                            deltas[key] = deltas.get(key, 0) - 1
                        for key, weight in _day_weights(erased):
                            deltas[key] = deltas.get(key, 0) - weight
                        for cell in _hour_keys(erased, collected):
                            hours[cell] = hours.get(cell, 0) - 1
                        seen_change(seen, erased, collected, -1)
                    db.execute(f"DELETE FROM assignments WHERE mention_id IN ({marks})", chunk)
                    db.execute(f"DELETE FROM corrections WHERE mention_id IN ({marks})", chunk)
                    rowids = [r[0] for r in db.execute(f"SELECT rowid FROM mentions WHERE id IN ({marks})", chunk)]
                    for j in range(0, len(rowids), 500):
                        part = rowids[j:j + 500]
                        db.execute(f"DELETE FROM mention_fts WHERE rowid IN ({','.join('?' * len(part))})", part)
                    db.execute(f"DELETE FROM mention_terms WHERE mention_id IN ({marks})", chunk)
                    counts["responses"] += db.execute(f"DELETE FROM responses WHERE mention_id IN ({marks})", chunk).rowcount
                    counts["mentions"] += db.execute(f"DELETE FROM mentions WHERE id IN ({marks})", chunk).rowcount
                db.executemany("UPDATE mention_days SET n = n + ? WHERE field=? AND value=? AND day=?",
                               [(n, f, v, d) for (f, v, d), n in deltas.items() if n])
                db.execute("DELETE FROM mention_days WHERE n <= 0")  # no pseudonym kept for an erased author
                self._add_hours(hours)
                self._add_seen(seen)  # terms only the erased mentions used are gone with them
                if counts["mentions"]:
                    self._mark()
                for row_id, doc in db.execute("SELECT id, doc FROM incidents").fetchall():
                    data = json.loads(doc)
                    kept = [i for i in data.get("mention_ids") or [] if i not in gone]
                    if len(kept) != len(data.get("mention_ids") or []):
                        data["mention_ids"] = kept
                        db.execute("UPDATE incidents SET doc=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row_id))
                        counts["incidents"] += 1
                for row_id, doc in db.execute("SELECT id, doc FROM incident_events").fetchall():
                    data = json.loads(doc)
                    if scrub_ids(data.get("data"), gone):
                        db.execute("UPDATE incident_events SET doc=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row_id))
                        counts["events"] += 1
                def author_left(ids: list[str], author: str) -> bool:
                    return any(db.execute(f"SELECT 1 FROM mentions WHERE id IN ({','.join('?' * len(part))}) AND "
                                          "author_id = ? LIMIT 1", (*part, author)).fetchone()
                               for part in (ids[i:i + 500] for i in range(0, len(ids), 500)))

                for row_id, doc in db.execute("SELECT id, doc FROM complaint_cases").fetchall():
                    data = json.loads(doc)
                    if scrub_case(data, gone, author_left):
                        db.execute("UPDATE complaint_cases SET doc=?, author_id=?, thread=? WHERE id=?",
                                   (json.dumps(data, ensure_ascii=False), data.get("author_id"), data.get("thread"), row_id))
                        self._hold(row_id, data.get("mention_ids") or [])
                for row_id, doc in db.execute("SELECT id, doc FROM alerts").fetchall():
                    data = json.loads(doc)
                    if scrub_ids(data, gone):
                        db.execute("UPDATE alerts SET doc=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row_id))
                        counts["alerts"] += 1
                for row_id, doc in db.execute("SELECT id, doc FROM outbox").fetchall():
                    data = json.loads(doc)
                    if scrub_delivery(data, gone):
                        db.execute("UPDATE outbox SET doc=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row_id))
                        counts["notifications"] += 1
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return counts

    def erase_keys(self, keys: frozenset[str]) -> dict[str, int]:
        counts = dict.fromkeys(KEY_COUNTS, 0)
        if not keys:
            return counts
        with self._lock:
            db = self._db
            db.execute("PRAGMA secure_delete=ON")
            db.execute("BEGIN IMMEDIATE")
            try:
                masked: dict[str, str] = {}  # incident id -> its key before masking
                for row_id, doc in db.execute("SELECT id, doc FROM incidents").fetchall():
                    data = json.loads(doc)
                    key = data.get("key")
                    if names_person(key, keys) and scrub_keyed(data, keys):
                        masked[row_id] = key
                        db.execute("UPDATE incidents SET doc=?, key=? WHERE id=?", (json.dumps(data, ensure_ascii=False), data.get("key"), row_id))
                        counts["incidents"] += 1
                for table, count, column in (("incident_events", "events", "incident_id"), ("alerts", "alerts", "incident_id"),
                                             ("outbox", "notifications", "incident_id")):
                    for row_id, incident, doc in db.execute(f"SELECT id, {column}, doc FROM {table}").fetchall():
                        data = json.loads(doc)
                        if scrub_keyed(data, keys, masked.get(incident)):
                            sets = "doc=?, key=?" if table == "alerts" else "doc=?"
                            values = (json.dumps(data, ensure_ascii=False), *((data.get("key") or "*",) if table == "alerts" else ()))
                            db.execute(f"UPDATE {table} SET {sets} WHERE id=?", (*values, row_id))
                            counts[count] += 1
                for table in ("snoozes", "rule_state"):
                    gone = [(r, k) for r, k in db.execute(f"SELECT rule_id, key FROM {table}").fetchall() if names_person(k, keys)]
                    db.executemany(f"DELETE FROM {table} WHERE rule_id=? AND key=?", gone)
                    counts["snoozes"] += len(gone)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return counts

    def compact(self) -> None:
        """Merge the search index (dropping erased words), rebuild the file (VACUUM) and empty
        the write-ahead log, so erased data is not left in free pages or old segments."""
        with self._lock:
            db = self._db
            db.execute("INSERT INTO mention_fts(mention_fts) VALUES ('optimize')")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def privacy_counts(self) -> dict[str, int | str | None]:
        row = self._query(
            "SELECT COUNT(*), COUNT(author_id), "
            "SUM(CASE WHEN json_extract(doc, '$.author_name') IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN json_extract(doc, '$.extras') IS NOT NULL AND json_extract(doc, '$.extras') != '{}' THEN 1 ELSE 0 END), "
            "COUNT(DISTINCT author_id), MIN(collected_at) FROM mentions"
        )[0]
        return {
            "mentions": row[0],
            "with_author_pseudonym": row[1],
            "distinct_author_pseudonyms": row[4],
            "with_author_name": row[2] or 0,
            "with_extra_fields": row[3] or 0,
            "responses": self._query("SELECT COUNT(*) FROM responses")[0][0],
            "incidents": self._query("SELECT COUNT(*) FROM incidents")[0][0],
            "incident_events": self._query("SELECT COUNT(*) FROM incident_events")[0][0],
            "alerts": self._query("SELECT COUNT(*) FROM alerts")[0][0],
            "oldest_collected_at": _dt(row[5]).isoformat() if row[5] is not None else None,
        }

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _outbox_row(d: Delivery) -> tuple[object, ...]:
    next_at = d.next_at or d.created_at
    return (d.id, d.notifier, d.incident_id, d.status, _ts(next_at), _ts(d.created_at), delivery_json(d))


def _in_list_order(found: dict[str, tuple[float, str]]) -> list[ComplaintCase]:
    """Cases found by id (their received_at and document) in list_cases' order: latest received first, then id."""
    ordered = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
    return [ComplaintCase.model_validate_json(doc) for _, (_, doc) in ordered]


def _signed(value: int | None) -> int | None:
    """SQLite integers are signed 64-bit; store unsigned SimHashes shifted into range."""
    if value is None:
        return None
    return value - (1 << 64) if value >= (1 << 63) else value


def _unsigned(value: int | None) -> int | None:
    if value is None:
        return None
    return value + (1 << 64) if value < 0 else value
