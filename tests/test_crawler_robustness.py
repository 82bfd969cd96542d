"""One bad value in a page, feed or API answer costs that value, never the rest of the crawl (found
by a review of the spiders): a link that is not a URL at all (``http://[broken/``), a time in epoch
milliseconds, a number where text was expected, a ``javascript:`` next-page link or redirect; and
ISO-like dates with a zone name or AM/PM are read in that zone, not as Bangkok time."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.middlewares import RedirectLoopMiddleware
from crawlers.newspage import read_news_page
from crawlers.spiders.base import epoch_time, html_to_text
from crawlers.spiders.forum import ForumSpider
from crawlers.spiders.pantip import PantipSpider
from crawlers.spiders.sitemap import NewsSitemapSpider
from sadap.core.errors import InputError
from sadap.core.thaidate import parse_thai_datetime

UTC = timezone.utc
BROKEN = "http://[broken/a/2"  # urlsplit raises ValueError ("Invalid IPv6 URL")


def _spider(cls: Any, **kwargs: Any) -> Any:
    return cls.from_crawler(get_crawler(cls), **kwargs)


def _all(results: Any) -> list[Any]:
    if hasattr(results, "__aiter__"):
        async def collect() -> list[Any]:
            return [x async for x in results]
        return asyncio.run(collect())
    return list(results or [])


def _stat(spider: Any, name: str) -> int:
    return spider.crawler.stats.get_value(f"sadap/{name}", 0)


def test_a_sitemap_entry_that_is_not_a_url_skips_that_entry_only():
    spider = _spider(NewsSitemapSpider, url="https://news.example/sitemap.xml")
    body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{loc}</loc><lastmod>2099-01-01T00:00:00+07:00</lastmod></url>"
                      for loc in ("https://news.example/a/1", BROKEN, "https://news.example/a/3")) + "</urlset>")
    request = Request("https://news.example/sitemap.xml",
                      meta={"sadap_round": "2026-01-01T00:00:00+00:00", "sadap_since": "2026-01-01T00:00:00+00:00"})
    found = _all(spider._parse_sitemap(XmlResponse(request.url, body=body.encode(), request=request)))
    assert [r.url for r in found] == ["https://news.example/a/1", "https://news.example/a/3"]
    assert _stat(spider, "skipped/not_http") == 1


def test_a_broken_link_on_a_news_page_does_not_lose_the_article():
    page = ("<html><head><title>ธนาคารแสงทองแอปล่มทั้งวัน</title>"
            '<meta property="article:published_time" content="2026-11-21T09:30:00+07:00"></head><body><article>'
            "<h1>ธนาคารแสงทองแอปล่มทั้งวัน</h1><p>ลูกค้าธนาคารแสงทองจำนวนมากเข้าแอปไม่ได้ตั้งแต่เช้า "
            "โอนเงินไม่ได้ จ่ายบิลไม่ได้ ธนาคารชี้แจงว่ากำลังเร่งแก้ไขระบบ</p>"
            f'<div><a href="{BROKEN}">ลิงก์เสีย</a> <a href="https://facebook.com/x">fb</a></div>'
            "</article></body></html>")
    article = read_news_page(page, "https://news.example/a/1")
    assert article.kind == "article" and "เข้าแอปไม่ได้" in article.text


def test_a_link_that_is_not_a_url_is_refused_and_the_list_goes_on():
    spider = _spider(ForumSpider, url="https://forum.example/threads.json")
    response = TextResponse("https://forum.example/threads.json", body=b"[]")
    followed = [spider.follow_url(response, link) for link in ("/t/1.json", BROKEN, "file:///etc/passwd", "/t/3.json")]
    assert [r.url if r else None for r in followed] == ["https://forum.example/t/1.json", None, None,
                                                       "https://forum.example/t/3.json"]
    assert _stat(spider, "skipped/unsafe_url") == 2


def test_epoch_milliseconds_and_out_of_range_epochs():
    assert epoch_time(1732170600) == epoch_time(1732170600000) == datetime(2024, 11, 21, 6, 30, tzinfo=UTC)
    assert epoch_time("1732170600000") == datetime(2024, 11, 21, 6, 30, tzinfo=UTC)
    with pytest.raises(InputError, match="out of range"):
        epoch_time(10**17)


def test_a_forum_thread_with_an_odd_time_or_a_number_for_text_keeps_every_post():
    spider = _spider(ForumSpider, url="https://forum.example/threads.json")
    thread = {"id": 7, "title": "แอปล่ม", "body": "แอปแสงทองล่มอีกแล้ว", "created_at": 1732170600000,
              "comments": [{"id": 1, "text": 555, "created_at": 10**17},
                           {"id": 2, "text": "ใช่ ล่มเหมือนกันครับ", "created_at": "2026-11-21T09:30:00+07:00"}]}
    request = Request("https://forum.example/t/7.json")
    items = [dict(x) for x in _all(spider.parse_thread(TextResponse(request.url, body=json.dumps(thread).encode(),
                                                                    request=request), listed={}))]
    assert [i["native_id"] for i in items] == ["7", "7#1", "7#2"]
    assert items[0]["published_at"] == "2024-11-21T06:30:00+00:00"  # milliseconds read as such
    assert items[1]["text"] == "555" and items[1]["published_at"] is None  # kept, without a time
    assert _stat(spider, "bad_dates") == 1


def test_a_pantip_comment_in_milliseconds_does_not_stop_the_topic():
    spider = _spider(PantipSpider, topics="43120001")
    comments = [{"comment_no": n, "message": f"ความเห็นที่ {n} แอปล่มอีกแล้ว", "created_time": 1732170600}
                for n in range(1, 101)]
    comments[1]["created_time"] = 1732170600000
    request = Request("https://pantip.com/forum/topic/render_comments?tid=43120001&param=page1&type=3")
    out = _all(spider.parse_comments(TextResponse(request.url, body=json.dumps({"count": 150, "comments": comments}).encode(),
                                                  request=request), tid="43120001", title="แอปล่ม", page=1))
    items = [dict(x) for x in out if not isinstance(x, Request)]
    assert len(items) == 100 and items[1]["published_at"] == "2024-11-21T06:30:00+00:00"
    assert any(isinstance(x, Request) and "page2" in x.url for x in out)  # page 2 is still asked for


def test_a_javascript_next_page_link_on_pantip_is_refused_not_a_crash():
    spider = _spider(PantipSpider, rooms="sinthorn")
    html = ('<div class="post-item-title"><a href="/topic/43120001">ก</a></div>'
            '<div class="post-item-title"><a href="/topic/43120002">ข</a></div>'
            '<a rel="next" href="javascript:void(0)">ถัดไป</a>').encode()
    request = Request("https://pantip.com/forum/sinthorn")
    found = _all(spider.parse(HtmlResponse(request.url, body=html, request=request), left=30))
    assert [r.url for r in found] == ["https://pantip.com/topic/43120001", "https://pantip.com/topic/43120002"]
    assert _stat(spider, "skipped/unsafe_url") == 1


@pytest.mark.parametrize("location", ["javascript:alert(1)", "file:///etc/passwd", "http://[broken/"])
def test_a_redirect_to_something_not_http_is_one_counted_line(location):
    spider = _spider(ForumSpider, url="https://forum.example/threads.json")
    crawler = spider.crawler
    crawler.spider = spider
    middleware = RedirectLoopMiddleware(crawler)
    request = Request("https://forum.example/t/1.json")
    response = Response(request.url, status=302, headers={"Location": location}, request=request)
    with pytest.raises(IgnoreRequest, match="not http"):
        middleware.process_response(request, response)
    assert crawler.stats.get_value("sadap/skipped/unsafe_url") == 1
    fine = Response(request.url, status=302, headers={"Location": "/t/2.json"}, request=request)
    assert middleware.process_response(request, fine) is fine  # left to Scrapy's redirect


def test_html_to_text_reads_a_number_as_its_text():
    assert html_to_text(2569) == "2569" and html_to_text("<p>แอป<br>ล่ม</p>") == "แอป\nล่ม"


@pytest.mark.parametrize("text, expected", [
    ("2026-11-21 09:30:00 UTC", datetime(2026, 11, 21, 9, 30, tzinfo=UTC)),
    ("2026-11-21 09:30 GMT+9", datetime(2026, 11, 21, 0, 30, tzinfo=UTC)),
    ("2026-11-21 09:30 PM", datetime(2026, 11, 21, 14, 30, tzinfo=UTC)),  # Bangkok, 12 hours on
    ("2026-11-21 12:05 AM", datetime(2026, 11, 20, 17, 5, tzinfo=UTC)),
    ("2569-11-21 09:30 ICT", datetime(2026, 11, 21, 2, 30, tzinfo=UTC)),
    ("2026-11-21T09:30:00+07:00", datetime(2026, 11, 21, 2, 30, tzinfo=UTC)),
    ("2026-11-21 09:30", datetime(2026, 11, 21, 2, 30, tzinfo=UTC)),  # no zone: Bangkok
])
def test_iso_like_dates_with_a_zone_name_or_am_pm(text, expected):
    assert parse_thai_datetime(text) == expected


def test_am_pm_with_an_impossible_hour_is_one_line():
    with pytest.raises(InputError, match="hour 13 with PM"):
        parse_thai_datetime("2026-11-21 13:30 PM")
