"""`sadap ingest`: JSONL and CSV into a real SQLite file; bad lines reported, nothing lost,
re-runs store nothing twice, an interrupted import re-run stores each mention once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.store import MentionFilter, open_store
from sadap.core.timeutil import UTC

ROOT = Path(__file__).resolve().parents[1]

GOOD = [
    {"id": "1", "text": "แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้เลย แย่มาก", "published_at": "2026-11-20T09:00:00", "author": "somchai"},
    {"id": "2", "text": "พนักงานสาขาขอนแก่นบริการดีมาก ประทับใจค่ะ", "published_at": "2026-11-20T10:00:00+07:00", "url": "https://pantip.example/topic/2?utm_source=x"},
    {"id": "3", "text": "เปิดบัญชีออนไลน์ได้ไหมคะ", "published_at": "2026-11-20T03:00:00Z", "title": "ถามเรื่องบัญชี", "channel": "line"},
]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n", encoding="utf-8"
    )
    return load_config_file(tmp_path / "sadap.yaml")


def write_jsonl(path: Path, rows, extra_lines: list[bytes] = ()) -> Path:
    with path.open("wb") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        for line in extra_lines:
            fh.write(line + b"\n")
    return path


def test_jsonl_import_stores_enriched_mentions(config, tmp_path):
    report = import_file(config, write_jsonl(tmp_path / "social.jsonl", GOOD))
    assert report == {
        "read": 3, "stored": 3, "duplicates": 0, "near_duplicates": 0, "spooled": 0, "refused": 0, "erased": 0, "rejected": [],
        "surrogates_dropped": 0, "urls_dropped": 0, "url_dropped_lines": [], "encoding": "utf-8", "alerts": 0,
    }
    with open_store(config) as store:
        [m] = store.search(MentionFilter(query=None, source_names=("social",), ids=()), limit=1)  # newest
        assert m.native_id == "2" and m.url == "https://pantip.example/topic/2"
        first = next(x for x in store.search(MentionFilter(), limit=5) if x.native_id == "1")
    # naive times mean Bangkok
    assert first.published_at.astimezone(UTC).hour == 2
    assert first.author_id.startswith("a_") and first.author_name is None  # pseudonymised
    assert "somchai" not in first.model_dump_json()
    assert first.entities == ["ธนาคารแสงทอง"] and "ล่ม" in first.tokens
    assert first.sentiment.label == "neg" and first.language == "th"


def test_bad_lines_are_reported_and_good_ones_kept(config, tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        GOOD[:1],
        [
            b'{"id": "x1", "text": "broken json',
            b'{"id": "x2"}',
            '{"id": "x3", "text": "วันที่ผิด", "published_at": "2026-02-30T10:00:00"}'.encode("utf-8"),
            b'{"id": "x4", "text": "\xff\xfe not utf-8"}',
            b'["not", "an", "object"]',
            '{"id": "x5", "text": "   "}'.encode("utf-8"),
            json.dumps(GOOD[1], ensure_ascii=False).encode("utf-8"),
        ],
    )
    report = import_file(config, path)
    assert report["read"] == 8 and report["stored"] == 2
    errors = {r["line"]: r["error"] for r in report["rejected"]}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7]
    assert errors[2].startswith("not valid JSON")
    assert errors[3].startswith("missing `text`")
    assert errors[4].startswith("`published_at`: impossible date in '2026-02-30T10:00:00'")
    assert "February 2026 has 28 days, not 30" in errors[4]
    assert errors[5].startswith("not UTF-8 text")
    assert errors[6].startswith("expected an object")
    assert errors[7].startswith("missing `text`")


def test_rerun_stores_nothing_new(config, tmp_path):
    path = write_jsonl(tmp_path / "again.jsonl", GOOD)
    import_file(config, path)
    report = import_file(config, path)
    assert report["stored"] == 0 and report["duplicates"] == 3
    with open_store(config) as store:
        assert store.count(MentionFilter()) == 3


def test_csv_with_header(config, tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(
        "id,text,published_at,source\n"
        "c1,\"น้ำประปาเป็นสีขุ่น, มีกลิ่นคลอรีนแรง\",2026-11-20 08:00,call-center\n"
        "c2,,2026-11-20 09:00,call-center\n"
        "c3,ไฟดับทั้งซอยตั้งแต่เมื่อคืน,2026-11-20 09:30,call-center\n",
        encoding="utf-8",
    )
    report = import_file(config, path)
    assert report["stored"] == 2 and [r["line"] for r in report["rejected"]] == [3]
    with open_store(config) as store:
        assert store.count_by(MentionFilter(), "source_name") == {"call-center": 2}


def test_a_configured_file_source_names_its_rows(tmp_path):
    # Rows of the file a `file` source names were stored under the file's name ("inbox"), so a
    # rule's `sources: [callcentre]`, a silence rule by source_name and the Sources page missed them.
    (tmp_path / "exports").mkdir()
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\n"
        "sources:\n  - {name: callcentre, kind: file, url: exports/inbox.csv, every: 1h}\n", encoding="utf-8",
    )
    config = load_config_file(tmp_path / "sadap.yaml")
    path = tmp_path / "exports" / "inbox.csv"
    path.write_text(
        "id,text,published_at,source\n"
        "c1,น้ำไม่ไหลตั้งแต่เช้า ซอยลาดพร้าว 71,1 ธ.ค. 2569 10:30,\n"
        "c2,ค่าน้ำเดือนนี้แพงผิดปกติ,01/12/2569 10:45,line-oa\n",  # a row's own source still wins
        encoding="utf-8",
    )
    assert import_file(config, path)["stored"] == 2
    other = write_jsonl(tmp_path / "other.jsonl", GOOD[:1])  # a file no source names keeps its file name
    assert import_file(config, other)["stored"] == 1
    with open_store(config) as store:
        assert store.count_by(MentionFilter(), "source_name") == {"callcentre": 1, "line-oa": 1, "other": 1}


def test_exact_copies_are_marked_not_dropped(config, tmp_path):
    text = "ธนาคารแสงทองขอแจ้งว่าระบบแอปพลิเคชันขัดข้องชั่วคราว ทีมงานกำลังเร่งแก้ไข ขออภัยในความไม่สะดวก"
    rows = [{"id": str(i), "text": text + ("" if i == 0 else " !!"), "author": f"user{i}"} for i in range(3)]
    report = import_file(config, write_jsonl(tmp_path / "copies.jsonl", rows))
    assert report["stored"] == 3 and report["near_duplicates"] == 2
    with open_store(config) as store:
        assert store.count(MentionFilter(include_duplicates=False)) == 1


def test_cli_json_contract_and_exit_codes(config, tmp_path):
    path = write_jsonl(tmp_path / "cli.jsonl", GOOD, [b"{bad"])
    cmd = [sys.executable, "-m", "sadap", "ingest", str(path), "--config", str(config.path), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["read"] == 4 and out["stored"] == 3 and out["duplicates"] == 0
    assert out["rejected"][0]["line"] == 4
    missing = subprocess.run(cmd[:4] + [str(tmp_path / "nope.jsonl"), "--config", str(config.path)], capture_output=True, text=True)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "file not found" in missing.stderr
    usage = subprocess.run(cmd[:4], capture_output=True, text=True)
    assert usage.returncode == 2


@pytest.mark.slow
def test_killed_import_rerun_stores_each_mention_once(config, tmp_path):
    rows = [{"id": str(i), "text": f"ข้อความทดสอบที่ {i} แอปแสงทองใช้งานได้ปกติ", "published_at": "2026-11-20T09:00:00"} for i in range(6000)]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    cmd = [sys.executable, "-m", "sadap", "ingest", str(path), "--config", str(config.path), "--batch-size", "200"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    db = config.store_path
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until some batches are committed, then kill
        time.sleep(0.2)
        if db.exists():
            with open_store(config) as store:
                if store.count(MentionFilter()) >= 400:
                    break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with open_store(config) as store:
        partial = store.count(MentionFilter())
    assert 0 < partial < 6000
    report = import_file(config, path)
    assert report["duplicates"] == partial and report["stored"] == 6000 - partial
    with open_store(config) as store:
        assert store.count(MentionFilter()) == 6000
