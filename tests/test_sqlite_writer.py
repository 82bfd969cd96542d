"""The SQLite writer's faster paths store exactly what the plain ones stored: a batch's new
mentions in one INSERT with the rowids SQLite would give them, the writer's connection settings,
the seen-terms cells, and mentions handed to and from the enrichment workers."""

from __future__ import annotations

import pickle
import random
import sqlite3
from datetime import datetime, timedelta
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from enrich.parallel import _reduce_model
from sadap.core.mention import Complaint, Engagement, LabelCorrection, Mention, Sentiment, mention_id
from sadap.core.timeutil import UTC
from sadap.store import MentionFilter
from sadap.store.base import _NO_TIME, SEEN_TERM_FIELDS, SeenDelta, seen_change_of
from sadap.store.sqlite import WRITER_CACHE_KIB, WRITER_CHECKPOINT_PAGES, SQLiteStore

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
WORDS = ["แอป", "ล่ม", "โอนเงิน", "ไม่ได้", "สาขา", "บริการ", "ดี", "ดอกเบี้ย", "บัตร", "เครดิต", "ช้า", "ประทับใจ"]


def mention(i: int, rng: random.Random, label: str = "neg") -> Mention:
    tokens = rng.sample(WORDS, 4)
    entities = rng.sample(["แสงทอง", "ธนาคารฟ้า"], rng.randint(0, 2))
    return Mention(
        id=mention_id("forum-a", f"n{i}"),
        source_kind="forum",
        source_name=rng.choice(["forum-a", "forum-b"]),
        native_id=f"n{i}",
        author_id=f"a_{i % 4}" if i % 5 else None,
        published_at=T0 + timedelta(minutes=37 * i),
        collected_at=T0 + timedelta(minutes=37 * i + 90),
        title="หัวข้อ" if i % 3 == 0 else None,
        text=" ".join(tokens),
        language="th",
        tokens=tokens,
        sentiment=Sentiment(label=label, score=0.5 + (i % 5) / 10),
        expectation="disappointed" if label == "neg" else None,
        category="digital" if i % 2 else None,
        complaint=Complaint(is_complaint=label == "neg", type="digital_outage" if label == "neg" else None),
        entities=entities,
        hashtags=rng.sample(["#แอปล่ม", "#แสงทอง"], rng.randint(0, 2)),
        keywords=tokens[:3],
        csr=["society"] if i % 7 == 0 else [],
        engagement=Engagement(likes=i % 4, shares=i % 3),
        extras={"hashtag_tokens": [["แอป", "ล่ม"]]} if i % 4 == 0 else {},
        text_hash=f"h{i % 9}",
        simhash=(1 << 63) + i,
        duplicate_of=mention_id("forum-a", f"n{i - 1}") if i % 6 == 5 else None,
        spam_score=0.1,
    )


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (rowids included where the table has them)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(path) as con:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            try:
                out[table] = con.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:  # WITHOUT ROWID
                out[table] = sorted(con.execute(f'SELECT * FROM "{table}"').fetchall())
    return out


def _run(store: SQLiteStore) -> None:
    """New mentions, re-writes of stored ones with new labels beside new ones (one id twice in a
    batch), the newest mention erased (its rowid free again), then more new ones."""
    rng = random.Random(7)
    store.upsert([mention(i, rng) for i in range(12)])
    again = [mention(i, rng, "pos") for i in (2, 5, 11)]
    store.upsert([*again, mention(12, rng), mention(13, rng), mention(12, rng, "q"), mention(14, rng)])
    store.erase([mention_id("forum-a", "n14"), mention_id("forum-a", "n3")])
    store.upsert([mention(i, rng, "neu") for i in range(15, 20)] + [mention(4, rng, "q")])


def test_new_mentions_get_the_rows_and_rowids_one_insert_each_gave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = SQLiteStore(tmp_path / "fast.db")
    _run(fast)
    fast.close()
    # The plain path: every mention through the one-row upsert with RETURNING rowid.
    monkeypatch.setattr(SQLiteStore, "_next_rowid", lambda self: None)
    plain = SQLiteStore(tmp_path / "plain.db")
    _run(plain)
    plain.close()
    a, b = _tables(tmp_path / "fast.db"), _tables(tmp_path / "plain.db")
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], table
    rowids = [r[0] for r in a["mentions"]]
    assert rowids == sorted(rowids) and 15 in rowids  # the erased newest (15) was given again


def test_a_full_rowid_range_falls_back_to_sqlite_choosing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    rng = random.Random(3)
    store.upsert([mention(0, rng)])
    top = 2**63 - 1
    db = store._db
    db.execute("UPDATE mentions SET rowid = ?", (top,))
    tokens = db.execute("SELECT tokens FROM mention_fts").fetchone()[0]
    db.execute("DELETE FROM mention_fts")
    db.execute("INSERT INTO mention_fts (rowid, tokens) VALUES (?, ?)", (top, tokens))
    assert store._next_rowid() is None
    new = [mention(i, rng) for i in (1, 2, 3)]
    assert len(store.upsert(new).inserted) == 3
    for m in new:  # SQLite chose each rowid; the full-text row carries it
        got = db.execute("SELECT f.tokens FROM mentions m JOIN mention_fts f ON f.rowid = m.rowid WHERE m.id = ?",
                         (m.id,)).fetchall()
        assert got == [(" ".join(m.tokens),)] or got[0][0].startswith(" ".join(m.tokens))
    assert {r[0] for r in db.execute("SELECT rowid FROM mentions")} == {r[0] for r in db.execute("SELECT rowid FROM mention_fts")}
    store.close()


def test_only_a_writing_connection_takes_the_writer_settings(tmp_path: Path) -> None:
    writer = SQLiteStore(tmp_path / "s.db")
    reader = SQLiteStore(tmp_path / "s.db")
    writer.upsert([mention(0, random.Random(1))])
    assert writer._db.execute("PRAGMA cache_size").fetchone()[0] == -WRITER_CACHE_KIB
    assert writer._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WRITER_CHECKPOINT_PAGES
    assert reader._db.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default
    assert reader._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    assert reader.count(MentionFilter()) == 1
    writer.close()
    reader.close()


def _seen_change_of_before(delta: SeenDelta, published: float, collected: float, source_name: str, copy: bool,
                           values: dict[str, list[str]], sign: int) -> None:
    """``seen_change_of`` as it was written before (the reference)."""
    hour = int(published / 3600)
    for f in SEEN_TERM_FIELDS:
        for term in set(values.get(f) or ()):
            key = (f, term, hour, source_name, 1 if copy else 0)
            cell = delta.get(key)
            if cell is None:
                cell = delta[key] = [0, _NO_TIME, _NO_TIME, [], []]
            cell[0] += sign
            if sign > 0:
                if published > cell[1]:
                    cell[1] = published
                if collected > cell[2]:
                    cell[2] = collected
                if cell[3]:
                    cell[4].append((published, collected))
            else:
                cell[3].append((published, collected))


def test_seen_term_cells_are_what_they_were() -> None:
    rng = random.Random(11)
    for _ in range(200):
        now, before = {}, {}  # type: ignore[var-annotated]
        for _ in range(rng.randint(1, 12)):
            published = 1_700_000_000 + rng.choice([0, 600, 3600, 7300]) + rng.random()
            args = (published, published + rng.choice([0, 60, 9000]), rng.choice(["a", "b"]), rng.random() < 0.3,
                    {f: rng.sample(["x", "y", "z", "x"], rng.randint(0, 4)) for f in ("hashtag", "keyword", "entity", "author")},
                    rng.choice([1, 1, -1]))
            seen_change_of(now, *args)
            _seen_change_of_before(before, *args)
        assert now == before
        assert list(now) == list(before)  # the same cells in the same order


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int = 0


def test_mentions_cross_to_the_workers_as_pickle_sends_them() -> None:
    m = mention(5, random.Random(2)).model_copy(update={
        "corrected": LabelCorrection(sentiment="pos", by="somchai", at=T0),
        "entity_tones": {"แสงทอง": "neg"},
        "news_topic": "economy",
    })
    sent = bytes(ForkingPickler.dumps([m, m.sentiment]))
    assert b"_rebuild_model" in sent  # the reducer is in use (this pydantic keeps the state it restores)
    fast = pickle.loads(sent)[0]
    plain = pickle.loads(pickle.dumps(m))
    assert type(fast) is Mention and fast == plain == m
    assert fast.__dict__ == plain.__dict__
    assert fast.__pydantic_fields_set__ == plain.__pydantic_fields_set__ == m.__pydantic_fields_set__
    assert (fast.__pydantic_extra__, fast.__pydantic_private__) == (plain.__pydantic_extra__, plain.__pydantic_private__)
    assert fast.model_dump_json() == m.model_dump_json()
    assert fast.sentiment is not m.sentiment and isinstance(fast.sentiment, Sentiment)
    fast.duplicate_of = "x"  # assignment works as on any model (validate_assignment is off)
    assert fast.duplicate_of == "x" and m.duplicate_of != "x"
    # A model with extra fields keeps pickle's own way.
    loose = _Loose(a=1, b=2)  # type: ignore[call-arg]
    func, args, *rest = _reduce_model(loose)
    back = func(*args)
    if rest and rest[0] is not None:
        back.__setstate__(rest[0])
    assert back == loose and back.__pydantic_extra__ == {"b": 2}


def _open_when_released(path: str, start, out) -> None:  # a racing process
    start.wait()
    try:
        SQLiteStore(Path(path)).close()
        out.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.put(str(exc))


def test_processes_opening_a_new_store_together_all_open_it(tmp_path) -> None:
    """Workers starting together on a fresh data folder open one new SQLite file at once; SQLite
    can answer "database is locked" at once (no busy wait) while the file turns to WAL."""
    from racing import released_together

    for round_ in range(15):
        path = tmp_path / f"s{round_}.db"
        results, _ = released_together(_open_when_released, (str(path),), 4, timeout=60)
        assert results == ["ok"] * 4, results
