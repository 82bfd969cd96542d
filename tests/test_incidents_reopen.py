"""Reopening an incident starts its escalation again, from the reopening; an alert on posts
collected late says when they were posted (real SQLite store, the shipped service-outage
playbook and its escalation chain)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from alerts.incidents import transition
from alerts.notifiers.console import ConsoleNotifier, ConsoleOptions
from playbooks.loader import load_playbooks
from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.store.sqlite import SQLiteStore
from tests.factories import mention
from tests.test_alerts import NOW

TEXTS = ["แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้", "เข้าแอปไม่ได้ตั้งแต่เช้า แสงทองล่ม", "ระบบล่ม โอนเงินไม่ได้เลย"]
RULE = {"id": "outage", "type": "watch", "title": {"th": "ระบบล่ม", "en": "Outage"}, "severity": "P2",
        "query": "ล่ม", "group_by": "entity", "window": "1h", "min_count": 3, "playbook": "service-outage"}
LEVELS = next(p for p in load_playbooks() if p.id == "service-outage").escalation


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "reopen.db")
    yield s
    s.close()


def test_reopened_incident_escalates_from_the_reopening_one_level_at_a_time(store):
    assert len(LEVELS) >= 2, "the shipped outage playbook has an escalation chain"
    store.upsert([mention(1 + i, TEXTS[i % 3], "neg", NOW - timedelta(minutes=30 - i)) for i in range(5)])
    out = io.StringIO()
    config = Config.model_validate({"rules": [RULE], "notifiers": []})
    engine = build_engine(config, store, notifiers=[ConsoleNotifier(ConsoleOptions(id="con", type="console"), stream=out)])
    [alert] = engine.check(NOW)
    assert engine.escalate(NOW + LEVELS[0].after) == [(alert.incident, 1)]
    transition(store, alert.incident, "acknowledged", "somchai", at=NOW + LEVELS[0].after + timedelta(minutes=5))
    transition(store, alert.incident, "resolved", "somchai", at=NOW + timedelta(hours=2))
    reopened = NOW + timedelta(days=2)
    incident = transition(store, alert.incident, "open", "somsri", "กลับมาล่มอีก", at=reopened)
    assert incident.reopened_at == reopened and incident.escalation_level == 0
    assert store.get_incident(alert.incident).reopened_at == reopened  # kept in the store

    assert engine.escalate(reopened + timedelta(minutes=1)) == []  # not every remaining level at once
    assert engine.escalate(reopened + LEVELS[0].after) == [(alert.incident, 1)]  # level 1 again, its `after` past the reopen
    assert engine.escalate(reopened + LEVELS[1].after) == [(alert.incident, 2)]
    assert store.get_incident(alert.incident).escalation_level == 2
    levels = [e.data["level"] for e in store.events(alert.incident) if e.kind == "escalated"]
    assert levels == [1, 1, 2]
    assert out.getvalue().count("ยกระดับ (ระดับ 1)") == 2
    # {since} says when it came back, not the first opening two days before
    messages = [line for line in out.getvalue().splitlines() if "ยังไม่มีผู้รับทราบเหตุ" in line]
    assert "ตั้งแต่ 2026-11-21 10:00 น." in messages[0]
    assert len(messages) == 2 and "ตั้งแต่ 2026-11-23 10:00 น." in messages[1]  # (level 2 has a message of its own)


def test_an_alert_on_posts_collected_late_says_when_they_were_posted(store):
    """A first crawl brings in posts from days before: the watch rule counts them when collected
    (its window is the last hour), and the text says when they were posted, not only the window."""
    posted = NOW - timedelta(days=6)  # 2026-11-15 10:00 Bangkok
    store.upsert([mention(1 + i, TEXTS[i % 3], "neg", posted + timedelta(minutes=10 * i), collected=NOW - timedelta(minutes=5))
                  for i in range(4)])
    out = io.StringIO()
    engine = build_engine(Config.model_validate({"rules": [RULE], "notifiers": []}), store,
                          notifiers=[ConsoleNotifier(ConsoleOptions(id="con", type="console"), stream=out)])
    [alert] = engine.check(NOW)
    assert alert.window_start >= NOW - timedelta(hours=1)
    assert "โพสต์เมื่อ 2026-11-15 10:00 – 2026-11-15 10:30 (ก่อนช่วงที่เก็บได้)" in out.getvalue()
    fresh = io.StringIO()  # posts made in the window: no such line
    other = SQLiteStore(store.path.parent / "fresh.db")
    other.upsert([mention(1 + i, TEXTS[i % 3], "neg", NOW - timedelta(minutes=30 - i)) for i in range(4)])
    build_engine(Config.model_validate({"rules": [RULE], "notifiers": []}), other,
                 notifiers=[ConsoleNotifier(ConsoleOptions(id="con", type="console"), stream=fresh)]).check(NOW)
    other.close()
    assert "ช่วง" in fresh.getvalue() and "โพสต์เมื่อ" not in fresh.getvalue()
