"""`sadap playbooks test`: replaying history is exact (same engine, time as a parameter) and
changes nothing in the store."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from sadap.app.alerting import run_backtest as backtest
from sadap.app.alerting import build_engine
from sadap.app.config import load_config_file
from sadap.core.errors import InputError
from sadap.store.sqlite import SQLiteStore
from tests.factories import ENTITY, mention
from tests.test_alerts import NOW
from tests.test_rule_types import ANGRY, ordinary_fortnight

CONFIG = """
data_dir: .
watch: [{name: ธนาคารแสงทอง, aliases: [แสงทอง]}]
notifiers: [{id: console, type: console}, {id: hook, type: webhook, url: "http://127.0.0.1:9/never"}]
rules:
  - {id: surge, type: threshold, title: ลบพุ่ง, sentiment: [neg], group_by: entity, window: 1h, limit: 10, cooldown: 2h, playbook: complaint-surge}
  - {id: outage, type: watch, title: ล่ม, query: ล่ม, group_by: entity, min_count: 3, window: 1h, cooldown: 2h, playbook: service-outage}
"""


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    store = SQLiteStore(config.store_path)
    ordinary_fortnight(store, start=3)
    # two crises: one two days ago, one in the last hour
    for base, when in ((80_000, NOW - timedelta(days=2)), (81_000, NOW)):
        store.upsert([mention(base + i, ANGRY[i % 4], "neg", when - timedelta(minutes=50 - i * 2)) for i in range(15)])
    yield config, store
    store.close()


def test_backtest_finds_both_crises_and_writes_nothing(setup):
    config, store = setup
    report = backtest(config, store, "complaint-surge", NOW - timedelta(days=3), NOW, timedelta(minutes=15))
    assert [a["rule"] for a in report["alerts"]] == ["surge", "surge"]
    first, second = (a["at"] for a in report["alerts"])
    assert first < (NOW - timedelta(days=1)).isoformat() < second
    # nobody resolved the first incident in the replay, so the second crisis updates it
    [incident] = report["incidents"]
    assert incident["key"] == ENTITY and incident["alerts"] == 2
    assert report["evaluations"] == 3 * 24 * 4 + 1
    # two alerts to two notifiers each, plus the playbook's escalations (never acknowledged)
    assert report["notifications"] - report["escalation_notifications"] == 2 * 2
    assert store.list_incidents() == [] and store.last_fired("surge", ENTITY) is None  # nothing written


def test_backtest_matches_live_evaluation(setup):
    config, store = setup
    report = backtest(config, store, "surge", NOW - timedelta(hours=2), NOW, timedelta(minutes=5))
    first = report["alerts"][0]
    live = build_engine(config, store, notifiers=[])
    from sadap.core.timeutil import parse_iso

    at = parse_iso(first["at"])
    assert live.check(at - timedelta(minutes=5)) == []
    [alert] = [a for a in live.check(at) if a.rule == "surge"]
    assert (alert.key, alert.count, alert.mention_ids) == (first["key"], first["count"], first["mentions"])


def test_backtest_errors(setup):
    config, store = setup
    with pytest.raises(InputError, match="neither a rule nor a playbook"):
        backtest(config, store, "nope", NOW - timedelta(days=1), NOW)
    with pytest.raises(InputError, match="use a larger --step"):
        backtest(config, store, "surge", NOW - timedelta(days=30), NOW, timedelta(seconds=10))


def test_backtest_without_a_step_stays_under_2000_evaluations(setup):
    config, store = setup
    short = backtest(config, store, "surge", NOW - timedelta(hours=2), NOW)  # the live minute
    assert short["evaluations"] == 121
    month = backtest(config, store, "complaint-surge", NOW - timedelta(days=30), NOW)  # 43,200 at the minute
    assert month["step"] == "22m" and month["evaluations"] <= 2000
    assert [a["rule"] for a in month["alerts"]] == ["surge", "surge"]  # both crises still found


def test_backtest_cli(setup, tmp_path):
    config, _ = setup
    done = subprocess.run(
        [sys.executable, "-m", "sadap", "playbooks", "test", "service-outage", "--since", "3d",
         "--until", NOW.isoformat(), "--step", "30m", "--json", "--config", str(config.path)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["target"] == "service-outage" and report["step"] == "30m"
    assert {i["playbook"] for i in report["incidents"]} == {"service-outage"}
