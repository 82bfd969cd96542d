"""A worker's Redis that stalls (connections open, no answer: SIGSTOP of redis-server) or goes away
and comes back empty. Noticed in a few seconds with one line, not after a minute per call; no alarm
when Redis is only busy; the worker's share of a round's crawl report is kept through the outage and
sent when Redis answers again, counted once. Against a real redis-server (tests/redis_support.py)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawlers.state import RedisState
from sadap.app.config import Config, load_config_file
from sadap.app.crawl import _ErrorCounter
from sadap.app.crawl_reports import load_reports
from sadap.app.distributed import ANSWER_WITHIN_S, key, push_start, redis_client, scrapy_settings
from sadap.store import MentionFilter, open_store
from tests.redis_support import REDIS_SERVER, RedisServer
from tests.thai_site import ThaiNewsSite

PY = sys.executable

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason=f"{REDIS_SERVER} not found")


@pytest.fixture
def server() -> Any:
    """A redis-server of the test's own: the tests pause and stop it."""
    found = RedisServer()
    try:
        yield found
    finally:
        found.stop()


def _config(tmp_path: Path, url: str, site: str = "https://www.example.co.th") -> Config:
    (tmp_path / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nenrich: {sentiment_model: linear-v3}\n"
        f'distributed: {{redis_url: "{url}", worker_id: w1}}\n'
        f'sources:\n  - {{name: news, kind: article, url: "{site}/", follow: "/news/"}}\n',
        encoding="utf-8",
    )
    return load_config_file(tmp_path / "sadap.yaml")


def _crawler(config: Config) -> tuple[Any, Spider]:
    # The settings `sadap worker` gives a source's crawler, trying Redis again every half second here.
    crawler = get_crawler(Spider, {**scrapy_settings(config, "news"), "SADAP_REDIS_RETRY": 0.5})
    return crawler, Spider.from_crawler(crawler, name="news")


def _outage_lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


# -- a stalled Redis: the shared queue ------------------------------------------------------------
def test_a_stalled_redis_is_one_line_within_seconds_and_a_pages_links_do_not_wait_for_it(tmp_path, server, caplog):
    from crawlers.redis_queue import Scheduler

    config = _config(tmp_path, server.url)
    crawler, spider = _crawler(config)
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    queued = {"https://www.example.co.th/news/1.html", "https://www.example.co.th/news/2.html"}
    assert all(scheduler.enqueue_request(Request(url)) for url in queued)
    server.pause()
    try:
        with caplog.at_level(logging.INFO, logger="crawlers.distributed"):
            started = time.monotonic()
            assert scheduler.next_request() is None
            noticed = time.monotonic() - started
            # scrapy-redis's own settings waited 30 s and tried again: a minute before a first line.
            assert noticed < ANSWER_WITHIN_S + 2, noticed
            # A page's 40 links, found meanwhile: dropped at once, not a wait for the timeout each.
            started = time.monotonic()
            links = [Request(f"https://www.example.co.th/news/{n}.html") for n in range(3, 43)]
            assert not any(scheduler.enqueue_request(link) for link in links)
            assert scheduler.has_pending_requests()  # not known: the round is not taken for over
            assert time.monotonic() - started < 1
    finally:
        server.resume()
    assert crawler.stats.get_value("sadap/redis_dropped") == 40
    [line] = _outage_lines(caplog, "Redis unreachable")
    assert line.startswith(f"sadap:news: Redis unreachable (no answer within {ANSWER_WITHIN_S:g} s: Timeout reading")
    time.sleep(0.6)  # SADAP_REDIS_RETRY
    with caplog.at_level(logging.INFO, logger="crawlers.distributed"):
        request = scheduler.next_request()
    # The one being taken when Redis stalled was taken by Redis when it woke, and is lost to this
    # round (as a stopped worker's requests in hand are); the other is there.
    assert request is not None and request.url in queued
    assert len(_outage_lines(caplog, "Redis answers again after")) == 1


def test_a_busy_redis_that_answers_within_the_timeout_is_no_alarm(tmp_path, server, caplog):
    from crawlers.redis_queue import Scheduler

    config = _config(tmp_path, server.url)
    crawler, spider = _crawler(config)
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    # A script that holds the server for 3 s (as a DEL of a huge set or a long MULTI would).
    busy = ("local t = redis.call('TIME') "
            "repeat local n = redis.call('TIME') until (n[1] - t[1]) * 1e6 + n[2] - t[2] > 3e6")
    blocker = threading.Thread(target=lambda: server.client().eval(busy, 0))
    with caplog.at_level(logging.INFO, logger="crawlers.distributed"):
        blocker.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert scheduler.enqueue_request(Request("https://www.example.co.th/news/1.html"))
        waited = time.monotonic() - started
        blocker.join()
    assert 1.5 < waited < ANSWER_WITHIN_S, waited  # it did wait for the busy server, and got its answer
    assert not _outage_lines(caplog, "Redis unreachable")


# -- a stalled Redis: the budget counters (YouTube's quota, a sitemap's pages) ----------------------
def _state(config: Config) -> RedisState:
    # As a worker's spider makes it: the worker's Redis settings, trying Redis again every half second here.
    settings = Settings({**scrapy_settings(config, "news"), "SADAP_REDIS_RETRY": 0.5})
    return RedisState.from_settings(settings, key(config, "news", "state"))


def test_a_stalled_redis_costs_the_quota_one_wait_and_the_budget_still_adds_up(tmp_path, server, caplog):
    config = _config(tmp_path, server.url)
    state, other = _state(config), _state(config)  # this worker, and another one
    day, limit = "2026-12-07", 30
    counter = key(config, "news", "counter", "quota", day)
    assert state.spend("quota", day, 3, limit) == (True, 3)
    server.pause()
    try:
        with caplog.at_level(logging.INFO, logger="crawlers.counters"):
            started = time.monotonic()
            spent = [state.spend("quota", day, 1, limit) for _ in range(30)]
            waited = time.monotonic() - started
    finally:
        server.resume()
    # One wait for the answer timeout, not one per call (30 × 5 s); counted on from the last count read,
    # up to the budget.
    assert ANSWER_WITHIN_S - 0.5 < waited < ANSWER_WITHIN_S + 1, waited
    assert spent == [(True, 4 + n) for n in range(27)] + [(False, 30)] * 3
    [line] = _outage_lines(caplog, "Redis unreachable")
    assert line.startswith(f"sadap:news:counter: Redis unreachable (no answer within {ANSWER_WITHIN_S:g} s")
    assert "counted by this worker alone until it answers" in line
    # Redis is back: another worker spends at once; this one adds its 27 units at its next call, after the PING.
    assert other.spend("quota", day, 5, 100)[0]
    time.sleep(0.7)
    with caplog.at_level(logging.INFO, logger="crawlers.counters"):
        assert state.spend("quota", day, 1, limit) == (False, 35)
    # 3 + 27 here, 5 there: exactly, although Redis, waking, also applied the call that had timed out.
    assert int(server.client().get(counter)) == 35
    [back] = _outage_lines(caplog, "Redis answers again")
    assert "27 units counted by this worker meanwhile are added to the shared budgets" in back


def test_a_sitemaps_page_count_goes_on_through_a_stall_and_adds_up(tmp_path, server):
    config = _config(tmp_path, server.url)
    state = _state(config)
    assert state.take_up_to("pages:r1", 7, 10) == 7
    server.pause()
    try:
        started = time.monotonic()
        assert [state.take_up_to("pages:r1", 5, 10), state.take_up_to("pages:r1", 2, 10)] == [3, 0]
        assert time.monotonic() - started < ANSWER_WITHIN_S + 1
    finally:
        server.resume()
    time.sleep(0.7)
    assert state.take_up_to("pages:r1", 1, 10) == 0
    assert int(server.client().get(key(config, "news", "counter", "pages:r1"))) == 10


# -- the worker's share of a round's crawl report -------------------------------------------------
def _reports(config: Config, crawler: Any, client: Any) -> Any:
    from sadap.app.worker import RoundReports

    store = open_store(config)
    return RoundReports(config, "news", crawler, client, store, _ErrorCounter()), store


def _part(reports: Any, spider: Spider, items: int, stored: int) -> None:
    """One part of a round on this worker: its responses, its counts, then idle (its part is over)."""
    stats = reports.crawler.stats
    reports.response()
    stats.inc_value("item_scraped_count", items)
    stats.inc_value("sadap/stored", stored)
    reports.idle(spider)  # idle after taking part: written at the next idle tick


def test_a_share_not_sent_in_an_outage_is_kept_and_sent_to_its_round_when_redis_is_back(tmp_path, server, caplog):
    """Redis stops just as this worker's part of a round ends, and comes back (empty, here); the
    share is sent then, to the round it belongs to: the round's report in the store is complete."""
    config = _config(tmp_path, server.url)
    crawler, spider = _crawler(config)
    reports, store = _reports(config, crawler, redis_client(config))
    back = None
    try:
        assert push_start(config, "news")
        round_id = server.client().get(key(config, "news", "round")).decode()
        _part(reports, spider, items=12, stored=9)
        server.stop()
        with caplog.at_level(logging.INFO):
            reports.idle(spider)  # the share's tick: Redis gone
            for _ in range(3):  # the idle ticks of the outage
                reports.idle(spider)
            assert load_reports(store) == {}
            back = RedisServer(server.port)
            time.sleep(0.6)  # SADAP_REDIS_RETRY
            reports.idle(spider)
        report = load_reports(store)["news"]
        assert (report["items"], report["new"], report["errors"]) == (12, 9, 0)
        assert report["started_at"] == datetime.fromtimestamp(float(round_id), report["started_at"].tzinfo)
        assert len(_outage_lines(caplog, "Redis unreachable")) == 1
        assert len(_outage_lines(caplog, "Redis answers again")) == 1
    finally:
        store.close()
        if back is not None:
            back.stop()


def test_a_share_sent_again_after_a_timeout_is_counted_once(tmp_path, server):
    """Redis stalls while the share is on its way: it takes the share when it wakes, after the
    worker gave up waiting; the worker sends it again, and the round's report counts it once."""
    config = _config(tmp_path, server.url)
    crawler, spider = _crawler(config)
    reports, store = _reports(config, crawler, redis_client(config))
    try:
        assert push_start(config, "news")
        round_id = server.client().get(key(config, "news", "round")).decode()
        # Another worker's share of the round, already in.
        server.client().hset(f"{key(config, 'news', 'report', round_id)}",
                             mapping={"items:w2:0a1b2c3d": 30, "new:w2:0a1b2c3d": 25, "errors:w2:0a1b2c3d": 1})
        _part(reports, spider, items=7, stored=7)
        server.pause()
        try:
            reports.idle(spider)  # times out (after ANSWER_WITHIN_S)
        finally:
            server.resume()
        time.sleep(0.6)
        reports.idle(spider)  # sent again
        assert load_reports(store)["news"]["items"] == 37
        _part(reports, spider, items=3, stored=1)  # a second part in the same round
        reports.idle(spider)
        report = load_reports(store)["news"]
        assert (report["items"], report["new"], report["errors"]) == (40, 33, 1)
    finally:
        store.close()


def test_a_worker_stopped_during_an_outage_says_which_counts_are_missing(tmp_path, server, caplog):
    config = _config(tmp_path, server.url)
    crawler, spider = _crawler(config)
    reports, store = _reports(config, crawler, redis_client(config))
    try:
        assert push_start(config, "news")
        reports.response()
        crawler.stats.inc_value("item_scraped_count", 5)
        server.stop()
        with caplog.at_level(logging.WARNING, logger="sadap.worker"):
            reports.closed(spider)  # stopped mid-part, Redis gone
        [line] = _outage_lines(caplog, "crawl report not sent")
        assert "this worker's 5 items, 0 new and 0 errors are missing from round" in line
    finally:
        store.close()


# -- a whole worker through a stall -----------------------------------------------------------------
def _wait_for(path: Path, text: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if text in path.read_text(errors="replace"):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not seen in {timeout} s:\n{path.read_text(errors='replace')[-3000:]}")


@pytest.mark.slow
def test_a_worker_notices_a_stalled_redis_in_seconds_and_finishes_the_round_after_it(tmp_path, server):
    pages = 40
    with ThaiNewsSite(pages) as site:
        config = _config(tmp_path, server.url, site.base_url)
        log = tmp_path / "w1.log"
        worker = subprocess.Popen(
            [PY, "-m", "sadap", "worker", "--config", str(tmp_path / "sadap.yaml"), "--id", "w1",
             "-s", "DOWNLOAD_DELAY=0.2", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"],
            cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(log, "Spider opened", 120)
            assert push_start(config, "news")
            deadline = time.monotonic() + 60
            while site.requests < 8 and time.monotonic() < deadline:
                time.sleep(0.1)
            server.pause()
            noticed = _wait_for(log, "Redis unreachable", 30)
            time.sleep(8)  # a longer stall: still one line
            server.resume()
            _wait_for(log, "Redis answers again", 30)

            def report() -> tuple[int, int] | None:
                with open_store(config) as store:
                    got = load_reports(store).get("news")
                return (got["items"], got["new"]) if got else None

            deadline = time.monotonic() + 120
            while (report() or (0, 0))[0] < pages - 1 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(3)  # a page more, if Redis kept them all
            worker.send_signal(signal.SIGINT)
            assert worker.wait(60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
    text = log.read_text(errors="replace")
    assert noticed < ANSWER_WITHIN_S + 5, noticed  # was a minute or more (30 s timeout, tried again)
    assert text.count("Redis unreachable") == 1 and "no answer within 5 s" in text
    assert "Traceback" not in text, text[-3000:]
    downloaded = {path for path, _ in site.served if path.startswith("/news/")}
    with open_store(config) as store:
        stored = store.search(MentionFilter(), limit=pages + 10)
    # The round went on after the stall, and its report counts every page crawled and stored. The
    # page being taken from the queue as Redis stalled may be lost to the round: Redis hands it out
    # when it wakes, to a worker that stopped waiting (one only: later tries are a PING).
    assert len(downloaded) >= pages - 1 and len(stored) == len(downloaded)
    assert report() == (len(downloaded), len(downloaded))


# -- a stalled Redis: the crawl state, and the budgets of several workers ---------------------------
def test_the_crawl_state_through_a_stall_is_one_wait_for_it_and_its_budgets(tmp_path, server, caplog):
    """Each call of the state to a stalled Redis (its read, its sync at each idle tick, its save)
    waited the whole answer timeout and raised; now the state and its budgets share one outage: one
    wait and one line, the changes shared when Redis is back."""
    config = _config(tmp_path, server.url)
    state = _state(config)
    state.data["topics"] = {"43000001": {"title": "น้ำท่วมเชียงใหม่", "page": 1}}
    state.sync()
    server.pause()
    try:
        with caplog.at_level(logging.INFO, logger="crawlers.counters"):
            started = time.monotonic()
            state.data["topics"]["43000002"] = {"title": "ค่าไฟแพง", "page": 2}
            state.sync()  # the one wait
            for _ in range(5):
                state.sync()  # the idle ticks of the outage
            assert state.spend("quota", "2026-12-07", 1, 10) == (True, 1)
            state.save()
            waited = time.monotonic() - started
            late = RedisState.from_settings(  # a spider opened during the stall: its state is one wait too
                Settings({**scrapy_settings(config, "news"), "SADAP_REDIS_RETRY": 0.5}), key(config, "news", "state"))
            assert late.data == {}
    finally:
        server.resume()
    assert ANSWER_WITHIN_S - 0.5 < waited < ANSWER_WITHIN_S + 1, waited
    assert len(_outage_lines(caplog, "Redis unreachable (")) == 2  # the two states, one line each
    assert len(_outage_lines(caplog, "crawl state not saved, Redis unreachable")) == 1
    time.sleep(0.7)  # SADAP_REDIS_RETRY
    with caplog.at_level(logging.INFO, logger="crawlers.counters"):
        state.sync()
    shared = json.loads(server.client().get(key(config, "news", "state")))
    assert set(shared["topics"]) == {"43000001", "43000002"}
    assert int(server.client().get(key(config, "news", "counter", "quota", "2026-12-07"))) == 1
    [back] = _outage_lines(caplog, "Redis answers again")
    assert "1 units counted by this worker meanwhile are added" in back


def test_during_a_stall_each_worker_spends_at_most_its_share_of_what_was_left(tmp_path, server):
    """Two workers spend from one budget; during a stall each counted on alone up to the whole budget
    (together twice what was left). Now each takes at most half of it: together they stay within it."""
    config = _config(tmp_path, server.url)
    first, second = _state(config), _state(config)
    day, limit = "2026-12-07", 100
    assert first.spend("quota", day, 10, limit) == (True, 10)
    assert second.spend("quota", day, 10, limit) == (True, 20)
    assert first.spend("quota", day, 1, limit) == (True, 21)
    assert first.budgets.workers == 2 and second.budgets.workers == 2
    server.pause()
    try:
        spent = {name: sum(state.spend("quota", day, 1, limit)[0] for _ in range(100))
                 for name, state in (("first", first), ("second", second))}
    finally:
        server.resume()
    # first last read 21, second 20: (100 - 21) // 2 and (100 - 20) // 2 (before: 79 and 80).
    assert spent == {"first": 39, "second": 40}
    time.sleep(0.7)
    for state in (first, second):
        state.sync()
    assert int(server.client().get(key(config, "news", "counter", "quota", day))) == 21 + 39 + 40 <= limit
