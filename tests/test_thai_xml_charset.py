"""Thai sitemaps and feeds in TIS-620, crawled from a real local server: declared in the XML prolog,
declared Latin-1 or UTF-8 by mistake, or not declared at all, and served as XML, as
``application/octet-stream`` or with no Content-Type. Their titles, Thai URLs and Thai dates come
out as Thai; a French sitemap that really is Latin-1 stays French. The headlines and stories are
real Thai government news (public domain, thaigov.go.th, from ../shared/data/thaigov-news-sample).

Each crawl runs in its own subprocess (Twisted's reactor cannot restart); they run together once
per module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from crawlers.charset import XmlCharset, xml_as_utf8, xml_charset
from sadap.core.thaidate import THAI_MONTHS
from tests.fake_http import Answer, Call, FakeServer

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10"]
BANGKOK = timezone(timedelta(hours=7))
NOW = datetime.now(BANGKOK).replace(second=0, microsecond=0)

STORIES = {
    "กสร. เตือนทำงานในที่อับอากาศอาจเสียชีวิต หากไม่ปฏิบัติตามกฎหมายความปลอดภัยในการทำงาน":
        "กรมสวัสดิการและคุ้มครองแรงงานเตือนนายจ้างและลูกจ้างที่ทำงานในที่อับอากาศ ให้ปฏิบัติตามกฎหมายความปลอดภัยในการทำงาน",
    "บีโอไอหนุนไทยฐานผลิตอุตสาหกรรมการแพทย์ อนุมัติโครงการลงทุน 1.2 หมื่นล้าน":
        "บีโอไอ สนับสนุนไทยเป็นฐานผลิตอุตสาหกรรมการแพทย์ อนุมัติลงทุนตามมาตรการเร่งรัดการลงทุนในอุตสาหกรรมการแพทย์ "
        "กว่า 40 โครงการ มูลค่า 1.2 หมื่นล้านบาท",
    "รมช.มนัญญา ติดตามนโยบายพัฒนาสหกรณ์การเกษตรม่วงสามสิบ จำกัด":
        "รมช.มนัญญา ติดตามนโยบายพัฒนาสหกรณ์การเกษตรม่วงสามสิบ จำกัด พร้อมเยี่ยมชมศูนย์กระจายสินค้า "
        "แหล่งรวบรวมผลผลิตคุณภาพดีจังหวัดอุบลราชธานี",
    "ทุ่ม 1.9 พัน ลบ. ก้าวสู่ผู้นำเกษตรอินทรีย์อาเซียน":
        "สินค้าเกษตรอินทรีย์มีโอกาสเติบโตในตลาดโลกเป็นอย่างมาก ซึ่งรัฐบาลได้ให้ความสำคัญกับการทำเกษตรอินทรีย์อย่างเต็มที่",
    "ดีอีเอส รุกต่อยอดเน็ตสาธารณะครอบคลุมชนบท-ชุมชนเมือง":
        "กระทรวงดิจิทัลฯ เพิ่มโอกาสประชาชนทุกพื้นที่เข้าถึงและใช้ประโยชน์จากเทคโนโลยี นำร่องเปิดจุดให้บริการไวไฟฟรีชุมชนเมือง "
        "10 แห่งทั่วประเทศ",
}
HEADLINES = list(STORIES)
#: A one-headline feed that Scrapy's statistical guess (charset-normalizer) reads as Shift-JIS.
CABINET = "สรุปข่าวการประชุมคณะรัฐมนตรี 26 มกราคม 2564"
FRENCH = [("Réforme des retraites : le gouvernement déterminé", "La réforme sera présentée à l'Élysée mercredi."),
          ("Grève générale dès la rentrée, préviennent les syndicats", "Ça coûtera cher, répond l'État.")]

TIS_620 = '<?xml version="1.0" encoding="TIS-620"?>\n'
LATIN_1 = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
UTF_8 = '<?xml version="1.0" encoding="UTF-8"?>\n'


def thai_date(when: datetime) -> str:
    """``26 ม.ค. 2564 09:30 น.``, as Thai sites write dates (Buddhist era, Bangkok time)."""
    local = when.astimezone(BANGKOK)
    return f"{local.day} {THAI_MONTHS[local.month - 1][1]} {local.year + 543} {local:%H:%M} น."


def utc(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat()


def _iso(when: datetime) -> str:
    return when.isoformat()


# -- sitemaps ----------------------------------------------------------------------------------------
# name: (path, Content-Type, prolog, bytes encoding, entries as (page path, headline, published))
Entry = tuple[str, str, datetime]


def _entries(name: str, headlines: list[str]) -> list[Entry]:
    return [(f"/ข่าว/{name}/{n}.html", title, NOW - timedelta(hours=n + 1, minutes=7 * n)) for n, title in enumerate(headlines)]


SITEMAPS: dict[str, tuple[str, str, str, str, list[Entry]]] = {
    "declared": ("/declared.xml", "application/xml", TIS_620, "cp874", _entries("declared", HEADLINES[:2])),
    "undeclared": ("/undeclared.xml", "application/xml", "", "cp874", _entries("undeclared", HEADLINES[1:3])),
    "latin_1": ("/latin-1.xml", "text/xml; charset=iso-8859-1", LATIN_1, "cp874", _entries("latin_1", HEADLINES[2:4])),
    "header": ("/header.xml", "application/xml; charset=windows-874", "", "cp874", _entries("header", HEADLINES[3:5])),
    "octet": ("/sitemap.php?part=1", "application/octet-stream", "", "cp874", _entries("octet", HEADLINES[:3:2])),
    "utf_8_says_latin_1": ("/utf8.xml", "text/xml", LATIN_1, "utf-8", _entries("utf8", HEADLINES[1::3])),
    "french": ("/fr.xml", "text/xml; charset=iso-8859-1", LATIN_1, "latin-1",
               [(f"/fr/{n}.html", title, NOW - timedelta(hours=n + 2)) for n, (title, _) in enumerate(FRENCH)]),
}


def urlset(base: str, prolog: str, entries: list[Entry], dates: Any = thai_date,
           publication: tuple[str, str] = ("ข่าวทำเนียบรัฐบาล", "th")) -> str:
    rows = "".join(
        f"<url><loc>{base}{path}</loc><news:news><news:publication><news:name>{publication[0]}</news:name>"
        f"<news:language>{publication[1]}</news:language></news:publication><news:publication_date>{dates(when)}"
        f"</news:publication_date><news:title>{title}</news:title></news:news></url>"
        for path, title, when in entries
    )
    return (f'{prolog}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{rows}</urlset>')


def article(title: str, story: str) -> str:
    return (f"<!doctype html><html lang='th'><head><meta charset='utf-8'><title>{title}</title>"
            "<meta property='og:type' content='article'></head>"
            f"<body><article><h1>{title}</h1><p>{story}</p><p>{story}</p></article></body></html>")


def sitemap_site(call: Call) -> Answer:
    base = "http://" + call.headers["host"]
    if call.path == "/robots.txt":
        return Answer(body="User-agent: *\n" + "".join(f"Sitemap: {base}{s[0]}\n" for s in SITEMAPS.values()),
                      content_type="text/plain")
    for name, (path, content_type, prolog, encoding, entries) in SITEMAPS.items():
        if call.path == path:
            xml = urlset(base, prolog, entries, _iso, ("Le Monde", "fr")) if name == "french" else urlset(base, prolog, entries)
            return Answer(body=xml.encode(encoding), content_type=content_type)
        for page, title, _ in entries:
            if call.path == page:
                story = STORIES.get(title) or dict(FRENCH)[title]
                return Answer(body=article(title, story))
    return Answer(404, "not found", "text/plain")


# -- feeds -------------------------------------------------------------------------------------------
def rss(prolog: str, channel: str, items: list[tuple[str, str, str]]) -> str:
    rows = "".join(f"<item><title>{title}</title><link>/news/{n}.html</link><guid>{n}</guid>"
                   + (f"<description>{story}</description>" if story else "") + f"<pubDate>{date}</pubDate></item>"
                   for n, (title, story, date) in enumerate(items))
    return f"{prolog}<rss version='2.0'><channel><title>{channel}</title><link>/</link>{rows}</channel></rss>"


THAI_ITEMS = [(title, STORIES[title], thai_date(NOW - timedelta(hours=n))) for n, title in enumerate(HEADLINES[:3])]
# name: (path, Content-Type, body, what the items must be: (title, text, published_at))
FEEDS: dict[str, tuple[str, str, bytes, list[tuple[str, str, str]]]] = {
    # (b) TIS-620 served as application/octet-stream: a one-headline feed, and one of three with dates in Thai.
    "one_headline": ("/rss.php?cat=cabinet", "application/octet-stream",
                     rss("", "Thai Government News", [(CABINET, "ประชุม ครม.", "Tue, 26 Jan 2021 12:00:00 +0700")]).encode("cp874"),
                     [(CABINET, "ประชุม ครม.", "2021-01-26T05:00:00+00:00")]),
    "octet": ("/rss.php?cat=all", "application/octet-stream", rss("", "ข่าวทำเนียบรัฐบาล", THAI_ITEMS).encode("cp874"),
              [(t, s, utc(NOW - timedelta(hours=n))) for n, (t, s, _) in enumerate(THAI_ITEMS)]),
    "declared_no_type": ("/feed", "", rss(TIS_620, "ข่าวทำเนียบรัฐบาล", THAI_ITEMS).encode("cp874"),
                         [(t, s, utc(NOW - timedelta(hours=n))) for n, (t, s, _) in enumerate(THAI_ITEMS)]),
    "utf_8_says_tis_620": ("/feed-th", "application/octet-stream", rss(TIS_620, "ข่าวทำเนียบรัฐบาล", THAI_ITEMS).encode("utf-8"),
                           [(t, s, utc(NOW - timedelta(hours=n))) for n, (t, s, _) in enumerate(THAI_ITEMS)]),
    # (c) UTF-8 served as application/octet-stream.
    "utf_8": ("/feed-utf8", "application/octet-stream", rss(UTF_8, "ข่าวทำเนียบรัฐบาล", THAI_ITEMS).encode("utf-8"),
              [(t, s, utc(NOW - timedelta(hours=n))) for n, (t, s, _) in enumerate(THAI_ITEMS)]),
}


def feed_site(call: Call) -> Answer:
    for path, content_type, body, _ in FEEDS.values():
        if call.path == path:
            return Answer(body=body, content_type=content_type)
    return Answer(404, "not found", "text/plain")


# -- the crawls ----------------------------------------------------------------------------------------
def _site(call: Call) -> Answer:
    answer = sitemap_site(call)
    return feed_site(call) if answer.status == 404 else answer


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("thai-xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with FakeServer(_site) as server:
        crawls = {"sitemaps": ["sitemap", f"url={server.url}/", "first_crawl=1d"]}
        crawls |= {name: ["rss", f"url={server.url}{path}"] for name, (path, *_) in FEEDS.items()}
        running = {}
        for n, (name, (spider, *args)) in enumerate(crawls.items()):
            command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"source=s{n}",
                       *[part for arg in args for part in ("-a", arg)], "-O", str(tmp / f"{n}.jsonl"), *FAST]
            err = (tmp / f"{n}.stderr").open("wb")
            running[name] = (n, subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err), err)
        results: dict[str, Any] = {}
        for name, (n, process, err) in running.items():
            try:
                process.wait(timeout=120)
            finally:
                err.close()
            stderr = (tmp / f"{n}.stderr").read_text("utf-8")
            assert process.returncode == 0, stderr[-2000:]
            items = [json.loads(line) for line in (tmp / f"{n}.jsonl").read_text("utf-8").splitlines() if line]
            results[name] = (items, stderr)
        results["paths"] = server.paths()
    yield results


@pytest.mark.parametrize("name", list(SITEMAPS))
def test_a_sitemap_gives_its_pages_with_their_thai_titles_urls_and_dates(crawled: dict[str, Any], name: str) -> None:
    items, stderr = crawled["sitemaps"]
    entries = SITEMAPS[name][4]
    got = {unquote(urlsplit(i["url"]).path): (i["title"], i["published_at"]) for i in items}
    assert {path: got.get(path) for path, _, _ in entries} == {path: (title, utc(when)) for path, title, when in entries}


def test_a_sitemap_served_as_octet_stream_at_a_url_not_ending_in_xml_is_read(crawled: dict[str, Any]) -> None:
    _, stderr = crawled["sitemaps"]
    assert "not a sitemap" not in stderr  # was: one error line for /sitemap.php?part=1


def test_the_site_of_thai_sitemaps_is_named_once_and_they_are_counted(crawled: dict[str, Any]) -> None:
    _, stderr = crawled["sitemaps"]
    said = [line for line in stderr.splitlines() if "sitemaps and feeds in Thai (TIS-620)" in line]
    assert len(said) == 1 and "[sitemap] INFO: 127.0.0.1:" in said[0] and "read as windows-874" in said[0], said
    # Read as Thai against what they declared, or without a declaration: undeclared, Latin-1, octet-stream
    # (the Latin-1 one perhaps by the downloader middleware already, counted once all the same). The one
    # declaring TIS-620, the one whose header says windows-874 and the UTF-8 one are read as declared.
    assert "'sadap/thai_charset': 3" in stderr


@pytest.mark.parametrize("name", list(FEEDS))
def test_a_feed_served_as_octet_stream_or_without_a_type_is_read_as_thai(crawled: dict[str, Any], name: str) -> None:
    items, stderr = crawled[name]
    assert [(i["title"], i["text"], i["published_at"]) for i in items] == FEEDS[name][3]
    assert "not an RSS/Atom feed" not in stderr


# -- the charset of the bytes ------------------------------------------------------------------------
THAI = urlset("http://example.go.th", "", _entries("x", HEADLINES))
FRENCH_URLSET = urlset("http://example.fr", "", [(f"/{n}", t, NOW) for n, (t, _) in enumerate(FRENCH)], _iso, ("Le Monde", "fr"))


@pytest.mark.parametrize(("body", "header", "expected"), [
    ((TIS_620 + THAI).encode("cp874"), None, XmlCharset("cp874")),
    ((TIS_620 + THAI).encode("cp874"), "iso-8859-1", XmlCharset("cp874")),  # the document's own declaration first
    (THAI.encode("cp874"), None, XmlCharset("cp874", thai=True)),
    (THAI.encode("cp874"), "utf-8", XmlCharset("cp874", thai=True)),  # declared UTF-8, not UTF-8
    ((LATIN_1 + THAI).encode("cp874"), None, XmlCharset("cp874", thai=True)),
    (THAI.encode("cp874"), "windows-874", XmlCharset("cp874")),
    ((LATIN_1 + THAI).encode("utf-8"), None, XmlCharset("utf-8")),  # UTF-8 bytes are UTF-8, whatever is declared
    (b"\xef\xbb\xbf" + THAI.encode("utf-8"), None, XmlCharset("utf-8")),
    ((LATIN_1 + FRENCH_URLSET).encode("latin-1"), None, XmlCharset("cp1252")),
    (FRENCH_URLSET.encode("latin-1"), None, XmlCharset(None)),  # undeclared, not Thai: Scrapy's guess
])
def test_xml_charset(body: bytes, header: str | None, expected: XmlCharset) -> None:
    assert xml_charset(body, header) == expected


def test_xml_as_utf8_drops_the_declared_encoding_and_a_bom() -> None:
    body = b"\xef\xbb\xbf" + (TIS_620 + "<rss><title>ข่าว</title></rss>").encode("utf-8")
    assert xml_as_utf8(body, "utf-8") == '<?xml version="1.0"?>\n<rss><title>ข่าว</title></rss>'.encode()
    assert xml_as_utf8((TIS_620 + "<rss>ข่าว</rss>").encode("cp874"), "cp874") == '<?xml version="1.0"?>\n<rss>ข่าว</rss>'.encode()
