"""Each rule type over a real SQLite store, with real Thai mentions: it fires on the
situation it is for and stays quiet on an ordinary stream."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from alerts.engine import AlertEngine
from alerts.message import build_text
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

QUIET = ["เปิดสาขาใหม่ที่ขอนแก่น บริการดี", "ดอกเบี้ยเงินฝากเดือนนี้เท่าไหร่", "สมัครบัตรเครดิตง่ายดีค่ะ", "แอปใช้งานสะดวกดี"]
ANGRY = ["แอปล่มอีกแล้ว โอนเงินไม่ได้", "ผิดหวังมาก ระบบแย่ทุกสิ้นเดือน", "โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", "บริการแย่ที่สุด"]


def engine_for(store, rules: list[dict]) -> "AlertEngine":
    config = Config.model_validate({"rules": rules, "notifiers": []})
    return build_engine(config, store, notifiers=[])


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "rules.db")
    yield s
    s.close()


def ordinary_fortnight(store, per_hour: int = 1, *, start=14, source="forum-test"):
    """One mention an hour, mostly neutral or positive, for two weeks before NOW."""
    ms = []
    n = 0
    for hour in range(start * 24, 0, -1):
        for k in range(per_hour):
            n += 1
            label = "neg" if n % 10 == 0 else ("pos" if n % 3 == 0 else "neu")
            text = ANGRY[n % 4] if label == "neg" else QUIET[n % 4]
            ms.append(mention(10_000 + n, text, label, NOW - timedelta(hours=hour, minutes=k * 7), source=source))
    store.upsert(ms)
    return n


def burst(store, count: int, *, label="neg", minutes=50, base=50_000, text=None, authors=None, **kw):
    ms = [
        mention(base + i, text or ANGRY[i % 4], label, NOW - timedelta(minutes=minutes - i * (minutes // max(count, 1) or 1) % minutes),
                author=(authors[i] if authors else None), **kw)
        for i in range(count)
    ]
    store.upsert(ms)
    return ms


SPIKE = {"id": "volume-spike", "type": "spike", "title": "ปริมาณพุ่ง", "group_by": "entity", "window": "1h",
         "baseline": "7d", "ratio": 3, "k": 3, "min_count": 10}


def test_spike_fires_on_a_burst_and_not_on_an_ordinary_hour(store):
    ordinary_fortnight(store)
    engine = engine_for(store, [SPIKE])
    assert engine.check(NOW) == []  # one an hour, as usual
    burst(store, 20)
    [alert] = engine.check(NOW)
    assert alert.key == ENTITY and alert.count == 21
    assert alert.detail["baseline_mean"] == pytest.approx(1.0, abs=0.1)


def test_spike_never_fires_without_history(store):
    burst(store, 30)  # a brand-new key: no baseline at all
    assert engine_for(store, [SPIKE]).check(NOW) == []


def test_spike_that_stays_high_keeps_its_incident_current(store):
    ordinary_fortnight(store)
    rule = {**SPIKE, "cooldown": "6h", "playbook": "complaint-surge"}
    engine = engine_for(store, [rule])
    burst(store, 20)
    [first] = engine.check(NOW)
    burst(store, 25, base=60_000, minutes=40)
    later = NOW + timedelta(minutes=30)
    store.upsert([mention(70_000 + i, ANGRY[i % 4], "neg", later - timedelta(minutes=i)) for i in range(20)])
    assert engine.check(later) == []  # in cool-down: no second notification…
    kinds = [e.kind for e in store.events(first.incident)]
    assert "still_active" in kinds  # …but the incident knows it is still going


SHIFT = {"id": "neg-shift", "type": "sentiment_shift", "title": "เชิงลบเพิ่มขึ้น", "group_by": "entity",
         "window": "3h", "baseline": "7d", "margin": 0.25, "min_count": 10}


def test_sentiment_shift(store):
    ordinary_fortnight(store, per_hour=2)  # about 10% negative
    engine = engine_for(store, [SHIFT])
    assert engine.check(NOW) == []
    burst(store, 15, minutes=120)
    [alert] = engine.check(NOW)
    assert alert.detail["share"] > 0.5 and alert.detail["baseline_share"] < 0.2


def test_sentiment_shift_on_expectation(store):
    ordinary_fortnight(store, per_hour=2)
    rule = {**SHIFT, "expectations": ["disappointed"]}
    ms = burst(store, 15, minutes=120)
    for m in ms:
        m.expectation = "disappointed"
    store.upsert(ms)
    [alert] = engine_for(store, [rule]).check(NOW)
    assert alert.detail["baseline_share"] == 0


def test_sentiment_shift_day_against_days_before(store):
    """`window: 1d` needs `baseline: 2d` or more (1d is refused at load, see test_bad_input):
    two ordinary days, then a day of complaints, fires."""
    ms, n = [], 0
    for hour in range(72, 0, -1):
        for k in range(2):
            n += 1
            angry = hour <= 24 or n % 10 == 0
            ms.append(mention(n, ANGRY[n % 4] if angry else QUIET[n % 4], "neg" if angry else "neu",
                              NOW - timedelta(hours=hour, minutes=k * 20)))
    store.upsert(ms)
    rule = {"id": "day-shift", "type": "sentiment_shift", "title": "เชิงลบเพิ่มขึ้น", "group_by": "entity",
            "window": "1d", "baseline": "2d", "margin": 0.25, "min_count": 10, "min_baseline": 20}
    for incremental in (True, False):
        engine = engine_for(store, [rule])
        engine.incremental = incremental
        [alert] = engine.check(NOW, dry_run=True)
        assert alert.key == ENTITY and alert.detail["share"] == 1.0 and alert.detail["baseline_share"] < 0.2


def test_new_term_rumour(store):
    ordinary_fortnight(store)
    rule = {"id": "new-hashtag", "type": "new_term", "title": "แฮชแท็กใหม่", "field": "hashtag", "window": "3h",
            "baseline": "14d", "min_count": 5, "min_authors": 3}
    engine = engine_for(store, [rule])
    old = mention(90_000, "ชอบแคมเปญนี้ #แสงทองใจดี", "pos", NOW - timedelta(days=5))
    old.hashtags = ["แสงทองใจดี"]
    store.upsert([old])
    rumour = burst(store, 8, text="ได้ยินว่าข้อมูลลูกค้ารั่ว #แบนแสงทอง", minutes=100)
    fading = burst(store, 6, text="ยังชอบ #แสงทองใจดี", base=91_000, minutes=100)
    for m in rumour:
        m.hashtags = ["แบนแสงทอง"]
    for m in fading:
        m.hashtags = ["แสงทองใจดี"]
    store.upsert(rumour + fading)
    fired = engine.check(NOW)
    assert [a.key for a in fired] == ["แบนแสงทอง"]  # the old hashtag is not new


def test_silence_of_a_source(store):
    ordinary_fortnight(store, start=7, source="pantip")
    store.upsert([mention(95_000 + i, QUIET[i % 4], "neu", NOW - timedelta(hours=i), source="news") for i in range(12)])
    rule = {"id": "source-silent", "type": "silence", "title": "แหล่งข่าวเงียบ", "period": "6h", "baseline": "7d", "min_baseline": 10}
    engine = engine_for(store, [rule])
    assert engine.check(NOW) == []
    later = NOW + timedelta(hours=7)
    fired = engine.check(later)
    assert sorted(a.key for a in fired) == ["news", "pantip"]
    assert all(a.count == 0 for a in fired)


def test_complaint_sla_on_mentions(store):
    late = [mention(96_000 + i, ANGRY[i % 4], "neg", NOW - timedelta(hours=30 + i)) for i in range(3)]
    fresh = [mention(97_000 + i, ANGRY[i % 4], "neg", NOW - timedelta(hours=2)) for i in range(3)]
    for m in late + fresh:
        m.complaint.is_complaint = True
    store.upsert(late + fresh)
    rule = {"id": "sla", "type": "complaint_sla", "title": "ข้อร้องเรียนเกิน 24 ชม.", "sla": "24h"}
    engine = engine_for(store, [rule])
    store.log_response(late[0].id, NOW - timedelta(hours=1), "somsri", "social", "ขออภัย กำลังตรวจสอบให้ค่ะ")
    [alert] = engine.check(NOW)
    assert alert.count == 2 and set(alert.mention_ids) == {late[1].id, late[2].id}


def test_complaint_sla_on_incidents(store):
    ordinary_fortnight(store, start=2)
    burst(store, 20)
    engine = engine_for(store, [
        {"id": "surge", "type": "threshold", "title": "ลบพุ่ง", "sentiment": ["neg"], "limit": 15, "window": "1h", "playbook": "complaint-surge"},
        {"id": "sla", "type": "complaint_sla", "title": "ยังไม่ตอบ", "scope": "incidents", "sla": "24h"},
    ])
    [surge] = engine.check(NOW)
    assert engine.check(NOW + timedelta(hours=23)) == []
    [overdue] = engine.check(NOW + timedelta(hours=25))
    assert overdue.rule == "sla" and overdue.key == surge.incident


def test_coordinated_copy_paste(store):
    ordinary_fortnight(store, start=1)
    first = mention(98_000, "แสงทองทำข้อมูลลูกค้ารั่ว!! ใครใช้อยู่รีบเปลี่ยนรหัสด่วน #แบนแสงทอง", "neg", NOW - timedelta(minutes=40))
    copies = []
    for i in range(1, 5):
        c = mention(98_000 + i, first.text, "neg", NOW - timedelta(minutes=40 - i), author=f"a_new{i}")
        c.duplicate_of = first.id
        copies.append(c)
    store.upsert([first, *copies])
    rule = {"id": "copy-paste", "type": "coordinated", "title": "ข้อความซ้ำจากหลายบัญชี", "window": "1h", "min_authors": 4}
    [alert] = engine_for(store, [rule]).check(NOW)
    # One alert per entity (the situation), not per copied text: the texts are in the detail.
    assert alert.key == ENTITY and alert.count == 5
    assert alert.detail == {"copies": 5, "clusters": [first.id], "texts": [first.text[:39] + "…"]}


def _pasted_by(store, accounts: int, text: str = "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย") -> list:
    """One complaint posted by ``accounts`` accounts in the last hour: the first is the original,
    the others near-duplicate copies of it."""
    first = mention(97_000, text, "neg", NOW - timedelta(minutes=40), author="acct_0")
    copies = []
    for i in range(1, accounts):
        c = mention(97_000 + i, text + "!!", "neg", NOW - timedelta(minutes=40 - i), author=f"acct_{i}")
        c.duplicate_of = first.id
        copies.append(c)
    store.upsert([first, *copies])
    return [first, *copies]


def test_threshold_distinct_authors_counts_every_account_copies_included(store):
    _pasted_by(store, 12)
    rule = {"id": "authors", "type": "threshold", "title": "หลายบัญชี", "window": "1h", "limit": 10,
            "metric": "distinct_authors", "group_by": "entity"}
    for incremental in (True, False):
        engine = engine_for(store, [rule])
        engine.incremental = incremental
        [alert] = engine.check(NOW, dry_run=True)
        assert (alert.key, alert.count) == (ENTITY, 12), incremental  # twelve accounts, not one


def test_alert_text_counts_accounts_for_coordinated_and_distinct_authors(store):
    _pasted_by(store, 6, "แสงทองทำข้อมูลลูกค้ารั่ว!! ใครใช้อยู่รีบเปลี่ยนรหัสด่วนเลยนะทุกคน")
    rules = [
        {"id": "co", "type": "coordinated", "title": "ข้อความเดียวกันจากหลายบัญชี", "window": "1h", "min_authors": 4},
        {"id": "authors", "type": "threshold", "title": "ผู้เขียนหลายคน", "window": "1h", "limit": 2, "metric": "distinct_authors"},
        {"id": "count", "type": "threshold", "title": "ปริมาณ", "window": "1h", "limit": 2},
    ]
    fired = {a.rule: a for a in engine_for(store, rules).check(NOW, dry_run=True)}
    for rule, th, en in (("co", "6 บัญชี ช่วง", "6 accounts,"), ("authors", "6 บัญชี ช่วง", "6 accounts,"),
                         ("count", "6 ข้อความ ช่วง", "6 mentions,")):
        assert th in build_text(fired[rule], None, None, [], "th").splitlines()[1], rule
        assert en in build_text(fired[rule], None, None, [], "en").splitlines()[1], rule


def test_snooze_maintenance_and_query_delay(store):
    burst(store, 20)
    threshold = {"id": "surge", "type": "threshold", "title": "ลบพุ่ง", "sentiment": ["neg"], "limit": 15, "window": "1h", "group_by": "entity"}
    store.snooze("surge", ENTITY, NOW + timedelta(hours=1), "somchai", "รู้แล้ว")
    assert engine_for(store, [threshold]).check(NOW) == []
    assert len(engine_for(store, [threshold]).check(NOW + timedelta(minutes=61))) == 0  # window moved past the burst
    config = Config.model_validate({
        "rules": [threshold], "notifiers": [],
        "maintenance": [{"start": (NOW - timedelta(hours=1)).isoformat(), "end": (NOW + timedelta(hours=1)).isoformat(), "rules": ["surge"]}],
    })
    store2 = store
    store2.snooze("surge", ENTITY, NOW - timedelta(days=1), "somchai")  # expired
    assert build_engine(config, store2, notifiers=[]).check(NOW) == []
    delayed = {**threshold, "query_delay": "2h"}
    assert engine_for(store, [delayed]).check(NOW) == []  # as of two hours ago: nothing yet
    assert len(engine_for(store, [threshold]).check(NOW)) == 1


def test_every_rule_type_is_quiet_on_an_ordinary_fortnight(store):
    ordinary_fortnight(store, per_hour=2)
    rules = [
        SPIKE, SHIFT,
        {"id": "nt", "type": "new_term", "title": "t", "field": "keyword"},
        {"id": "sil", "type": "silence", "title": "s"},
        {"id": "sla", "type": "complaint_sla", "title": "c"},
        {"id": "co", "type": "coordinated", "title": "c"},
    ]
    engine = engine_for(store, rules)
    for hours in range(0, 72, 6):
        assert engine.check(NOW - timedelta(hours=hours)) == [], hours
