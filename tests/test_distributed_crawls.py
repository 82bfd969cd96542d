"""Several machines, per spider: what two workers on one shared queue must not do twice. YouTube's
daily quota is one budget for the fleet (a counter in Redis), and a sitemap index is shared out
child by child and page by page, each page stored once. Real `sadap worker` processes, a real
redis-server, local servers answering in the YouTube Data API's documented shapes and a local
news site with a sitemap index."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawlers.state import RedisState, SourceState
from sadap.app.config import load_config_file
from sadap.app.distributed import push_start
from sadap.core.timeutil import now_utc
from tests.fake_http import Call, FakeServer, json_answer
from tests.redis_support import redis_server, redis_url  # noqa: F401 (fixtures)
from tests.test_platforms import SAYINGS, FakeYoutube, yt_error
from tests.thai_site import SITEMAP_TITLE, ThaiNewsSite, article

PY = sys.executable
KEY = "good-yt-key"


# -- budgets shared through Redis (unit level) ----------------------------------------------------
def test_a_budget_in_redis_adds_up_every_workers_spending(redis_url):  # noqa: F811
    import redis

    client = redis.Redis.from_url(redis_url)
    first, second = RedisState(client, "sadap:yt:state"), RedisState(client, "sadap:yt:state")
    spent = [state.spend("quota", "2026-12-06", 3, 10) for state in (first, second, first, second)]
    assert spent == [(True, 3), (True, 6), (True, 9), (False, 9)]  # the fourth would pass 10: refused
    assert second.spend("quota", "2026-12-06", 1, 10) == (True, 10)
    assert first.spend("quota", "2026-12-07", 3, 10) == (True, 3)  # a new day starts from zero
    assert int(client.get("sadap:yt:state:counter:quota:2026-12-06")) == 10
    assert 0 < client.ttl("sadap:yt:state:counter:quota:2026-12-06") <= 3 * 24 * 3600
    # The count never goes into the merged JSON state (where workers' values would overwrite each other).
    first.sync()
    second.sync()
    assert "quota" not in json.loads(client.get("sadap:yt:state") or b"{}")
    assert first.take_up_to("pages:r1", 7, 10) == 7 and second.take_up_to("pages:r1", 7, 10) == 3
    assert first.take_up_to("pages:r1", 1, 10) == 0


def test_a_days_count_from_one_machine_carries_on_in_redis(redis_url, tmp_path):  # noqa: F811
    import redis

    on_disk = SourceState.for_source(tmp_path, "youtube", "yt")
    assert on_disk.spend("quota", "2026-12-06", 100, 150) == (True, 100)  # a crawl on one machine today
    on_disk.save()
    client = redis.Redis.from_url(redis_url)
    seeded = RedisState(client, "sadap:yt:state", seed=SourceState.for_source(tmp_path, "youtube", "yt"))
    assert seeded.spend("quota", "2026-12-06", 100, 150) == (False, 100)  # 100 + 100 would pass 150
    assert seeded.spend("quota", "2026-12-06", 50, 150) == (True, 150)


# -- processes ------------------------------------------------------------------------------------
def _worker(config: Path, worker_id: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "sadap", "worker", "--config", str(config), "--id", worker_id,
         "-s", "AUTOTHROTTLE_ENABLED=false", "-s", f"USER_AGENT={worker_id}", *extra],
        cwd=config.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, "YOUTUBE_API_KEY": KEY, "PYTHONUNBUFFERED": "1"},
    )


def _until(check: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _quiet(count: Any, seconds: float = 3.0, timeout: float = 120) -> None:
    """Wait until ``count()`` has not changed for ``seconds``."""
    deadline = time.monotonic() + timeout
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
    raise AssertionError("never went quiet")


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
    for worker in workers:
        worker.wait(60)


def _stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def _rows(db: Path, source: str) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return [tuple(row) for row in conn.execute(
                "SELECT url, json_extract(doc, '$.title') FROM mentions WHERE source_name = ?", (source,))]
        except sqlite3.OperationalError:
            return []


def _config(tmp: Path, redis: str, sources: str) -> Path:
    (tmp / "sadap.yaml").write_text(
        "data_dir: data\nrules: []\nnotifiers: []\nenrich: {sentiment_model: linear-v3}\n"
        f'distributed: {{redis_url: "{redis}"}}\nsources:\n{sources}',
        encoding="utf-8",
    )
    return tmp / "sadap.yaml"


# -- YouTube: one daily quota for the fleet --------------------------------------------------------
class ManyChannels(FakeYoutube):
    """Six channels of three videos, each video with ten pages of comment threads: far more than
    the budget, so the fleet must stop at it."""

    CHANNELS = [f"UCbank{c}" for c in range(6)]

    def __call__(self, call: Call) -> Any:
        if call.headers.get("x-goog-api-key") != KEY:
            return yt_error(400, "badRequest", "API key not valid. Please pass a valid API key.")
        path, q = call.path.split("?")[0], call.query
        if path.endswith("/channels"):
            return json_answer({"items": [{"id": c, "contentDetails": {"relatedPlaylists": {"uploads": "UU" + c[2:]}}}
                                          for c in q["id"].split(",")]})
        if path.endswith("/playlistItems"):
            channel = q["playlistId"][2:]
            return json_answer({"items": [
                {"snippet": {"title": f"แสงทองแนะนำแอปใหม่ ตอนที่ {v}", "description": SAYINGS[v % 4],
                             "channelTitle": "ธนาคารแสงทอง", "channelId": "UC" + channel},
                 "contentDetails": {"videoId": f"{channel}-v{v}", "videoPublishedAt": "2026-11-19T10:00:00Z"}}
                for v in range(3)]})
        if path.endswith("/commentThreads"):
            vid, page = q["videoId"], int(q.get("pageToken", "0"))
            body: dict[str, Any] = {"items": [self.thread(vid, 1000 - page * 5 - n) for n in range(5)]}
            if page < 9:
                body["nextPageToken"] = str(page + 1)
            return json_answer(body)
        return yt_error(404, "notFound", "not found")


QUOTA = 40


@pytest.fixture(scope="module")
def quota_rounds(redis_server, tmp_path_factory):  # noqa: F811
    import redis

    redis_server.client().flushall()
    tmp = tmp_path_factory.mktemp("yt-quota")
    client = redis.Redis.from_url(redis_server.url)
    with FakeServer(ManyChannels()) as server:
        config_path = _config(tmp, redis_server.url, (
            f"  - {{name: yt-bank, kind: youtube, channels: [{', '.join(ManyChannels.CHANNELS)}], max_videos: 3, "
            f'max_comment_pages: 10, daily_quota: {QUOTA}, base_url: "{server.url}/youtube/v3"}}\n'))
        config = load_config_file(config_path)
        logs = [tmp / "w1.log", tmp / "w2.log"]
        # A little delay per request, so that the round lasts long enough for both workers to take part.
        workers = [_worker(config_path, f"w{i + 1}", log, "-s", "DOWNLOAD_DELAY=0.2") for i, log in enumerate(logs)]
        try:
            _until(lambda: all(log.exists() and "Spider opened" in log.read_text(errors="replace") for log in logs),
                   "both workers to open")
            assert push_start(config, "yt-bank")
            _until(lambda: len(server.calls) >= QUOTA, "the budget's worth of calls")
            _quiet(lambda: len(server.calls))
            round1 = list(server.calls)
            counters = {k.decode(): int(client.get(k)) for k in client.scan_iter("sadap:yt-bank:counter:*")
                        if b":applied:" not in k and not k.endswith(b":workers")}
            # (each worker's note of its last call, and the set of workers that spend, crawlers/counters.py)
            server.calls.clear()
            assert push_start(config, "yt-bank")  # a second round the same day: nothing left to spend
            _until(lambda: client.llen("sadap:yt-bank:start") == 0, "a worker to take the second round")
            time.sleep(3)
            round2 = list(server.calls)
        finally:
            _stop(workers)
    yield {"round1": round1, "round2": round2, "counters": counters,
           "logs": [log.read_text(errors="replace") for log in logs]}


@pytest.mark.slow
def test_two_workers_together_stop_at_the_daily_quota(quota_rounds):
    calls = quota_rounds["round1"]
    costs = {"channels": 1, "playlistItems": 1, "commentThreads": 1, "search": 100, "comments": 1}
    spent = sum(costs[c.path.split("?")[0].rsplit("/", 1)[1]] for c in calls)
    assert spent == QUOTA, Counter(c.path.split("?")[0] for c in calls)  # the whole budget, and not one unit more
    day = now_utc().astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles")).date().isoformat()
    assert quota_rounds["counters"] == {f"sadap:yt-bank:counter:quota:{day}": QUOTA}
    shares = [_stat(log, "sadap/youtube/quota_units") for log in quota_rounds["logs"]]
    assert all(share > 0 for share in shares) and sum(shares) == QUOTA, shares  # both spent, the sum is the budget
    assert any("daily quota budget of 40 units reached (40 used)" in log for log in quota_rounds["logs"])
    assert quota_rounds["round2"] == []  # the same day, a new round asks for nothing
    assert all(KEY not in log for log in quota_rounds["logs"])


# -- a sitemap index shared out child by child ---------------------------------------------------------
PAGES, CHILDREN = 80, 8
CAPPED_PAGES, CAP = 45, 20


@pytest.fixture(scope="module")
def sitemap_round(redis_server, tmp_path_factory):  # noqa: F811
    redis_server.client().flushall()
    tmp = tmp_path_factory.mktemp("sitemap-split")
    now = now_utc()
    # Two sites: one read whole, one capped at CAP pages a round (numbered apart: different texts).
    with ThaiNewsSite(PAGES, sitemaps=CHILDREN, dated_at=now) as site, \
            ThaiNewsSite(CAPPED_PAGES, first=5000, sitemaps=3, dated_at=now) as capped:
        config_path = _config(tmp, redis_server.url, (
            f'  - {{name: news-map, kind: sitemap, url: "{site.base_url}/sitemap_index.xml", max_pages: 1000}}\n'
            f'  - {{name: capped-map, kind: sitemap, url: "{capped.base_url}/sitemap_index.xml", max_pages: {CAP}}}\n'))
        config = load_config_file(config_path)
        logs = [tmp / "w1.log", tmp / "w2.log"]
        # Idle workers look at the queue every 0.2 s (default 1 s), so that both join this short round.
        workers = [_worker(config_path, f"w{i + 1}", log, "-s", "DOWNLOAD_DELAY=0.2", "-s", "SADAP_REDIS_POLL=0.2")
                   for i, log in enumerate(logs)]
        db = config.store_path
        try:
            _until(lambda: all(log.exists() and log.read_text(errors="replace").count("Spider opened") == 2
                               for log in logs), "both workers to open both sources")
            assert push_start(config, "news-map") and push_start(config, "capped-map")
            _until(lambda: len(_rows(db, "news-map")) >= PAGES and len(_rows(db, "capped-map")) >= CAP, "both stored")
            _quiet(lambda: (site.requests, capped.requests, len(_rows(db, "news-map")), len(_rows(db, "capped-map"))))
            rows, capped_rows = _rows(db, "news-map"), _rows(db, "capped-map")
        except AssertionError as err:
            _stop(workers)
            tails = "\n".join(log.read_text(errors="replace")[-4000:] for log in logs)
            raise AssertionError(f"{err}; stored {len(_rows(db, 'news-map'))} and {len(_rows(db, 'capped-map'))}; "
                                 f"served {site.served[:8]} ...\n{tails}") from None
        finally:
            _stop(workers)
    yield {"served": site.served, "capped_served": capped.served, "rows": rows, "capped_rows": capped_rows,
           "logs": [log.read_text(errors="replace") for log in logs]}


@pytest.mark.slow
def test_two_workers_share_a_sitemap_index_and_store_each_page_once(sitemap_round):
    served = sitemap_round["served"]
    fetched = Counter(path for path, _ in served if path != "/robots.txt")
    children = [f"/sitemap-{k}.xml" for k in range(CHILDREN)]
    pages = [f"/news/{n}.html" for n in range(PAGES)]
    assert fetched == Counter(["/sitemap_index.xml", *children, *pages])  # each once, across the fleet
    by_worker = {path: agent for path, agent in served}
    assert {by_worker[child] for child in children} == {"w1", "w2"}, served  # both read children
    assert {by_worker[page] for page in pages} == {"w1", "w2"}
    rows = sitemap_round["rows"]
    assert len(rows) == PAGES and len({url for url, _ in rows}) == PAGES  # each page stored once
    # The news title of the sitemap entry, whichever worker read the sitemap and whichever the page.
    assert sorted(title for _, title in rows) == sorted(SITEMAP_TITLE + article(n)[0] for n in range(PAGES))


@pytest.mark.slow
def test_max_pages_is_one_count_for_the_whole_fleet(sitemap_round):
    pages = [path for path, _ in sitemap_round["capped_served"] if path.startswith("/news/")]
    assert len(pages) == CAP == len(set(pages)) == len(sitemap_round["capped_rows"])
    skipped = sum(_stat(log, "sadap/skipped/max_pages") for log in sitemap_round["logs"])
    assert skipped == CAPPED_PAGES - CAP



# -- Facebook: max_posts counted in the requests, not in one worker's memory ----------------------------
def test_facebook_max_posts_travels_with_the_next_page_to_whichever_worker_reads_it(monkeypatch):
    import asyncio

    from scrapy import Request
    from scrapy.http import TextResponse
    from scrapy.utils.test import get_crawler

    from crawlers import distributed as wire
    from crawlers.spiders.facebook_page import FacebookPageSpider

    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", "page-token")
    api = "https://graph.example/v21.0"

    def page(first: int, more: bool) -> TextResponse:
        posts = [{"id": f"111_{n}", "message": f"{SAYINGS[n % 4]} ({n})", "created_time": "2026-12-01T03:00:00+0000"}
                 for n in range(first, first + 3)]
        body = {"data": posts, "paging": {"next": f"{api}/sangthong/posts?after={first + 3}"} if more else {}}
        return TextResponse(f"{api}/sangthong/posts?after={first}", body=json.dumps(body).encode(),
                            request=Request(f"{api}/sangthong/posts"))

    def read(spider: FacebookPageSpider, response: TextResponse, **kwargs: Any) -> list[Any]:
        async def collect() -> list[Any]:
            return [out async for out in spider.parse(response, **kwargs)]

        return asyncio.run(collect())

    def worker() -> FacebookPageSpider:
        spider: FacebookPageSpider = FacebookPageSpider.from_crawler(
            get_crawler(FacebookPageSpider), page_id="sangthong", base_url="https://graph.example", max_posts=5)
        return spider

    first, second = worker(), worker()  # two workers: the second reads the page the first queued
    out = read(first, page(0, more=True))
    posts = [o for o in out if not isinstance(o, Request)]
    (next_page,) = [o for o in out if isinstance(o, Request) and "/posts" in o.url]
    assert len(posts) == 3 and next_page.cb_kwargs == {"seen": 3}
    queued = wire.loads(wire.dumps(next_page.to_dict(spider=first)))  # through Redis, as JSON
    out = read(second, page(3, more=True), **queued["cb_kwargs"])
    posts = [o for o in out if not isinstance(o, Request)]
    assert len(posts) == 2  # 3 + 2 = max_posts, although this worker read no page before
    assert not [o for o in out if isinstance(o, Request) and "/posts" in o.url]  # and no further page
