"""Matches that keep firing inside their cool-down (alerts/cycle_writes.py): their cool-down
extensions, incident updates and ``still_active`` events are written once per cycle, and
what firing needs is read ahead in a few requests, so a cycle with many continuing matches
costs a constant number of requests on Elasticsearch. What is written is the same as one
write per match: one ``still_active`` per stretch, cool-downs extended, incidents current."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sadap.app.alerting import build_engine
from sadap.app.config import load_config_file
from sadap.store.sqlite import SQLiteStore
from tests.factories import mention
from tests.test_alerts import NOW

PROVINCES = ["เชียงใหม่", "ขอนแก่น", "นครราชสีมา", "อุดรธานี", "สงขลา", "ภูเก็ต", "ชลบุรี", "ระยอง", "พิษณุโลก", "นครสวรรค์",
             "อุบลราชธานี", "สุราษฎร์ธานี", "ลำปาง", "เชียงราย", "นครปฐม", "ราชบุรี", "กาญจนบุรี", "ตรัง", "ยะลา", "หนองคาย"]
ORGS = [f"สหกรณ์ออมทรัพย์ครู{p}" for p in PROVINCES]
COMPLAINTS = ["แอปสหกรณ์ล่มอีกแล้ว โอนเงินไม่ได้เลย", "ถอนเงินปันผลไม่ได้ ติดต่อเจ้าหน้าที่ก็ไม่มีคนรับสาย",
              "ระบบแย่มาก เงินกู้ไม่อนุมัติสักที", "ผิดหวังกับบริการมาก รอคิวเป็นชั่วโมง"]

CONFIG = """
rules:
  - id: negative-surge
    type: threshold
    title: {th: "ข้อความเชิงลบพุ่งสูง", en: "Negative surge"}
    severity: P2
    sentiment: [neg]
    group_by: entity
    window: 3h
    limit: 4
    cooldown: 3h
    playbook: complaint-surge
"""


def _crisis() -> list:
    """Every organisation has four angry members in the last two hours."""
    return [mention(1000 + 10 * i + j, f"{text} ({org})", "neg", NOW - timedelta(minutes=100 - 20 * j), entities=(org,),
                    author=f"member_{i}_{j}")
            for i, org in enumerate(ORGS) for j, text in enumerate(COMPLAINTS)]


def _timeline(store) -> list[tuple]:
    out = []
    for incident in sorted(store.list_incidents(), key=lambda i: i.key or ""):
        kinds = [(e.kind, e.at) for e in store.events(incident.id)]
        out.append((incident.key, incident.alert_count, incident.updated_at, tuple(kinds)))
    return out


def _cycles(config, store, count=None) -> list[int]:
    """Four cycles (the last by a restarted engine, before the playbook escalates at 30 min);
    the store requests each made (if counted)."""
    engine = build_engine(config, store, notifiers=[])
    made = []
    for minutes, fresh in ((0, False), (5, False), (10, False), (20, True)):
        if fresh:
            engine = build_engine(config, store, notifiers=[])
        before = count() if count else 0
        fired = engine.check(NOW + timedelta(minutes=minutes))
        made.append((count() - before) if count else 0)
        assert len(fired) == (len(ORGS) if minutes == 0 else 0)
    return made


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def test_continuing_matches_keep_their_incidents_current_with_one_event_per_stretch(tmp_path, config):
    store = SQLiteStore(tmp_path / "cycle.db")
    store.upsert(_crisis())
    _cycles(config, store)
    timeline = _timeline(store)
    assert len(timeline) == len(ORGS)
    for key, alerts, updated, events in timeline:
        kinds = [k for k, _ in events]
        # opened by the alert, then one still_active for the stretch (not one per cycle, not
        # another after the restart: the restarted engine reads the timeline and sees it)
        assert kinds == ["opened", "still_active"], (key, kinds)
        assert alerts == 1
        assert updated == NOW + timedelta(minutes=20)  # the restarted engine's cycle kept it current
        assert events[1][1] == NOW + timedelta(minutes=5)
    # The cool-down runs from the last match: written at +5 (first continuing cycle) and +20
    # (the restarted engine does not know the key was written recently).
    assert all(store.last_fired("negative-surge", org) == NOW + timedelta(minutes=20) for org in ORGS)
    store.close()


@pytest.mark.es
def test_continuing_matches_cost_a_constant_number_of_requests_on_elasticsearch(request, tmp_path, config):
    from elasticsearch import Elasticsearch

    from sadap.store.elasticsearch import ElasticsearchStore
    from tests.es_support import PlainJsonNode, drop_test_store, es_test_url

    calls = {"n": 0}

    class Counting(PlainJsonNode):
        def perform_request(self, *a, **kw):
            calls["n"] += 1
            return super().perform_request(*a, **kw)

    url = es_test_url()
    if url:
        pytest.skip("counts requests through the plain-JSON node of the osmem-server clone")
    client = Elasticsearch(request.getfixturevalue("osmem_clone").url, node_class=Counting, request_timeout=30, max_retries=0)
    store = ElasticsearchStore(client, prefix=f"sadap-test-{uuid.uuid4().hex[:10]}", replicas=0, refresh_on_write=True,
                               label="osmem clone")
    try:
        store.setup()
        store.upsert(_crisis())
        made = _cycles(config, store, lambda: calls["n"])
        # The first cycle opens 20 incidents (a few requests each); the continuing cycle
        # updates all 20 in a handful (one write per match and key used to cost six).
        assert made[0] >= 3 * len(ORGS)
        assert made[1] <= 15, made
        assert made[2] <= 10, made  # written recently: nothing to redo
        assert made[3] <= 20, made  # a restarted engine reads the timelines once, not per incident
        sqlite = SQLiteStore(tmp_path / "same.db")
        sqlite.upsert(_crisis())
        _cycles(config, sqlite)
        strip = lambda rows: [(k, a, u, tuple(kind for kind, _ in ev)) for k, a, u, ev in rows]  # noqa: E731
        assert strip(_timeline(store)) == strip(_timeline(sqlite))
        sqlite.close()
    finally:
        drop_test_store(store) if url else store.close()
