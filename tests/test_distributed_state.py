"""Several machines, what they share besides the queue: no API key in Redis (the worker adds it at
download time from its own environment), one incremental state per source in Redis for every
worker, and the crawl reports in the store where a workspace on any machine reads them."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from scrapy import Request

from crawlers import distributed as wire
from crawlers.state import RedisState, merge
from sadap.app.config import load_config_file
from sadap.app.crawl_reports import import_files, load_reports, save_report
from sadap.app.distributed import push_start, scrapy_settings
from sadap.core.timeutil import now_utc
from sadap.store.sqlite import SQLiteStore
from tests.fake_http import FakeServer
from tests.redis_support import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_platforms import FakeX, xid
from tests.test_store_contract import store  # noqa: F401 (fixture: SQLite and osmem-server)

PY = sys.executable
SECRET = "good-x-token"  # what FakeX accepts as `Authorization: Bearer ...`


# -- keys never queued -------------------------------------------------------------------------
def test_queued_requests_lose_auth_headers_and_token_parameters():
    request = Request(
        "https://graph.facebook.com/v21.0/123/feed?fields=message&access_token=EAAB-secret&after=QVFI",
        headers={"Authorization": "Bearer EAAB-secret", "X-Goog-Api-Key": "AIza-secret", "Accept-Language": "th"},
    )
    data = wire.dumps(request.to_dict())
    assert b"secret" not in data
    back = wire.loads(data)
    assert back["url"] == "https://graph.facebook.com/v21.0/123/feed?fields=message&after=QVFI"
    assert {k.decode() if isinstance(k, bytes) else k for k in back["headers"]} == {"Accept-Language"}


def test_the_worker_adds_the_key_only_for_the_api_origin(monkeypatch):
    from scrapy.utils.test import get_crawler

    from crawlers.middlewares import ApiAuthMiddleware
    from crawlers.spiders.rss import RssSpider
    from crawlers.spiders.x import XSpider

    monkeypatch.setenv("X_BEARER_TOKEN", "tok-from-this-workers-environment")
    crawler = get_crawler(XSpider)
    crawler.spider = XSpider(query="แสงทอง", base_url="https://api.x.com/2")
    middleware = ApiAuthMiddleware.from_crawler(crawler)
    own = Request("https://api.x.com/2/tweets/search/recent?query=x")
    middleware.process_request(own)
    assert own.headers.get("Authorization") == b"Bearer tok-from-this-workers-environment"
    middleware.process_response(own, None)  # type: ignore[arg-type]
    assert "Authorization" not in own.headers  # off again before a retry or redirect copies it
    elsewhere = Request("https://evil.example/2/tweets", headers={"Authorization": "Bearer tok-from-this-workers-environment"})
    middleware.process_request(elsewhere)
    assert "Authorization" not in elsewhere.headers
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        ApiAuthMiddleware.from_crawler(get_crawler(RssSpider))


# -- the shared incremental state ----------------------------------------------------------------
def test_merge_applies_only_what_this_worker_changed():
    base = {"since_id": "10", "topics": {"1": {"last": 3}, "2": {"last": 1}}, "gone": 1}
    theirs = {"since_id": "10", "topics": {"1": {"last": 5}, "2": {"last": 1}, "3": {"last": 2}}, "gone": 1}
    mine = {"since_id": "12", "topics": {"1": {"last": 3}, "2": {"last": 4}}}
    assert merge(theirs, base, mine) == {"since_id": "12", "topics": {"1": {"last": 5}, "2": {"last": 4}, "3": {"last": 2}}}


def test_two_workers_states_in_redis_keep_each_others_changes(redis_url):  # noqa: F811
    import redis

    client = redis.Redis.from_url(redis_url)
    first, second = RedisState(client, "sadap:pantip:state"), RedisState(client, "sadap:pantip:state")
    first.data.setdefault("topics", {})["41"] = {"title": "แอปแสงทองล่ม", "last": 12}
    second.data.setdefault("topics", {})["42"] = {"title": "บัตรโดนตัดเงินซ้ำ", "last": 3}
    first.sync()
    second.sync()
    assert set(second.data["topics"]) == {"41", "42"}  # second took first's topic as it shared its own
    first.sync()
    assert first.data == second.data == json.loads(client.get("sadap:pantip:state"))
    assert RedisState(client, "sadap:pantip:state").data["topics"]["41"]["title"] == "แอปแสงทองล่ม"


def test_a_state_file_from_one_machine_seeds_redis_once(redis_url, tmp_path):  # noqa: F811
    import redis

    from crawlers.state import SourceState

    client = redis.Redis.from_url(redis_url)
    on_disk = SourceState.for_source(tmp_path, "x", "x-bank")
    on_disk.data["since_id"] = "1149"
    on_disk.save()
    seeded = RedisState(client, "sadap:x-bank:state", seed=SourceState.for_source(tmp_path, "x", "x-bank"))
    assert seeded.data == {"since_id": "1149"}
    seeded.sync()
    assert json.loads(client.get("sadap:x-bank:state")) == {"since_id": "1149"}
    seeded.data["since_id"] = "1151"
    seeded.sync()
    again = RedisState(client, "sadap:x-bank:state", seed=SourceState.for_source(tmp_path, "x", "x-bank"))
    assert again.data == {"since_id": "1151"}  # Redis has it now: the old file no longer counts


def test_worker_settings_put_the_state_in_redis(tmp_path):
    (tmp_path / "sadap.yaml").write_text('data_dir: data\ndistributed: {redis_url: "redis://10.0.0.5:6379/0"}\n', encoding="utf-8")
    config = load_config_file(tmp_path / "sadap.yaml")
    assert scrapy_settings(config, "x-bank")["SADAP_REDIS_STATE_KEY"] == "sadap:x-bank:state"


# -- two workers, two rounds, an API source (real processes, real redis-server) ------------------
class Monitor:
    """Every command any client sends to the Redis server, as raw bytes (Redis's MONITOR)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"MONITOR\r\n")
        self.seen = bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk

    def close(self) -> bytes:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)
        return bytes(self.seen)


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM mentions").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _until(check, what: str, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _readable(blob: bytes) -> bytes:
    """``blob`` and every base64 run in it decoded (queued requests carry bytes as base64)."""
    decoded = [blob]
    for run in re.findall(rb"[A-Za-z0-9+/]{8,}={0,2}", blob):
        for start in range(4):  # a run may start inside a longer token
            try:
                piece = run[start:]
                decoded.append(base64.b64decode(piece[: len(piece) // 4 * 4] or b"", validate=False))
            except ValueError:
                pass
    return b"\n".join(decoded)


def _everything_in(client) -> bytes:  # type: ignore[no-untyped-def]
    out = bytearray()
    for name in client.scan_iter("*"):
        kind = client.type(name)
        out += name
        if kind == b"string":
            out += client.get(name) or b""
        elif kind == b"list":
            out += b"".join(client.lrange(name, 0, -1))
        elif kind == b"set":
            out += b"".join(client.smembers(name))
        elif kind == b"zset":
            out += b"".join(client.zrange(name, 0, -1))
        elif kind == b"hash":
            out += b"".join(k + v for k, v in client.hgetall(name).items())
    return bytes(out)


@pytest.fixture(scope="module")
def two_rounds(redis_server, tmp_path_factory):  # noqa: F811
    import redis

    redis_server.client().flushall()
    tmp = tmp_path_factory.mktemp("two-rounds")
    fake = FakeX()  # answers the first call with 429: that request goes back to the queue in Redis
    client = redis.Redis.from_url(redis_server.url)
    with FakeServer(fake) as server:
        (tmp / "sadap.yaml").write_text(
            "data_dir: data\nrules: []\nnotifiers: []\nenrich: {sentiment_model: linear-v3}\n"
            f'distributed: {{redis_url: "{redis_server.url}"}}\n'
            f'sources:\n  - {{name: x-bank, kind: x, query: "แสงทอง lang:th", base_url: "{server.url}/2"}}\n',
            encoding="utf-8",
        )
        config = load_config_file(tmp / "sadap.yaml")
        env = {**os.environ, "X_BEARER_TOKEN": SECRET}
        logs = [tmp / "w1.log", tmp / "w2.log"]
        workers = [
            subprocess.Popen([PY, "-m", "sadap", "worker", "--config", "sadap.yaml", "--id", f"w{i + 1}",
                              "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false"],
                             cwd=tmp, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            for i, log in enumerate(logs)
        ]
        monitor = Monitor(redis_server.port)
        db = config.store_path
        state: dict[str, object] = {}
        try:
            _until(lambda: all("Spider opened" in log.read_text(errors="replace") for log in logs if log.exists())
                   and all(log.exists() for log in logs), "both workers to open")
            assert push_start(config, "x-bank")
            _until(lambda: _stored(db) >= 150, "round 1 stored")

            def marked() -> bool:
                raw = client.get("sadap:x-bank:state")
                state.update(json.loads(raw) if raw else {})
                return state.get("since_id") == xid(1149)

            # Both workers still running: the round's end was shared through Redis, not at shutdown.
            _until(marked, "the newest id in the shared state")

            def reported(items: int) -> bool:
                with SQLiteStore(db) as store:
                    report = load_reports(store).get("x-bank")
                reports.append(report)
                return report is not None and report["items"] == items

            reports: list[dict[str, object] | None] = []
            _until(lambda: reported(150), "round 1's crawl report in the store", timeout=60)
            round1 = list(server.calls)
            server.calls.clear()
            fake.posts += [FakeX.post(1150), FakeX.post(1151)]
            assert push_start(config, "x-bank")
            _until(lambda: _stored(db) >= 152, "round 2 stored")
            _until(lambda: reported(2), "round 2's crawl report in the store", timeout=60)
            time.sleep(2)  # anything a second worker would have fetched again arrives by now
            round2 = list(server.calls)
            stored = _stored(db)
            everything = _everything_in(client)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGINT)
            for worker in workers:
                worker.wait(60)
            commands = monitor.close()
    yield {"reports": [r for r in reports if r], "round1": round1, "round2": round2, "stored": stored, "state": state, "commands": commands,
           "everything": everything, "logs": [log.read_text(errors="replace") for log in logs], "data": tmp / "data"}


@pytest.mark.slow
def test_no_key_ever_reaches_redis_and_the_api_still_gets_it(two_rounds):
    commands = two_rounds["commands"]
    # Requests did go through Redis (round 1: the first page, its 429 retry, the second page; round 2)...
    assert commands.count(b'"ZADD" "sadap:x-bank:requests"') >= 4, commands[:2000]
    assert b"tweets/search/recent" in commands
    # ...but no command any worker sent, and nothing left in it, holds the key.
    readable = _readable(commands)
    assert b"tweets/search/recent" in readable and b"Accept-Language" in readable  # headers queued, readable here
    assert SECRET.encode() not in readable
    assert SECRET.encode() not in _readable(two_rounds["everything"]) and b"x-bank" in two_rounds["everything"]
    calls = two_rounds["round1"] + two_rounds["round2"]
    assert calls and all(c.headers.get("authorization") == f"Bearer {SECRET}" for c in calls)
    assert all(SECRET not in c.path for c in calls)
    assert all(SECRET not in log for log in two_rounds["logs"])


@pytest.mark.slow
def test_round_two_fetches_only_new_posts_whichever_worker_runs_it(two_rounds):
    assert two_rounds["state"]["since_id"] == xid(1149)
    round2 = [c for c in two_rounds["round2"] if c.path.startswith("/2/tweets/search/recent")]
    assert round2 and all(c.query.get("since_id") == xid(1149) for c in round2)
    assert len(round2) == 1  # the two new posts: one page
    assert two_rounds["stored"] == 152
    assert not (two_rounds["data"] / "crawl-state").exists()  # no copy per worker


@pytest.mark.slow
def test_each_round_is_one_crawl_report_in_the_store_with_every_workers_share(two_rounds):
    first = next(r for r in two_rounds["reports"] if r["items"] == 150)
    second = two_rounds["reports"][-1]
    assert (first["new"], first["errors"], first["first_error"]) == (150, 0, None)
    assert (second["items"], second["new"], second["errors"]) == (2, 2, 0)
    assert first["started_at"] < second["started_at"] <= second["finished_at"]


# -- crawl reports in the store -------------------------------------------------------------------
def test_crawl_reports_live_in_the_store_and_old_files_move_in_once(store, tmp_path):  # noqa: F811
    at = now_utc().replace(microsecond=0)
    assert load_reports(store) == {}
    save_report(store, "pantip-bank", started=at - timedelta(minutes=3), finished=at, items=12, new=4, errors=1,
                first_error="https://pantip.com/forum/x: HTTP 503\n  (tried 3 times)")
    save_report(store, "news", started=at - timedelta(minutes=9), finished=at - timedelta(minutes=8), items=5)
    save_report(store, "news", started=at - timedelta(minutes=2), finished=at - timedelta(minutes=1), items=7, new=7)
    reports = load_reports(store)
    assert set(reports) == {"pantip-bank", "news"}
    assert reports["news"]["items"] == 7 and reports["news"]["finished_at"] == at - timedelta(minutes=1)
    assert reports["pantip-bank"]["first_error"] == "https://pantip.com/forum/x: HTTP 503 (tried 3 times)"
    assert (reports["pantip-bank"]["new"], reports["pantip-bank"]["errors"]) == (4, 1)
    # Files from an earlier version: copied where newer than the store's, then the folder is renamed.
    old = tmp_path / "data" / "crawl-reports"
    old.mkdir(parents=True)
    for name, finished, items in (("news", at - timedelta(days=1), 99), ("khaosod", at - timedelta(hours=1), 3)):
        (old / f"{name}-0000.json").write_text(json.dumps({
            "source": name, "started_at": (finished - timedelta(minutes=1)).isoformat(), "finished_at": finished.isoformat(),
            "items": items, "new": 1, "errors": 0, "first_error": None}), encoding="utf-8")
    (old / "broken-0000.json").write_text("{not json", encoding="utf-8")
    reports = load_reports(store, tmp_path / "data")
    assert set(reports) == {"pantip-bank", "news", "khaosod"}
    assert reports["news"]["items"] == 7  # the store's is newer than the file's
    assert reports["khaosod"]["items"] == 3
    assert not old.exists() and (tmp_path / "data" / "crawl-reports.imported").is_dir()
    assert import_files(store, tmp_path / "data") == 0


def test_opening_a_second_store_in_a_process_keeps_the_first_ones_locks(tmp_path):
    """`sadap worker` holds two SQLite stores (the ingest's and the crawl reports'): opening the
    second must not close a descriptor of the file, which would drop the first one's POSIX locks
    and let other workers write beside it (a 2-worker crawl corrupted the file that way)."""
    import fcntl

    from sadap.core.files import private_file

    path = private_file(tmp_path / "sadap.db")
    with open(path, "r+b") as held:
        fcntl.lockf(held, fcntl.LOCK_EX)  # as SQLite's own connection holds its locks
        private_file(path)  # a second store opening the same file
        probe = ("import fcntl, sys\nf = open(sys.argv[1], 'r+b')\n"
                 "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    print('held')\n"
                 "else:\n    print('free')\n")
        done = subprocess.run([PY, "-c", probe, str(path)], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "held", done.stdout + done.stderr
