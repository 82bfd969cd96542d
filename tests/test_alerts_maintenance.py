"""Maintenance windows cover what was posted during them: the docs' example (01:00–05:00
Bangkok for outage-keywords) over a real SQLite store, evaluated every minute across its end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sadap.app.alerting import build_engine
from sadap.app.config import Config
from sadap.core.timeutil import parse_iso
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention

START, END = parse_iso("2026-12-01T01:00:00+07:00"), parse_iso("2026-12-01T05:00:00+07:00")
TEXTS = ["แอปแสงทองล่ม เข้าไม่ได้เลย", "แอปล่มอีกแล้วตีสี่", "ระบบล่ม โอนเงินไม่ได้"]
OUTAGE = {"id": "outage-keywords", "type": "watch", "title": {"th": "มีผู้พูดถึงระบบล่ม", "en": "Outage"}, "severity": "P2",
          "query": "ล่ม", "group_by": "entity", "min_count": 3, "window": "1h", "cooldown": "2h", "playbook": "service-outage"}
SURGE = {"id": "outage-surge", "type": "threshold", "title": {"th": "ระบบล่มพุ่งสูง", "en": "Outage surge"},
         "query": "ล่ม", "group_by": "entity", "limit": 3, "window": "1h"}
WINDOW = {"start": START.isoformat(), "end": END.isoformat(), "rules": ["outage-keywords", "outage-surge"],
          "reason": "ปรับปรุงระบบ"}


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "maintenance.db")
    yield s
    s.close()


def engine_for(store, rules, windows):
    config = Config.model_validate({"rules": rules, "notifiers": [], "maintenance": windows})
    return build_engine(config, store, notifiers=[])


def during_the_work(store):
    """Customers post แอปล่ม at 04:10–04:50 Bangkok, during the planned work."""
    store.upsert([mention(i, TEXTS[i % 3], "neg", END - timedelta(minutes=50 - i * 8)) for i in range(6)])


def test_posts_during_the_window_do_not_alert_when_it_ends(store):
    during_the_work(store)
    engine = engine_for(store, [OUTAGE, SURGE], [WINDOW])
    fired = [a for m in range(-3, 65) for a in engine.check(END + timedelta(minutes=m))]
    assert fired == []  # not at 05:00, nor in the hour after
    assert store.list_incidents() == []


def test_new_posts_after_the_window_still_alert_and_count_alone(store):
    during_the_work(store)
    engine = engine_for(store, [OUTAGE, SURGE], [WINDOW])
    assert [a for m in range(0, 20) for a in engine.check(END + timedelta(minutes=m))] == []
    store.upsert([mention(100 + i, TEXTS[i], "neg", END + timedelta(minutes=20 + i)) for i in range(3)])
    fired = {a.rule: a for m in range(20, 30) for a in engine.check(END + timedelta(minutes=m))}
    assert set(fired) == {"outage-keywords", "outage-surge"}
    outage = fired["outage-keywords"]
    assert outage.key == ENTITY and outage.count == 3  # the three after the work, not the six during it
    assert outage.window_start == END  # what it counted: from the window's end
    assert fired["outage-surge"].count == 3


def test_a_rule_the_window_does_not_name_alerts_as_before(store):
    during_the_work(store)
    other = {**OUTAGE, "id": "outage-other", "playbook": None}
    engine = engine_for(store, [OUTAGE, other], [WINDOW])
    [alert] = engine.check(END)
    assert alert.rule == "outage-other" and alert.count == 6
