"""`sadap ingest --workers N`: enrichment in worker processes, the store written by the parent
alone. The same mentions, labels, near-duplicate links and insertion order as one process, on
real Wisesight messages; a killed parallel import leaves no worker behind and its re-run stores
each mention once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sadap.app.config import load_config_file
from sadap.app.importer import import_file
from sadap.store import MentionFilter, open_store

ROOT = Path(__file__).resolve().parents[1]
WISESIGHT = ROOT.parent / "shared" / "data" / "wisesight-sentiment" / "train.jsonl"


def make_config(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sadap.yaml").write_text(
        "data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n    aliases: [แสงทอง]\nrules: []\nnotifiers: []\n",
        encoding="utf-8",
    )
    return load_config_file(folder / "sadap.yaml")


def wisesight(path: Path, count: int) -> Path:
    if not WISESIGHT.exists():
        pytest.skip(f"{WISESIGHT} not present")
    lines = WISESIGHT.read_text(encoding="utf-8").splitlines()[:count]
    rows = [{"text": json.loads(line)["text"]} for line in lines]
    rows += rows[:20]  # exact repeats: counted as duplicates either way
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def stored(db: Path) -> list[tuple]:
    """Every mention in insertion order, with what enrichment gave it (not when it was collected)."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT id, sentiment, sentiment_score, expectation, category, is_complaint, complaint_type, "
            "language, text_hash, simhash, duplicate_of, spam_score, doc FROM mentions ORDER BY rowid"
        ).fetchall()
    out = []
    for *fields, doc in rows:
        data = json.loads(doc)
        data.pop("collected_at"), data.pop("published_at")  # the time of the run (no published time given)
        out.append((*fields, json.dumps(data, sort_keys=True, ensure_ascii=False)))
    return out


def test_two_workers_store_what_one_process_stores(tmp_path):
    data = wisesight(tmp_path / "wisesight.jsonl", 300)
    one, two = make_config(tmp_path / "one"), make_config(tmp_path / "two")
    report_one = import_file(one, data, batch_size=40, workers=1)
    report_two = import_file(two, data, batch_size=40, workers=2)
    assert report_one == report_two
    assert report_one["stored"] + report_one["duplicates"] == 320 and report_one["duplicates"] >= 20
    a, b = stored(one.store_path), stored(two.store_path)
    assert len(a) == report_one["stored"]
    assert a == b  # same ids in the same order, same labels, scores, links and tokens
    labels = {row[1] for row in a}
    assert {"pos", "neg", "neu"} <= labels  # real, varied messages, not one label throughout


def test_rerun_with_workers_stores_nothing_twice(tmp_path):
    data = wisesight(tmp_path / "wisesight.jsonl", 120)
    config = make_config(tmp_path / "c")
    first = import_file(config, data, batch_size=25, workers=2)
    again = import_file(config, data, batch_size=25, workers=2)
    assert again["stored"] == 0 and again["duplicates"] == first["read"]
    with open_store(config) as store:
        assert store.count(MentionFilter()) == first["stored"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _identity(pid: int) -> tuple[int, str]:
    """A process as pid and start time: with 32,768 pids and a busy machine, a worker's pid can
    belong to another process seconds after the worker exits."""
    fields = _stat(pid)
    return pid, fields[19] if fields else ""


def _alive(process: int | tuple[int, str]) -> bool:
    pid, started = process if isinstance(process, tuple) else (process, None)
    fields = _stat(pid)
    if fields is None or fields[0] == "Z":
        return False
    return started is None or fields[19] == started


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_killed_parallel_import_leaves_no_worker_and_rerun_stores_each_once(tmp_path):
    config = make_config(tmp_path / "k")
    rows = [{"id": str(i), "text": f"ข้อความทดสอบที่ {i} แอปแสงทองใช้งานได้ปกติ", "published_at": "2026-11-20T09:00:00"}
            for i in range(6000)]
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    cmd = [sys.executable, "-m", "sadap", "ingest", str(path), "--config", str(config.path),
           "--batch-size", "200", "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    db = config.store_path
    deadline = time.monotonic() + 180
    workers: list[int] = []
    while time.monotonic() < deadline:  # wait until some batches are committed, then kill
        time.sleep(0.2)
        if len(workers) < 2:  # the pool forks them one after the other; each loads its models first
            workers = _children(proc.pid)
        if db.exists():
            with open_store(config) as store:
                if store.count(MentionFilter()) >= 400:
                    break
    assert len(workers) == 2, f"expected two enrichment workers, saw {workers}"
    known = [_identity(w) for w in workers]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in known) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in known), "a worker outlived the killed import"
    with open_store(config) as store:
        partial = store.count(MentionFilter())
    assert 0 < partial < 6000
    report = import_file(config, path, workers=2)
    assert report["duplicates"] == partial and report["stored"] == 6000 - partial
    with open_store(config) as store:
        assert store.count(MentionFilter()) == 6000


def test_crawl_style_submit_and_drain_store_what_process_stores(tmp_path):
    """The crawl's way (`submit` a batch, go on crawling, `drain` at the end) with two workers
    stores the same as one process batch by batch, and every batch is counted once."""
    from sadap.app.fileimport import read_file
    from sadap.app.ingest import IngestPipeline

    data = wisesight(tmp_path / "wisesight.jsonl", 150)
    raws = [item for _, item in read_file(data)]
    batches = [raws[i : i + 30] for i in range(0, len(raws), 30)]
    one, two = make_config(tmp_path / "one"), make_config(tmp_path / "two")
    serial = IngestPipeline(one, alerts=False, workers=1)
    counts_one = [serial.process(b) for b in batches]
    serial.close()
    parallel = IngestPipeline(two, alerts=False, workers=2)
    assert parallel.pool is not None
    counts_two = parallel.submit(batches[0])
    assert counts_two == []  # handed over: submit returns at once, before the workers are done with it
    counts_two += [r for b in batches[1:] for r in parallel.submit(b)]
    counts_two += parallel.drain()
    parallel.close()
    assert [(r.read, r.stored, r.duplicates, r.near_duplicates) for r in counts_two] == \
        [(r.read, r.stored, r.duplicates, r.near_duplicates) for r in counts_one]
    assert stored(one.store_path) == stored(two.store_path)


def test_pipelines_of_one_config_share_their_workers(tmp_path):
    """A crawl's spiders each have an ingest pipeline: one set of workers serves them all, and
    it stops when the last pipeline closes."""
    from sadap.app.ingest import IngestPipeline
    from sadap.core.mention import RawMention

    config = make_config(tmp_path / "s")
    a = IngestPipeline(config, alerts=False, workers=2)
    b = IngestPipeline(config, alerts=False, workers=2)
    assert a.pool is b.pool and a.pool is not None
    pids = [_identity(p) for p in a.pool.pids]
    assert pids and all(started for _, started in pids)
    a.close()
    raw = RawMention(source_kind="file", source_name="t", text="แอปแสงทองล่มอีกแล้ว โอนเงินไม่ได้")
    assert b.process([raw]).stored == 1  # still served after the other closed
    b.close()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
