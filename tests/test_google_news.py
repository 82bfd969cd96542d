"""The Google News spider against a local server answering Google News RSS in its shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sadap.app.sources import source_config
from tests.fake_http import Answer, Call, FakeServer
from tests.test_pantip import FAST, ROOT
from tests.test_sitemap import NEW_ARTICLE

FEED = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel><generator>NFE/5.0</generator>
<title>"แสงทอง" - Google News</title><link>https://news.google.com/search?q=%22แสงทอง%22&amp;hl=th&amp;gl=TH&amp;ceid=TH:th</link>
<language>th</language><description>Google News</description>
<item><title>ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่ - ข่าวสด</title><link>{base}/rss/articles/CBMiAAA?oc=5</link>
<guid isPermaLink="false">CBMiAAA</guid><pubDate>Fri, 20 Nov 2026 03:15:00 GMT</pubDate>
<description>&lt;a href="{base}/rss/articles/CBMiAAA?oc=5" target="_blank"&gt;ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;ข่าวสด&lt;/font&gt;</description>
<source url="https://www.khaosod.co.th">ข่าวสด</source></item>
<item><title>แอปแสงทองล่ม ลูกค้าโอนเงินไม่ได้ทั้งเช้า - ไทยรัฐ</title><link>{base}/rss/articles/CBMiBBB?oc=5</link>
<guid isPermaLink="false">CBMiBBB</guid><pubDate>Fri, 20 Nov 2026 01:02:00 GMT</pubDate>
<description>&lt;a href="{base}/rss/articles/CBMiBBB?oc=5"&gt;แอปแสงทองล่ม ลูกค้าโอนเงินไม่ได้ทั้งเช้า&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;ไทยรัฐ&lt;/font&gt;</description>
<source url="https://www.thairath.co.th">ไทยรัฐ</source></item>
<item><title>ลิงก์แปลก - เว็บแปลก</title><link>javascript:alert(1)</link><guid isPermaLink="false">CBMiCCC</guid>
<pubDate>Fri, 20 Nov 2026 00:00:00 GMT</pubDate><source url="javascript:alert(2)">เว็บแปลก</source></item>
</channel></rss>"""


def site(call: Call) -> Answer:
    base = "http://" + call.headers["host"]
    if call.path.startswith("/rss/search"):
        if call.query.get("q") == "ล่ม":
            return Answer(503, "<html><body>Service Unavailable</body></html>")
        return Answer(200, FEED.format(base=base), "application/xml; charset=utf-8")
    if call.path.startswith("/rss/articles/CBMiAAA"):
        return Answer(302, b"", headers={"Location": base + "/news/branch.html"})
    if call.path == "/news/branch.html":
        return Answer(200, NEW_ARTICLE)
    if call.path.startswith("/rss/articles/CBMiBBB"):
        return Answer(404, "<html><body>ไม่พบ</body></html>")
    return Answer(404, "")


def run(out: Path, **args: str) -> tuple[list[dict[str, Any]], str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "google_news", "-O", str(out), *FAST]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], done.stderr


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("gnews")
    with FakeServer(site) as server:
        plain = run(tmp / "plain.jsonl", query='"แสงทอง"', base_url=server.url, source="gnews")
        followed = run(tmp / "followed.jsonl", query='"แสงทอง"', base_url=server.url, source="gnews",
                       follow_articles="true")
        failing = run(tmp / "failing.jsonl", query="ล่ม", base_url=server.url, source="gnews")
        refused = run(tmp / "refused.jsonl", query="ล่ม", base_url=server.url, source="gnews",
                      url=server.url + "/rss/missing.xml")
        yield {"plain": plain, "followed": followed, "failing": failing, "refused": refused, "calls": list(server.calls)}


def test_items_keep_headline_publisher_and_time(crawls):
    items, _ = crawls["plain"]
    assert len(items) == 3
    first = items[0]
    assert first["title"] == "ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่"  # " - ข่าวสด" removed
    assert first["author"] == "ข่าวสด"
    assert first["extras"]["publisher"] == "ข่าวสด" and first["extras"]["publisher_url"] == "https://www.khaosod.co.th"
    assert first["published_at"] == "2026-11-20T03:15:00+00:00"
    assert first["native_id"] == "CBMiAAA" and first["text"].startswith("ธนาคารแสงทองเปิดสาขาใหม่")


def test_thai_edition_query_string(crawls):
    search = next(c for c in crawls["calls"] if c.path.startswith("/rss/search"))
    assert search.query == {"q": '"แสงทอง"', "hl": "th", "gl": "TH", "ceid": "TH:th"}


def test_links_that_are_not_http_are_not_stored(crawls):
    items, log = crawls["plain"]
    odd = next(i for i in items if i["native_id"] == "CBMiCCC")
    assert odd.get("url") is None and "publisher_url" not in odd["extras"]
    assert "'sadap/skipped/not_http': 1" in log


def test_followed_articles_bring_their_text_and_keep_the_feed_time(crawls):
    items, _ = crawls["followed"]
    branch = next(i for i in items if i["native_id"] == "CBMiAAA")
    assert branch["url"].endswith("/news/branch.html")
    assert "ผู้จัดการสาขากล่าวว่า" in branch["text"]
    assert branch["published_at"] == "2026-11-20T03:15:00+00:00"
    assert branch["extras"]["publisher"] == "ข่าวสด"
    # an article that cannot be read (404) keeps the feed's headline
    down = next(i for i in items if i["native_id"] == "CBMiBBB")
    assert down["title"] == "แอปแสงทองล่ม ลูกค้าโอนเงินไม่ได้ทั้งเช้า" and down["extras"]["publisher"] == "ไทยรัฐ"
    assert len(items) == 3


def test_a_refused_feed_is_one_error_line(crawls):
    items, log = crawls["failing"]
    assert items == []
    errors = [line for line in log.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and "503" in errors[0]
    assert "'sadap/feed_errors': 1" in log


def test_a_missing_feed_is_one_error_line_of_ours(crawls):
    items, log = crawls["refused"]
    errors = [line for line in log.splitlines() if " ERROR: " in line]
    assert items == [] and len(errors) == 1 and "not a Google News RSS feed (HTTP 404)" in errors[0]


def test_options():
    options = source_config(name="gnews", kind="google_news", query="แสงทอง when:1d")
    assert options.spider_arguments()["hl"] == "th" and options.spider_arguments()["ceid"] == "TH:th"
    with pytest.raises(ValueError, match="search for"):
        source_config(name="gnews", kind="google_news", query="  ")
