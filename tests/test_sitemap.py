"""The sitemap spider against a local news site: robots.txt → sitemap index → Google News
sitemap; only pages newer than the last crawl; pages read by the article extraction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sadap.app.sources import source_config
from tests.fake_http import Answer, Call, FakeServer
from tests.test_pantip import FAST  # noqa: F401  (same fast settings)
from tests.test_pantip import ROOT

import json
import subprocess
import sys

SITE = Path(__file__).parent / "data" / "site"
BANGKOK = timezone(timedelta(hours=7))
NOW = datetime.now(BANGKOK).replace(microsecond=0)

NEW_ARTICLE = """<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">
<title>ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่ | ข่าวสดไทยรายวัน</title></head><body>
<header><a href="/"><h1>ข่าวสดไทยรายวัน</h1></a></header>
<article><h2>ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่</h2>
<p>ธนาคารแสงทองเปิดสาขาใหม่ใจกลางเมืองเชียงใหม่ เพื่อรองรับลูกค้าที่เพิ่มขึ้นอย่างต่อเนื่องในภาคเหนือ
โดยสาขาใหม่เปิดให้บริการทุกวันไม่เว้นวันหยุดราชการ ตั้งแต่เวลาแปดโมงเช้าถึงหนึ่งทุ่ม</p>
<p>ผู้จัดการสาขากล่าวว่า ลูกค้าสามารถเปิดบัญชีและสมัครบริการแอปพลิเคชันได้ภายในสิบห้านาที
และมีเจ้าหน้าที่ช่วยแนะนำการใช้งานสำหรับผู้สูงอายุ</p></article></body></html>"""


class NewsSite:
    def __init__(self) -> None:
        self.news: list[tuple[str, str | None, datetime | None]] = [
            ("/news/article-1001.html", "แอปธนาคารล่มช่วงเช้า ธนาคารชี้แจงแล้ว", NOW - timedelta(hours=3)),
            ("/news/article-1002.html", "ค่าเงินบาทแข็งค่าสุดในรอบ 3 เดือน", NOW - timedelta(hours=5)),
            ("/news/article-0900.html", "ข่าวเก่าสิบวันก่อน", NOW - timedelta(days=10)),
            ("/blog/2569/review.html", None, None),  # undated: read once
            ("javascript:alert(1)", "ลิงก์อันตราย", NOW - timedelta(hours=1)),
        ]

    def newest(self) -> datetime:
        return max(when for _, _, when in self.news if when is not None)

    def urlset(self, base: str) -> str:
        rows = []
        for path, title, when in self.news:
            loc = path if path.startswith("javascript:") else base + path
            news = ""
            if title:
                news = (
                    "<news:news><news:publication><news:name>ข่าวสด</news:name><news:language>th</news:language>"
                    f"</news:publication><news:publication_date>{when.isoformat() if when else ''}"
                    f"</news:publication_date><news:title>{title}</news:title></news:news>"
                )
            rows.append(f"<url><loc>{loc}</loc>{news}</url>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(rows) + "</urlset>"
        )

    def __call__(self, call: Call) -> Answer:
        path = call.path
        base = "http://" + call.headers["host"]
        xml = "application/xml; charset=utf-8"
        if path == "/robots.txt":
            return Answer(200, "User-agent: *\nDisallow: /private/\n\nSitemap: /sitemap_index.xml\n", "text/plain")
        if path == "/sitemap_index.xml":
            return Answer(200, (
                '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/news-sitemap.xml</loc><lastmod>{self.newest().isoformat()}</lastmod></sitemap>"
                f"<sitemap><loc>{base}/archive-2020.xml</loc><lastmod>2020-01-31T00:00:00+07:00</lastmod></sitemap>"
                f"<sitemap><loc>{base}/broken.xml</loc></sitemap>"
                "</sitemapindex>"
            ), xml)
        if path == "/news-sitemap.xml":
            return Answer(200, self.urlset(base), xml)
        if path == "/broken.xml":
            return Answer(200, "<html><body>ไม่ใช่แผนผังเว็บไซต์</body></html>", "text/html")
        if path == "/news/article-2001.html":
            return Answer(200, NEW_ARTICLE)
        if path.startswith("/news/article-1"):
            return Answer(200, (SITE / "news" / "2569" / "11" / path.rsplit("/", 1)[1]).read_bytes())
        if path == "/blog/2569/review.html":
            return Answer(200, (SITE / "blog" / "2569" / "review.html").read_bytes())
        return Answer(404, "<html><body>ไม่พบ</body></html>")


def run_spider(out: Path, **args: str) -> tuple[list[dict[str, Any]], str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "sitemap", "-O", str(out), *FAST]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], done.stderr


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> Any:
    tmp = tmp_path_factory.mktemp("sitemap")
    site = NewsSite()
    with FakeServer(site) as server:
        state = str(tmp / "state")
        first, first_log = run_spider(tmp / "1.jsonl", url=server.url + "/", source="khaosod-map", state_dir=state)
        first_paths = server.paths()
        server.calls.clear()
        site.news.append(("/news/article-2001.html", "ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่", datetime.now(BANGKOK)))
        second, second_log = run_spider(tmp / "2.jsonl", url=server.url + "/", source="khaosod-map", state_dir=state)
        yield {"first": first, "first_log": first_log, "first_paths": first_paths, "second": second,
               "second_log": second_log, "second_paths": server.paths(), "url": server.url}


def test_robots_index_and_news_sitemap_lead_to_recent_articles(crawls):
    urls = sorted(item["url"].removeprefix(crawls["url"]) for item in crawls["first"])
    assert urls == ["/blog/2569/review.html", "/news/article-1001.html", "/news/article-1002.html"]
    assert "/archive-2020.xml" not in crawls["first_paths"]  # unchanged since long before
    assert "/news/article-0900.html" not in crawls["first_paths"]  # older than the first-crawl window
    assert all(not p.startswith("javascript") for p in crawls["first_paths"])
    assert "'sadap/skipped/not_http': 1" in crawls["first_log"]


def test_news_title_and_publication_date_are_used(crawls):
    item = next(i for i in crawls["first"] if i["url"].endswith("article-1001.html"))
    assert item["title"] == "แอปธนาคารล่มช่วงเช้า ธนาคารชี้แจงแล้ว"
    expected = (NOW - timedelta(hours=3)).astimezone(timezone.utc).isoformat()
    assert item["published_at"] == expected
    assert item["source_kind"] == "sitemap" and "ธนาคาร" in item["text"]
    # the undated page keeps what the article extraction found
    blog = next(i for i in crawls["first"] if i["url"].endswith("review.html"))
    assert blog["title"] and blog["text"]


def test_a_sitemap_that_is_not_one_is_one_error_line(crawls):
    lines = [line for line in crawls["first_log"].splitlines() if " ERROR: " in line]
    assert len(lines) == 1 and "broken.xml: not a sitemap" in lines[0]


def test_recrawl_reads_only_pages_newer_than_the_last_crawl(crawls):
    assert [item["url"].removeprefix(crawls["url"]) for item in crawls["second"]] == ["/news/article-2001.html"]
    assert crawls["second"][0]["title"] == "ธนาคารแสงทองเปิดสาขาใหม่ที่เชียงใหม่"
    assert "/blog/2569/review.html" not in crawls["second_paths"]
    assert "/news/article-1001.html" not in crawls["second_paths"]


def test_sitemap_options():
    options = source_config(name="map", kind="sitemap", url="https://www.khaosod.co.th/", follow="/news/")
    assert options.spider_arguments()["follow"] == "/news/"
    with pytest.raises(ValueError, match="http"):
        source_config(name="map", kind="sitemap", url="file:///etc/passwd")
