"""``complaint_sla`` through the engine, over a real SQLite store: an SLA alert about an
incident goes on that incident's timeline and never opens one; a complaint that becomes
overdue while an older one is still overdue is a new alert."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from alerts.notifiers.console import ConsoleNotifier, ConsoleOptions
from sadap.app.alerting import build_engine
from sadap.app.config import Config, load_config_file
from sadap.core.errors import ConfigError
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW

LEAK = ["ข้อมูลลูกค้าแสงทองรั่ว เบอร์โทรหลุดหมดเลย", "ข้อมูลรั่วจริงไหม แสงทองตอบด้วย", "มีคนขายข้อมูลลูกค้าแสงทองรั่ว"]
LEAK_RULE = {"id": "leak", "type": "watch", "title": {"th": "ข้อมูลรั่ว", "en": "Data leak"}, "severity": "P1",
             "query": '"ข้อมูลรั่ว" OR รั่ว', "group_by": "entity", "window": "1h", "playbook": "data-leak-pdpa"}
SLA_INCIDENTS = {"id": "sla", "type": "complaint_sla", "title": {"th": "ยังไม่ตอบภายใน SLA", "en": "No response within SLA"},
                 "scope": "incidents", "sla": "24h"}
SLA_MENTIONS = {"id": "sla", "type": "complaint_sla", "title": {"th": "ข้อร้องเรียนเกิน 24 ชม.", "en": "Complaint past SLA"},
                "sla": "24h"}


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "sla.db")
    yield s
    s.close()


def engine_for(store, rules, out=None):
    config = Config.model_validate({"rules": rules, "notifiers": []})
    notifiers = [ConsoleNotifier(ConsoleOptions(id="con", type="console"), stream=out)] if out is not None else []
    return build_engine(config, store, notifiers=notifiers)


def complaint(n, text, published, **kw):
    m = mention(n, text, "neg", published, **kw)
    m.complaint.is_complaint = True
    return m


# -- scope: incidents -------------------------------------------------------------------------


def test_sla_alert_about_an_incident_never_opens_an_incident(store):
    store.upsert([mention(1 + i, LEAK[i % 3], "neg", NOW - timedelta(minutes=30 - i)) for i in range(6)])
    out = io.StringIO()
    engine = engine_for(store, [LEAK_RULE, SLA_INCIDENTS], out)
    [leak] = engine.check(NOW)
    fired = []
    for hour in range(1, 76):  # three days, every hour: the leak incident stays unanswered
        fired += engine.check(NOW + timedelta(hours=hour))
    assert [i.id for i in store.list_incidents()] == [leak.incident]  # no incident about an incident
    assert fired and all(a.rule == "sla" for a in fired)
    first = fired[0]
    assert first.key == leak.incident and first.incident == leak.incident and first.playbook is None
    assert first.window_end == NOW + timedelta(hours=24)  # overdue from the first hourly check past the SLA
    overdue = [e for e in store.events(leak.incident) if e.kind == "sla_overdue"]
    assert len(overdue) == len(fired)  # each SLA alert on the overdue incident's own timeline
    assert overdue[0].text == "ยังไม่ตอบภายใน SLA — ยังไม่มีการตอบกลับภายใน 24 ชั่วโมง หลังเปิดเหตุการณ์"
    assert f"ยังไม่ตอบภายใน SLA — {leak.incident}" in out.getvalue()  # and notified
    assert f"sadap incidents ack {leak.incident}" in out.getvalue()


def test_sla_alert_about_an_incident_stops_once_a_response_is_logged(store):
    from alerts.incidents import add_note

    store.upsert([mention(1 + i, LEAK[i % 3], "neg", NOW - timedelta(minutes=30 - i)) for i in range(6)])
    engine = engine_for(store, [LEAK_RULE, SLA_INCIDENTS])
    [leak] = engine.check(NOW)
    add_note(store, leak.incident, "somchai", "ชี้แจงทางเพจแล้ว", at=NOW + timedelta(hours=2), kind="response")
    assert [a for h in range(1, 50) for a in engine.check(NOW + timedelta(hours=h))] == []
    assert len(store.list_incidents()) == 1


def test_sla_rule_on_incidents_may_not_name_a_playbook(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "rules:\n"
        "  - id: sla\n"
        "    type: complaint_sla\n"
        "    title: ยังไม่ตอบภายใน SLA\n"
        "    scope: incidents\n"
        "    playbook: complaint-surge\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert str(err.value).splitlines() == [
        f"{path}:6: rules[0].playbook: not allowed with `scope: incidents`: the alert goes on the overdue "
        "incident's own timeline and never opens an incident (remove `playbook`) (got 'complaint-surge')"
    ]


def test_sla_rule_on_mentions_may_name_a_playbook():
    config = Config.model_validate({"rules": [{**SLA_MENTIONS, "playbook": "complaint-surge"}], "notifiers": []})
    assert config.alert_rules[0].options.playbook == "complaint-surge"


# -- scope: mentions --------------------------------------------------------------------------


def test_newly_overdue_complaint_alerts_while_an_older_one_is_still_overdue(store):
    a = complaint(1, "โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", NOW - timedelta(hours=25))
    b = complaint(2, "รอคืนเงินมาสามวันแล้ว ไม่มีใครตอบ", NOW + timedelta(days=2, hours=-1, minutes=-10), author="another_customer")
    store.upsert([a])
    engine = engine_for(store, [SLA_MENTIONS])
    fired = {}
    at = NOW
    while at <= NOW + timedelta(days=3, hours=2):  # every 15 minutes, as the scheduler would
        if at == NOW + timedelta(days=2):
            store.upsert([b])
        for alert in engine.check(at):
            fired[at] = alert
        at += timedelta(minutes=15)
    b_due = NOW + timedelta(days=3, hours=-1)  # the first check once B is 24 hours old (at 01:50 UTC)
    assert list(fired) == [NOW, b_due]  # A once, then B as soon as it is overdue: not folded into A's cool-down
    assert fired[NOW].mention_ids == [a.id]
    assert fired[b_due].mention_ids == [b.id, a.id]  # every overdue complaint, the new one first
    assert fired[b_due].detail["new"] == 1 and fired[b_due].count == 2


def test_a_restarted_engine_does_not_alert_again_for_what_was_already_alerted(store):
    a = complaint(1, "โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", NOW - timedelta(hours=25))
    store.upsert([a])
    assert len(engine_for(store, [SLA_MENTIONS]).check(NOW)) == 1
    later = engine_for(store, [SLA_MENTIONS])  # a restart: nothing in memory, the cool-down in the store
    assert later.check(NOW + timedelta(minutes=15)) == []
    b = complaint(2, "รอคืนเงินมาสามวันแล้ว ไม่มีใครตอบ", NOW - timedelta(hours=24, minutes=5), author="another_customer")
    store.upsert([b])
    [again] = later.check(NOW + timedelta(minutes=30))
    assert again.mention_ids == [b.id, a.id] and again.detail["new"] == 1


def test_overdue_alert_lists_every_overdue_complaint(store):
    texts = ["โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", "รอคืนเงินมาสามวันแล้ว", "บัตรถูกระงับไม่มีใครตอบ"]
    ms = [complaint(10 + i, texts[i % 3], NOW - timedelta(hours=30 + i)) for i in range(8)]
    store.upsert(ms)
    [alert] = engine_for(store, [{**SLA_MENTIONS, "group_by": "entity"}]).check(NOW)
    assert alert.key == ENTITY and alert.count == 8
    assert sorted(alert.mention_ids) == sorted(m.id for m in ms)  # every one, not five samples


def test_newly_overdue_complaints_in_one_check_are_one_alert(store):
    old = complaint(1, "โดนตัดเงินซ้ำ ติดต่อไม่ได้เลย", NOW - timedelta(hours=25))
    store.upsert([old])
    out = io.StringIO()
    engine = engine_for(store, [SLA_MENTIONS], out)
    engine.check(NOW)
    new = [complaint(20 + i, "รอคืนเงินมาสามวันแล้ว ไม่มีใครตอบ", NOW - timedelta(hours=23, minutes=50 - i), author=f"c{i}")
           for i in range(3)]
    store.upsert(new)
    [alert] = engine.check(NOW + timedelta(minutes=15))
    assert alert.detail["new"] == 3 and set(alert.mention_ids[:3]) == {m.id for m in new}
    assert engine.check(NOW + timedelta(minutes=30)) == []  # nothing newer: the cool-down holds
    assert out.getvalue().count("ข้อร้องเรียนเกิน 24 ชม.") == 2
    assert "4 ข้อความ" in out.getvalue() and "ใหม่ตั้งแต่การแจ้งครั้งก่อน 3 ข้อความ (อยู่ต้นรายการ)" in out.getvalue()
