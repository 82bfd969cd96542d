"""The shipped demo web site: Thai sample news, an RSS feed and a forum, served on loopback.

``DemoSite`` serves the packaged ``story.json`` (or a story you pass in) with every
time computed as *anchor − hours_ago*, so the crisis is always "happening now":

========================================  ================================================
``/robots.txt``                           allows everything except ``/private/``
``/feed.xml``                             RSS 2.0 of the wire service (``feed.items``)
``/wire/<slug>.html``                     a plain page per feed item
``/news/``                                index of the newspaper's articles, newest first
``/news/<slug>.html``                     an article page with boilerplate around ``<article>``
``/forum/threads.json``                   list of forum threads
``/forum/thread/<id>.json``               one thread with its comments
``/broken-feed.xml``                      an HTML page (not XML), status 200
``/private/...``                          403
anything else                             404
========================================  ================================================

Run it on its own with ``python -m sadap.app.demo.site [--port N]``.
"""

from __future__ import annotations

import argparse
import json
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape as html_escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

UTC = timezone.utc
# Asia/Bangkok has had no daylight saving since 1920: a fixed +07:00 is exact here.
BANGKOK = timezone(timedelta(hours=7), "+07")

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
THAI_MONTHS_ABBR = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")

SECTIONS = ("หน้าแรก", "ข่าวเด่น", "เศรษฐกิจ", "การเงิน", "ภูมิภาค", "ไลฟ์สไตล์", "ไอที")


def load_story() -> dict[str, Any]:
    """The packaged Thai story (``sadap/app/demo/story.json``)."""
    text = resources.files("sadap.app.demo").joinpath("story.json").read_text(encoding="utf-8")
    story: dict[str, Any] = json.loads(text)
    return story


def thai_date(moment: datetime, thai_digits: bool = False) -> str:
    """Bangkok local time in Thai, Buddhist era.

    ``วันที่ 21 พฤศจิกายน 2569 เวลา 09:30 น.`` or, with ``thai_digits``,
    ``๒๑ พ.ย. ๒๕๖๙ ๐๙:๓๐ น.``
    """
    local = moment.astimezone(BANGKOK)
    year = local.year + 543
    if thai_digits:
        text = f"{local.day} {THAI_MONTHS_ABBR[local.month - 1]} {year} {local:%H:%M} น."
        return text.translate(_THAI_DIGITS)
    return f"วันที่ {local.day} {THAI_MONTHS[local.month - 1]} {year} เวลา {local:%H:%M} น."


def _e(text: Any) -> str:
    return html_escape(str(text), quote=True)


class DemoSite:
    """A tiny threaded HTTP server for the demo story, on 127.0.0.1 by default."""

    def __init__(
        self,
        story: dict[str, Any] | None = None,
        anchor: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.story = story if story is not None else load_story()
        if anchor is None:
            anchor = datetime.now(UTC)
        elif anchor.tzinfo is None:
            raise ValueError("anchor must be timezone-aware (for example datetime.now(timezone.utc))")
        # Whole seconds, so RFC 822, ISO 8601 and computed times all agree exactly.
        self.anchor = anchor.astimezone(UTC).replace(microsecond=0)
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None
        self._index()

    # ------------------------------------------------------------------ story
    def _index(self) -> None:
        feed = self.story.get("feed", {})
        site = self.story.get("site", {})
        forum = self.story.get("forum", {})
        self._feed_items = sorted(feed.get("items", []), key=lambda i: i["hours_ago"])
        self._articles = sorted(site.get("articles", []), key=lambda a: a["hours_ago"])
        self._threads = sorted(forum.get("threads", []), key=lambda t: t["hours_ago"])
        self._wire_by_slug = {i["slug"]: i for i in self._feed_items}
        self._article_by_slug = {a["slug"]: a for a in self._articles}
        self._thread_by_id = {t["id"]: t for t in self._threads}

    def published_at(self, hours_ago: float) -> datetime:
        """``anchor − hours_ago`` as an aware UTC datetime (whole seconds)."""
        return self.anchor - timedelta(seconds=round(float(hours_ago) * 3600))

    @property
    def mention_count(self) -> int:
        """Feed items + articles + forum threads + forum comments."""
        comments = sum(len(t.get("comments", [])) for t in self._threads)
        return len(self._feed_items) + len(self._articles) + len(self._threads) + comments

    # ---------------------------------------------------------------- serving
    def start(self) -> str:
        """Start serving in a daemon thread; returns the base URL (``http://127.0.0.1:PORT``)."""
        if self._server is not None:
            return self.base_url  # type: ignore[return-value]
        site = self

        class Handler(_Handler):
            demo = site

        server = _QuietServer((self.host, self.port), Handler)
        self._server = server
        host, port = str(server.server_address[0]), int(server.server_address[1])
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, name="sadap-demo-site", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- content
    def route(self, path: str) -> tuple[int, str, str | bytes, dict[str, str]]:
        """``(status, content_type, body, extra_headers)`` for a request path."""
        base = self.base_url or ""
        if path == "/":
            return 200, "text/html; charset=utf-8", self._home_html(), {}
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", "User-agent: *\nDisallow: /private/\nAllow: /\n", {}
        if path == "/feed.xml":
            return 200, "application/rss+xml; charset=utf-8", self._rss(base), {}
        if path == "/broken-feed.xml":
            return 200, "text/html; charset=utf-8", self._broken_feed_html(), {}
        if path == "/private" or path.startswith("/private/"):
            return 403, "text/html; charset=utf-8", self._message_html("403 ห้ามเข้าถึง", "หน้านี้ไม่เปิดให้เข้าถึง"), {}
        if path == "/news":
            return 301, "text/html; charset=utf-8", "", {"Location": "/news/"}
        if path == "/news/":
            return 200, "text/html; charset=utf-8", self._news_index_html(), {}
        if path.startswith("/news/") and path.endswith(".html"):
            article = self._article_by_slug.get(path[len("/news/"):-len(".html")])
            if article is not None:
                return 200, "text/html; charset=utf-8", self._article_html(article), {}
        if path.startswith("/wire/") and path.endswith(".html"):
            item = self._wire_by_slug.get(path[len("/wire/"):-len(".html")])
            if item is not None:
                return 200, "text/html; charset=utf-8", self._wire_html(item), {}
        if path == "/forum/threads.json":
            return 200, "application/json; charset=utf-8", self._threads_json(), {}
        if path.startswith("/forum/thread/") and path.endswith(".json"):
            thread = self._thread_by_id.get(path[len("/forum/thread/"):-len(".json")])
            if thread is not None:
                return 200, "application/json; charset=utf-8", self._thread_json(thread), {}
        return 404, "text/html; charset=utf-8", self._message_html("404 ไม่พบหน้านี้", "ไม่พบหน้าที่คุณต้องการ"), {}

    def _iso(self, hours_ago: float) -> str:
        return self.published_at(hours_ago).astimezone(BANGKOK).isoformat()

    def _rfc822(self, hours_ago: float) -> str:
        return format_datetime(self.published_at(hours_ago).astimezone(BANGKOK))

    def _rss(self, base: str) -> str:
        feed = self.story.get("feed", {})
        title = feed.get("title", "Demo feed")
        outlet = feed.get("outlet", title)
        last = self._rfc822(self._feed_items[0]["hours_ago"]) if self._feed_items else self._rfc822(0)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
            "<channel>",
            f"<title>{xml_escape(title)}</title>",
            f"<link>{xml_escape(base + '/')}</link>",
            f"<description>{xml_escape('ข่าวล่าสุดจาก ' + outlet)}</description>",
            "<language>th</language>",
            f"<lastBuildDate>{last}</lastBuildDate>",
        ]
        for item in self._feed_items:
            link = f"{base}/wire/{item['slug']}.html"
            out += [
                "<item>",
                f"<title>{xml_escape(item['title'])}</title>",
                f"<link>{xml_escape(link)}</link>",
                f'<guid isPermaLink="false">{xml_escape(item["slug"])}</guid>',
                f"<pubDate>{self._rfc822(item['hours_ago'])}</pubDate>",
                f"<dc:creator>{xml_escape(item['author'])}</dc:creator>",
                f"<description>{xml_escape(item['summary'])}</description>",
                "</item>",
            ]
        out += ["</channel>", "</rss>", ""]
        return "\n".join(out)

    def _threads_json(self) -> str:
        forum = self.story.get("forum", {})
        threads = [
            {
                "id": t["id"],
                "title": t["title"],
                "url": f"/forum/thread/{t['id']}.json",
                "comments": len(t.get("comments", [])),
            }
            for t in self._threads
        ]
        return json.dumps({"forum": forum.get("name", ""), "threads": threads}, ensure_ascii=False, indent=1)

    def _thread_json(self, thread: dict[str, Any]) -> str:
        comments = sorted(thread.get("comments", []), key=lambda c: -c["hours_ago"])
        doc = {
            "id": thread["id"],
            "title": thread["title"],
            "author": thread["author"],
            "created_at": self._iso(thread["hours_ago"]),
            "body": thread["body"],
            "likes": thread.get("likes", 0),
            "comments": [
                {
                    "id": c["id"],
                    "author": c["author"],
                    "created_at": self._iso(c["hours_ago"]),
                    "text": c["text"],
                    "likes": c.get("likes", 0),
                }
                for c in comments
            ],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1)

    # ------------------------------------------------------------------- html
    @property
    def _site_name(self) -> str:
        return str(self.story.get("site", {}).get("name", "ข่าวตัวอย่าง"))

    def _page(self, title: str, main: str, *, sidebar: bool = True, head_extra: str = "") -> str:
        name = self._site_name
        nav = "".join(
            f'<li><a href="/news/">{_e(s)}</a></li>' for s in SECTIONS
        )
        side = ""
        if sidebar:
            popular = "".join(
                f'<li><a href="/news/{_e(a["slug"])}.html">{_e(a["title"])}</a></li>'
                for a in self._popular()
            )
            side = (
                '<aside class="sidebar">'
                "<h2>ข่าวยอดนิยม</h2>"
                f'<ol class="popular">{popular}</ol>'
                '<div class="ad">พื้นที่โฆษณา · สนใจลงโฆษณาติดต่อฝ่ายการตลาด</div>'
                "<h2>ติดตามเรา</h2>"
                '<ul class="social"><li><a href="/news/">เฟซบุ๊ก</a></li><li><a href="/news/">ไลน์ทางการ</a></li>'
                '<li><a href="/news/">ยูทูบ</a></li></ul>'
                "</aside>"
            )
        year_be = self.anchor.astimezone(BANGKOK).year + 543
        return (
            "<!DOCTYPE html>\n"
            '<html lang="th">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)} | {_e(name)}</title>\n{head_extra}"
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">\n'
            "</head>\n<body>\n"
            '<header class="site-header">'
            f'<div class="logo"><a href="/news/">{_e(name)}</a></div>'
            '<div class="tagline">ข่าวจริง ทันเหตุการณ์ ทุกวัน</div>'
            '<form class="search" action="/news/"><input type="search" name="q" placeholder="ค้นหาข่าว"></form>'
            f'<nav class="menu"><ul>{nav}</ul></nav>'
            "</header>\n"
            f'<div class="container"><main>{main}</main>{side}</div>\n'
            '<footer class="site-footer">'
            '<ul class="footer-links"><li><a href="/news/">เกี่ยวกับเรา</a></li>'
            '<li><a href="/news/">ติดต่อโฆษณา</a></li><li><a href="/news/">นโยบายความเป็นส่วนตัว</a></li>'
            '<li><a href="/news/">ร่วมงานกับเรา</a></li></ul>'
            f"<p>© {year_be} {_e(name)} สงวนลิขสิทธิ์ ห้ามคัดลอกหรือนำไปเผยแพร่โดยไม่ได้รับอนุญาต</p>"
            "</footer>\n</body>\n</html>\n"
        )

    def _popular(self, limit: int = 5) -> list[dict[str, Any]]:
        # Oldest well-read pieces sit in the sidebar, as on real news sites.
        return sorted(self._articles, key=lambda a: -a["hours_ago"])[:limit]

    def _article_html(self, article: dict[str, Any]) -> str:
        when = self.published_at(article["hours_ago"])
        date_text = thai_date(when, bool(article.get("thai_digits")))
        paragraphs = "\n".join(f"<p>{_e(p)}</p>" for p in article["paragraphs"])
        others = [a for a in self._articles if a["slug"] != article["slug"]][:3]
        related = "".join(
            f'<li><a href="/news/{_e(a["slug"])}.html">{_e(a["title"])}</a></li>' for a in others
        )
        main = (
            '<nav class="breadcrumb"><a href="/news/">หน้าแรก</a> › <a href="/news/">ข่าวเด่น</a></nav>\n'
            "<article>\n"
            f"<h1>{_e(article['title'])}</h1>\n"
            '<div class="meta">'
            f'<span class="byline">โดย {_e(article["author"])}</span> · '
            f'<time class="published">{_e(date_text)}</time>'
            "</div>\n"
            f"{paragraphs}\n"
            "</article>\n"
            '<div class="share">แชร์ข่าวนี้: <a href="/news/">เฟซบุ๊ก</a> <a href="/news/">ไลน์</a> <a href="/news/">X</a></div>\n'
            f'<section class="related"><h2>ข่าวที่เกี่ยวข้อง</h2><ul>{related}</ul></section>\n'
        )
        head = (
            f'<meta property="og:title" content="{_e(article["title"])}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:site_name" content="{_e(self._site_name)}">\n'
            f'<meta name="author" content="{_e(article["author"])}">\n'
        )
        return self._page(article["title"], main, head_extra=head)

    def _news_index_html(self) -> str:
        items = "\n".join(
            '<li class="story">'
            f'<a href="/news/{_e(a["slug"])}.html">{_e(a["title"])}</a> '
            f'<span class="when">{_e(thai_date(self.published_at(a["hours_ago"]), bool(a.get("thai_digits"))))}</span>'
            "</li>"
            for a in self._articles
        )
        main = f"<h1>ข่าวล่าสุด</h1>\n<ul class=\"news-list\">\n{items}\n</ul>\n"
        return self._page("ข่าวล่าสุด", main)

    def _wire_html(self, item: dict[str, Any]) -> str:
        outlet = self.story.get("feed", {}).get("outlet", "")
        paras = "\n".join(f"<p>{_e(p)}</p>" for p in item["summary"].split("\n\n") if p.strip())
        when = thai_date(self.published_at(item["hours_ago"]))
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="th">\n<head>\n<meta charset="utf-8">\n<title>{_e(item["title"])} | {_e(outlet)}</title>\n'
            f'<meta property="og:title" content="{_e(item["title"])}">\n'
            f'<meta name="author" content="{_e(item["author"])}">\n'
            "</head>\n<body>\n"
            f"<header>{_e(outlet)}</header>\n"
            f"<article>\n<h1>{_e(item['title'])}</h1>\n"
            f'<p class="byline">โดย {_e(item["author"])} · <time class="published">{_e(when)}</time></p>\n'
            f"{paras}\n</article>\n"
            f'<footer><a href="/feed.xml">RSS</a> · © {_e(outlet)}</footer>\n'
            "</body>\n</html>\n"
        )

    def _home_html(self) -> str:
        forum = self.story.get("forum", {}).get("name", "")
        main = (
            "<h1>เว็บตัวอย่างสำหรับ Sadap</h1>\n<ul>"
            '<li><a href="/feed.xml">ฟีดข่าว RSS</a></li>'
            '<li><a href="/news/">ข่าวล่าสุด</a></li>'
            f'<li><a href="/forum/threads.json">เว็บบอร์ด {_e(forum)} (JSON)</a></li>'
            "</ul>\n"
        )
        return self._page("หน้าแรก", main, sidebar=False)

    def _broken_feed_html(self) -> str:
        main = "<h1>ขออภัย ระบบขัดข้องชั่วคราว</h1>\n<p>ไม่สามารถแสดงฟีดข่าวได้ในขณะนี้ กรุณาลองใหม่อีกครั้ง</p>\n"
        return self._page("ระบบขัดข้อง", main, sidebar=False)

    def _message_html(self, title: str, text: str) -> str:
        return self._page(title, f"<h1>{_e(title)}</h1>\n<p>{_e(text)}</p>\n", sidebar=False)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response (crawler timeouts, Ctrl-C) are not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    demo: DemoSite
    server_version = "SadapDemo/1.0"
    protocol_version = "HTTP/1.1"

    def _respond(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path) or "/"
        status, ctype, body, headers = self.demo.route(path)
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._respond(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sadap.app.demo.site", description="Serve the Sadap demo site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8471)
    args = parser.parse_args(argv)
    site = DemoSite(host=args.host, port=args.port)
    url = site.start()
    print(f"Sadap demo site: {url}  ({site.mention_count} mentions; Ctrl-C to stop)", flush=True)
    print(f"  {url}/feed.xml  {url}/news/  {url}/forum/threads.json", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
