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


SHORT_CONFIG = """
data_dir: .
watch: [{name: ธนาคารแสงทอง, aliases: [แสงทอง]}]
notifiers: [{id: console, type: console}]
rules:
  - {id: outage-15m, type: watch, title: ระบบล่ม, query: ล่ม, group_by: entity, min_count: 3, window: 15m, cooldown: 2h, playbook: service-outage}
  - {id: surge, type: threshold, title: ลบพุ่ง, sentiment: [neg], group_by: entity, window: 1h, limit: 10, cooldown: 2h, playbook: complaint-surge}
"""
OUTAGE = ["แอปแสงทองล่มตั้งแต่เช้า", "ธนาคารแสงทองระบบล่ม โอนไม่ได้", "แสงทองล่มอีกแล้วเหรอ",
          "เข้าแอปแสงทองไม่ได้ ล่มทั้งจังหวัด", "ล่มจริง แสงทอง จ่ายบิลไม่ผ่าน", "แสงทองแอปล่ม ติดต่อคอลเซ็นเตอร์ก็ไม่ได้"]


@pytest.fixture
def gap(tmp_path):
    """A 15-minute rule, and a burst of six outage posts right after an evaluation of the old
    default 30-day replay (every 22m): older than 15 minutes at the next one."""
    (tmp_path / "sadap.yaml").write_text(SHORT_CONFIG, encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    store = SQLiteStore(config.store_path)
    since = NOW - timedelta(days=30)
    t_k = since + 600 * timedelta(minutes=22)
    store.upsert([mention(90_000 + i, OUTAGE[i], "neg", t_k + timedelta(minutes=1 + i), collected=t_k + timedelta(minutes=1 + i))
                  for i in range(6)])
    yield config, store, since
    store.close()


def test_default_step_is_never_longer_than_the_shortest_rule_window(gap):
    config, store, since = gap
    report = backtest(config, store, "outage-15m", since, NOW)
    assert report["step"] == "15m" and report["evaluations"] == 30 * 24 * 4 + 1
    assert [a["rule"] for a in report["alerts"]] == ["outage-15m"] and report["warnings"] == []
    # a playbook target: only the rules that can open it set the step
    assert backtest(config, store, "service-outage", since, NOW)["step"] == "15m"
    assert backtest(config, store, "complaint-surge", since, NOW)["step"] == "22m"


def test_default_step_refused_when_the_window_needs_too_many_evaluations(gap):
    config, store, _ = gap
    with pytest.raises(InputError) as err:
        backtest(config, store, "outage-15m", NOW - timedelta(days=60), NOW)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("--since 60d needs a step of at most 15m (rule outage-15m has a 15m window)")
    assert "use --since 52d or less, or give --step" in message


def test_a_step_longer_than_a_rule_window_warns_naming_the_rule(gap):
    config, store, since = gap
    report = backtest(config, store, "outage-15m", since, NOW, timedelta(minutes=30))
    [warning] = report["warnings"]
    assert "--step 30m is longer than the 15m window of rule outage-15m" in warning
    assert backtest(config, store, "outage-15m", since, NOW, timedelta(minutes=15))["warnings"] == []
    from click.testing import CliRunner

    from sadap.app.cli import main

    done = CliRunner().invoke(main, ["playbooks", "test", "outage-15m", "--since", "2d", "--until", NOW.isoformat(),
                                     "--step", "30m", "--json", "--config", str(config.path)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["warnings"] == [warning]
    assert "sadap: warning: --step 30m is longer than the 15m window of rule outage-15m" in done.stderr


def test_the_replay_never_steps_past_until_and_reports_progress(setup):
    config, store = setup
    seen = []
    report = backtest(config, store, "surge", NOW - timedelta(hours=1), NOW, timedelta(minutes=7), progress=seen.append)
    assert report["evaluations"] == 9 == len(seen)  # 0, 7, … 56 minutes
    assert [p.done for p in seen] == list(range(1, 10)) and {p.total for p in seen} == {9}
    assert seen[-1].at == NOW - timedelta(minutes=4) and seen[-1].alerts == len(report["alerts"])


def test_progress_lines_go_to_stderr(capsys):
    from alerts.backtest import Progress
    from sadap.app.cli.playbooks import _progress_printer

    printer = _progress_printer(every=0)
    printer(Progress(NOW, 640, 1941, 1))
    printer(Progress(NOW, 1941, 1941, 1))  # the last one is the summary's
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "… ถึง 2026-11-21 10:00 (เวลาไทย) · ประเมินแล้ว 640/1941 รอบ · แจ้งเตือน 1 ครั้ง\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--step", "0s"], "sadap: --step 0s: the step must be longer than 0s (e.g. 15m)"),
        (["--step", "0.2s", "--since", "1m"], "sadap: --step 0.2s: give the step in whole seconds, at least 1s (e.g. 1m, 15m)"),
        (["--since", "1d", "--until", "9999-12-31T23:59:30+00:00"],
         "sadap: --until 9999-12-31 is more than a year from now: a backtest replays stored history (give a time up to now)"),
        (["--since", "36500d", "--until", "0100-01-01"], "sadap: --since 36500d before --until 0100-01-01 falls before the year 1"),
        (["--since", "1d", "--until", "1969-06-01"], "sadap: --since reaches back to 1969-05-31: a backtest starts in 1970 or later"),
    ],
)
def test_bad_step_since_until_are_one_line(setup, args, message):
    from click.testing import CliRunner

    from sadap.app.cli import main

    config, _ = setup
    done = CliRunner().invoke(main, ["playbooks", "test", "surge", *args, "--config", str(config.path)])
    assert (done.exit_code, done.stdout, done.stderr) == (1, "", message + "\n")
