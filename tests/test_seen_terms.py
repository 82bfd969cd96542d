"""new_term's seen-terms table (SQLite ``seen_terms``, kept in the write's transaction): it
follows upserts, re-enrichment and erasure as a rebuild from the mentions would; it answers
"when was this term last seen before the window" as the mentions do; the first cycle of a
fresh engine (a restart) reads it instead of the mentions, and a new hashtag used once on a
busy source fires in the first cycle it appears."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta

import pytest

from alerts.rules.running import RunningState, _Seen
from sadap.store.base import MentionFilter
from sadap.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.test_alerts import NOW
from tests.test_incremental import HASHTAGS, RULES, _m, _varied, engine, stream


def _table(store) -> list[tuple]:
    return sorted(store._query("SELECT field, term, hour, source_name, copy, n, last_published, last_collected, stale "
                               "FROM seen_terms"))


def _rebuilt(store) -> list[tuple]:
    """seen_terms as the schema-7 migration builds it from the stored mentions."""
    from sadap.store.sqlite import _REBUILD_SEEN

    store._db.execute("BEGIN")
    try:
        for sql in _REBUILD_SEEN:
            store._db.execute(sql)
        return _table(store)
    finally:
        store._db.execute("ROLLBACK")


def _agrees(store) -> int:
    """The kept table equals a rebuild in every cell's key and count, and in its latest times
    unless it is marked stale (then new_term asks the mentions). Returns the stale cells."""
    kept, rebuilt = _table(store), _rebuilt(store)
    assert [r[:6] for r in kept] == [r[:6] for r in rebuilt]
    for k, r in zip(kept, rebuilt):
        if not k[8]:
            assert k[6:8] == r[6:8], k
        else:
            assert k[6] >= r[6] and k[7] >= r[7], k  # too late at worst, never too early
    return sum(k[8] for k in kept)


def _tagged(rng: random.Random) -> list:
    """_varied with keywords and more hashtags (some only once, some on copies)."""
    out = []
    for i, m in enumerate(_varied(rng)):
        tags = list(m.hashtags) + ([f"#ครั้งเดียว{i}"] if i % 17 == 0 else [])
        out.append(m.model_copy(update={"hashtags": tags, "keywords": [f"คำ{i % 13}", f"คำ{i % 29}"]}))
    return out


def test_the_table_follows_upserts_reenrichment_and_erasure(tmp_path):
    store = SQLiteStore(tmp_path / "seen.db")
    mentions = _tagged(random.Random(4))
    store.upsert(mentions[: len(mentions) // 2])
    store.upsert(mentions[len(mentions) // 2:])
    assert _agrees(store) == 0 and len(_table(store)) > 500
    store.upsert(mentions[:40])  # the same again: nothing changes, nothing goes stale
    assert _agrees(store) == 0
    changed = [m.model_copy(update={"hashtags": ["#เปลี่ยนแล้ว"], "keywords": [], "collected_at": m.collected_at + timedelta(hours=3)})
               for m in mentions[::7]]
    store.upsert(changed)  # re-enrichment: terms leave their cells
    _agrees(store)
    hour = NOW.fromtimestamp((NOW - timedelta(hours=5)).timestamp() // 3600 * 3600, NOW.tzinfo)
    pair = [_m(7000 + i, "แสงทองแจกบัตร", "neu", hour + timedelta(minutes=40 - 10 * i), hashtags=["#คู่"], author=f"p{i}")
            for i in range(2)]
    store.upsert(pair)
    store.upsert([pair[0].model_copy(update={"hashtags": []})])  # the later one leaves: the cell's latest time is too late
    assert _agrees(store) >= 1
    [cell] = [r for r in _table(store) if r[1] == "#คู่"]
    assert cell[5] == 1 and cell[8] == 1
    erased = [m.id for m in mentions[::3]]
    store.erase(erased)
    _agrees(store)
    # PDPA: a hashtag only an erased mention used is gone from the table.
    only = {h for m in mentions[::3] for h in m.hashtags if h.startswith("#ครั้งเดียว")}
    left = {h for m in mentions if m.id not in set(erased) for h in m.hashtags}
    assert only - left
    terms = {r[1] for r in _table(store)}
    assert not (only - left) & terms and (only & left) <= terms
    store.close()


def test_sightings_answer_as_the_mentions_do(tmp_path):
    """For every hashtag and keyword, many (window start, baseline, evaluation time) and with
    and without copies and a source filter: the latest sighting from the table (or from the
    mentions, where the table says to ask) equals the mentions' own answer."""
    store = SQLiteStore(tmp_path / "ask.db")
    mentions = _tagged(random.Random(9))
    store.upsert(mentions)
    store.upsert([m.model_copy(update={"hashtags": []}) for m in mentions[::11]])  # some cells stale
    rng = random.Random(1)
    checked = asked = 0
    for field, terms in (("hashtag", sorted({h for m in mentions for h in m.hashtags})),
                         ("keyword", sorted({k for m in mentions for k in m.keywords}))):
        for sources in ((), ("src-1", "news-a")):
            running = RunningState()
            w = running.window(MentionFilter(source_names=sources), field)
            for _ in range(25):
                at = NOW - timedelta(minutes=rng.randrange(0, 2000))
                low = at - timedelta(hours=rng.randrange(30, 70), minutes=rng.randrange(60))
                boundary = (at - timedelta(hours=rng.randrange(1, 12))).timestamp() // 3600 * 3600
                for originals in (False, True):
                    seen = _Seen(boundary, low.timestamp())
                    known, ask = w._sightings(store, at, seen, terms, originals)
                    flt = MentionFilter(source_names=sources, since=low, until=at.fromtimestamp(boundary, at.tzinfo),
                                        collected_until=at, include_duplicates=not originals)
                    want = store.terms_seen(flt, field, terms)
                    found = store.terms_seen(flt, field, ask)
                    for t in terms:
                        got = known[t] if t in known else found.get(t)
                        exp = want.get(t)
                        # Below the baseline's start counts as unseen (new_term compares with it).
                        assert (got if got is not None and got >= low.timestamp() else None) == exp, (field, t, sources)
                    checked += len(terms)
                    asked += len(ask)
    assert checked > 5000 and asked < checked / 2  # the rest: cells with mentions collected after `at` (late ones)
    store.close()


class _Counting:
    """The store, counting new_term's reads of the mentions (``terms_seen``)."""

    def __init__(self, store):
        self._store, self.asked = store, 0

    def __getattr__(self, name):
        if name == "terms_seen":
            self.asked += 1
        return getattr(self._store, name)


class _NoTable(_Counting):
    """The store as a backend without the table: every seen term from the mentions."""

    def term_sightings(self, *args, **kwargs):
        return None


def test_a_fresh_engine_fires_on_a_new_hashtag_in_its_first_cycle_from_the_table(tmp_path):
    """A busy source with 300 hashtags seen yesterday and in the window; one new hashtag used
    once. An engine started now (a restart) fires on it in its first cycle, and answers every
    candidate from the seen-terms table, not from the mentions."""
    store = SQLiteStore(tmp_path / "busy.db")
    rules = [{"id": "nt", "type": "new_term", "title": "แฮชแท็กใหม่", "field": "hashtag", "window": "1h", "baseline": "1d",
              "min_count": 1, "min_authors": 1}]
    old = [_m(i, "โปรโมชั่นบัตรเครดิต", "neu", NOW - timedelta(hours=20, minutes=i % 180), hashtags=[f"#โปร{i % 300}"],
              author=f"o{i}") for i in range(900)]
    busy = [_m(1000 + i, "โปรโมชั่นบัตรเครดิต", "neu", NOW - timedelta(minutes=50) + timedelta(seconds=9 * i),
               hashtags=[f"#โปร{i % 300}"], author=f"b{i}") for i in range(300)]
    fresh = _m(5000, "แสงทองแจกบัตรคอนเสิร์ตจริงไหม", "q", NOW + timedelta(minutes=1), NOW + timedelta(minutes=2),
               hashtags=["#แสงทองแจกบัตร"], author="newcomer")
    store.upsert(old + busy + [fresh])
    counting = _Counting(store)
    e = engine(counting, rules, incremental=True)
    [alert] = e.check(NOW + timedelta(minutes=5), dry_run=True)
    assert (alert.key, alert.count, alert.mention_ids) == ("#แสงทองแจกบัตร", 1, [fresh.id])
    assert counting.asked == 0
    # Without the table (a backend that keeps none) the mentions answer, and the same alert fires.
    plain = _NoTable(store)
    e = engine(plain, rules, incremental=True)
    [again] = e.check(NOW + timedelta(minutes=5), dry_run=True)
    assert again.key == alert.key and plain.asked == 1
    store.close()


def test_restarts_rebuild_from_the_table_and_agree_with_full_evaluation(tmp_path):
    """The replayed stream with a new engine every half hour (each first cycle reads the
    table): the alerts are those of a full evaluation, and the hashtag rule never reads the
    mentions for its seen terms."""
    store = SQLiteStore(tmp_path / "restarts.db")
    before, during = stream(random.Random(7))
    store.upsert(before)
    rules = [r for r in RULES if r["type"] == "new_term"] + [
        {"id": "new-hashtag-src", "type": "new_term", "title": "ใหม่", "field": "hashtag", "window": "1h", "baseline": "2d",
         "min_count": 2, "min_authors": 2, "sources": ["src-0", "src-1"], "include_duplicates": True}]
    counting = _Counting(store)
    full = engine(_NoTable(store), rules, incremental=False)  # from the mentions alone
    pending = sorted(during, key=lambda m: m.collected_at)
    at = NOW - timedelta(hours=6)
    fired = set()
    inc = None
    k = 0
    while at <= NOW + timedelta(minutes=30):
        batch = [m for m in pending if m.collected_at <= at]
        pending = pending[len(batch):]
        store.upsert(batch)
        if k % 6 == 0:
            inc = engine(counting, [r for r in rules if r["id"] != "new-keyword"], incremental=True)  # restart
        a = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in inc.check(at, dry_run=True))
        b = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in full.check(at, dry_run=True)
                   if x.rule != "new-keyword")
        assert a == b, f"cycle at {at}"
        fired |= {r for r, *_ in a}
        at += timedelta(minutes=5)
        k += 1
    assert {"new-hashtag", "new-hashtag-src"} <= fired
    assert counting.asked <= 2 * (k // 6 + 1)  # the filtered rule asks only about terms the table saw elsewhere
    store.close()


def test_an_older_store_gets_the_table_when_opened(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert(_tagged(random.Random(2)))
    expected = _table(store)
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE seen_terms")
    db.execute("PRAGMA user_version=6")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert _table(store) == expected and expected
    assert store._query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    store.close()


@pytest.mark.es
def test_elasticsearch_keeps_the_same_table(request, tmp_path):
    """The seen-terms index (``<prefix>-seen-terms``, written with each bulk write, read-modify-
    write with optimistic concurrency) holds the same cells as SQLite's table after upserts,
    re-enrichment and a PDPA erasure; a store that had mentions before the index gets it
    built by setup, and answers None until then."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    mentions = _tagged(random.Random(6))[:400]
    url = es_test_url()
    es = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool",
                         refresh_on_write=True)
    lite = SQLiteStore(tmp_path / "parity.db")
    since, until = NOW - timedelta(days=4), NOW + timedelta(hours=1)
    terms = {"hashtag": sorted({h for m in mentions for h in m.hashtags} | {"#เปลี่ยนแล้ว"}),
             "keyword": sorted({k for m in mentions for k in m.keywords}), "entity": sorted({e for m in mentions for e in m.entities})}

    def cells(store):
        return {f: sorted(store.term_sightings(f, t, since, until)) for f, t in terms.items()}

    try:
        es.setup()
        for store in (es, lite):
            store.upsert(mentions[:200])
            store.upsert(mentions[200:])
            store.upsert([m.model_copy(update={"hashtags": ["#เปลี่ยนแล้ว"], "keywords": []}) for m in mentions[::9]])
            store.erase([m.id for m in mentions[::4]])
        want = cells(lite)
        assert sum(len(c) for c in want.values()) > 300 and any(c[7] for cs in want.values() for c in cs)  # some stale
        assert cells(es) == want
        # An index made before the table: emptied and unmarked, it answers None; setup builds it again.
        es.client.delete_by_query(index=es.names.seen_terms, query={"match_all": {}}, refresh=True)
        es._seen_built = False
        assert es.term_sightings("hashtag", terms["hashtag"], since, until) is None
        es.setup()
        rebuilt = cells(es)
        assert rebuilt == cells(_rebuilt_lite(lite, tmp_path))
    finally:
        lite.close()
        drop_test_store(es) if url else es.close()


def _rebuilt_lite(lite, tmp_path):
    """The SQLite table as a rebuild from the mentions makes it (no stale cells)."""
    import shutil

    lite._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = tmp_path / "rebuilt.db"
    shutil.copy(lite.path, path)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE seen_terms")
    db.execute("PRAGMA user_version=6")
    db.commit()
    db.close()
    return SQLiteStore(path)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("es", marks=pytest.mark.es)])
def test_an_import_of_old_files_behind_the_running_state_is_noticed(request, tmp_path, backend):
    """A hashtag new in the window fires; then a file of old mentions is imported (published
    and collected yesterday, long before what the running state reads) and one of them used the
    hashtag: the next cycle knows it was seen (the change mark moved), as a full evaluation does."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url() if backend == "es" else None
    store = (make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool",
                             refresh_on_write=True) if backend == "es" else SQLiteStore(tmp_path / "late.db"))
    try:
        if backend == "es":
            store.setup()
        rules = [{"id": "nt", "type": "new_term", "title": "ใหม่", "field": "hashtag", "window": "1h", "baseline": "2d",
                  "min_count": 3, "min_authors": 3}]
        store.upsert([_m(i, "โปรโมชั่นบัตรเครดิต", "neu", NOW - timedelta(hours=30, minutes=i), hashtags=["#เก่า"], author=f"o{i}")
                      for i in range(20)])
        now = [_m(100 + i, "แสงทองแจกบัตรคอนเสิร์ตจริงไหม", "q", NOW - timedelta(minutes=10 - i), hashtags=["#แจกบัตร"],
                  author=f"u{i}") for i in range(4)]
        store.upsert(now)
        inc = engine(store, rules, incremental=True)
        assert [a.key for a in inc.check(NOW, dry_run=True)] == ["#แจกบัตร"]
        mark = store.changes()
        old = _m(50, "แจกบัตรคอนเสิร์ตอีกแล้ว", "neu", NOW - timedelta(hours=20), NOW - timedelta(hours=19, minutes=50),
                 hashtags=["#แจกบัตร"], author="early")
        store.upsert([old])  # `sadap import` of an old file: its own collection time
        moved = store.changes()
        at = NOW + timedelta(minutes=5)
        assert moved != mark
        assert inc.check(at, dry_run=True) == [] == engine(_NoTable(store), rules, incremental=False).check(at, dry_run=True)
        store.upsert([_m(200, "ข่าวใหม่", "neu", at, hashtags=["#อื่น"], author="x")])  # ordinary new mentions: no mark
        assert store.changes() == moved
    finally:
        if backend == "es":
            drop_test_store(store) if url else store.close()
        else:
            store.close()
