"""Thai pages and feeds in TIS-620 that declare a Latin-1 charset (``charset=iso-8859-1`` from old
PHP defaults, windows-1252, latin-1 in a ``<meta>`` or the XML declaration), crawled from a real
local server, are read as Thai; French and German pages that really are Latin-1 stay as they are.
The Thai story is real Thai government news (public domain, thaigov.go.th, 25 ส.ค. 2563)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.charset import is_latin_1_family, looks_like_tis_620
from tests.fake_http import Answer, Call, FakeServer

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=10"]

TITLE = "นายกรัฐมนตรี แจงไม่ห้ามชุมนุม ถือเป็นวิถีปกติตามระบอบประชาธิปไตย"
STORY = [
    "วันนี้ (25 ส.ค.63) เวลา 13.30 น. ณ โรงแรมสตาร์ คอนเวนชั่น จ.ระยอง ภายหลังการประชุมคณะรัฐมนตรีอย่างเป็นทางการ"
    "นอกสถานที่ ครั้งที่ 2/2563 พลเอก ประยุทธ์ จันทร์โอชา นายกรัฐมนตรีและรัฐมนตรีว่าการกระทรวงกลาโหม "
    "กล่าวถึงการชุมนุมเคลื่อนไหวในขณะนี้ว่าเป็นวิถีปกติตามระบอบประชาธิปไตย ยืนยันไม่ได้ห้ามแต่อย่างใด",
    "ส่วนการแก้ไขรัฐธรรมนูญก็เป็นนโยบายเร่งด่วนของรัฐบาล ข้อ 12 ที่จะดำเนินการอยู่แล้ว "
    "โดยมีการระบุว่าสนับสนุนให้มีการศึกษา รับฟังความคิดเห็นจากประชาชน",
]
FRENCH_TITLE = "Réforme des retraites : le gouvernement déterminé"
FRENCH = [
    "Le gouvernement a annoncé mercredi une réforme des retraites. « Nous sommes déterminés à aller "
    "jusqu'au bout », a déclaré la Première ministre, après une réunion à l'Élysée.",
    "Les syndicats, réunis à Paris, ont répliqué qu'ils étaient prêts à une grève générale dès la rentrée. "
    "Ça coûtera cher : l'État prévoit des économies de deux milliards d'euros.",
]
GERMAN_TITLE = "Größere Städte müssen für Straßenbahnen zahlen"
GERMAN = [
    "Die Bundesregierung hat am Mittwoch eine Änderung beschlossen: Größere Städte müssen künftig für "
    "Straßenbahnen zahlen. „Das ist für uns völlig überraschend“, sagte der Bürgermeister von München.",
    "Übermäßige Gebühren führen zu Ärger bei den Bürgern; die Schüler äußerten sich ähnlich über die Prüfungen.",
]


def article(title: str, paragraphs: list[str], head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head>{head}<title>{title}</title><meta property='og:type' content='article'>"
            "<meta property='article:published_time' content='2020-08-25T13:30:00+07:00'></head>"
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


def feed(declaration: str, title: str, paragraphs: list[str], date: str) -> str:
    items = "".join(f"<item><title>{title} ({n})</title><link>/news/{n}.html</link><guid>{n}</guid>"
                    f"<description>{p}</description><pubDate>{date}</pubDate></item>"
                    for n, p in enumerate(paragraphs))
    return f"{declaration}<rss version='2.0'><channel><title>{title}</title>{items}</channel></rss>"


XML_LATIN_1 = '<?xml version="1.0" encoding="ISO-8859-1"?>'
PAGES: dict[str, tuple[str, str, bytes]] = {
    # path: (expected language, Content-Type, body)
    "/th-header.html": ("th", "text/html; charset=iso-8859-1", article(TITLE, STORY).encode("cp874")),
    "/th-1252.html": ("th", "text/html; charset=windows-1252", article(TITLE, STORY).encode("cp874")),
    "/th-meta.html": ("th", "text/html", article(TITLE, STORY, "<meta http-equiv='Content-Type' "
                                                   "content='text/html; charset=latin-1'>").encode("cp874")),
    "/fr.html": ("fr", "text/html; charset=iso-8859-1", article(FRENCH_TITLE, FRENCH).encode("latin-1")),
    "/de.html": ("de", "text/html", article(GERMAN_TITLE, GERMAN, "<meta charset='iso-8859-1'>").encode("cp1252")),
    "/th.rss": ("th", "application/rss+xml; charset=iso-8859-1",
                feed(XML_LATIN_1, TITLE, STORY, "อังคาร 25 ส.ค. 2563 13:30 น.").encode("cp874")),
    "/th-declared.rss": ("th", "text/xml", feed(XML_LATIN_1, TITLE, STORY, "อังคาร 25 ส.ค. 2563 13:30 น.").encode("cp874")),
    "/fr.rss": ("fr", "application/rss+xml; charset=iso-8859-1",
                feed(XML_LATIN_1, FRENCH_TITLE, FRENCH, "Tue, 25 Aug 2020 13:30:00 +0200").encode("latin-1")),
}
INDEX = "".join(f"<a href='{path}'>{path}</a>" for path in PAGES if path.endswith(".html"))


def _site(call: Call) -> Answer:
    if call.path == "/":
        return Answer(body=f"<html><body>{INDEX}</body></html>")
    if call.path in PAGES:
        _, content_type, body = PAGES[call.path]
        return Answer(body=body, content_type=content_type)
    return Answer(404, "not found", "text/plain")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("charset")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with FakeServer(_site) as server:
        crawls = {"pages": ["article", f"url={server.url}/", r"follow=\.html$"]}
        crawls |= {path: ["rss", f"url={server.url}{path}"] for path in PAGES if path.endswith(".rss")}
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
    yield results


@pytest.mark.parametrize("path", [p for p in PAGES if p.endswith(".html")])
def test_news_pages_are_read_in_the_charset_they_are_really_in(crawled: dict[str, Any], path: str) -> None:
    items, stderr = crawled["pages"]
    item = next(i for i in items if i["url"].endswith(path))
    language = PAGES[path][0]
    title, story = {"th": (TITLE, STORY), "fr": (FRENCH_TITLE, FRENCH), "de": (GERMAN_TITLE, GERMAN)}[language]
    assert item["title"] == title
    assert item["text"].split("\n") == story


def test_the_site_is_named_once_when_its_thai_is_read_as_windows_874(crawled: dict[str, Any]) -> None:
    _, stderr = crawled["pages"]
    said = [line for line in stderr.splitlines() if "TIS-620" in line]
    assert len(said) == 1 and "INFO: 127.0.0.1:" in said[0], said


def test_the_middleware_counts_each_thai_page_it_reads_again() -> None:
    # Counted on the middleware itself: in a crawl a page may already come out right another way
    # (the spider reads a body's own declaration too), which made a crawl's count vary on a busy machine.
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawlers.middlewares import ThaiCharsetMiddleware

    crawler = get_crawler()
    crawler.stats.open_spider(None)
    middleware = ThaiCharsetMiddleware.from_crawler(crawler)
    read, latin = {}, []
    for path, (_, content_type, body) in PAGES.items():
        if path.endswith(".html"):
            url = f"http://127.0.0.1/{path}"
            response = HtmlResponse(url, body=body, headers={"Content-Type": content_type})
            if response.encoding == "cp1252":
                latin.append(path)
            read[path] = middleware.process_response(Request(url), response).encoding
    assert read == {"/th-header.html": "cp874", "/th-1252.html": "cp874", "/th-meta.html": "cp874",
                    "/fr.html": "cp1252", "/de.html": "cp1252"}
    # Counted where Scrapy itself read Thai as Latin-1: always the two declared so in the header; the
    # <meta>-declared one too with w3lib 2.5, while w3lib 2.6 already reads that body as cp874 itself.
    assert {"/th-header.html", "/th-1252.html"} <= set(latin)
    thai_read_as_latin = [p for p in latin if p.startswith("/th")]
    assert crawler.stats.get_value("sadap/thai_charset") == len(thai_read_as_latin)  # French and German untouched


@pytest.mark.parametrize("path", ["/th.rss", "/th-declared.rss"])
def test_a_thai_feed_declared_latin_1_is_read_as_thai(crawled: dict[str, Any], path: str) -> None:
    items, _ = crawled[path]
    assert [(i["title"], i["text"]) for i in items] == [(f"{TITLE} ({n})", p) for n, p in enumerate(STORY)]
    assert {i["extras"]["feed_title"] for i in items} == {TITLE}
    assert {i["published_at"] for i in items} == {"2020-08-25T06:30:00+00:00"}  # its Thai date readable too


def test_a_french_feed_in_latin_1_stays_french(crawled: dict[str, Any]) -> None:
    items, stderr = crawled["/fr.rss"]
    assert [(i["title"], i["text"]) for i in items] == [(f"{FRENCH_TITLE} ({n})", p) for n, p in enumerate(FRENCH)]
    assert "TIS-620" not in stderr


# -- the test itself, on bytes ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    " ".join(FRENCH), " ".join(GERMAN),
    "El presidente anunció el miércoles una reforma. ¿Qué pasará con los jóvenes? Niño, año, corazón, ¡atención! " * 3,
    "Ríkisstjórnin tilkynnti á miðvikudaginn um nýjar aðgerðir. Þjóðin er ekki sátt við ákvörðunina. " * 3,
    "ÉTÉ DÉJÀ VU À PARÎS, ÇA ÔTÉ. GRÖSSE ÄRGER ÜBERMÄSSIG STRASSE " * 5,  # capitals in runs
])
def test_latin_1_text_is_not_taken_for_thai(text: str) -> None:
    assert not looks_like_tis_620(f"<html><body><p>{text}</p></body></html>".encode("cp1252"))


def test_thai_in_tis_620_is_recognised_but_not_in_utf_8_or_too_short() -> None:
    page = article(TITLE, STORY)
    assert looks_like_tis_620(page.encode("cp874"))
    assert not looks_like_tis_620(page.encode("utf-8"))  # UTF-8 declared wrongly is another matter
    assert not looks_like_tis_620("<p>ข่าวด่วน</p>".encode("cp874"))  # a few letters do not overrule a declaration


@pytest.mark.parametrize(("name", "family"), [
    ("iso-8859-1", True), ("latin-1", True), ("windows-1252", True), ("cp1252", True), ("ISO-8859-15", True),
    ("utf-8", False), ("cp874", False), ("tis-620", False), ("no-such-charset", False), (None, False),
])
def test_latin_1_family(name: str | None, family: bool) -> None:
    assert is_latin_1_family(name) is family
