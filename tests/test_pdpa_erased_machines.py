"""Erased stays erased on several machines: an erase made on one machine reaches the writers on the
others through Redis (a real redis-server), and each keeps it in its own register file. Two data
folders stand for two machines; they share the Redis and the pseudonym key, as a deployment does."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from click.testing import CliRunner

from sadap.app import erasure_register, erasure_share
from sadap.app.cli import main
from sadap.app.config import load_config_file
from sadap.app.ingest import IngestPipeline
from sadap.core.mention import RawMention, mention_id, pseudonymise
from tests.redis_support import RedisServer, redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_pdpa_erased_stay import AGAIN, FIRST, MALEE_TEXT, NAME, SECRET_TEXT, _jsonl, _stored

KEY = "กุญแจนามแฝงของทุกเครื่อง-2569"


def _machine(tmp_path: Path, name: str, url: str):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "sadap.yaml").write_text(
        f"data_dir: data\nrules: []\nnotifiers: []\ndistributed: {{redis_url: '{url}'}}\n", encoding="utf-8")
    return load_config_file(folder / "sadap.yaml")


def _run(config, *args: str):
    result = CliRunner().invoke(main, [*args, "--config", str(config.path)])
    assert result.exit_code == 0, result.output
    return result


def _raws(rows) -> list[RawMention]:
    return [RawMention(source_kind="file", source_name="social", native_id=i, author=a, text=t) for i, a, t in rows]


def _erase_on(a, tmp_path: Path) -> None:
    _run(a, "ingest", str(_jsonl(tmp_path / "first.jsonl", FIRST)))
    _run(a, "privacy", "erase", "--author", NAME, "--reference", "PDPA-2569-301")
    _run(a, "privacy", "erase", "--mention", mention_id("social", "m1"), "--reference", "PDPA-2569-302")


def test_an_erase_on_one_machine_is_kept_by_the_writers_of_another(tmp_path, redis_server, redis_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    a, b = _machine(tmp_path, "a", redis_url), _machine(tmp_path, "b", redis_url)
    _erase_on(a, tmp_path)
    assert not erasure_register.path_in(b.data_path).exists()

    result = _run(b, "ingest", str(_jsonl(tmp_path / "again.jsonl", AGAIN)))
    assert _stored(b) == {"m2", "n1"}
    assert "ข้ามโพสต์ที่ถูกลบตามคำขอ 3 รายการ (erased on request)" in result.output

    # B's own register file holds the lines now: hashes only, nothing in clear.
    text = erasure_register.path_in(b.data_path).read_text(encoding="utf-8")
    pseudonym = pseudonymise(NAME, "social", KEY.encode())
    for personal in (NAME, pseudonym, mention_id("social", "p1"), mention_id("social", "m1"), SECRET_TEXT, MALEE_TEXT):
        assert personal not in text
    register = erasure_register.load(b.data_path)
    assert register is not None and register.has_author(pseudonym) and register.has_id(mention_id("social", "m1"))
    assert register.has_key("@" + NAME.upper())
    # Redis holds the same hashes, without the salt.
    entries = [json.loads(e) for e in redis_server.client().lrange(erasure_share.list_key(a), 0, -1)]
    assert len(entries) == 2 and all("salt" not in e and NAME not in json.dumps(e) for e in entries)

    # Redis emptied (restarted without its data): B still knows, from its own file.
    redis_server.client().flushall()
    again = _run(b, "ingest", str(tmp_path / "again.jsonl"), "--json")
    assert json.loads(again.output)["erased"] == 3
    # A's erase is not added to A's register twice by A's own writer.
    before = erasure_register.path_in(a.data_path).read_text(encoding="utf-8")
    _run(a, "ingest", str(tmp_path / "again.jsonl"))
    assert erasure_register.path_in(a.data_path).read_text(encoding="utf-8") == before


def test_a_running_writer_gets_an_erase_made_elsewhere_at_its_next_batch(tmp_path, redis_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    a, b = _machine(tmp_path, "a", redis_url), _machine(tmp_path, "b", redis_url)
    pipeline = IngestPipeline(b, alerts=False)
    try:
        assert pipeline.process(_raws(FIRST[2:])).stored == 1
        _erase_on(a, tmp_path)
        result = pipeline.process(_raws(AGAIN))
        assert (result.stored, result.erased) == (2, 3)
    finally:
        pipeline.close()


def test_redis_stalled_during_the_ingest_loses_nothing_and_catches_up(tmp_path, redis_server, redis_url, monkeypatch, caplog):  # noqa: F811
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("SADAP_REDIS_RETRY", "0.2")
    a, b = _machine(tmp_path, "a", redis_url), _machine(tmp_path, "b", redis_url)
    pipeline = IngestPipeline(b, alerts=False)
    try:
        assert pipeline.process(_raws(FIRST[2:])).stored == 1  # models loaded, the list read once
        _erase_on(a, tmp_path)
        redis_server.pause()
        try:
            with caplog.at_level(logging.INFO, logger="sadap.app.erasure_share"):
                started = time.monotonic()
                first = pipeline.process(_raws(AGAIN[3:]))  # nobody erased: stored
                second = pipeline.process(_raws([("q1", "wichai", "บัตรเครดิตใบใหม่มาถึงแล้ว ขอบคุณค่ะ")]))
                took = time.monotonic() - started
        finally:
            redis_server.resume()
        assert (first.stored, second.stored) == (2, 1)
        assert took < 8  # one answer timeout (5 s) for the outage, not one per batch
        lines = [r.getMessage() for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(lines) == 1 and "no answer within 5 s" in lines[0], lines

        deadline = time.monotonic() + 10
        while not pipeline.erasures.outage.usable() and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        with caplog.at_level(logging.INFO, logger="sadap.app.erasure_share"):
            result = pipeline.process(_raws(AGAIN[:2]))
        assert (result.stored, result.erased) == (0, 2)  # caught up once Redis answers
        assert any("Redis answers again" in r.getMessage() for r in caplog.records)
    finally:
        pipeline.close()
    assert _stored(b) == {"o1", "n1", "m2", "q1"}


def test_redis_stopped_erase_and_ingest_go_on_locally(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    server = RedisServer()
    a, b = _machine(tmp_path, "a", server.url), _machine(tmp_path, "b", server.url)
    port = server.port
    server.stop()
    try:
        result = _run(a, "ingest", str(_jsonl(tmp_path / "first.jsonl", FIRST)))
        erased = _run(a, "privacy", "erase", "--author", NAME)
        assert "Redis did not take the erase" in erased.output
        assert _stored(a) == {"m1", "o1"}
        result = _run(a, "ingest", str(_jsonl(tmp_path / "again.jsonl", AGAIN)))  # A's own register still applies
        assert "ข้ามโพสต์ที่ถูกลบตามคำขอ 2 รายการ" in result.output
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sadap.app.erasure_share"):
            result = _run(b, "ingest", str(tmp_path / "again.jsonl"), "--json")
        assert json.loads(result.output)["stored"] == 5  # B could not know: stored, not lost
        assert sum("Redis unreachable" in r.getMessage() for r in caplog.records) == 1
        # Made again once Redis answers, the erase reaches B.
        server = RedisServer(port)
        _run(a, "privacy", "erase", "--author", NAME)
        assert erasure_share.Follower(b).catch_up() == 1
    finally:
        server.stop()


def test_a_machine_under_another_pseudonym_key_refuses_to_write(tmp_path, redis_url, monkeypatch, caplog):  # noqa: F811
    """The same author would get another pseudonym there: its writers refuse in one line, before storing."""
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    a = _machine(tmp_path, "a", redis_url)
    _erase_on(a, tmp_path)
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", "อีกกุญแจหนึ่ง")
    b = _machine(tmp_path, "b", redis_url)
    result = CliRunner().invoke(main, ["ingest", str(_jsonl(tmp_path / "again.jsonl", AGAIN)), "--config", str(b.path)])
    assert result.exit_code != 0
    line = result.output.strip().splitlines()[-1]
    assert "$SADAP_PSEUDONYM_KEY" in line and "pseudonym-key" in line and "Traceback" not in result.output
    assert KEY not in result.output and "อีกกุญแจหนึ่ง" not in result.output  # the keys themselves are never shown
    assert not (b.data_path / "sadap.db").exists() or not _stored(b)
    # Lines in Redis from another key are still skipped (a key check deleted on purpose, one machine left behind).
    erasure_share.redis_client(b).delete(erasure_share.key_check_key(b))
    with caplog.at_level(logging.WARNING, logger="sadap.app.erasure_share"):
        follower = erasure_share.Follower(b)
        try:
            assert follower.catch_up() == 0
        finally:
            follower.close()
    lines = [r.getMessage() for r in caplog.records if "another pseudonym key" in r.getMessage()]
    assert len(lines) == 1 and "$SADAP_PSEUDONYM_KEY" in lines[0]


def test_a_crawl_worker_under_another_pseudonym_key_refuses_before_crawling(tmp_path, redis_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", KEY)
    a = _machine(tmp_path, "a", redis_url)
    _run(a, "ingest", str(_jsonl(tmp_path / "first.jsonl", FIRST)))  # the first writer leaves its key's check value
    monkeypatch.setenv("SADAP_PSEUDONYM_KEY", "อีกกุญแจหนึ่ง")
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "sadap.yaml").write_text(
        f"data_dir: data\nrules: []\nnotifiers: []\ndistributed: {{redis_url: '{redis_url}'}}\n"
        "sources:\n  - {name: news, kind: rss, url: \"https://example.com/feed.xml\"}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["worker", "--config", str(folder / "sadap.yaml")])
    assert result.exit_code != 0
    assert "$SADAP_PSEUDONYM_KEY" in result.output.strip().splitlines()[-1] and "Traceback" not in result.output
