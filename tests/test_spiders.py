"""The spiders against saved Thai pages served over real HTTP, and the item pipelines.

Twisted's reactor cannot restart inside one pytest process, so each crawl runs in its
own ``python -m scrapy crawl`` subprocess; they all start together once per module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from crawlers.items import MentionItem
from crawlers.pipelines import DuplicatesPipeline, SadapIngestPipeline, ValidatePipeline
from sadap.app.config import Config
from sadap.app.sources import source_config
from sadap.core.errors import ConfigError
from sadap.core.mention import RawMention

ROOT = Path(__file__).resolve().parents[1]

# Fast and bounded for tests; everything else comes from crawlers.settings.
FAST = [
    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_TIMES=0",
]

BOILERPLATE = [
    "กรุณาเข้าสู่ระบบ",  # comment box (the article itself mentions logging in)
    "สมัครสมาชิก",
    "ข่าวด่วน",  # ticker
    "หน้าแรก",  # nav / breadcrumb
    "ข่าวยอดนิยม",  # sidebar
    "ดาราดังประกาศแต่งงาน",
    "พื้นที่โฆษณา",
    "รับข่าวสารทุกเช้า",
    "สงวนลิขสิทธิ์",  # footer
    "ถนนวิภาวดีรังสิต",
    "คุกกี้",  # cookie banner
    "แชร์:",  # share bar
    "อ่าน 12,345 ครั้ง",
    "ข่าวที่เกี่ยวข้อง",  # related
    "แสดงความคิดเห็น",
    "dataLayer",  # scripts
]

# A stand-in for sadap.app.ingest (the lead's module) that records what it is handed.
FAKE_INGEST_RUN = r'''
import json, sys, types
handed = []
class Result:
    def __init__(self, n):
        self.read, self.stored, self.duplicates, self.near_duplicates, self.alerts = n, n - 1, 1, 0, ["alert"]
class IngestPipeline:
    def __init__(self, config):
        assert type(config).__name__ == "Config", config
    def process(self, raws):
        handed.append([[type(r).__name__, r.source_name, r.native_id or r.url] for r in raws])
        return Result(len(raws))
    def close(self):
        handed.append("closed")
from sadap.app.config import Config
from sadap.app.sources import source_config
from sadap.app.crawl import crawl

base = sys.argv[1]
sources = [
    source_config(name="news", kind="rss", url=base + "/news/rss.xml"),
    source_config(name="old-feed", kind="rss", url=base + "/news/old-feed.html"),
    source_config(name="khaosod", kind="article", url=base + "/news/index.html", follow=r"article-\d+\.html"),
    source_config(name="webboard", kind="forum", url=base + "/forum/threads.json"),
]
factory = lambda settings: IngestPipeline(settings["SADAP_CONFIG"])
config = Config(data_dir=sys.argv[2])
stats = crawl(config, sources, settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "SADAP_INGEST_FACTORY": factory})
try:
    crawl(Config(), sources)
    again = "ran twice"
except RuntimeError as err:
    again = str(err)
print(json.dumps({"stats": stats, "handed": handed, "again": again}, ensure_ascii=False))
'''


@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    items: list[dict[str, Any]]

    def stat(self, name: str) -> int:
        match = re.search(rf"'{re.escape(name)}': (\d+)", self.stderr)
        return int(match.group(1)) if match else 0

    def lines(self, needle: str) -> list[str]:
        return [line for line in self.stderr.splitlines() if needle in line]

    def by_id(self, native_id: str) -> dict[str, Any]:
        found = [item for item in self.items if item.get("native_id") == native_id]
        assert len(found) == 1, (native_id, self.items)
        return found[0]

    def by_url(self, fragment: str) -> dict[str, Any]:
        found = [item for item in self.items if fragment in (item.get("url") or "")]
        assert len(found) == 1, (fragment, self.items)
        return found[0]


def _spider(name: str, out: Path, **args: str) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", name]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    return command + ["-O", str(out), *FAST]


@pytest.fixture(scope="module")
def crawls(site_server, tmp_path_factory) -> dict[str, Crawl]:
    tmp = tmp_path_factory.mktemp("crawls")
    url = site_server.url
    script = tmp / "run_crawl.py"
    script.write_text(FAKE_INGEST_RUN, encoding="utf-8")
    commands = {
        "rss": _spider("rss", tmp / "rss.jsonl", url=url("news/rss.xml"), source="test-news"),
        "atom": _spider("rss", tmp / "atom.jsonl", url=url("news/atom.xml"), source="money-blog"),
        "not_a_feed": _spider("rss", tmp / "not_a_feed.jsonl", url=url("news/old-feed.html"), source="old-feed"),
        "index": _spider(
            "article", tmp / "index.jsonl", url=url("news/index.html"), follow=r"article-\d+\.html", source="khaosod"
        ),
        "single": _spider("article", tmp / "single.jsonl", url=url("blog/2569/review.html"), source="car-blog"),
        "forum": _spider("forum", tmp / "forum.jsonl", url=url("forum/threads.json"), source="test-forum"),
        "no_url": _spider("rss", tmp / "no_url.jsonl"),
        "run": [sys.executable, str(script), site_server.base_url, str(tmp / "run-data")],
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    running = {}
    for name, command in commands.items():
        out, err = (tmp / f"{name}.stdout").open("wb"), (tmp / f"{name}.stderr").open("wb")
        running[name] = (subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err), out, err)
    results = {}
    for name, (process, out, err) in running.items():
        try:
            process.wait(timeout=120)
        finally:
            out.close()
            err.close()
        feed = tmp / f"{name}.jsonl"
        items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line] if feed.exists() else []
        results[name] = Crawl(
            process.returncode,
            (tmp / f"{name}.stdout").read_text("utf-8"),
            (tmp / f"{name}.stderr").read_text("utf-8"),
            items,
        )
    return results


# -- RSS and Atom --------------------------------------------------------------------


def test_rss_entries_become_thai_mentions(crawls):
    crawl = crawls["rss"]
    assert crawl.returncode == 0, crawl.stderr
    assert [item["native_id"] for item in crawl.items] == ["khaosod-1001", "khaosod-1002", "khaosod-1004"]
    assert {item["source_kind"] for item in crawl.items} == {"rss"}
    assert {item["source_name"] for item in crawl.items} == {"test-news"}

    bank = crawl.by_id("khaosod-1001")
    assert bank["title"] == "ธนาคารสยามพาณิชย์ชี้แจงกรณีแอปพลิเคชันล่มช่วงเช้า"
    assert bank["author"] == "สมชาย ใจดี"
    assert bank["url"].startswith("https://www.khaosod-daily.example/news/2569/11/article-1001.html")
    # content:encoded is preferred to the shorter description; HTML and scripts are gone.
    assert bank["text"].startswith("เมื่อเวลา 07.15 น. วันที่ 21 พ.ย. ลูกค้าจำนวนมากไม่สามารถโอนเงินผ่านแอปพลิเคชัน")
    assert "ขออภัยในความไม่สะดวก" in bank["text"]
    assert "<" not in bank["text"] and "trackView" not in bank["text"]
    assert bank["extras"] == {"feed_title": "ข่าวสดไทยรายวัน - ข่าวเศรษฐกิจ", "tags": ["เศรษฐกิจ", "ธนาคาร"]}


def test_rss_dates_in_utc(crawls):
    crawl = crawls["rss"]
    # RFC 822 with +0700.
    assert crawl.by_id("khaosod-1001")["published_at"] == "2026-11-21T02:30:00+00:00"
    # "วันศุกร์ที่ 20 พฤศจิกายน 2569 เวลา 18.45 น." in pubDate: Bangkok time, Buddhist era.
    assert crawl.by_id("khaosod-1002")["published_at"] == "2026-11-20T11:45:00+00:00"
    # "๑๙ พ.ย. ๖๙ ๑๖:๓๐ น.": Thai digits and a two-digit Buddhist-era year.
    assert crawl.by_id("khaosod-1004")["published_at"] == "2026-11-19T09:30:00+00:00"


def test_rss_escaped_html_and_entities(crawls):
    stocks = crawls["rss"].by_id("khaosod-1004")
    assert stocks["title"] == "ตลาดหลักทรัพย์ปิดบวก & นักลงทุนต่างชาติซื้อสุทธิ"
    assert stocks["text"] == "ดัชนีปิดที่ 1,402.15 จุด เพิ่มขึ้น 8.20 จุด"
    assert stocks["author"] is None


def test_rss_repeated_and_empty_entries_are_dropped_with_one_line_each(crawls):
    crawl = crawls["rss"]
    repeated = crawl.lines("already seen in this crawl")
    assert len(repeated) == 1 and "khaosod-1001" in repeated[0]
    empty = crawl.lines("text: empty")
    assert len(empty) == 1 and "gallery/2569/11/777.html" in empty[0]
    # The reason only, not a dump of the dropped item.
    assert "ภาพข่าว" not in crawl.stderr
    assert crawl.stat("item_dropped_count") == 2
    assert crawl.stat("item_scraped_count") == 3


def test_atom_feed(crawls):
    crawl = crawls["atom"]
    assert crawl.returncode == 0, crawl.stderr
    assert len(crawl.items) == 2
    review = crawl.by_id("tag:money-review.example,2026:post-88")
    assert review["title"] == "รีวิว บัตรเครดิต ใบใหม่ คุ้มไหม?"
    assert review["text"] == (
        "บัตรเครดิตใบใหม่ให้เงินคืน 5% สำหรับร้านอาหาร\nแต่ค่าธรรมเนียมรายปีค่อนข้างสูง พนักงานคอลเซ็นเตอร์ตอบช้ามาก"
    )
    assert review["author"] == "น้องเงินออม"
    assert review["url"] == "https://money-review.example/posts/88"
    assert review["published_at"] == "2026-11-21T08:00:00+00:00"  # published, not updated
    saving = crawl.by_id("tag:money-review.example,2026:post-87")
    assert saving["published_at"] == "2026-11-18T14:15:00+00:00"  # only <updated>, +07:00
    assert saving["text"] == "แบ่งเงินเดือนเป็นสามส่วน แล้วตั้งโอนอัตโนมัติทุกวันที่ 25"


def test_html_page_is_not_a_feed(crawls):
    crawl = crawls["not_a_feed"]
    assert crawl.items == []
    errors = [line for line in crawl.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, crawl.stderr
    assert "/news/old-feed.html: not an RSS/Atom feed (text/html: " in errors[0]
    assert "Traceback" not in crawl.stderr
    assert crawl.stat("sadap/feed_errors") == 1


def test_missing_url_argument_is_a_clear_error(crawls):
    crawl = crawls["no_url"]
    assert crawl.returncode != 0
    assert "spider 'rss' needs a start URL: add -a url=https://..." in crawl.stderr


# -- Articles -----------------------------------------------------------------------


def test_index_follows_matching_article_links(crawls, site_server):
    crawl = crawls["index"]
    assert crawl.returncode == 0, crawl.stderr
    assert sorted(re.search(r"article-\d+", item["url"]).group() for item in crawl.items) == [
        "article-1001",
        "article-1002",
    ]
    for path in ("/news/index.html", "/news/2569/11/article-1001.html", "/news/2569/11/article-1003.html"):
        assert site_server.requested(path), path
    # Navigation, footer and sidebar links do not match `follow`.
    for path in ("/news/politics.html", "/about.html", "/news/2569/11/popular-0950.html"):
        assert not site_server.requested(path), path
    assert {item["source_kind"] for item in crawl.items} == {"article"}
    assert {item["source_name"] for item in crawl.items} == {"khaosod"}


def test_robots_txt_is_obeyed(crawls, site_server):
    crawl = crawls["index"]
    assert site_server.requested("/robots.txt")
    # The index links to /private/article-9999.html, which matches `follow`.
    assert not site_server.requested("/private/article-9999.html")
    assert crawl.stat("robotstxt/forbidden") == 1
    assert all("เฉพาะสมาชิก" not in (item.get("title") or "") for item in crawl.items)


def test_article_text_without_boilerplate(crawls):
    crawl = crawls["index"]
    bank = crawl.by_url("article-1001.html")
    assert bank["title"] == "ธนาคารสยามพาณิชย์ชี้แจงกรณีแอปพลิเคชันล่มช่วงเช้า"
    assert bank["text"].startswith("เมื่อเวลาประมาณ 07.15 น. ของวันเสาร์ที่ผ่านมา")
    assert "ยืนยันว่าเงินของลูกค้าทุกบาทปลอดภัย" in bank["text"]
    assert bank["text"].endswith("ขอให้หน่วยงานกำกับดูแลติดตามเรื่องนี้อย่างใกล้ชิด")
    baht = crawl.by_url("article-1002.html")
    assert "ค่าเงินบาทเปิดตลาดเช้านี้ที่ระดับ 34.10 บาทต่อดอลลาร์สหรัฐ" in baht["text"]
    for item in (bank, baht):
        leaked = [phrase for phrase in BOILERPLATE if phrase in item["text"]]
        assert leaked == [], (item["url"], leaked)
        assert not item["text"].startswith(item["title"])  # the headline is not repeated
        assert item["extras"] == {"site_name": "ข่าวสดไทยรายวัน"}


def test_article_dates_and_authors(crawls):
    crawl = crawls["index"]
    bank = crawl.by_url("article-1001.html")
    # "วันเสาร์ที่ ๒๑ พฤศจิกายน ๒๕๖๙ เวลา ๐๙:๓๐ น." in the article, not the header's
    # "วันศุกร์ที่ 27 พฤศจิกายน 2569" or the sidebar's dates.
    assert bank["published_at"] == "2026-11-21T02:30:00+00:00"
    assert bank["author"] == "สมชาย ใจดี"  # byline "โดย สมชาย ใจดี"
    baht = crawl.by_url("article-1002.html")
    # article:published_time gives the day; "วันที่ 20 พ.ย. 69 เวลา 18.45 น." the time.
    assert baht["published_at"] == "2026-11-20T11:45:00+00:00"
    assert baht["author"] == "ณัฐธิดา ศรีสุข"  # <meta name="author">


def test_page_without_main_text_gives_no_item(crawls):
    crawl = crawls["index"]
    assert not [item for item in crawl.items if "article-1003" in item["url"]]
    warnings = crawl.lines("no main text")
    assert len(warnings) == 1
    assert "/news/2569/11/article-1003.html: no main text found, page skipped" in warnings[0]
    assert crawl.stat("sadap/empty_pages") == 1


def test_single_article(crawls, site_server):
    crawl = crawls["single"]
    assert crawl.returncode == 0, crawl.stderr
    [post] = crawl.items
    assert post["source_name"] == "car-blog"
    assert post["title"] == "รีวิวประกันรถยนต์ชั้น 1 หลังเคลมจริง"  # <h1>, not "<title> - site"
    assert post["author"] == "พิมพ์ชนก"  # rel="author" after "เขียนโดย"
    assert post["published_at"] == "2026-12-03T14:15:00+00:00"  # <time>๓ ธ.ค. ๒๕๖๙ | ๒๑:๑๕ น.</time>
    assert post["text"].startswith("เดือนที่แล้วรถของผมโดนชนท้ายที่แยกลาดพร้าว")
    assert "น่าผิดหวังพอสมควร" in post["text"]
    for phrase in ("โพสต์ล่าสุด", "ชาร์จรถไฟฟ้า", "ขับขี่ปลอดภัย", "เกี่ยวกับผู้เขียน"):
        assert phrase not in post["text"]
    # Without `follow`, links on the page are not crawled.
    assert not site_server.requested("/blog/2569/ev-charging")


# -- Forum --------------------------------------------------------------------------


def test_forum_posts_and_comments(crawls):
    crawl = crawls["forum"]
    assert crawl.returncode == 0, crawl.stderr
    assert sorted(item["native_id"] for item in crawl.items) == [
        "43120001", "43120001#1", "43120001#2", "43120001#3", "43120002", "43120002#1", "43120002#2",
    ]
    assert {item["source_kind"] for item in crawl.items} == {"forum"}
    assert {item["source_name"] for item in crawl.items} == {"test-forum"}

    post = crawl.by_id("43120001")
    assert post["title"] == "แอปธนาคารล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า"
    assert post["text"] == (
        "ใครเป็นเหมือนกันบ้างคะ เข้าแอปไม่ได้เลยตั้งแต่ 7 โมง\n"
        "โอนค่าเช่าบ้านไม่ได้ เงินถูกตัดไปแล้วแต่ปลายทางไม่ได้รับ 😭"
    )
    assert post["author"] == "สมาชิกหมายเลข 7788123"
    assert post["engagement"] == {"likes": 152, "comments": 4}
    assert post["extras"] == {"thread_id": "43120001", "kind": "post"}
    assert post["published_at"] == "2026-11-21T00:42:00+00:00"

    comment = crawl.by_id("43120001#1")
    assert comment["text"] == "เป็นเหมือนกันครับ โทรคอลเซ็นเตอร์ก็ไม่มีคนรับ"
    assert comment["author"] == "หมูกรอบ"
    assert comment["engagement"] == {"likes": 40}
    assert comment["extras"] == {
        "thread_id": "43120001",
        "thread_title": "แอปธนาคารล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า",
        "kind": "comment",
    }
    assert crawl.by_id("43120002#1")["extras"]["thread_id"] == "43120002"
    assert crawl.by_id("43120002#1")["engagement"] == {"likes": 25}


def test_forum_dates_in_utc(crawls):
    crawl = crawls["forum"]
    assert crawl.by_id("43120001#1")["published_at"] == "2026-11-21T00:55:00+00:00"  # "21 พ.ย. 69 07:55 น."
    assert crawl.by_id("43120001#2")["published_at"] == "2026-11-21T01:10:00+00:00"  # Thai digits, "08.10 น."
    assert crawl.by_id("43120001#3")["published_at"] == "2026-11-21T02:30:00+00:00"  # Unix time
    assert crawl.by_id("43120002")["published_at"] == "2026-11-20T14:05:00+00:00"  # "วันศุกร์ที่ 20 พ.ย. 2569 เวลา 21:05 น."


def test_forum_invalid_json_and_empty_comment(crawls):
    crawl = crawls["forum"]
    errors = [line for line in crawl.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1, crawl.stderr
    assert "/forum/thread/43120003.json: thread: invalid JSON (" in errors[0]
    assert crawl.stat("sadap/feed_errors") == 1
    assert not [item for item in crawl.items if item["native_id"].startswith("43120003")]
    empty = crawl.lines("text: empty")
    assert len(empty) == 1 and "[43120001#4]" in empty[0]


# -- sadap.app.crawl.crawl() with the ingest hand-off ------------------------------------


def test_run_crawls_sources_in_one_process_and_hands_off_batches(crawls):
    crawl = crawls["run"]
    assert crawl.returncode == 0, crawl.stderr
    result = json.loads(crawl.stdout)
    stats = result["stats"]
    assert stats["news"] == {
        "items": 3, "dropped": 2, "stored": 2, "duplicates": 1, "alerts": 1,
        "feed_errors": 0, "empty_pages": 0, "errors": 0,
        "new": 2, "skipped": {"already stored": 1, "no text": 1, "repeated in this crawl": 1},
    }
    assert stats["old-feed"]["feed_errors"] == 1 and stats["old-feed"]["errors"] == 1
    assert stats["old-feed"]["items"] == 0
    assert stats["khaosod"]["items"] == 2 and stats["khaosod"]["empty_pages"] == 1
    assert stats["khaosod"]["errors"] == 0
    assert stats["webboard"]["items"] == 7 and stats["webboard"]["dropped"] == 1
    assert stats["webboard"]["feed_errors"] == 1 and stats["webboard"]["errors"] == 1

    batches = [batch for batch in result["handed"] if batch != "closed"]
    assert result["handed"].count("closed") == 4  # every crawler's ingest pipeline was closed
    handed = [entry for batch in batches for entry in batch]
    assert {kind for kind, _, _ in handed} == {"RawMention"}
    news = sorted(key for _, source, key in handed if source == "news")
    assert news == ["khaosod-1001", "khaosod-1002", "khaosod-1004"]
    assert len([1 for _, source, _ in handed if source == "webboard"]) == 7
    assert "once per process" in result["again"]


def test_each_crawl_leaves_its_report_for_the_sources_page(crawls, tmp_path_factory):
    """The run above recorded each source's crawl: when, items, new, errors and the first error."""
    from sadap.app.crawl_reports import load_reports
    from sadap.store.sqlite import SQLiteStore

    assert crawls["run"].returncode == 0, crawls["run"].stderr
    data = next(p for p in tmp_path_factory.getbasetemp().glob("crawls*/run-data"))
    assert not (data / "crawl-reports").exists()  # in the store, not in files
    with SQLiteStore(data / "sadap.db") as store:
        reports = load_reports(store)
    assert set(reports) == {"news", "old-feed", "khaosod", "webboard"}
    news = reports["news"]
    assert (news["items"], news["new"], news["errors"], news["first_error"]) == (3, 2, 0, None)
    assert news["started_at"] <= news["finished_at"]
    old = reports["old-feed"]
    assert old["errors"] == 1 and old["items"] == 0
    assert old["first_error"] and "old-feed.html" in old["first_error"] and "\n" not in old["first_error"]
    assert reports["webboard"]["errors"] == 1 and reports["webboard"]["first_error"]


def test_run_refuses_file_sources():
    from sadap.app.crawl import crawl

    source = source_config(name="import", kind="file", url="mentions.jsonl")
    with pytest.raises(ConfigError, match="use `sadap ingest` for file sources"):
        crawl(Config(), [source])


# -- Pipelines, in-process ----------------------------------------------------------


def _item(**fields: Any) -> MentionItem:
    base = {"source_kind": "rss", "source_name": "news", "text": "ข้อความ", "url": "https://example.co.th/a"}
    return MentionItem(**(base | fields))


def test_validate_pipeline_drops_with_one_line_reason():
    crawler = get_crawler()
    pipeline = ValidatePipeline.from_crawler(crawler)
    item = _item(published_at="2026-11-21T09:30:00+07:00")
    assert pipeline.process_item(item) is item
    with pytest.raises(DropItem) as err:
        pipeline.process_item(_item(engagement={"likes": "เยอะมาก"}))
    assert str(err.value).startswith("https://example.co.th/a: engagement.likes: ")
    with pytest.raises(DropItem, match=r"^https://example.co.th/a \[x1\]: text: empty") as empty:
        pipeline.process_item(_item(text=" \n ", native_id="x1"))
    # A comment that is a picture or a sticker only: counted, logged at INFO, not a warning each
    assert empty.value.log_level == "INFO"
    with pytest.raises(DropItem, match="text: empty"):
        pipeline.process_item(_item(text="", native_id="x2"))
    assert crawler.stats.get_value("sadap/skipped/no_text") == 2 and crawler.stats.get_value("sadap/invalid") == 1  # (the likes)
    with pytest.raises(DropItem, match="published_at"):
        pipeline.process_item(_item(published_at="ไม่ทราบ"))


def test_duplicates_pipeline_drops_repeats_in_a_crawl():
    crawler = get_crawler()
    pipeline = DuplicatesPipeline.from_crawler(crawler)
    pipeline.process_item(_item(native_id="1"))
    pipeline.process_item(_item(native_id="1", source_name="other"))  # another source: kept
    pipeline.process_item(_item(url="https://example.co.th/b?utm_source=line"))
    with pytest.raises(DropItem, match="already seen"):
        pipeline.process_item(_item(native_id="1", text="แก้ไขแล้ว"))
    with pytest.raises(DropItem, match="already seen"):
        pipeline.process_item(_item(url="https://example.co.th/b"))  # same canonical URL
    assert crawler.stats.get_value("sadap/repeated") == 2


def test_ingest_pipeline_is_off_without_sadap_config():
    with pytest.raises(NotConfigured):
        SadapIngestPipeline.from_crawler(get_crawler())


def test_ingest_pipeline_batches_raw_mentions(monkeypatch, tmp_path):
    calls: list[Any] = []

    class Result:
        def __init__(self, n: int) -> None:
            self.read, self.stored, self.duplicates, self.near_duplicates, self.alerts = n, n, 0, 0, []

    class FakeIngest:
        def __init__(self, config_path: str) -> None:
            calls.append(("open", config_path))

        def process(self, raws: list[RawMention]) -> Result:
            calls.append([raw.native_id for raw in raws])
            assert all(isinstance(raw, RawMention) for raw in raws)
            return Result(len(raws))

        def close(self) -> None:
            calls.append("close")

    config_file = tmp_path / "sadap.yaml"
    config_file.write_text("data_dir: data\n", encoding="utf-8")
    factory = lambda settings: FakeIngest(settings["SADAP_CONFIG"])  # noqa: E731
    crawler = get_crawler(
        settings_dict={"SADAP_CONFIG": str(config_file), "SADAP_BATCH_SIZE": 2, "SADAP_INGEST_FACTORY": factory}
    )
    pipeline = SadapIngestPipeline.from_crawler(crawler)
    pipeline.open_spider()
    items = [_item(native_id=str(n)) for n in range(5)]
    assert [pipeline.process_item(item) for item in items] == items  # items flow on
    pipeline.close_spider()
    assert calls == [("open", str(config_file)), ["0", "1"], ["2", "3"], ["4"], "close"]
    assert crawler.stats.get_value("sadap/stored") == 5
    assert crawler.stats.get_value("sadap/alerts") == 0
