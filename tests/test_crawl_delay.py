"""robots.txt's ``Crawl-delay`` against real local sites: the requests to a site that asks for one
are spaced at least that far apart (AutoThrottle on or off), never closer than ``DOWNLOAD_DELAY``,
never further apart than ``SADAP_CRAWL_DELAY_MAX``; a site that asks nothing of our user agent keeps
the normal pace.

Each crawl runs in its own subprocess (Twisted's reactor cannot restart); they run together once per
module, each against a site of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.middlewares import CrawlDelayMiddleware
from tests.fake_http import Answer, Call, FakeServer
from tests.thai_site import index, page

ROOT = Path(__file__).resolve().parents[1]
PAGES = 4
# The delay runs from when a request leaves the crawler; it may reach the server a little later
# (the first, robots.txt, opens the connection; the machine may be busy with other tests).
SLACK = 0.1
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]

SITES: dict[str, tuple[str, list[str]]] = {
    # robots.txt, settings
    "asks_1s": ("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n", []),  # Sadap's defaults: AutoThrottle on
    "asks_1s_fast": ("User-agent: *\nCrawl-delay: 1\n", FAST),
    "below_download_delay": ("User-agent: *\nCrawl-delay: 0.2\n", ["-s", "DOWNLOAD_DELAY=0.7", "-s", "AUTOTHROTTLE_ENABLED=False"]),
    "absurd": ("User-agent: *\nCrawl-delay: 3600\n", [*FAST, "-s", "SADAP_CRAWL_DELAY_MAX=1"]),
    # A delay for another crawler only: not for us.
    "other_bot": ("User-agent: SlowBot\nCrawl-delay: 30\n\nUser-agent: *\nDisallow: /private/\n", FAST),
    "none": ("User-agent: *\nDisallow: /private/\n", FAST),
}


@dataclass
class Crawl:
    returncode: int
    stderr: str
    items: list[dict[str, object]]
    times: list[float]  # when the site was asked, robots.txt included, in order

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:], strict=False)]


def _site(robots: str, times: list[float]):  # type: ignore[no-untyped-def]
    def site(call: Call) -> Answer:
        times.append(time.monotonic())
        if call.path == "/robots.txt":
            return Answer(body=robots, content_type="text/plain")
        if call.path == "/":
            return Answer(body=index(PAGES))
        number = call.path.removeprefix("/news/").removesuffix(".html")
        if number.isdigit() and int(number) < PAGES:
            return Answer(body=page(int(number)))
        return Answer(404, "not found", "text/plain")

    return site


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Crawl]]:
    tmp = tmp_path_factory.mktemp("crawl-delay")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    times: dict[str, list[float]] = {name: [] for name in SITES}
    servers = {name: FakeServer(_site(robots, times[name])) for name, (robots, _) in SITES.items()}
    running = {}
    for name, server in servers.items():
        server.__enter__()
        command = [sys.executable, "-m", "scrapy", "crawl", "article", "-a", f"url={server.url}/",
                   "-a", r"follow=/news/\d+\.html", "-a", f"source={name}", "-O", str(tmp / f"{name}.jsonl"),
                   "-s", "DOWNLOAD_TIMEOUT=10", *SITES[name][1]]
        err = (tmp / f"{name}.stderr").open("wb")
        running[name] = (subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err), err)
    results = {}
    try:
        for name, (process, err) in running.items():
            try:
                process.wait(timeout=120)
            finally:
                err.close()
            out = tmp / f"{name}.jsonl"
            items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line] if out.exists() else []
            results[name] = Crawl(process.returncode, (tmp / f"{name}.stderr").read_text("utf-8"), items, times[name])
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
    yield results


def _whole(crawl: Crawl) -> None:
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert len(crawl.items) == PAGES
    assert len(crawl.times) == PAGES + 2  # robots.txt, the index, the articles


@pytest.mark.parametrize("name", ["asks_1s", "asks_1s_fast"])
def test_requests_to_a_site_with_crawl_delay_are_spaced_that_far(crawls: dict[str, Crawl], name: str) -> None:
    crawl = crawls[name]
    _whole(crawl)
    assert min(crawl.gaps) >= 1 - SLACK, crawl.gaps
    said = [line for line in crawl.stderr.splitlines() if "Crawl-delay" in line]
    assert len(said) == 1, said  # once for the site, at INFO
    assert "INFO: 127.0.0.1:" in said[0] and said[0].endswith("robots.txt Crawl-delay 1s: one request every 1s")


def test_a_crawl_delay_below_download_delay_keeps_download_delay(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["below_download_delay"]
    _whole(crawl)
    assert min(crawl.gaps) >= 0.7 - SLACK, crawl.gaps
    assert "robots.txt Crawl-delay 0.2s: one request every 0.7s (DOWNLOAD_DELAY)" in crawl.stderr


def test_an_absurd_crawl_delay_is_capped_with_one_warning(crawls: dict[str, Crawl]) -> None:
    crawl = crawls["absurd"]
    _whole(crawl)
    assert min(crawl.gaps) >= 1 - SLACK, crawl.gaps
    assert max(crawl.gaps) < 30, crawl.gaps  # not an hour (the first article read, its libraries loaded, takes seconds)
    said = [line for line in crawl.stderr.splitlines() if "Crawl-delay" in line]
    assert len(said) == 1 and "WARNING: 127.0.0.1:" in said[0], said
    assert said[0].endswith("robots.txt Crawl-delay 3600s is more than SADAP_CRAWL_DELAY_MAX: one request every 1s")


@pytest.mark.parametrize("name", ["none", "other_bot"])
def test_a_site_without_crawl_delay_for_us_keeps_the_normal_pace(crawls: dict[str, Crawl], name: str) -> None:
    crawl = crawls[name]
    _whole(crawl)
    assert sum(crawl.gaps) < 3, crawl.gaps  # six requests; 1s apart would be 5s
    assert "Crawl-delay" not in crawl.stderr


def test_off_when_robots_txt_is_not_obeyed() -> None:
    with pytest.raises(NotConfigured):
        CrawlDelayMiddleware.from_crawler(get_crawler(settings_dict={"ROBOTSTXT_OBEY": False}))
