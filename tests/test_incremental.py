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
from sadap.store.sqlite import SQLiteStore
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
        cycles, _ = replay(store, rules, before, during, step=timedelta(minutes=15))
        assert {"neg-voices", "spike-outage", "new-hashtag"} <= {rule for _, ms in cycles for rule, *_ in ms}
    finally:
        drop_test_store(store) if url else store.close()
