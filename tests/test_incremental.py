"""Incremental rule evaluation (alerts/rules/running.py): a realistic Thai stream replayed
cycle by cycle, mentions arriving between cycles (some late, some copies), evaluated by one
engine that keeps its running state and by one that starts from the store every cycle. Both
must find exactly the same matches. Also: a new hashtag on a busy source fires in the cycle
it arrives, and spike counts voices, not copies."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from alerts.engine import AlertEngine
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.core.mention import Mention
from sadap.store.sqlite import SCHEMA_VERSION, SQLiteStore
from sadap.store.base import MentionFilter
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

OTHER = "ธนาคารรวงข้าว"
QUIET = ["เปิดสาขาใหม่ที่ขอนแก่น บริการดี", "ดอกเบี้ยเงินฝากเดือนนี้เท่าไหร่", "สมัครบัตรเครดิตง่ายดีค่ะ", "แอปใช้งานสะดวกดี",
         "พนักงานสาขาสยามพูดจาดีมาก", "โปรผ่อนศูนย์เปอร์เซ็นต์ยังมีไหม"]
OUTAGE = "แอปล่ม โอนเงินไม่ได้"
HASHTAGS = ["#ออมเงิน", "#บัตรเครดิต", "#ดอกเบี้ย", "#สินเชื่อบ้าน"]

RULES = [
    {"id": "neg-voices", "type": "threshold", "title": "ลบ", "group_by": "entity", "window": "1h", "limit": 8, "sentiment": ["neg"]},
    {"id": "authors", "type": "threshold", "title": "ผู้เขียน", "window": "30m", "limit": 6, "metric": "distinct_authors"},
    {"id": "volume", "type": "threshold", "title": "ปริมาณ", "group_by": "source_name", "window": "1h", "limit": 10,
     "include_duplicates": True, "time_field": "collected_at"},
    {"id": "spike-entity", "type": "spike", "title": "พุ่ง", "group_by": "entity", "window": "1h", "baseline": "2d", "min_count": 8},
    {"id": "spike-source", "type": "spike", "title": "พุ่ง", "group_by": "source_name", "window": "30m", "baseline": "1d",
     "min_count": 5, "include_duplicates": True},
    {"id": "spike-outage", "type": "spike", "title": "ล่ม", "query": "ล่ม", "window": "1h", "baseline": "2d", "min_count": 5, "ratio": 2, "k": 1},
    {"id": "shift", "type": "sentiment_shift", "title": "ลบขึ้น", "group_by": "entity", "window": "2h", "baseline": "2d",
     "min_count": 8, "min_baseline": 10},
    {"id": "new-hashtag", "type": "new_term", "title": "ใหม่", "field": "hashtag", "window": "1h", "baseline": "2d",
     "min_count": 3, "min_authors": 2, "include_duplicates": True},
    {"id": "new-keyword", "type": "new_term", "title": "ใหม่", "field": "keyword", "window": "2h", "baseline": "1d",
     "min_count": 4, "min_authors": 3, "time_field": "collected_at"},
]


def engine(store, rules, *, incremental: bool) -> AlertEngine:
    e = build_engine(Config.model_validate({"rules": rules, "notifiers": []}), store, notifiers=[])
    e.incremental = incremental
    return e


def _m(n: int, text: str, label: str, published, collected=None, *, entity=ENTITY, source="forum-test", author=None,
       hashtags=(), duplicate_of=None) -> Mention:
    m = mention(n, text, label, published, collected=collected, entities=(entity,), source=source, author=author)
    return m.model_copy(update={"hashtags": list(hashtags), "duplicate_of": duplicate_of})


def history(rng: random.Random, start, end, n0: int) -> list[Mention]:
    """Ordinary traffic: two banks, three sources, a few hashtags, some copies."""
    out: list[Mention] = []
    t = start
    n = n0
    while t < end:
        n += 1
        label = "neg" if n % 9 == 0 else ("pos" if n % 3 == 0 else "neu")
        dup = out[-1].id if out and n % 11 == 0 else None
        out.append(_m(n, QUIET[n % len(QUIET)], label, t, t + timedelta(minutes=rng.randrange(1, 30)),
                      entity=ENTITY if n % 3 else OTHER, source=f"src-{n % 3}", author=f"a_{rng.randrange(300)}",
                      hashtags=[HASHTAGS[n % 4]] if n % 5 == 0 else [], duplicate_of=dup))
        t += timedelta(minutes=rng.randrange(4, 20))
    return out


def stream(rng: random.Random) -> tuple[list[Mention], list[Mention]]:
    """(stored before the replay, arriving during it): two quiet days, then six hours with an
    outage told by forty accounts in nearly the same words (and copied by some of them), a new
    hashtag spreading, and mentions collected late (published hours before they arrive)."""
    before = history(rng, NOW - timedelta(days=3), NOW - timedelta(hours=6), 0)
    during = history(rng, NOW - timedelta(hours=6), NOW, 5000)
    outage_at = NOW - timedelta(hours=3)
    first = None
    for i in range(40):
        t = outage_at + timedelta(minutes=2 * i)
        m = _m(8000 + i, f"{OUTAGE} {'ด่วน' if i % 2 else 'ช่วยด้วย'}", "neg", t, t + timedelta(minutes=3),
               author=f"angry_{i}", source=f"src-{i % 3}", duplicate_of=first, hashtags=["#แสงทองล่ม"] if i % 4 == 0 else [])
        first = first or m.id
        during.append(m)
        if i % 5 == 0:  # the same author pastes it again: no new voice
            during.append(_m(8100 + i, m.text, "neg", t + timedelta(minutes=1), t + timedelta(minutes=4), author=f"angry_{i}",
                             source=m.source_name, duplicate_of=first))
    for i in range(12):  # late: published during the outage, collected two hours later
        t = outage_at + timedelta(minutes=5 * i)
        during.append(_m(8200 + i, "ระบบขัดข้อง ใช้งานไม่ได้", "neg", t, t + timedelta(hours=2), author=f"late_{i}"))
    return before, during


def replay(store, rules, before, during, *, step=timedelta(minutes=5)):
    """Both ways, cycle by cycle; returns the matches of each cycle (they must agree)."""
    store.upsert(before)
    inc, full = engine(store, rules, incremental=True), engine(store, rules, incremental=False)
    pending = sorted(during, key=lambda m: m.collected_at)
    at = NOW - timedelta(hours=6)
    cycles = []
    while at <= NOW + timedelta(hours=1):
        batch = [m for m in pending if m.collected_at <= at]
        pending = pending[len(batch):]
        if batch:
            store.upsert(batch)
        a = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in inc.check(at, dry_run=True))
        b = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in full.check(at, dry_run=True))
        assert a == b, f"cycle at {at}: incremental {a} != full {b}"
        cycles.append((at, a))
        at += step
    return cycles, inc


def test_incremental_and_full_evaluation_agree_on_a_replayed_stream(tmp_path):
    store = SQLiteStore(tmp_path / "inc.db")
    before, during = stream(random.Random(5))
    cycles, inc = replay(store, RULES, before, during)
    fired = {rule for _, matches in cycles for rule, *_ in matches}
    # The stream has something for most rules, so the comparison is not of empty lists.
    assert {"neg-voices", "spike-entity", "spike-outage", "new-hashtag", "shift"} <= fired, fired
    # Steady state: rows were read once per question, then only increments (two small
    # queries per question per cycle: what was collected since, and the span's count).
    assert all(w.queries < 3 * len(cycles) + 5 for w in inc.running.windows.values())
    # One feed for every question, read in full once: later cycles only add what was collected.
    [feed] = inc.running.feeds.values()
    assert feed.generation == 1 and all(w.feed is feed for w in inc.running.windows.values())
    assert feed.queries <= 3 * len(cycles) + 5
    store.close()


def test_a_late_import_with_old_collection_times_is_picked_up(tmp_path):
    """A batch stored after its collected_at (an import with its own times, an Elasticsearch
    refresh that came late) still counts: the span's count differs, the rows are read again."""
    store = SQLiteStore(tmp_path / "late.db")
    rules = [{"id": "neg", "type": "threshold", "title": "ลบ", "window": "1h", "limit": 5, "sentiment": ["neg"]}]
    inc = engine(store, rules, incremental=True)
    assert inc.check(NOW, dry_run=True) == []
    store.upsert([_m(9000 + i, f"{OUTAGE} รอบที่ {i}", "neg", NOW - timedelta(minutes=40 - i), NOW - timedelta(minutes=30),
                     author=f"u{i}") for i in range(6)])
    [alert] = inc.check(NOW + timedelta(minutes=5), dry_run=True)
    assert alert.count == 6
    store.close()


def test_a_new_hashtag_on_a_busy_source_fires_in_the_cycle_it_arrives(tmp_path):
    """300 distinct hashtags in the window (more than any top-N), then one new hashtag used
    once: with min_count 1 it fires in that very cycle."""
    store = SQLiteStore(tmp_path / "busy.db")
    rules = [{"id": "nt", "type": "new_term", "title": "แฮชแท็กใหม่", "field": "hashtag", "window": "1h", "baseline": "1d",
              "min_count": 1, "min_authors": 1}]
    old = [_m(i, "โปรโมชั่นบัตรเครดิต", "neu", NOW - timedelta(hours=20, minutes=i % 180), hashtags=[f"#โปร{i % 300}"], author=f"o{i}")
           for i in range(900)]
    busy = [_m(1000 + i, "โปรโมชั่นบัตรเครดิต", "neu", NOW - timedelta(minutes=50) + timedelta(seconds=9 * i),
               hashtags=[f"#โปร{i % 300}"], author=f"b{i}") for i in range(300)]
    store.upsert(old + busy)
    inc = engine(store, rules, incremental=True)
    assert inc.check(NOW, dry_run=True) == []  # every hashtag was seen yesterday
    fresh = _m(5000, "แสงทองแจกบัตรคอนเสิร์ตจริงไหม", "q", NOW + timedelta(minutes=1), NOW + timedelta(minutes=2),
               hashtags=["#แสงทองแจกบัตร"], author="newcomer")
    store.upsert([fresh])
    [alert] = inc.check(NOW + timedelta(minutes=5), dry_run=True)
    assert (alert.key, alert.count, alert.mention_ids) == ("#แสงทองแจกบัตร", 1, [fresh.id])
    store.close()


def _quiet_week(n0: int = 0) -> list[Mention]:
    return [_m(n0 + h, QUIET[h % len(QUIET)], "neu", NOW - timedelta(hours=h), author=f"q{h % 50}")
            for h in range(1, 7 * 24)]


@pytest.mark.parametrize("rule_type", ["spike", "sentiment_shift"])
def test_spike_and_sentiment_shift_count_voices_not_copies(tmp_path, rule_type):
    """An outage told by 25 accounts in nearly the same words fires; 25 copies of it by one
    account are one voice and do not."""
    rule = ({"id": "r", "type": "spike", "title": "พุ่ง", "group_by": "entity", "window": "1h", "baseline": "7d", "min_count": 10}
            if rule_type == "spike" else
            {"id": "r", "type": "sentiment_shift", "title": "ลบ", "group_by": "entity", "window": "1h", "baseline": "7d",
             "min_count": 10, "min_baseline": 20})
    for many_accounts, expected in ((True, 26), (False, None)):
        store = SQLiteStore(tmp_path / f"{rule_type}-{many_accounts}.db")
        store.upsert(_quiet_week())
        first = _m(7000, f"{OUTAGE} ตั้งแต่เช้า", "neg", NOW - timedelta(minutes=55), author="x0")
        copies = [_m(7001 + i, f"{OUTAGE} ตั้งแต่เช้าเลย", "neg", NOW - timedelta(minutes=50 - i),
                     author=f"x{i + 1}" if many_accounts else "x0", duplicate_of=first.id) for i in range(25)]
        store.upsert([first, *copies])
        alerts = engine(store, [rule], incremental=True).check(NOW, dry_run=True)
        if expected is None:
            assert alerts == []
        else:
            [alert] = alerts
            # the window holds the quiet hour's mention and the outage's 26 voices
            assert alert.key == ENTITY and alert.count >= expected
        store.close()


@pytest.mark.es
def test_incremental_and_full_agree_on_elasticsearch(request, tmp_path):
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    store = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool",
                            refresh_on_write=True)
    try:
        store.setup()
        before, during = stream(random.Random(5))
        rules = [r for r in RULES if r["id"] in ("neg-voices", "spike-outage", "new-hashtag", "shift")]
        cycles, inc = replay(store, rules, before, during, step=timedelta(minutes=15))
        assert {"neg-voices", "spike-outage", "new-hashtag"} <= {rule for _, ms in cycles for rule, *_ in ms}
        [feed] = inc.running.feeds.values()
        assert feed.generation == 1  # the counts in the _msearch agreed every cycle: no second full read
    finally:
        drop_test_store(store) if url else store.close()


# -- the hourly rollup (SQLite mention_hours) -------------------------------------------------

def _rollup(store) -> list[tuple]:
    return sorted(store._query("SELECT hour, entity, sentiment, source_name, lag, copy, n FROM mention_hours"))


def _rebuilt(store) -> list[tuple]:
    """mention_hours as the schema-6 migration builds it from the stored mentions."""
    from sadap.store.sqlite import _REBUILD_HOURS

    store._db.execute("BEGIN")
    try:
        for sql in _REBUILD_HOURS:
            store._db.execute(sql)
        return _rollup(store)
    finally:
        store._db.execute("ROLLBACK")


def _varied(rng: random.Random) -> list[Mention]:
    """Three days of two banks on three sources, some mentions naming both, copies by the same
    and by other authors (and outlets), news syndication, and late collections."""
    out: list[Mention] = []
    t = NOW - timedelta(days=3)
    n = 0
    while t < NOW:
        n += 1
        label = ("neg", "neu", "pos", "q")[n % 4]
        ents = (ENTITY, OTHER) if n % 7 == 0 else ((ENTITY,) if n % 3 else (OTHER,))
        late = timedelta(hours=rng.choice([0, 0, 0, 2, 7, 30])) + timedelta(minutes=rng.randrange(1, 50))
        dup = None
        author = f"a_{rng.randrange(40)}"
        if out and n % 6 == 0:
            orig = out[-rng.randrange(1, min(len(out), 8) + 1)]
            dup = orig.duplicate_of or orig.id
            if n % 12 == 0:
                author = orig.author_id
        m = mention(n, QUIET[n % len(QUIET)], label, t, collected=t + late, entities=ents, source=f"src-{n % 3}", author=author)
        m = m.model_copy(update={"duplicate_of": dup, "hashtags": [HASHTAGS[n % 4]] if n % 5 == 0 else []})
        if n % 10 == 0:
            m = m.model_copy(update={"source_kind": "rss", "source_name": "news-a"})
        out.append(m)
        t += timedelta(minutes=rng.randrange(3, 25))
    return out


QUESTIONS = [
    ({}, None), ({}, "entity"), ({}, "source_name"), ({}, "sentiment"), ({"sentiment": ["neg"]}, "entity"),
    ({"sources": ["src-1", "news-a"]}, "entity"), ({"entities": [OTHER]}, "source_name"), ({"sentiment": ["neg", "q"]}, None),
]


def test_the_hourly_rollup_answers_baselines_as_the_mentions_do(tmp_path):
    """Baseline buckets from mention_hours (with the copies' voices) equal those counted from
    the mentions themselves, for every grouping and filter the rollup serves, in counts and
    in voices, for 1-hour and 3-hour buckets."""
    from alerts.rules.running import RunningState, SETTLE
    from sadap.store.base import MentionFilter

    store = SQLiteStore(tmp_path / "rollup.db")
    store.upsert(_varied(random.Random(3)))
    assert _rollup(store) == _rebuilt(store)
    running = RunningState()
    origin = NOW - timedelta(days=2, hours=17)  # whole hours
    checked = 0
    for where, group_by in QUESTIONS:
        flt = MentionFilter(sentiment=tuple(where.get("sentiment", ())), source_names=tuple(where.get("sources", ())),
                            entities=tuple(where.get("entities", ())))
        w = running.window(flt, group_by)
        for step in (timedelta(hours=1), timedelta(hours=3)):
            n = int(timedelta(days=2) / step)
            assert w._fits_cells(step.total_seconds(), origin.timestamp())
            cells = store.hour_cells(origin, origin + step * n)
            for voices in (False, True):
                want = store.bucket_counts(flt, group_by, origin, step, n, SETTLE, voices)
                got = w._from_cells(cells, origin.timestamp(), step.total_seconds(), n, voices)
                assert {b: c for b, c in got.items() if c} == {b: c for b, c in want.items() if c}, (where, group_by, step, voices)
                checked += sum(sum(c.values()) for c in want.values())
    assert checked > 1000
    store.close()


def test_the_hourly_rollup_follows_upserts_reenrichment_and_erasure(tmp_path):
    """Kept in the write's transaction: a re-upsert with new labels, entities or times, and a
    PDPA erasure leave mention_hours as a rebuild from the mentions would."""
    store = SQLiteStore(tmp_path / "follow.db")
    mentions = _varied(random.Random(8))
    store.upsert(mentions)
    assert _rollup(store) == _rebuilt(store)
    changed = [m.model_copy(update={"sentiment": m.sentiment.model_copy(update={"label": "neg"}), "entities": [OTHER],
                                    "collected_at": m.collected_at + timedelta(hours=9)}) for m in mentions[::5]]
    store.upsert(changed)  # re-enrichment (and a re-crawl with a later collection time)
    assert _rollup(store) == _rebuilt(store)
    store.upsert(mentions[:50])  # the same again: no change
    assert _rollup(store) == _rebuilt(store)
    store.erase([m.id for m in mentions[::3]])
    rows = _rollup(store)
    assert rows == _rebuilt(store)
    assert sum(n for _, e, *_rest, n in rows if e == "") == store.count(MentionFilter()) == len(mentions) - len(mentions[::3])
    store.close()


def test_an_older_store_gets_the_rollup_when_opened(tmp_path):
    """A schema-5 store (no mention_hours) builds it once on open."""
    import sqlite3

    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert(_varied(random.Random(2)))
    expected = _rollup(store)
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE mention_hours")
    db.execute("PRAGMA user_version=5")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert _rollup(store) == expected and expected
    assert store._query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    store.close()


def test_a_restarted_engine_rebuilds_its_state_and_agrees(tmp_path):
    """Halfway through the replay the incremental engine is replaced by a new one (a service
    restart): it reads its state from the store and its answers stay those of a full evaluation."""
    store = SQLiteStore(tmp_path / "restart.db")
    before, during = stream(random.Random(11))
    store.upsert(before)
    full = engine(store, RULES, incremental=False)
    inc = engine(store, RULES, incremental=True)
    pending = sorted(during, key=lambda m: m.collected_at)
    at = NOW - timedelta(hours=6)
    fired = set()
    while at <= NOW + timedelta(minutes=30):
        batch = [m for m in pending if m.collected_at <= at]
        pending = pending[len(batch):]
        store.upsert(batch)
        if at == NOW - timedelta(hours=3, minutes=5):
            inc = engine(store, RULES, incremental=True)  # restart
        a = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in inc.check(at, dry_run=True))
        b = sorted((x.rule, x.key or "", x.count, tuple(x.mention_ids)) for x in full.check(at, dry_run=True))
        assert a == b, f"cycle at {at}"
        fired |= {r for r, *_ in a}
        at += timedelta(minutes=5)
    assert {"neg-voices", "spike-entity", "new-hashtag"} <= fired
    store.close()


def test_erasure_and_reenrichment_behind_the_running_state_are_picked_up(tmp_path):
    """A hashtag seen yesterday is not new; once the mention that used it is erased (PDPA) it
    is. A mention re-enriched into the window's query (its sentiment) counts in the next cycle."""
    store = SQLiteStore(tmp_path / "erase.db")
    rules = [{"id": "nt", "type": "new_term", "title": "ใหม่", "field": "hashtag", "window": "1h", "baseline": "1d",
              "min_count": 2, "min_authors": 2},
             {"id": "neg", "type": "threshold", "title": "ลบ", "window": "1h", "limit": 3, "sentiment": ["neg"]}]
    old = _m(1, "แสงทองแจกบัตรคอนเสิร์ต", "neu", NOW - timedelta(hours=20), hashtags=["#แจกบัตร"], author="early")
    now = [_m(10 + i, "แสงทองแจกบัตรคอนเสิร์ตจริงไหม", "neu", NOW - timedelta(minutes=10 - i), hashtags=["#แจกบัตร"],
              author=f"u{i}") for i in range(3)]
    store.upsert([old, *now])
    inc, full = engine(store, rules, incremental=True), engine(store, rules, incremental=False)
    assert inc.check(NOW, dry_run=True) == [] == full.check(NOW, dry_run=True)
    store.erase([old.id])
    at = NOW + timedelta(minutes=5)
    got = sorted((x.rule, x.key) for x in inc.check(at, dry_run=True))
    assert got == sorted((x.rule, x.key) for x in full.check(at, dry_run=True)) == [("nt", "#แจกบัตร")]
    store.upsert([m.model_copy(update={"sentiment": m.sentiment.model_copy(update={"label": "neg"})}) for m in now])
    at += timedelta(minutes=5)
    got = sorted((x.rule, x.key) for x in inc.check(at, dry_run=True))
    assert got == sorted((x.rule, x.key) for x in full.check(at, dry_run=True))
    assert ("neg", None) in got
    store.close()


@pytest.mark.es
def test_rule_rows_read_the_same_on_both_backends(request, tmp_path):
    """What the feed reads (rows with every field, query matches, check counts) is the same
    from SQLite and from Elasticsearch, and as the generic path builds it from whole mentions."""
    from sadap.store.base import Store
    from sadap.store.query import parse_query
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    mentions = _varied(random.Random(4))[:300]
    mentions[7] = mentions[7].model_copy(update={"spam_score": 0.9, "keywords": ["สล็อต", "ลิงก์"]})
    url = es_test_url()
    es = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool",
                         refresh_on_write=True)
    lite = SQLiteStore(tmp_path / "parity.db")
    try:
        es.setup()
        for store in (es, lite):
            store.upsert(mentions)
        since = mentions[40].published_at
        flt = MentionFilter(since=since, until=mentions[250].published_at, collected_until=NOW)
        queries = [parse_query("ดอกเบี้ย"), parse_query("บัตรเครดิต OR สาขา -ขอนแก่น")]
        counts = [MentionFilter(since=since, collected_until=NOW), MentionFilter(time_field="collected_at", since=since)]

        def read(store):
            got = store.rule_rows(flt, queries, counts=counts)
            return sorted(got.rows, key=lambda r: r.id), got.hits, got.counts

        want = read(lite)
        assert len(want[0]) > 150 and all(want[1]) and want[2][0] >= len(want[0])
        assert read(es) == want
        assert Store.rule_rows(lite, flt, queries, counts=counts).hits == want[1]  # the generic path
        assert sorted(Store.rule_rows(lite, flt).rows, key=lambda r: r.id) == want[0]
    finally:
        lite.close()
        drop_test_store(es) if url else es.close()


def test_a_question_the_feed_cannot_filter_keeps_its_own_rows_and_agrees(tmp_path):
    """A filter the light rows do not hold (here: authors) falls back to the question's own
    reads, with the same answers as a full evaluation."""
    from alerts.rules.running import RunningState

    store = SQLiteStore(tmp_path / "own.db")
    before, during = stream(random.Random(6))
    store.upsert(before + [m for m in during if m.collected_at <= NOW - timedelta(hours=2)])
    flt = MentionFilter(author_ids=tuple(f"angry_{i}" for i in range(0, 40, 2)), since=NOW - timedelta(hours=4), until=NOW,
                        collected_until=NOW)
    running = RunningState()
    w = running.window(flt, "source_name")
    assert w.feed is None
    for k in range(4):
        at = NOW - timedelta(hours=2) + timedelta(minutes=5 * k)
        store.upsert([m for m in during if at - timedelta(minutes=5) < m.collected_at <= at])
        running.cycle += 1
        w.sync(store, at, timedelta(hours=1), running.cycle)
        got = sorted(r.id for r in w.between((at - timedelta(hours=1)).timestamp(), at.timestamp()))
        want = sorted(store.ids(MentionFilter(author_ids=flt.author_ids, since=at - timedelta(hours=1), until=at,
                                              collected_until=at), limit=1000))
        assert got == want and want
    store.close()
