"""Reading Thai news pages right: headline, time to the minute, body and author, on pages
shaped like Prachatai, Khaosod, Matichon, Thairath and Prachachat (tests/data/site/thainews,
written for these tests; what a careful reader finds is in truth.json)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawlers.newspage import read_news_page

PAGES = Path(__file__).resolve().parent / "data" / "site" / "thainews"
TRUTH = {k: v for k, v in json.loads((PAGES / "truth.json").read_text("utf-8")).items() if not k.startswith("_")}
ARTICLES = [name for name, want in TRUTH.items() if want["kind"] == "article"]
INDEXES = [name for name, want in TRUTH.items() if want["kind"] == "index"]


def read(name: str):
    return read_news_page((PAGES / name).read_text("utf-8"), f"https://news.example/{name}")


def test_fixtures_cover_the_shapes_of_the_issue() -> None:
    assert len(ARTICLES) >= 11 and len(INDEXES) >= 3
    sites = {name.split("/")[0] for name in ARTICLES}
    assert sites == {"prachatai", "khaosod", "matichon", "thairath", "prachachat"}


@pytest.mark.parametrize("name", ARTICLES)
def test_article_fields(name: str) -> None:
    want, page = TRUTH[name], read(name)
    assert page.kind == "article", page.reason
    assert page.title == want["title"]
    assert page.published is not None
    assert page.published.replace(second=0, microsecond=0) == datetime.fromisoformat(want["published"])
    for sentence in want["body_has"]:
        assert sentence in page.text
    leaked = [junk for junk in want["body_not"] if junk in page.text]
    assert leaked == []
    assert page.author == want["author"]


@pytest.mark.parametrize("name", INDEXES)
def test_index_pages_give_no_mention(name: str) -> None:
    page = read(name)
    assert page.kind == "index"
    assert "list of stories" in page.reason


def test_json_ld_beats_a_time_element_with_the_wrong_offset() -> None:
    # <time datetime="2026-11-21T09:12:45+00:00"> is Bangkok time mislabelled as UTC.
    page = read("khaosod/news_88123.html")
    assert page.sources["published"] == "json-ld"
    assert page.published.isoformat() == "2026-11-21T02:12:45+00:00"


def test_meta_published_time_beats_the_time_element() -> None:
    page = read("khaosod/news_88240.html")
    assert page.sources["published"] == "meta article:published_time"
    assert page.published.isoformat() == "2026-11-22T06:58:31+00:00"  # 13:58 Bangkok


def test_printed_date_inside_the_article_header_not_the_site_header() -> None:
    # The site header prints today's date; the article's own <header> the publication time.
    page = read("matichon/news_5012398.html")
    assert page.published.isoformat() == "2026-11-22T09:20:00+00:00"
    assert page.sources["published"] == "printed"


def test_logo_h1_is_not_the_headline_and_site_suffix_is_cut() -> None:
    page = read("prachatai/2026-11-110530.html")  # <h1 id="site-name">ประชาไท</h1>, no og:title
    assert page.title == "นักศึกษาจัดเวทีถกร่างกฎหมายชุมนุม เสนอยกเลิกโทษอาญา"
    page = read("prachachat/news-1650001.html")  # <h1 class="site-title"> before the article's <h1>
    assert page.title == "แบงก์ชาติคงดอกเบี้ยนโยบาย ชี้เศรษฐกิจฟื้นตัวช้ากว่าคาด"
    page = read("khaosod/news_88190.html")  # only <title>: " - ข่าวสด" cut
    assert page.title == "น้ำท่วมฉับพลันอำเภอแม่สาย ชาวบ้านเร่งขนของหนีน้ำกลางดึก"


def test_site_suffix_in_og_title_is_cut() -> None:
    page = read("khaosod/news_88123.html")
    assert not page.title.endswith("ข่าวสด")


def test_a_headline_with_a_dash_keeps_it() -> None:
    html = (
        "<html><head><meta property='og:title' content='ค่าไฟ - ค่าน้ำ ขึ้นพร้อมกัน ชาวบ้านโอด - ข่าวสด'>"
        "<meta property='og:site_name' content='ข่าวสด'><meta property='og:type' content='article'></head>"
        "<body><article><p>" + "ค่าไฟและค่าน้ำประปาปรับขึ้นพร้อมกันในเดือนหน้า ทำให้ครัวเรือนรายได้น้อยเดือดร้อน " * 3
        + "</p></article></body></html>"
    )
    assert read_news_page(html, "https://news.example/a").title == "ค่าไฟ - ค่าน้ำ ขึ้นพร้อมกัน ชาวบ้านโอด"


def test_article_container_with_author_class_is_not_the_byline() -> None:
    # <article class="… author-prachachat-online">: the author is the JSON-LD person, not the article.
    page = read("prachachat/news-1650001.html")
    assert page.author == "วรรณา ทองดี"
    html = (
        "<html><head><meta property='og:type' content='article'><meta property='og:title' content='หัวข่าว'></head><body>"
        "<article class='post type-post author-somchai'><p>" + "เนื้อข่าวยาวพอสมควรสำหรับการทดสอบการอ่านหน้าข่าว " * 4
        + "</p></article></body></html>"
    )
    assert read_news_page(html, "https://news.example/b").author is None


def test_donation_box_and_social_links_are_not_body() -> None:
    page = read("prachatai/2026-11-110501.html")
    assert "บริจาค" not in page.text and "Facebook" not in page.text
    assert page.text.endswith("ส่งต่อให้กระทรวงพลังงานพิจารณาภายในสามสิบวัน")


def test_json_ld_author_reference_into_the_graph_is_resolved() -> None:
    assert read("khaosod/news_88123.html").author == "สมชาย ใจกล้า"


def test_day_only_value_takes_the_time_printed_for_the_same_day() -> None:
    html = (
        "<html><head><meta property='og:type' content='article'><meta property='og:title' content='หัวข่าว'>"
        "<meta property='article:published_time' content='2026-11-20'></head><body><article>"
        "<header><span class='date'>วันที่ 20 พ.ย. 69 เวลา 18.45 น.</span></header><p>"
        + "ค่าเงินบาทเปิดตลาดเช้านี้อ่อนค่าลงเล็กน้อยตามทิศทางตลาดโลก " * 4 + "</p></article></body></html>"
    )
    page = read_news_page(html, "https://news.example/c")
    assert page.published.isoformat() == "2026-11-20T11:45:00+00:00"


def test_not_html_is_empty_not_an_error() -> None:
    assert read_news_page("", "https://news.example/empty").kind == "empty"
    assert read_news_page("<html><body><nav><a href='/'>หน้าแรก</a></nav></body></html>",
                          "https://news.example/x/y").kind in ("empty", "index")
