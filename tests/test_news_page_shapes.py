"""News pages and feeds in shapes real Thai sites use, beyond the saved pages of test_news_pages:
an update time printed or marked before the publication time, a dateline with a Buddhist-era
year in an element with a generated class name, a story on a site whose every page says
``og:type`` "website", the AMP copy of a story (and its link with tracking parameters) as one
mention, and feeds in TIS-620 / windows-874. The story is real Thai government news (public
domain, thaigov.go.th, 2563)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from crawlers.newspage import read_news_page
from crawlers.pipelines import DuplicatesPipeline
from crawlers.spiders.article import ArticleSpider
from crawlers.spiders.rss import RssSpider

UTC = timezone.utc
TITLE = "คปภ. เปิดตัวแอป Line Chatbot เสริมเขี้ยวเล็บให้สายด่วน คปภ.1186"
STORY = [
    "ดร.สุทธิพล ทวีชัยการ เลขาธิการคณะกรรมการกำกับและส่งเสริมการประกอบธุรกิจประกันภัย (เลขาธิการ คปภ.) "
    "เปิดเผยว่า ธุรกิจประกันภัยเป็นธุรกิจหนึ่งที่จะต้องเผชิญกับกระแสของการเปลี่ยนแปลง"
    "ไปสู่ยุคดิจิทัลอย่างหลีกเลี่ยงไม่ได้",
    "สำหรับ Line Chatbot “คปภ. รอบรู้” (LINE @OICConnect) เป็นระบบตอบคำถามอัตโนมัติ (Chatbot) "
    "โดยพัฒนาขึ้นเพื่อเป็นช่องทางในการบริการให้คำปรึกษา ให้ความรู้ด้านการประกันภัย และอำนวยความสะดวกให้แก่ประชาชน",
    "ทั้งนี้ Chatbot “คปภ. รอบรู้” ถูกพัฒนาในรูปแบบ AI บนแพลตฟอร์ม LINE เนื่องจากประชาชนในประเทศไทยส่วนใหญ่ "
    "มีความคุ้นเคยกับการสื่อสารผ่านช่องทาง LINE มากกว่าช่องทางการสื่อสารอื่น และให้บริการได้ตลอด 24 ชั่วโมง",
]
PARAGRAPHS = "".join(f"<p>{p}</p>" for p in STORY)
# 7 ธ.ค. 2569 14:05 น. in Bangkok.
PUBLISHED = datetime(2026, 12, 7, 7, 5, tzinfo=UTC)
URL = "https://www.newsdaily.example/economy/news_9001234"


def page(head: str, article: str, *, before: str = "", og_type: str = "article") -> str:
    return (
        f"<!doctype html><html lang='th'><head><meta charset='utf-8'><title>{TITLE} - ข่าวเดลี่</title>"
        f"<meta property='og:type' content='{og_type}'><meta property='og:site_name' content='ข่าวเดลี่'>{head}</head>"
        f"<body><header class='site-header'><a href='/' class='logo'>ข่าวเดลี่</a>"
        f"<div class='today'>วันอังคารที่ 8 ธันวาคม 2569 เวลา 10:32 น.</div></header>{before}{article}</body></html>"
    )


# -- the publication time, not the last update ---------------------------------------------


@pytest.mark.parametrize("meta", [
    # The byline prints the update first, then the publication.
    "<div class='post-meta'><span>อัปเดตล่าสุด 8 ธ.ค. 2569 09:00 น.</span> | "
    "<span>เผยแพร่ 7 ธ.ค. 2569 14:05 น.</span></div>",
    # WordPress themes that write the updated <time> before the published one.
    "<div class='entry-meta'><time class='updated' datetime='2026-12-08T09:00:00+07:00'>8 ธันวาคม 2569</time>"
    "<time class='entry-date published' datetime='2026-12-07T14:05:00+07:00'>7 ธันวาคม 2569</time></div>",
    # Microdata: dateModified marked on a <time> ahead of the printed publication date.
    "<time itemprop='dateModified' datetime='2026-12-08T09:00:00+07:00'>แก้ไข 8 ธ.ค. 69</time>"
    "<div class='date'>7 ธ.ค. 69 เวลา 14.05 น.</div>",
    # Two date lines, the update on top.
    "<div class='date'>ปรับปรุงล่าสุด 8 ธ.ค. 2569 09:00 น.</div>"
    "<div class='date'>โพสต์เมื่อ 7 ธ.ค. 2569 14:05 น.</div>",
])
def test_the_update_time_is_not_the_publication_time(meta: str) -> None:
    html = page(f"<meta property='og:title' content='{TITLE}'>",
                f"<article><h1>{TITLE}</h1>{meta}{PARAGRAPHS}</article>")
    assert read_news_page(html, URL).published == PUBLISHED


def test_a_dateline_in_an_element_of_any_class_gives_the_time_to_the_minute() -> None:
    # Bylines with generated class names: nothing says "date" but the text.
    article = f"<article><h1>{TITLE}</h1><div class='css-1x7f2q'>7 ธ.ค. 2569 14:05 น.</div>{PARAGRAPHS}</article>"
    found = read_news_page(page("", article), URL)
    assert found.published == PUBLISHED and found.sources["published"] == "dateline"
    # No <article> at all: the dateline just after the headline, not the site header's clock above it.
    plain = (f"<div class='content'><h1>{TITLE}</h1>"
             f"<div class='x9'>โดย ทีมข่าวเศรษฐกิจ 7 ธ.ค. 2569 14:05 น.</div>{PARAGRAPHS}</div>")
    assert read_news_page(page("", plain), URL).published == PUBLISHED
    # A price is not a clock: a short line with a date and "35.50 บาท" is not a dateline.
    priced = f"<article><h1>{TITLE}</h1><div class='x2'>7 ธ.ค. 2569 ราคา 35.50 บาท</div>{PARAGRAPHS}</article>"
    assert read_news_page(page("", priced), URL).sources["published"] != "dateline"


# -- a story on a site that calls every page a "website" -----------------------------------


def test_a_story_on_a_site_whose_pages_all_say_og_type_website_is_an_article() -> None:
    nav = "<nav>" + "".join(f"<a href='/c/{i}'>หมวดข่าว {i}</a>" for i in range(12)) + "</nav>"
    story = page(f"<meta property='og:title' content='{TITLE}'>",
                 f"<div class='content'><h1>{TITLE}</h1><div class='x9'>7 ธ.ค. 2569 14:05 น.</div>{PARAGRAPHS}</div>",
                 before=nav, og_type="website")
    found = read_news_page(story, URL)
    assert found.kind == "article", found.reason
    assert found.title == TITLE and found.published == PUBLISHED and STORY[1] in found.text
    # Its category page, teasers each in a card of their own, stays a list of stories.
    cards = "".join(f"<div class='card'><h2><a href='/economy/news_{i}'>{TITLE} ตอนที่ {i}</a></h2>"
                    f"<p>{STORY[i % 3]}</p></div>" for i in range(6))
    listing = read_news_page(page("", f"<div class='list'>{cards}</div>", before=nav, og_type="website"),
                             "https://www.newsdaily.example/economy")
    assert listing.kind == "index"


# -- one story, one mention --------------------------------------------------------------


def _article_items(*pages: tuple[str, str]) -> tuple[list[dict], ArticleSpider]:
    spider = ArticleSpider.from_crawler(get_crawler(ArticleSpider), url=URL, source="newsdaily")
    responses = [HtmlResponse(url, body=html.encode(), encoding="utf-8") for url, html in pages]
    items = [item for response in responses for item in spider.parse_article(response)]
    return items, spider


def test_the_amp_copy_and_a_tracking_link_are_the_same_mention_as_the_story() -> None:
    head = (f"<link rel='canonical' href='{URL}'><script type='application/ld+json'>"
            f'{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{TITLE}",'
            f'"datePublished":"2026-12-07T14:05:00+07:00"}}</script>')
    article = f"<article><h1>{TITLE}</h1>{PARAGRAPHS}</article>"
    amp = page(head, article.replace("<article>", "<article><amp-img src='/x.jpg' width='600' height='400'></amp-img>"))
    items, spider = _article_items(
        (URL, page(head, article)),
        (URL + "/amp", amp),
        ("https://m.newsdaily.example/economy/news_9001234?utm_source=line&fbclid=abc", page(head, article)),
    )
    assert [item["url"] for item in items] == [URL] * 3
    assert items[1]["extras"]["fetched_url"] == URL + "/amp"
    pipeline = DuplicatesPipeline(spider.crawler)
    kept = []
    for item in items:
        try:
            kept.append(pipeline.process_item(item))
        except DropItem as dropped:
            assert "already seen" in str(dropped)
    assert len(kept) == 1


@pytest.mark.parametrize("canonical", [
    "https://other-site.example/economy/news_1",  # another site cannot claim the story
    "https://www.newsdaily.example/",  # a template that names the home page on every page
    "javascript:alert(1)",
])
def test_a_canonical_link_elsewhere_is_not_the_story_address(canonical: str) -> None:
    html = page(f"<link rel='canonical' href='{canonical}'><meta property='og:title' content='{TITLE}'>",
                f"<article><h1>{TITLE}</h1>{PARAGRAPHS}</article>")
    items, _ = _article_items((URL, html))
    assert items[0]["url"] == URL and "fetched_url" not in items[0]["extras"]


# -- feeds in Thai encodings -------------------------------------------------------------


def _feed(declaration: str, date: str) -> str:
    return (
        f"{declaration}<rss version='2.0'><channel><title>ข่าวเดลี่ เศรษฐกิจ</title><item><title>{TITLE}</title>"
        f"<link>{URL}</link><description>&lt;p&gt;{STORY[0]}&lt;/p&gt;</description><pubDate>{date}</pubDate>"
        "</item></channel></rss>"
    )


@pytest.mark.parametrize(("declaration", "content_type"), [
    ("<?xml version='1.0' encoding='windows-874'?>", "application/rss+xml"),  # the WHATWG name Python lacks
    ('<?xml version="1.0" encoding="TIS-620"?>', "text/xml"),
    ('<?xml version="1.0"?>', "text/xml"),  # nothing declared anywhere
])
@pytest.mark.parametrize("date", ["จันทร์ 7 ธ.ค. 2569 14:05 น.", "Mon, 07 Dec 2026 14:05:00 +0700"])
def test_a_feed_in_tis_620_is_read_as_thai(declaration: str, content_type: str, date: str) -> None:
    body = _feed(declaration, date).encode("cp874")
    headers = {"Content-Type": content_type}
    cls = responsetypes.from_args(headers=headers, url=URL + ".rss", body=body)  # as Scrapy picks it
    spider = RssSpider.from_crawler(get_crawler(RssSpider), url=URL + ".rss")
    for response in (cls(URL + ".rss", body=body, headers=headers), Response(URL + ".rss", body=body, headers=headers)):
        items = list(spider.parse(response))
        assert [(item["title"], item["text"]) for item in items] == [(TITLE, STORY[0])]
        assert items[0]["extras"]["feed_title"] == "ข่าวเดลี่ เศรษฐกิจ"
        assert items[0]["published_at"] == PUBLISHED.isoformat()


@pytest.mark.parametrize("dateline", [
    "<p class='date'>7 ธ.ค. 2569 14:05 น.</p>",
    "<p>วันจันทร์ที่ 7 ธันวาคม 2569 เวลา 14.05 น.</p>",
    "<p>เผยแพร่: 7 ธ.ค. 2569 - 14:05 | อัปเดตล่าสุด 8 ธ.ค. 2569 09:00 น.</p>",
])
def test_a_dateline_paragraph_is_the_time_not_the_story_s_first_line(dateline):
    read = read_news_page(page("", f"<article><h1>{TITLE}</h1>{dateline}{PARAGRAPHS}</article>"), URL)
    assert read.published == PUBLISHED
    assert read.text.split("\n")[0] == STORY[0]  # before, the dateline opened the text and every snippet


def test_a_story_that_opens_with_its_time_keeps_that_sentence():
    lead = "เมื่อเวลา 14.05 น. วันที่ 7 ธ.ค. 2569 ดร.สุทธิพล ทวีชัยการ เลขาธิการ คปภ. แถลงข่าวเปิดตัวแชตบอต"
    read = read_news_page(page("", f"<article><h1>{TITLE}</h1><p>{lead}</p>{PARAGRAPHS}</article>"), URL)
    assert read.text.split("\n")[0] == lead
