"""The shipped demo site: story shape, and every route over real loopback HTTP."""

from __future__ import annotations

import calendar
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import feedparser
import pytest

from sadap.app.demo.site import DemoSite, load_story, thai_date

UTC = timezone.utc
BKK = timezone(timedelta(hours=7))
# 12:00 UTC = 19:00 in Bangkok, 25 Nov 2026 = 25 พฤศจิกายน 2569.
ANCHOR = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)

NEGATIVE_CUES = (
    "ล่ม", "ไม่ได้", "ซ้ำ", "แย่", "ห่วย", "โมโห", "โกรธ", "เซ็ง", "ผิดหวัง", "หงุดหงิด",
    "รั่ว", "เสียหาย", "ไม่รับผิดชอบ", "ย้าย", "ปิดบัญชี", "ทนไม่ไหว", "เสียความรู้สึก",
    "ขัดข้อง", "ไม่คืน", "กลัว", "เครียด", "กังวล", "เกินไป", "ยังไม่", "😭", "😡", "😤", "😒",
)


@pytest.fixture(scope="module")
def story() -> dict:
    return load_story()


@pytest.fixture(scope="module")
def site():
    with DemoSite(anchor=ANCHOR) as running:
        yield running


def fetch(site: DemoSite, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(site.base_url + path, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode("utf-8")


def all_comments(story: dict) -> list[tuple[dict, dict]]:
    return [(t, c) for t in story["forum"]["threads"] for c in t["comments"]]


# ---------------------------------------------------------------- the story


def test_story_volume_and_crisis(story):
    feed = len(story["feed"]["items"])
    articles = len(story["site"]["articles"])
    threads = story["forum"]["threads"]
    forum = len(threads) + sum(len(t["comments"]) for t in threads)
    assert feed >= 25 and articles >= 20 and forum >= 115
    assert feed + articles + forum >= 170
    assert DemoSite(story, anchor=ANCHOR).mention_count == feed + articles + forum

    crisis = [c for _, c in all_comments(story) if c["hours_ago"] <= 6]
    negative = [c for c in crisis if any(cue in c["text"] for cue in NEGATIVE_CUES)]
    assert len(negative) >= 60
    assert len({c["author"] for c in crisis}) >= 50  # many distinct voices
    # the copy-paste campaign: several near-identical comments by different authors
    campaign = [c for c in crisis if "ใครมีเงินอยู่รีบถอนออกให้หมดก่อนจะสาย" in c["text"]]
    assert 3 <= len(campaign) <= 5
    assert len({c["author"] for c in campaign}) == len(campaign)
    # the ordinary week is spread out, the crisis is a spike
    week = [c for _, c in all_comments(story) if c["hours_ago"] > 8]
    assert len(week) >= 30 and max(c["hours_ago"] for c in week) > 150


def test_story_schema_and_consistency(story):
    org = story["organisation"]
    assert org["name_th"] == "ธนาคารแสงทอง" and org["name_en"] == "Saengthong Bank"
    assert "ST Bank" in org["aliases"] and org["products"][0]["name"] == "แสงทอง พลัส"

    feed_slugs = [i["slug"] for i in story["feed"]["items"]]
    article_slugs = [a["slug"] for a in story["site"]["articles"]]
    assert len(set(feed_slugs)) == len(feed_slugs)
    assert len(set(article_slugs)) == len(article_slugs)
    for slug in feed_slugs + article_slugs:
        assert slug.isascii() and slug.replace("-", "").isalnum(), slug

    thread_ids = [t["id"] for t in story["forum"]["threads"]]
    comment_ids = [c["id"] for _, c in all_comments(story)]
    assert len(set(thread_ids)) == len(thread_ids)
    assert len(set(comment_ids)) == len(comment_ids)

    for thread, comment in all_comments(story):
        assert 0 < comment["hours_ago"] <= thread["hours_ago"], comment["id"]
    for item in story["feed"]["items"] + story["site"]["articles"] + story["forum"]["threads"]:
        assert item["hours_ago"] > 0
    for article in story["site"]["articles"]:
        assert 2 <= len(article["paragraphs"]) <= 5, article["slug"]
        assert isinstance(article["thai_digits"], bool)
    assert any(a["thai_digits"] for a in story["site"]["articles"])


def test_thai_date_formats():
    moment = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)  # 09:30 in Bangkok
    assert thai_date(moment) == "วันที่ 21 พฤศจิกายน 2569 เวลา 09:30 น."
    assert thai_date(moment, thai_digits=True) == "๒๑ พ.ย. ๒๕๖๙ ๐๙:๓๐ น."
    # crossing midnight in Bangkok moves the day (and the year at New Year)
    assert thai_date(datetime(2026, 12, 31, 17, 5, tzinfo=UTC)) == "วันที่ 1 มกราคม 2570 เวลา 00:05 น."


def test_published_at_and_anchor():
    site = DemoSite(anchor=ANCHOR)
    assert site.published_at(2.5) == ANCHOR - timedelta(hours=2, minutes=30)
    assert site.published_at(1).tzinfo is not None
    fresh = DemoSite()
    assert fresh.anchor.tzinfo is not None
    assert abs((datetime.now(UTC) - fresh.anchor).total_seconds()) < 60
    with pytest.raises(ValueError):
        DemoSite(anchor=datetime(2026, 11, 25, 12, 0))


# ------------------------------------------------------------------- routes


def test_base_url_is_loopback(site):
    assert site.base_url.startswith("http://127.0.0.1:")
    assert site.port > 0


def test_feed_parses_with_times(site, story):
    status, ctype, body = fetch(site, "/feed.xml")
    assert status == 200
    assert "xml" in ctype and "charset=utf-8" in ctype.lower()
    ET.fromstring(body.encode("utf-8"))  # well-formed XML
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == story["feed"]["title"]
    by_guid = {i["slug"]: i for i in story["feed"]["items"]}
    assert len(parsed.entries) == len(by_guid)
    for entry in parsed.entries:
        item = by_guid[entry.id]
        assert entry.title == item["title"]
        assert entry.link == f"{site.base_url}/wire/{item['slug']}.html"
        assert entry.author == item["author"]
        assert entry.summary == item["summary"]
        assert entry.published.endswith("+0700")
        published = datetime.fromtimestamp(calendar.timegm(entry.published_parsed), UTC)
        assert published == site.published_at(item["hours_ago"])
    # newest first
    times = [calendar.timegm(e.published_parsed) for e in parsed.entries]
    assert times == sorted(times, reverse=True)


def test_wire_links_resolve(site, story):
    item = story["feed"]["items"][0]
    status, ctype, body = fetch(site, f"/wire/{item['slug']}.html")
    assert status == 200 and "text/html" in ctype
    assert item["title"] in body


def test_news_index_newest_first(site, story):
    status, ctype, body = fetch(site, "/news/")
    assert status == 200 and ctype == "text/html; charset=utf-8"
    newest_first = sorted(story["site"]["articles"], key=lambda a: a["hours_ago"])
    # the sidebar repeats a few links later in the page; the list itself comes first, newest first
    main = body[: body.index('<aside class="sidebar">')]
    positions = [main.index(f'href="/news/{a["slug"]}.html"') for a in newest_first]
    assert positions == sorted(positions)
    assert "<nav" in body and "<footer" in body


def test_article_page(site, story):
    article = next(a for a in story["site"]["articles"] if not a["thai_digits"])
    status, ctype, body = fetch(site, f"/news/{article['slug']}.html")
    assert status == 200 and ctype == "text/html; charset=utf-8"
    assert '<html lang="th">' in body
    assert "<article>" in body and "</article>" in body
    assert f"<h1>{article['title']}</h1>".replace('"', "&quot;") in body
    assert f'<meta name="author" content="{article["author"]}">' in body
    assert '<meta property="og:title"' in body
    assert f"โดย {article['author']}" in body
    assert "ข่าวยอดนิยม" in body and "สงวนลิขสิทธิ์" in body and "<nav" in body
    local = site.published_at(article["hours_ago"]).astimezone(BKK)
    expected = thai_date(local)
    assert expected.startswith("วันที่ ") and str(local.year + 543) in expected
    assert f'<time class="published">{expected}</time>' in body
    assert "datetime=" not in body
    for paragraph in article["paragraphs"][:1]:
        assert paragraph.replace('"', "&quot;") in body


def test_article_page_thai_digits(site, story):
    article = next(a for a in story["site"]["articles"] if a["thai_digits"])
    _, _, body = fetch(site, f"/news/{article['slug']}.html")
    expected = thai_date(site.published_at(article["hours_ago"]), thai_digits=True)
    assert "๒๕๖๙" in expected and "พ.ย." in expected
    assert f'<time class="published">{expected}</time>' in body


def test_forum_threads_and_times(site, story):
    status, ctype, body = fetch(site, "/forum/threads.json")
    assert status == 200 and ctype == "application/json; charset=utf-8"
    listing = json.loads(body)
    assert listing["forum"] == story["forum"]["name"]
    by_id = {t["id"]: t for t in story["forum"]["threads"]}
    assert {t["id"] for t in listing["threads"]} == set(by_id)
    for entry in listing["threads"]:
        assert entry["url"] == f"/forum/thread/{entry['id']}.json"
        assert entry["comments"] == len(by_id[entry["id"]]["comments"])
        assert entry["title"] == by_id[entry["id"]]["title"]

    crisis = by_id["t201"]
    status, _, body = fetch(site, "/forum/thread/t201.json")
    assert status == 200
    thread = json.loads(body)
    assert thread["author"] == crisis["author"] and thread["body"] == crisis["body"]
    assert thread["created_at"].endswith("+07:00")
    assert datetime.fromisoformat(thread["created_at"]) == site.published_at(crisis["hours_ago"])
    want = {c["id"]: c for c in crisis["comments"]}
    assert len(thread["comments"]) == len(want)
    for comment in thread["comments"]:
        source = want[comment["id"]]
        assert comment["text"] == source["text"] and comment["author"] == source["author"]
        assert comment["created_at"].endswith("+07:00")
        assert datetime.fromisoformat(comment["created_at"]) == site.published_at(source["hours_ago"])
        assert set(comment) == {"id", "author", "created_at", "text", "likes"}


def test_robots_private_and_missing(site):
    status, ctype, body = fetch(site, "/robots.txt")
    assert status == 200 and ctype.startswith("text/plain") and "charset=utf-8" in ctype
    assert "User-agent: *" in body and "Disallow: /private/" in body
    assert fetch(site, "/private/admin.html")[0] == 403
    assert fetch(site, "/nope.html")[0] == 404
    assert fetch(site, "/news/no-such-article.html")[0] == 404
    assert fetch(site, "/forum/thread/t999.json")[0] == 404
    assert fetch(site, "/wire/no-such.html")[0] == 404


def test_broken_feed_is_html(site):
    status, ctype, body = fetch(site, "/broken-feed.xml")
    assert status == 200 and ctype.startswith("text/html")
    assert body.lstrip().lower().startswith("<!doctype html>")
    with pytest.raises(ET.ParseError):
        ET.fromstring(body.encode("utf-8"))


def test_custom_story_and_stop():
    tiny = {
        "organisation": {"name_th": "x", "name_en": "x", "aliases": [], "products": []},
        "feed": {"title": "t & <b>", "outlet": "o", "items": [
            {"slug": "a", "title": "A & B <c>", "summary": "s < t", "author": "au", "hours_ago": 1.0}]},
        "site": {"name": "n", "articles": []},
        "forum": {"name": "f", "threads": []},
    }
    with DemoSite(tiny, anchor=ANCHOR) as small:
        assert small.mention_count == 1
        parsed = feedparser.parse(fetch(small, "/feed.xml")[2])
        assert not parsed.bozo and parsed.entries[0].title == "A & B <c>"
        base = small.base_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/feed.xml", timeout=2)
