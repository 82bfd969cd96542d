"""Several machines: the shared crawl queue in Redis, the scheduler's lease and its failover,
the Elasticsearch spool per worker. Against a real redis-server (tests/redis_support.py)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy import Request

from crawlers import distributed as wire
from sadap.app.config import load_config_file
from sadap.app.distributed import (
    RedisLease,
    SqliteLease,
    key,
    push_start,
    redis_problem,
    scheduler_lease,
    scrapy_settings,
)
from sadap.core.errors import ConfigError
from sadap.store import MentionFilter, open_store
from sadap.store.es_spool import Spool
from tests.redis_support import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.thai_site import ThaiNewsSite, article

PY = sys.executable


def _config(tmp_path: Path, extra: str = "", sources: str = "") -> Path:
    (tmp_path / "sadap.yaml").write_text(
        f"data_dir: data\nrules: []\nnotifiers: []\nenrich: {{sentiment_model: linear-v3}}\n{extra}"
        + (f"sources:\n{sources}" if sources else ""),
        encoding="utf-8",
    )
    return tmp_path / "sadap.yaml"


# -- configuration -----------------------------------------------------------------------------
def test_redis_url_is_checked_and_never_carries_a_password(tmp_path):
    path = _config(tmp_path, 'distributed: {redis_url: "redis://:secret@10.0.0.5:6379/0"}\n')
    with pytest.raises(ConfigError) as err:
        load_config_file(path)
    assert "distributed.redis_url" in str(err.value) and "redis_password_env" in str(err.value)
    assert "secret" not in str(err.value)
    path = _config(tmp_path, 'store: {elasticsearch: {hosts: ["https://elastic:FAKE-PW-1234@10.0.0.6:9200"]}}\n')
    with pytest.raises(ConfigError) as err:  # the same for the Elasticsearch cluster
        load_config_file(path)
    assert "store.elasticsearch.hosts" in str(err.value) and "password_env" in str(err.value)
    assert "FAKE-PW" not in str(err.value)
    path = _config(tmp_path, 'distributed: {redis_url: "http://10.0.0.5:6379"}\n')
    with pytest.raises(ConfigError, match="redis://host:port/db"):
        load_config_file(path)


def test_without_redis_the_crawl_settings_are_unchanged(tmp_path):
    config = load_config_file(_config(tmp_path))
    assert scrapy_settings(config, "news") == {}


def test_worker_settings_name_keys_per_source_and_take_the_password_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SADAP_REDIS_PASSWORD", "s3cret")
    config = load_config_file(_config(tmp_path, 'distributed: {redis_url: "redis://10.0.0.5:6379/1", key_prefix: bank}\n'))
    settings = scrapy_settings(config, "pantip-bank")
    assert settings["SCHEDULER"] == "crawlers.redis_queue.Scheduler"  # scrapy-redis's, through an outage
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_QUEUE_KEY"] == "bank:pantip-bank:requests"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "bank:pantip-bank:dupefilter"
    assert settings["SADAP_REDIS_START_KEY"] == "bank:pantip-bank:start"
    assert settings["REDIS_PARAMS"]["password"] == "s3cret" and "s3cret" not in settings["REDIS_URL"]


# -- requests in the queue as JSON ---------------------------------------------------------------
class _Spider:
    def parse_thread(self, response, listed):  # a callback found by name
        return []


def test_queued_requests_are_json_and_come_back_whole():
    spider = _Spider()
    request = Request(
        "https://pantip.com/topic/1?q=แอปล่ม", callback=spider.parse_thread, method="POST", body="ข้อความ".encode(),
        headers={"Accept-Language": "th"}, cb_kwargs={"listed": {"title": "แอปแสงทองล่ม", "n": 3}},
        meta={"handle_httpstatus_list": [429]}, priority=5,
    )
    data = wire.dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{") and "แอปแสงทองล่ม".encode() in data  # JSON, not pickle
    back = Request.from_dict(wire.loads(data), spider=spider) if hasattr(Request, "from_dict") else None
    if back is None:
        from scrapy.utils.request import request_from_dict

        back = request_from_dict(wire.loads(data), spider=spider)
    assert back.url == request.url and back.body == request.body and back.method == "POST"
    assert back.headers.get("Accept-Language") == b"th" and back.priority == 5
    assert back.cb_kwargs == {"listed": {"title": "แอปแสงทองล่ม", "n": 3}}
    assert back.callback.__func__ is _Spider.parse_thread


def test_a_queued_request_naming_a_foreign_class_is_refused():
    forged = b'{"url": "https://example.com/", "_class": "os.system"}'
    with pytest.raises(ValueError, match="refused"):
        wire.loads(forged)
    with pytest.raises(TypeError, match="JSON-like"):
        wire.dumps({"url": "https://example.com/", "meta": {"x": object()}})


# -- the scheduler's lease --------------------------------------------------------------------
def _exercise_lease(make):
    first, second = make("a"), make("b")
    assert first.acquire() and first.acquire()  # taken, then renewed
    assert not second.acquire()
    time.sleep(1.2)  # ttl 1 s, not renewed
    assert second.acquire()
    assert not first.acquire()  # the old holder cannot take it back while the new one renews
    first.release()  # releasing someone else's lease does nothing
    assert not first.acquire()
    second.release()
    assert first.acquire()


def test_redis_lease_is_held_by_one_and_taken_over_when_it_expires(redis_url):  # noqa: F811
    import redis

    client = redis.Redis.from_url(redis_url)
    _exercise_lease(lambda who: RedisLease(client, "sadap:scheduler:lease", 1.0, holder=who))


def test_sqlite_lease_is_held_by_one_and_taken_over_when_it_expires(tmp_path):
    path = str(tmp_path / "sadap.db")
    _exercise_lease(lambda who: SqliteLease(path, "scheduler", 1.0, holder=who))


def test_the_lease_is_in_redis_when_set_else_in_the_sqlite_store(tmp_path, redis_url):  # noqa: F811
    plain = load_config_file(_config(tmp_path))
    assert isinstance(scheduler_lease(plain), SqliteLease)
    shared = load_config_file(_config(tmp_path, f'distributed: {{redis_url: "{redis_url}"}}\n'))
    assert isinstance(scheduler_lease(shared), RedisLease)


# -- crawl rounds ----------------------------------------------------------------------------
def test_a_round_is_pushed_once_while_the_previous_one_is_queued(tmp_path, redis_url, caplog):  # noqa: F811
    import logging

    import redis

    config = load_config_file(_config(tmp_path, f'distributed: {{redis_url: "{redis_url}"}}\n'))
    client = redis.Redis.from_url(redis_url)
    client.sadd(key(config, "news", "dupefilter"), "seen-last-round")
    assert push_start(config, "news", client)
    with caplog.at_level(logging.INFO, logger="sadap.distributed"):
        assert not push_start(config, "news", client)  # the token is still waiting for a worker
    # No worker took the last round: `sadap run` with distributed.redis_url crawls nothing itself.
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert re.search(r"crawl news: no worker took the round queued \d+ s ago; is `sadap worker` running", caplog.text)
    assert client.llen("sadap:news:start") == 1
    assert not client.exists("sadap:news:dupefilter")  # a new round starts with an empty filter
    client.delete("sadap:news:start")
    client.zadd("sadap:news:requests", {b"queued request": 0})
    assert not push_start(config, "news", client)  # requests of the last round still queued


def test_compose_runs_redis_one_scheduler_and_n_workers():
    import yaml

    root = Path(__file__).resolve().parents[1]
    compose = yaml.safe_load((root / "infra" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert "requirepass" in " ".join(services["redis"]["command"])
    # Redis holds each source's crawl state and the day's API budgets, not only queues: kept on disk.
    assert "--appendonly yes" in " ".join(services["redis"]["command"])
    volume, _, folder = services["redis"]["volumes"][0].partition(":")
    assert folder == "/data" and volume in compose["volumes"]
    assert services["sadap"]["command"][-1].strip().endswith("sadap run --role scheduler")
    assert services["worker"]["command"] == ["sadap", "worker"]
    assert services["worker"]["deploy"]["replicas"] == "${SADAP_WORKERS:-2}"
    # The workers get the platforms' keys (they add them to requests); the scheduler does not need them.
    worker_env = services["worker"]["environment"]
    assert {"X_BEARER_TOKEN", "YOUTUBE_API_KEY", "FACEBOOK_PAGE_TOKEN"} <= set(worker_env)
    assert worker_env["SADAP_REDIS_PASSWORD"] == services["sadap"]["environment"]["SADAP_REDIS_PASSWORD"]
    assert "YOUTUBE_API_KEY" not in services["sadap"]["environment"]
    assert "[distributed]" in services["sadap"]["build"]["dockerfile_inline"]
    config = yaml.safe_load(compose["configs"]["sadap_config"]["content"])
    assert config["distributed"]["redis_url"] == "redis://redis:6379/0"
    # The console keeps no data volume: its session key comes from the environment, or every
    # recreation of the container would sign everyone out.
    console = services["console"]
    assert not any(v.startswith("sadapdata") for v in console["volumes"])
    assert console["environment"]["SADAP_SESSION_SECRET"].startswith("${SADAP_SESSION_SECRET:?")
    assert console["environment"]["SADAP_ES_PASSWORD"] == services["sadap"]["environment"]["SADAP_ES_PASSWORD"]


# -- the ES spool: one folder per worker ------------------------------------------------------
def test_each_worker_spools_to_its_own_folder_and_replay_sees_them_all(tmp_path):
    from sadap.core.mention import Mention
    from sadap.store.elasticsearch import ElasticsearchStore

    config = load_config_file(_config(tmp_path, "store: {backend: elasticsearch}\ndistributed: {worker_id: w2}\n"))
    store = ElasticsearchStore.from_config(config)
    assert store.spool is not None and store.spool.folder == config.data_path / "es-spool" / "w2"
    from datetime import datetime, timezone

    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    m = Mention(id="m1", source_kind="rss", source_name="news", text="แอปแสงทองล่มอีกแล้ว", published_at=now, collected_at=now)
    Spool(config.data_path / "es-spool" / "w1").write([m])
    store.spool.write([m])
    assert store.spool.pending() == 1  # its own folder only
    everything = Spool(config.data_path / "es-spool")
    assert everything.pending() == 2 and [x.id for x in everything.mentions()] == ["m1", "m1"]
    assert everything.replay(lambda batch: None) == 2 and everything.pending() == 0


# -- two workers, one queue (real processes) ---------------------------------------------------
def _worker(config: Path, worker_id: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "sadap", "worker", "--config", str(config), "--id", worker_id,
         # ~4 pages/s per worker: the round outlasts an idle worker's poll of the shared queue (every
         # second), so both workers take part (unthrottled, the first one crawls all 120 pages first).
         "-s", "DOWNLOAD_DELAY=0.25", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"],
        cwd=config.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def _wait_for(path: Path, text: str, count: int = 1, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text(errors="replace").count(text) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not seen in {path}:\n{path.read_text(errors='replace')[-3000:]}")


@pytest.mark.slow
def test_two_workers_share_one_crawl_and_store_each_page_once(tmp_path, redis_url):  # noqa: F811
    pages = 120
    with ThaiNewsSite(pages) as site:
        config_path = _config(
            tmp_path, f'distributed: {{redis_url: "{redis_url}"}}\n',
            f'  - {{name: news, kind: article, url: "{site.base_url}/", follow: "/news/"}}\n',
        )
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        workers = [_worker(config_path, f"w{i + 1}", logs[i]) for i in range(2)]
        try:
            for log in logs:
                _wait_for(log, "Spider opened")
            assert site.requests == 0  # nothing is crawled until the scheduler starts a round
            assert push_start(load_config_file(config_path), "news")
            deadline = time.monotonic() + 120
            stored = 0
            while time.monotonic() < deadline and stored < pages:
                time.sleep(0.5)
                if (tmp_path / "data" / "sadap.db").exists():
                    with sqlite3.connect(tmp_path / "data" / "sadap.db") as db:
                        stored = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGINT)
            for worker in workers:
                worker.wait(60)
    assert stored == pages
    with open_store(load_config_file(config_path)) as store:
        rows = [(m.title, m.text) for m in store.search(MentionFilter(), limit=pages + 10)]
    assert len(rows) == pages and len({title for title, _ in rows}) == pages  # each page once
    headline, _, body = article(7)
    assert any(title == headline and body.splitlines()[0] in text for title, text in rows)
    responses = []
    for log in logs:
        found = re.search(r"'downloader/response_count': (\d+)", log.read_text(errors="replace"))
        responses.append(int(found.group(1)) if found else 0)
    assert all(n > 0 for n in responses), responses  # both workers crawled
    # The index once, each page once (one duplicate filter), and robots.txt once per worker.
    assert sum(responses) == pages + 1 + len(workers)


# -- one scheduler: kill -9 the active one --------------------------------------------------------
def _scheduler(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "sadap", "run", "--role", "scheduler", "--config", str(config)],
        cwd=config.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.slow
@pytest.mark.parametrize("where", ["redis", "sqlite"])
def test_a_standby_scheduler_takes_over_when_the_active_one_is_killed(tmp_path, redis_url, where):  # noqa: F811
    shared = f'redis_url: "{redis_url}", ' if where == "redis" else ""
    config_path = _config(tmp_path, f"schedule: {{alerts_every: 1s}}\ndistributed: {{{shared}lease: 2s}}\n")
    logs = [tmp_path / "s1.log", tmp_path / "s2.log"]
    first = _scheduler(config_path, logs[0])
    second = None
    try:
        _wait_for(logs[0], ": active (holds the lease)")
        second = _scheduler(config_path, logs[1])
        _wait_for(logs[1], "standing by")
        time.sleep(3)  # longer than the lease: the first keeps renewing it
        assert "active (holds the lease)" not in logs[1].read_text()
        evaluated = logs[1].read_text().count("rules evaluated")
        assert evaluated == 0  # only the active scheduler evaluates rules
        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.wait(10)
        _wait_for(logs[1], ": active (holds the lease)", timeout=30)
        takeover = time.monotonic() - killed
        _wait_for(logs[1], "rules evaluated", timeout=10)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
    assert takeover < 2 * 2 + 1, takeover  # at most the lease plus one try (a third of it), with slack



@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT while started in the background"])
def test_a_scheduler_stops_cleanly_on_sigterm_and_on_sigint_when_backgrounded(tmp_path, how):
    """docker stop and systemd send SIGTERM; a shell starts a background job with SIGINT
    ignored. Either way the scheduler stops at once and hands the lease back, so a second one
    is active without waiting for it to expire."""
    config_path = _config(tmp_path, "schedule: {alerts_every: 1s}\ndistributed: {lease: 60s}\n")
    logs = [tmp_path / "s1.log", tmp_path / "s2.log"]
    if how == "SIGTERM":
        first = _scheduler(config_path, logs[0])
    else:  # as `nohup sadap run &` would: SIGINT ignored from the start
        first = subprocess.Popen(
            [PY, "-m", "sadap", "run", "--role", "scheduler", "--config", str(config_path)],
            cwd=tmp_path, stdout=logs[0].open("wb"), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    second = None
    try:
        _wait_for(logs[0], ": active (holds the lease)")
        _wait_for(logs[0], "rules evaluated")
        first.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
        assert first.wait(30) == 0
        second = _scheduler(config_path, logs[1])
        # The 60 s lease was released, not left to expire.
        _wait_for(logs[1], ": active (holds the lease)", timeout=20)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)

# -- Elasticsearch: bulk writes from several workers at once -------------------------------------
@pytest.mark.es
def test_workers_bulk_write_to_one_cluster_at_once_and_store_each_mention_once(request, tmp_path):
    import threading

    from tests.es_support import es_test_url, make_test_store
    from tests.test_store_contract import TEXTS, make

    url = es_test_url() or request.getfixturevalue("osmem_clone").url
    first = make_test_store(url, spool_dir=tmp_path / "es-spool" / "w1", chunk_size=7)
    second = make_test_store(url, prefix=first.names.prefix, spool_dir=tmp_path / "es-spool" / "w2", chunk_size=7)
    mentions = [make(i, *TEXTS[i % len(TEXTS)], minutes=i) for i in range(60)]
    # Overlapping shares, as when a page is crawled again by another worker: 0-39 and 20-59.
    shares = {first: mentions[:40], second: mentions[20:]}
    errors: list[BaseException] = []

    def write(store, batch):
        try:
            for i in range(0, len(batch), 10):
                store.upsert(batch[i : i + 10])
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=write, args=item) for item in shares.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert first.count(MentionFilter()) == 60 == second.count(MentionFilter())
    assert sorted(first.ids(MentionFilter(), limit=100)) == sorted(m.id for m in mentions)
    assert first.spool is not None and first.spool.pending() == 0 and second.spool.pending() == 0
    first.close()
    second.close()


def test_worker_without_redis_or_with_a_bad_setting_is_one_clear_line(tmp_path):
    from click.testing import CliRunner

    from sadap.app.cli import main

    path = _config(tmp_path, sources='  - {name: news, kind: rss, url: "https://example.com/feed.xml"}\n')
    result = CliRunner().invoke(main, ["worker", "--config", str(path)])
    assert result.exit_code == 1 and "distributed.redis_url is not set" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["worker", "--config", str(path), "-s", "download_delay"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
    result = CliRunner().invoke(main, ["run", "--config", str(path), "--role", "boss"])
    assert result.exit_code == 2 and "scheduler" in result.output
    result = CliRunner().invoke(main, ["worker", "--config", str(path), "--id", "../etc"])
    assert result.exit_code == 1 and result.output == (
        "sadap: worker id '../etc': use letters, digits, ., - and _ (start with a letter or digit)\n")


def test_worker_that_cannot_reach_or_sign_in_to_redis_says_so_in_one_line(tmp_path, redis_server, monkeypatch, caplog):  # noqa: F811
    """A wrong port, a missing or wrong password: one line naming what to fix, no traceback, no password."""
    from click.testing import CliRunner

    from sadap.app.cli import main
    from tests.redis_support import free_port

    source = '  - {name: news, kind: rss, url: "https://example.com/feed.xml"}\n'
    nowhere = _config(tmp_path, f'distributed: {{redis_url: "redis://127.0.0.1:{free_port()}/0"}}\n', source)
    result = CliRunner().invoke(main, ["worker", "--config", str(nowhere)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("sadap: cannot reach Redis at redis://127.0.0.1:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    client = redis_server.client()
    client.config_set("requirepass", "รหัสลับ-7431")
    try:
        path = _config(tmp_path, f'distributed: {{redis_url: "{redis_server.url}"}}\n', source)
        monkeypatch.delenv("SADAP_REDIS_PASSWORD", raising=False)
        result = CliRunner().invoke(main, ["worker", "--config", str(path)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.output.strip() == (
            f"sadap: Redis at {redis_server.url} asks for a password: put it in $SADAP_REDIS_PASSWORD "
            "(distributed.redis_password_env)")
        monkeypatch.setenv("SADAP_REDIS_PASSWORD", "ผิด-0000")
        result = CliRunner().invoke(main, ["worker", "--config", str(path)])
        assert result.exit_code == 1 and "Traceback" not in result.output and "ผิด-0000" not in result.output
        assert result.output.startswith(f"sadap: Redis at {redis_server.url} refused the password in $SADAP_REDIS_PASSWORD")
        assert len(result.output.strip().splitlines()) == 1
        # A scheduler stands by (Redis may come back with the password), saying the same once.
        import logging

        from apscheduler.schedulers.background import BackgroundScheduler

        from sadap.app.service import LeaderLoop

        config = load_config_file(path)
        scheduler = BackgroundScheduler()
        loop = LeaderLoop(scheduler, scheduler_lease(config), 3, lambda err: redis_problem(config, err))
        with caplog.at_level(logging.ERROR, logger="sadap.run"):
            loop.step()
            loop.step()
        assert not loop.active
        assert [r.getMessage().count("refused the password in $SADAP_REDIS_PASSWORD") for r in caplog.records] == [1]
        assert "ผิด-0000" not in caplog.text
    finally:
        import redis

        redis.Redis(host="127.0.0.1", port=redis_server.port, password="รหัสลับ-7431").config_set("requirepass", "")


@pytest.mark.slow
def test_a_worker_rides_out_a_redis_outage_in_two_lines_and_stores_what_it_downloaded(tmp_path):
    """Redis stopped mid-round: one line when it goes and one when it is back, not a traceback at
    every poll; the pages downloaded meanwhile are stored; stopping during an outage is clean."""
    from tests.redis_support import RedisServer

    server = RedisServer()
    pages = 60
    try:
        with ThaiNewsSite(pages) as site:
            config_path = _config(
                tmp_path, f'distributed: {{redis_url: "{server.url}"}}\n',
                f'  - {{name: news, kind: article, url: "{site.base_url}/", follow: "/news/"}}\n',
            )
            log = tmp_path / "w1.log"
            worker = subprocess.Popen(
                [PY, "-m", "sadap", "worker", "--config", str(config_path), "--id", "w1",
                 "-s", "DOWNLOAD_DELAY=0.2", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"],
                cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            )
            try:
                _wait_for(log, "Spider opened")
                assert push_start(load_config_file(config_path), "news")
                deadline = time.monotonic() + 60
                while site.requests < 8 and time.monotonic() < deadline:
                    time.sleep(0.1)
                server.stop()  # mid-round: the queue still holds most of the pages
                time.sleep(4)  # four polls of the queue
                _wait_for(log, "Redis unreachable")
                server = RedisServer(server.port)  # back, empty (no persistence here)
                _wait_for(log, "Redis answers again", timeout=30)
                server.stop()
                time.sleep(3)
                worker.send_signal(signal.SIGINT)
                assert worker.wait(60) == 0
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait(10)
            downloaded = {path for path, _ in site.served if path.startswith("/news/")}
    finally:
        server.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert text.count("sadap:news: Redis unreachable") == 2 and text.count("sadap:news: Redis answers again") == 1
    assert "crawl state not saved, Redis unreachable" in text  # at the stop, during the second outage
    assert 0 < len(downloaded) < pages
    with open_store(load_config_file(config_path)) as store:
        stored = store.search(MentionFilter(), limit=pages + 10)
    assert len(stored) == len(downloaded)  # what was in hand when Redis went is stored, none lost
