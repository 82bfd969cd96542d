"""`sadap ingest` with Thai dates and `--history`, and `sadap mentions export`: a real
SQLite file, the real ingest pipeline, alert engine and backtest."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sadap.app.alerting import run_backtest as backtest
from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.core.thaidate import THAI_MONTHS
from sadap.core.timeutil import BANGKOK, UTC, now_utc
from sadap.store import MentionFilter, open_store

CONFIG = """\
data_dir: data
watch: [{name: ธนาคารแสงทอง, aliases: [แสงทอง]}]
notifiers: [{id: console, type: console}]
rules:
  - {id: outage, type: watch, title: แอปล่ม, query: ล่ม, group_by: entity, min_count: 3, window: 1h, cooldown: 2h, playbook: service-outage}
"""

OUTAGE = [
    "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า",
    "ระบบแสงทองล่ม เข้าแอปไม่ได้เลยค่ะ",
    "แสงทองล่มทั้งแอปทั้งเว็บ ลูกค้าเดือดร้อนมาก",
    "ตู้เอทีเอ็มแสงทองก็ล่มด้วย ถอนเงินไม่ได้",
    "แสงทองล่มนานเป็นชั่วโมงแล้ว ไม่มีประกาศอะไรเลย",
    "โอนเงินผ่านแสงทองไม่ได้ ล่มทั้งประเทศหรือเปล่า",
]


def thai(when: datetime) -> str:
    """``when`` as a Thai page writes it: 1 ธ.ค. 2569 10:30 (Bangkok time, Buddhist era)."""
    local = when.astimezone(BANGKOK)
    return f"{local.day} {THAI_MONTHS[local.month - 1][1]} {local.year + 543} {local:%H:%M}"


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(CONFIG, encoding="utf-8")
    return load_config_file(tmp_path / "sadap.yaml")


def outage_file(path: Path, start: datetime) -> Path:
    rows = [
        {"id": f"o{i}", "text": text, "published_at": thai(start + timedelta(minutes=5 * i)), "source": "pantip-export"}
        for i, text in enumerate(OUTAGE)
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ingest_reads_thai_dates(config, tmp_path):
    path = tmp_path / "thai.jsonl"
    rows = [
        {"id": "a", "text": "บริการสาขาดีมาก", "published_at": "1 ธ.ค. 2569 10:30"},
        {"id": "b", "text": "รอคิวนานมาก", "published_at": "01/12/2569 10:30"},
        {"id": "c", "text": "โอนเงินไว", "published_at": "วันอังคารที่ ๑ ธันวาคม ๒๕๖๙ เวลา ๑๐.๓๐ น."},
        {"id": "d", "text": "แอปใช้ง่าย", "published_at": 1796095800},
        {"id": "e", "text": "ไม่มีวันที่ที่อ่านได้", "published_at": "พรุ่งนี้เช้า"},
        {"id": "f", "text": "วันที่ไม่มีจริง", "published_at": "31 ก.พ. 2569"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = import_file(config, path)
    assert report["stored"] == 4
    errors = {bad["line"]: bad["error"] for bad in report["rejected"]}
    assert set(errors) == {5, 6}
    assert errors[5].startswith("`published_at`: cannot read time 'พรุ่งนี้เช้า'") and "1 ธ.ค. 2569 10:30" in errors[5]
    assert errors[6].startswith("`published_at`: impossible date") and "has 28 days" in errors[6]
    with open_store(config) as store:
        stored = {m.native_id: m.published_at for m in store.search(MentionFilter(), limit=10)}
    ten_thirty = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 10:30 Bangkok
    assert stored == {"a": ten_thirty, "b": ten_thirty, "c": ten_thirty, "d": ten_thirty}


def test_a_live_import_of_an_old_outage_opens_an_incident_today(config, tmp_path):
    # What --history is for: without it, old mentions count as collected now and fire.
    path = outage_file(tmp_path / "old.jsonl", now_utc() - timedelta(days=10))
    report = import_file(config, path)
    assert report["stored"] == 6 and report["alerts"] >= 1
    with open_store(config) as store:
        assert len(store.list_incidents()) == 1


def test_history_import_fires_nothing_and_the_backtest_finds_the_old_outage(config, tmp_path):
    start = now_utc() - timedelta(days=10)
    path = outage_file(tmp_path / "old.jsonl", start)
    cmd = [sys.executable, "-m", "sadap", "ingest", str(path), "--config", str(config.path), "--history", "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["stored"] == 6 and report["alerts"] == 0 and report["history"] is True

    with open_store(config) as store:
        assert store.list_incidents() == []  # no live incident
        assert store.alerts_since(start - timedelta(days=1)) == []
        mentions = store.search(MentionFilter(), limit=10)
        # Collected when published: the replay sees them as they happened.
        assert all(m.collected_at == m.published_at for m in mentions)
        assert min(m.published_at for m in mentions) == start.replace(second=0, microsecond=0)
        result = backtest(config, store, "service-outage", now_utc() - timedelta(days=14), now_utc(), timedelta(minutes=15))
        assert store.list_incidents() == []  # the backtest writes nothing
    [incident] = result["incidents"]
    opened = datetime.fromisoformat(incident["opened_at"])
    assert start <= opened <= start + timedelta(hours=1)
    assert incident["playbook"] == "service-outage" and incident["key"] == "ธนาคารแสงทอง"

    test = subprocess.run(
        [sys.executable, "-m", "sadap", "playbooks", "test", "service-outage", "--since", "14d", "--step", "15m", "--config", str(config.path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert test.returncode == 0, test.stderr
    assert "incidents 1" in test.stdout and "service-outage" in test.stdout


@pytest.mark.slow
def test_mentions_export_jsonl_and_csv(config, tmp_path):
    path = outage_file(tmp_path / "old.jsonl", now_utc() - timedelta(days=10))
    other = tmp_path / "other.jsonl"
    yesterday = now_utc() - timedelta(days=1)
    other.write_text(json.dumps({"id": "x", "text": "พนักงานบริการดีมาก", "published_at": thai(yesterday),
                                 "source": "survey"}, ensure_ascii=False) + "\n", encoding="utf-8")
    import_file(config, path, history=True)
    import_file(config, other, history=True)
    base = [sys.executable, "-m", "sadap", "mentions", "export", "--config", str(config.path)]

    done = subprocess.run(base, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 7
    search = subprocess.run(
        [sys.executable, "-m", "sadap", "search", "ล่ม", "--json", "--config", str(config.path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    shown = json.loads(search.stdout)
    assert shown and set(rows[0]) == set(shown[0])  # every field `search --json` shows
    assert {r["text"] for r in rows} >= set(OUTAGE)
    by_id = {r["id"]: r for r in rows}
    assert by_id[shown[0]["id"]] == shown[0]

    only = subprocess.run(base + ["--source", "survey", "--format", "csv", "-o", str(tmp_path / "s.csv")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text("utf-8"))))
    assert row["text"] == "พนักงานบริการดีมาก" and row["source_name"] == "survey"
    assert datetime.fromisoformat(row["published_at"]) == yesterday.replace(second=0, microsecond=0)
    assert json.loads(row["engagement"]) == {"likes": 0, "shares": 0, "comments": 0, "views": 0}

    recent = subprocess.run(base + ["--since", "7d"], capture_output=True, text=True, cwd=tmp_path)
    assert [json.loads(line)["source_name"] for line in recent.stdout.splitlines()] == ["survey"]  # not the 10-day-old outage
