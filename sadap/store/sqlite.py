"""SQLite backend: the embedded default. One file, WAL mode, FTS5 over pre-tokenised Thai."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sadap.core.errors import InputError, StoreError
from sadap.core.files import private_file
from sadap.core.incident import Incident, IncidentEvent
from sadap.core.mention import Mention
from sadap.store.query import Query
from sadap.store.base import GROUP_FIELDS, SEGMENT_BREAK, Fingerprint, MentionFilter, Store, UpsertResult, search_segments
from sadap.core.timeutil import UTC

SCHEMA_VERSION = 2  # 2: mentions.spam_score column
BANGKOK_OFFSET = 7 * 3600  # Asia/Bangkok has had no daylight saving since 1920.

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
    spam_score REAL
);
CREATE INDEX IF NOT EXISTS mentions_published ON mentions(published_at);
CREATE INDEX IF NOT EXISTS mentions_collected ON mentions(collected_at);
CREATE INDEX IF NOT EXISTS mentions_text_hash ON mentions(text_hash);
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
CREATE TABLE IF NOT EXISTS snoozes (
    rule_id TEXT NOT NULL,
    key TEXT NOT NULL,
    until REAL NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, key)
);
"""

_COLUMNS = {f.name: f.sqlite for f in GROUP_FIELDS.values() if not f.multi}
_MULTI = {f.name: f.sqlite for f in GROUP_FIELDS.values() if f.multi}


def _ts(value: datetime) -> float:
    return value.astimezone(UTC).timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


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


class SQLiteStore(Store):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
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
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: cannot open the SQLite store: {err}") from None
        self._lock = threading.RLock()

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

    def _where(self, flt: MentionFilter, terms_first: bool = False) -> tuple[str, list[object]]:
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
            clauses.append("m.collected_at <= ?")
            params.append(_ts(flt.collected_until))
        for column, values in (
            ("sentiment", flt.sentiment),
            ("source_name", flt.source_names),
            ("source_kind", flt.source_kinds),
            ("category", flt.categories),
            ("id", flt.ids),
        ):
            if values:
                clauses.append(f"m.{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        bounded = (flt.since is not None or bool(flt.ids)) and not terms_first
        for fld, values in (("entity", flt.entities), ("hashtag", flt.hashtags), ("keyword", flt.keywords)):
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
                clauses.append("m.rowid IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
                params.append(expr)
            if flt.query.none_of:
                clauses.append("m.rowid NOT IN (SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?)")
                params.append(" OR ".join(_fts_phrase(p) for p in flt.query.none_of))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    # -- mentions -------------------------------------------------------------
    def upsert(self, mentions: Sequence[Mention]) -> UpsertResult:
        result = UpsertResult()
        if not mentions:
            return result
        by_id = {m.id: m for m in mentions}  # last one wins within a batch
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                # Inside the write lock: another process may have stored some of these meanwhile.
                existing = self._existing(list(by_id))
                for m in by_id.values():
                    self._write(m)
                    (result.updated if m.id in existing else result.inserted).append(m.id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return result

    def _write(self, m: Mention) -> None:
        row = (
            m.id, m.source_kind, m.source_name, m.url, m.author_id,
            _ts(m.published_at), _ts(m.collected_at), m.language,
            m.sentiment.label if m.sentiment else None,
            m.sentiment.score if m.sentiment else None,
            m.expectation, m.category, 1 if m.complaint.is_complaint else 0, m.complaint.type,
            m.text_hash, _signed(m.simhash), m.duplicate_of, m.model_dump_json(), m.spam_score,
        )
        db = self._db
        rowid = db.execute(
            """INSERT INTO mentions (id, source_kind, source_name, url, author_id, published_at, collected_at,
                   language, sentiment, sentiment_score, expectation, category, is_complaint, complaint_type,
                   text_hash, simhash, duplicate_of, doc, spam_score)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET source_kind=excluded.source_kind, source_name=excluded.source_name,
                   url=excluded.url, author_id=excluded.author_id, published_at=excluded.published_at,
                   language=excluded.language, sentiment=excluded.sentiment, sentiment_score=excluded.sentiment_score,
                   expectation=excluded.expectation, category=excluded.category, is_complaint=excluded.is_complaint,
                   complaint_type=excluded.complaint_type, text_hash=excluded.text_hash, simhash=excluded.simhash,
                   duplicate_of=excluded.duplicate_of, doc=excluded.doc, spam_score=excluded.spam_score
               RETURNING rowid""",
            row,
        ).fetchone()[0]
        db.execute("DELETE FROM mention_fts WHERE rowid=?", (rowid,))
        fts = f" {SEGMENT_BREAK} ".join(search_segments(m))
        db.execute("INSERT INTO mention_fts (rowid, tokens) VALUES (?, ?)", (rowid, fts))
        db.execute("DELETE FROM mention_terms WHERE mention_id=?", (m.id,))
        terms = (
            [("entity", e, m.id) for e in set(m.entities)]
            + [("hashtag", h, m.id) for h in set(m.hashtags)]
            + [("keyword", k, m.id) for k in set(m.keywords)]
        )
        if terms:
            db.executemany("INSERT OR IGNORE INTO mention_terms (field, value, mention_id) VALUES (?,?,?)", terms)

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

    def search(self, flt: MentionFilter, limit: int = 20) -> list[Mention]:
        where, params = self._where(flt)
        tcol = "published_at" if flt.time_field == "published_at" else "collected_at"
        rows = self._query(f"SELECT m.doc FROM mentions m{where} ORDER BY m.{tcol} DESC, m.id LIMIT ?", [*params, int(limit)])
        return [Mention.model_validate_json(r[0]) for r in rows]

    def ids(self, flt: MentionFilter, limit: int = 20) -> list[str]:
        where, params = self._where(flt)
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

    def count(self, flt: MentionFilter) -> int:
        where, params = self._where(flt)
        n: int = self._query(f"SELECT COUNT(*) FROM mentions m{where}", params)[0][0]
        return n

    def count_by(self, flt: MentionFilter, group_by: str, limit: int = 100) -> dict[str, int]:
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

    def count_distinct(self, flt: MentionFilter, fld: str) -> int:
        if fld not in _COLUMNS:
            raise InputError(f"cannot count distinct {fld!r} (allowed: {', '.join(_COLUMNS)})")
        where, params = self._where(flt)
        col = "COALESCE(m.duplicate_of, m.id)" if fld == "cluster" else f"m.{_COLUMNS[fld]}"
        n: int = self._query(f"SELECT COUNT(DISTINCT {col}) FROM mentions m{where}", params)[0][0]
        return n

    def histogram(self, flt: MentionFilter, interval: timedelta, origin: datetime | None = None) -> list[tuple[datetime, int]]:
        step = interval.total_seconds()
        if step <= 0:
            raise InputError("histogram interval must be positive")
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

    def alerts_since(self, since: datetime) -> list[dict[str, Any]]:
        rows = self._query("SELECT doc FROM alerts WHERE fired_at >= ? ORDER BY fired_at, id", (_ts(since),))
        return [json.loads(r[0]) for r in rows]

    def log_response(self, mention_id: str, at: datetime, actor: str, channel: str, text: str) -> None:
        self._query(
            "INSERT INTO responses (mention_id, at, actor, channel, text) VALUES (?,?,?,?,?)",
            (mention_id, _ts(at), actor, channel, text),
        )

    def snooze(self, rule_id: str, key: str, until: datetime, actor: str, reason: str = "") -> None:
        self._query(
            "INSERT INTO snoozes (rule_id, key, until, actor, reason) VALUES (?,?,?,?,?) "
            "ON CONFLICT(rule_id, key) DO UPDATE SET until=excluded.until, actor=excluded.actor, reason=excluded.reason",
            (rule_id, key, _ts(until), actor, reason),
        )

    def snoozed_until(self, rule_id: str, key: str) -> datetime | None:
        rows = self._query("SELECT MAX(until) FROM snoozes WHERE rule_id=? AND key IN (?, '*')", (rule_id, key))
        return _dt(rows[0][0]) if rows and rows[0][0] is not None else None

    # -- incidents ------------------------------------------------------------------
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
        counts = {"mentions": 0, "responses": 0, "incidents": 0, "events": 0, "alerts": 0}
        if not gone:
            return counts
        chunks = [sorted(gone)[i:i + 500] for i in range(0, len(gone), 500)]
        with self._lock:
            db = self._db
            db.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed, not left readable
            db.execute("BEGIN IMMEDIATE")
            try:
                for chunk in chunks:
                    marks = ",".join("?" * len(chunk))
                    rowids = [r[0] for r in db.execute(f"SELECT rowid FROM mentions WHERE id IN ({marks})", chunk)]
                    for j in range(0, len(rowids), 500):
                        part = rowids[j:j + 500]
                        db.execute(f"DELETE FROM mention_fts WHERE rowid IN ({','.join('?' * len(part))})", part)
                    db.execute(f"DELETE FROM mention_terms WHERE mention_id IN ({marks})", chunk)
                    counts["responses"] += db.execute(f"DELETE FROM responses WHERE mention_id IN ({marks})", chunk).rowcount
                    counts["mentions"] += db.execute(f"DELETE FROM mentions WHERE id IN ({marks})", chunk).rowcount
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
                for row_id, doc in db.execute("SELECT id, doc FROM alerts").fetchall():
                    data = json.loads(doc)
                    if scrub_ids(data, gone):
                        db.execute("UPDATE alerts SET doc=? WHERE id=?", (json.dumps(data, ensure_ascii=False), row_id))
                        counts["alerts"] += 1
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


def scrub_ids(data: object, gone: set[str]) -> bool:
    """Remove ``gone`` mention ids from the id lists (``mention_ids``, ``mentions``) and id
    fields (``mention_id``) of an alert or event document, in place; True if any changed."""
    if not isinstance(data, dict):
        return False
    changed = False
    for key in ("mention_ids", "mentions"):
        value = data.get(key)
        if isinstance(value, list):
            kept = [i for i in value if i not in gone]
            if len(kept) != len(value):
                data[key] = kept
                changed = True
    if data.get("mention_id") in gone:
        data["mention_id"] = None
        changed = True
    return changed


def _signed(value: int | None) -> int | None:
    """SQLite integers are signed 64-bit; store unsigned SimHashes shifted into range."""
    if value is None:
        return None
    return value - (1 << 64) if value >= (1 << 63) else value


def _unsigned(value: int | None) -> int | None:
    if value is None:
        return None
    return value + (1 << 64) if value < 0 else value
