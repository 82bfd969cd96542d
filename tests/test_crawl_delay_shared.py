"""robots.txt's ``Crawl-delay`` kept by several workers together through a real redis-server: two
crawler processes on one local site (which records when it is asked) send it at most one request per
delay between them, not one each; a Redis that stalls (SIGSTOP) costs one wait of its answer timeout
and one line, each worker keeping the delay on its own until Redis answers again.

Each crawl is a process of its own (tests/shared_delay_runner.py) with the Redis settings of
``sadap worker`` (``sadap.app.distributed.scrapy_settings``: 5 s answer timeout, no retry after one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sadap.app.config import load_config_file
from sadap.app.distributed import ANSWER_WITHIN_S, scrapy_settings
from tests.fake_http import Answer, Call, FakeServer
from tests.redis_support import REDIS_SERVER, RedisServer
from tests.thai_site import index, page

ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.5
# The delay runs from when the answer left the site; the next request may be recorded a little sooner
# than that by the server's clock (the answer's last bytes, the machine busy with other tests).
SLACK = 0.1
ROBOTS = f"User-agent: *\nCrawl-delay: {DELAY:g}\n"

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason=f"{REDIS_SERVER} not found")


@dataclass
class Site:
    pages: int
    asked: list[tuple[float, str, str]] = field(default_factory=list)  # (when, path, User-Agent)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, call: Call) -> Answer:
        with self.lock:
            self.asked.append((time.monotonic(), call.path, call.headers.get("user-agent", "")))
        if call.path == "/robots.txt":
            return Answer(body=ROBOTS, content_type="text/plain")
        if call.path == "/":
            return Answer(body=index(self.pages))
        number = call.path.removeprefix("/news/").removesuffix(".html")
        if number.isdigit() and int(number) < self.pages:
            return Answer(body=page(int(number)))
        return Answer(404, "not found", "text/plain")

    def paced(self) -> list[tuple[float, str, str]]:
        """Every request but robots.txt (each worker asks it once, before it knows of a delay)."""
        return sorted(entry for entry in self.asked if entry[1] != "/robots.txt")

    def gaps(self) -> list[float]:
        times = [when for when, _, _ in self.paced()]
        return [b - a for a, b in zip(times, times[1:], strict=False)]


@dataclass
class SlowRobotsSite(Site):
    """A site whose robots.txt takes a while to answer: workers that ask it at once overlap."""

    answered: list[tuple[float, float, str]] = field(default_factory=list)  # (asked, answered, path)

    def __call__(self, call: Call) -> Answer:
        asked = time.monotonic()
        if call.path == "/robots.txt":
            time.sleep(ROBOTS_S)
        answer = super().__call__(call)
        with self.lock:
            self.answered.append((asked, time.monotonic(), call.path))
        return answer

    def after_answers(self) -> list[float]:
        """For each request, how long after the answer to the one before it reached the site."""
        spans = sorted(self.answered)
        return [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]


ROBOTS_S = 1.0


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A redis-server of the test's own: the stall test pauses it."""
    found = RedisServer()
    try:
        yield found
    finally:
        found.stop()


def _config(tmp: Path, redis_url: str) -> Path:
    (tmp / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nenrich: {sentiment_model: linear-v3}\n"
        f'distributed: {{redis_url: "{redis_url}"}}\n', encoding="utf-8")
    return tmp / "sadap.yaml"


def _crawl(config: Path, url: str, worker: str, log: Path, *settings: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "tests.shared_delay_runner", str(config), url, "news",
               "DOWNLOAD_DELAY=0", "DOWNLOAD_TIMEOUT=20", f"USER_AGENT=Sadap-test/{worker}", *settings]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))


def _finish(process: subprocess.Popen[bytes], log: Path) -> str:
    try:
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text("utf-8", errors="replace")
    assert process.returncode == 0, text[-3000:]
    return text


def test_the_workers_setting_names_the_shared_delay_key(tmp_path: Path) -> None:
    config = load_config_file(_config(tmp_path, "redis://127.0.0.1:6399/0"))
    assert scrapy_settings(config, "news")["SADAP_REDIS_CRAWL_DELAY_KEY"] == "sadap:crawl-delay"


@pytest.mark.slow
def test_two_workers_together_keep_the_sites_crawl_delay(tmp_path: Path, server: RedisServer) -> None:
    site = Site(pages=6)
    config = _config(tmp_path, server.url)
    with FakeServer(site) as http:
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        crawls = [_crawl(config, f"{http.url}/", f"w{n + 1}", log) for n, log in enumerate(logs)]
        texts = [_finish(crawl, log) for crawl, log in zip(crawls, logs, strict=True)]
    paced = site.paced()
    assert len(paced) == 2 * (site.pages + 1), paced  # each crawled the whole site: the index and its pages
    by_worker = {agent: [when for when, _, a in paced if a == agent] for agent in ("Sadap-test/w1", "Sadap-test/w2")}
    # The two crawls ran at the same time (each started before the other ended): without the shared
    # delay they would have sent two requests per delay.
    assert max(min(times) for times in by_worker.values()) < min(max(times) for times in by_worker.values())
    assert min(site.gaps()) >= DELAY - SLACK, site.gaps()
    for text in texts:
        said = [line for line in text.splitlines() if "Crawl-delay" in line]
        assert len(said) == 1 and said[0].endswith(
            f"robots.txt Crawl-delay {DELAY:g}s: one request every {DELAY:g}s by all the workers together"), said
        assert "Redis unreachable" not in text


def _wait_for(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text("utf-8", errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not seen in {timeout} s:\n{log.read_text('utf-8', errors='replace')[-3000:]}")


@pytest.mark.slow
def test_a_stalled_redis_is_one_wait_and_one_line_and_the_worker_keeps_the_delay_alone(
        tmp_path: Path, server: RedisServer) -> None:
    site = Site(pages=10)
    config = _config(tmp_path, server.url)
    log = tmp_path / "w1.log"
    with FakeServer(site) as http:
        crawl = _crawl(config, f"{http.url}/", "w1", log, "SADAP_REDIS_RETRY=0.5")
        deadline = time.monotonic() + 60
        while len(site.paced()) < 4 and time.monotonic() < deadline:  # the index and pages, on shared turns
            time.sleep(0.02)
        server.pause()  # mid-crawl: Redis takes what it was sent when it wakes
        try:
            _wait_for(log, "Redis unreachable", 30)
            time.sleep(1)  # a request or two on this worker's own delay
        finally:
            server.resume()
        text = _finish(crawl, log)
    paced = site.paced()
    assert sorted(path for _, path, _ in paced) == sorted(["/", *(f"/news/{n}.html" for n in range(site.pages))])
    assert min(site.gaps()) >= DELAY - SLACK, site.gaps()
    [out] = [line for line in text.splitlines() if "Redis unreachable" in line]
    assert f"no answer within {ANSWER_WITHIN_S:g} s" in out and "keeps robots.txt's Crawl-delay on its own" in out
    assert len([line for line in text.splitlines() if "Redis answers again" in line]) == 1
    # One wait for the answer timeout in all, not one per request (5 s each), and no wait after Redis woke
    # for the turn it then took for a request that had gone on without it (held for DOWNLOAD_TIMEOUT, 20 s).
    robots = min(when for when, path, _ in site.asked if path == "/robots.txt")
    spent = paced[-1][0] - robots
    assert spent < ANSWER_WITHIN_S + (site.pages + 1) * DELAY + 4, (spent, site.gaps())
    assert "Traceback" not in text, text[-3000:]


@pytest.mark.slow
def test_three_workers_starting_on_a_site_ask_its_robots_txt_one_turn_at_a_time(tmp_path: Path,
                                                                                  server: RedisServer) -> None:
    """robots.txt was outside the shared turns: three workers starting on a site asked it at once."""
    site = SlowRobotsSite(pages=2)
    config = _config(tmp_path, server.url)
    with FakeServer(site) as http:
        logs = [tmp_path / f"w{n}.log" for n in (1, 2, 3)]
        crawls = [_crawl(config, f"{http.url}/", f"w{n + 1}", log) for n, log in enumerate(logs)]
        for crawl, log in zip(crawls, logs, strict=True):
            _finish(crawl, log)
    assert [path for _, _, path in site.answered].count("/robots.txt") == 3
    # Every request, robots.txt included, reached the site at least the delay after the answer to the one before.
    assert min(site.after_answers()) >= DELAY - SLACK, sorted(site.answered)


@pytest.mark.slow
def test_during_a_stall_two_workers_together_keep_about_one_request_per_delay(tmp_path: Path,
                                                                               server: RedisServer) -> None:
    """Each worker kept the delay alone during an outage: two workers, two requests per delay. Now each
    keeps the delay times the workers Redis last saw on the site."""
    site = Site(pages=24)
    config = _config(tmp_path, server.url)
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    with FakeServer(site) as http:
        crawls = [_crawl(config, f"{http.url}/", f"w{n + 1}", log, "SADAP_REDIS_RETRY=0.5")
                  for n, log in enumerate(logs)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
                sum(agent == f"Sadap-test/w{n}" for _, path, agent in site.paced()) >= 2 for n in (1, 2)):
            time.sleep(0.02)  # both on the site, on shared turns
        server.pause()
        try:
            for log in logs:
                _wait_for(log, "Redis unreachable", 30)
            start = time.monotonic()
            time.sleep(OUTAGE_S)
            end = time.monotonic()
        finally:
            server.resume()
        texts = [_finish(crawl, log) for crawl, log in zip(crawls, logs, strict=True)]
    during = [when for when, _, _ in site.paced() if start <= when <= end]
    # Alone, each would send OUTAGE_S / DELAY (8); two workers 16. Together now about 8.
    assert len(during) <= OUTAGE_S / DELAY + 2, (len(during), site.gaps())
    for text in texts:
        assert "times the number of workers last seen on the site" in text
        assert len([line for line in text.splitlines() if "Redis answers again" in line]) == 1


OUTAGE_S = 4.0
