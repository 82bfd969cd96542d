"""A local news site of N generated Thai article pages, for distributed-crawl tests and benchmarks.

``/`` lists every article (``/news/<n>.html``); each page has a headline, a time and a body of
Thai sentences chosen by its number, so no two pages have the same text. Served by a threaded
HTTP server on 127.0.0.1 (free port); ``requests`` counts the pages served, ``served`` lists
``(path, User-Agent)`` of each request.

With ``sitemaps=K`` the site also has a sitemap index, ``/sitemap_index.xml``, naming K Google
News sitemaps ``/sitemap-<k>.xml``; sitemap k lists the pages n with ``n % K == k``, each with a
``news:title`` of its own (``ข่าวจากแผนผัง: <headline>``) and a publication date of
``dated_at`` (default: the page's own time) minus ``n - first`` minutes.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

BRANDS = ["ธนาคารแสงทอง", "แอปแสงทองพลัส", "บัตรเครดิตแสงทอง", "สาขาสีลม", "คอลเซ็นเตอร์"]
OPENINGS = [
    "ลูกค้าหลายรายร้องเรียนว่า{brand}ใช้งานไม่ได้ตั้งแต่เช้า",
    "วันนี้{brand}เปิดตัวบริการใหม่สำหรับลูกค้ารายย่อย",
    "ผู้ใช้โซเชียลชื่นชม{brand}ที่ตอบคำถามรวดเร็ว",
    "มีรายงานว่า{brand}ปรับค่าธรรมเนียมการโอนเงินต่างธนาคาร",
    "{brand}แจ้งปิดปรับปรุงระบบชั่วคราวในคืนวันเสาร์",
]
MIDDLES = [
    "เจ้าหน้าที่ระบุว่ากำลังเร่งตรวจสอบสาเหตุและจะแจ้งความคืบหน้าอีกครั้ง",
    "นักวิเคราะห์มองว่าการเปลี่ยนแปลงครั้งนี้จะส่งผลต่อความเชื่อมั่นของผู้ฝากเงิน",
    "ลูกค้าบางส่วนบอกว่ารอสายนานกว่าครึ่งชั่วโมงก่อนจะได้คุยกับพนักงาน",
    "ผู้บริหารยืนยันว่าข้อมูลส่วนบุคคลของลูกค้ายังปลอดภัยทุกประการ",
    "หลายคนแนะนำให้อัปเดตแอปเป็นรุ่นล่าสุดเพื่อแก้ปัญหาเข้าสู่ระบบไม่ได้",
    "ร้านค้าในตลาดนัดเล่าว่ายอดขายลดลงเพราะลูกค้าสแกนจ่ายไม่ผ่าน",
]
CLOSINGS = [
    "ทั้งนี้ธนาคารขออภัยในความไม่สะดวกที่เกิดขึ้น",
    "ผู้สนใจสามารถสอบถามข้อมูลเพิ่มเติมได้ที่สาขาใกล้บ้าน",
    "ติดตามรายละเอียดได้ในข่าวถัดไป",
    "คาดว่าจะกลับมาให้บริการได้ตามปกติภายในวันพรุ่งนี้",
]
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
START = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def article(n: int) -> tuple[str, str, str]:
    """(headline, ISO time, body) of page ``n``."""
    brand = BRANDS[n % len(BRANDS)]
    parts = [
        OPENINGS[n % len(OPENINGS)].format(brand=brand),
        MIDDLES[(n // 5) % len(MIDDLES)],
        MIDDLES[(n // 7 + 3) % len(MIDDLES)],
        f"เหตุการณ์นี้เป็นรายงานฉบับที่ {str(n).translate(THAI_DIGITS)} ของสัปดาห์ มีผู้แสดงความเห็นกว่า {n % 97 + 3} ราย",
        CLOSINGS[(n // 3) % len(CLOSINGS)],
    ]
    headline = f"{brand}: รายงานข่าวฉบับที่ {n}"
    when = (START + timedelta(minutes=7 * n)).isoformat()
    return headline, when, "\n".join(parts)


def page(n: int) -> str:
    headline, when, body = article(n)
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines())
    return (
        '<!doctype html><html lang="th"><head><meta charset="utf-8">'
        f"<title>{headline}</title>"
        f'<meta property="og:title" content="{headline}">'
        f'<meta property="article:published_time" content="{when}">'
        "</head><body><header><a href=\"/\">ข่าวแสงทอง</a></header>"
        f'<article><h1>{headline}</h1><time datetime="{when}">{when}</time>'
        f'<div class="byline">โดย ผู้สื่อข่าวเศรษฐกิจ</div>{paragraphs}</article>'
        "<footer>สงวนลิขสิทธิ์</footer></body></html>"
    )


SITEMAP_TITLE = "ข่าวจากแผนผัง: "


def sitemap_index(base: str, sitemaps: int, dated_at: datetime) -> str:
    children = "".join(
        f"<sitemap><loc>{base}/sitemap-{k}.xml</loc><lastmod>{dated_at.isoformat()}</lastmod></sitemap>"
        for k in range(sitemaps)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>')


def news_sitemap(base: str, numbers: list[int], dated_at: datetime | None, first: int = 0) -> str:
    rows = []
    for n in numbers:
        headline, when, _ = article(n)
        published = (dated_at - timedelta(minutes=n - first)).isoformat() if dated_at else when
        rows.append(
            f"<url><loc>{base}/news/{n}.html</loc><news:news><news:publication><news:name>ข่าวแสงทอง</news:name>"
            f"<news:language>th</news:language></news:publication><news:publication_date>{published}"
            f"</news:publication_date><news:title>{SITEMAP_TITLE}{headline}</news:title></news:news></url>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(rows) + "</urlset>")


def index(pages: int, first: int = 0) -> str:
    links = "".join(f'<li><a href="/news/{n}.html">ข่าวฉบับที่ {n}</a></li>' for n in range(first, first + pages))
    return f'<!doctype html><html lang="th"><head><meta charset="utf-8"><title>ข่าวแสงทอง</title></head><body><ul>{links}</ul></body></html>'


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler stopped mid-request (a worker's Ctrl-C) resets its connections: not an error here.
        pass


class ThaiNewsSite:
    """``with ThaiNewsSite(5000) as site:`` serves ``site.base_url``."""

    def __init__(self, pages: int, *, first: int = 0, sitemaps: int = 0, dated_at: datetime | None = None) -> None:
        self.pages = pages
        self.first = first  # pages are numbered first .. first + pages - 1
        self.sitemaps = sitemaps
        self.dated_at = dated_at
        self.requests = 0
        self.served: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._index = index(pages, first).encode("utf-8")
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = site.body(self.path)
                with site._lock:
                    site.requests += 1
                    site.served.append((self.path, self.headers.get("User-Agent", "")))
                self.send_response(200 if body is not None else 404)
                data = body or b"not found"
                kind = "application/xml; charset=utf-8" if self.path.endswith(".xml") else "text/html; charset=utf-8"
                self.send_header("Content-Type", kind if body else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def body(self, path: str) -> bytes | None:
        if path in ("/", "/index.html"):
            return self._index
        if path.startswith("/news/") and path.endswith(".html"):
            number = path[len("/news/") : -len(".html")]
            if number.isdigit() and self.first <= int(number) < self.first + self.pages:
                return page(int(number)).encode("utf-8")
        if self.sitemaps and path == "/sitemap_index.xml":
            return sitemap_index(self.base_url, self.sitemaps, self.dated_at or START).encode("utf-8")
        if self.sitemaps and path.startswith("/sitemap-") and path.endswith(".xml"):
            k = path[len("/sitemap-") : -len(".xml")]
            if k.isdigit() and int(k) < self.sitemaps:
                numbers = [n for n in range(self.first, self.first + self.pages) if n % self.sitemaps == int(k)]
                return news_sitemap(self.base_url, numbers, self.dated_at, self.first).encode("utf-8")
        return None

    def __enter__(self) -> ThaiNewsSite:
        self._thread = threading.Thread(target=self.server.serve_forever, name="thai-news-site", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
