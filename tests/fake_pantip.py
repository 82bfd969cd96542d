"""A local stand-in for pantip.com answering in Pantip's shapes, with Thai content.

Topic pages (``/topic/<id>``: ``h1.display-post-title``, ``.display-post-story``,
``.tag-item``, ``.display-post-name``, ``abbr[data-utime]``), room, tag and search listings
(``.post-item-title a``, ``a[rel=next]``), and
``/forum/topic/render_comments?tid=&param=page<n>&type=`` (JSON behind a UTF-8 BOM, only with
``X-Requested-With: XMLHttpRequest``; 100 comments a page; ``count``; replies). Topics can
gain comments between crawls (:meth:`FakePantip.add_comments`), a URL can answer 429 a
number of times first (``rate_limit``), and one topic answers broken JSON. Used by the tests
and by ``benchmarks/pantip_throughput.py``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BANGKOK = timezone(timedelta(hours=7))
START = datetime(2026, 11, 20, 8, 0, tzinfo=BANGKOK)

_SAYINGS = [
    "แอปแสงทองเข้าไม่ได้เหมือนกันค่ะ ขึ้นว่าระบบขัดข้อง",
    "โอนเงินค้างไปตั้งแต่เช้า เงินตัดแล้วแต่ปลายทางยังไม่ได้รับ",
    "โทรคอลเซ็นเตอร์รอสายนานมาก ไม่มีใครรับเลย",
    "ของผมใช้ได้ปกตินะครับ ลองอัปเดตแอปดูครับ",
    "เป็นแบบนี้ทุกสิ้นเดือน ควรปรับปรุงระบบได้แล้ว",
    "ขอบคุณพนักงานสาขาที่ช่วยแก้ปัญหาให้รวดเร็วค่ะ",
]


@dataclass
class Topic:
    tid: int
    title: str
    story: str
    tags: list[str]
    author: str
    comments: list[dict[str, Any]] = field(default_factory=list)
    broken_json: bool = False


def comment(no: int, replies: int = 0) -> dict[str, Any]:
    """Comment number ``no`` in Pantip's shape, with ``replies`` replies."""
    when = START + timedelta(minutes=no)
    return {
        "comment_no": no,
        "message": f"<p>{_SAYINGS[no % len(_SAYINGS)]} (ความเห็นที่ {no})</p><br />"
        + ("<img src='https://ptcdn.info/x.png'>" if no % 7 == 0 else ""),
        "user": {"mid": 1000 + no, "name": f"สมาชิกหมายเลข {1000 + no}"},
        "reply_count": replies,
        "point": no % 5,
        "emo_score": no % 3,
        "data_utime": when.strftime("%m/%d/%Y %H:%M:%S"),
        "created_time": int(when.timestamp()) if no % 2 else "",
        "replies": [
            {
                "reply_no": r,
                "message": f"ตอบกลับความเห็นที่ {no}: เจอเหมือนกันครับ รอบที่ {r}",
                "user": {"mid": 5000 + r, "name": f"คนตอบ {r}"},
                "point": 1,
                "data_utime": (when + timedelta(seconds=30 * r)).strftime("%m/%d/%Y %H:%M:%S"),
                "created_time": int((when + timedelta(seconds=30 * r)).timestamp()),
            }
            for r in range(1, replies + 1)
        ],
    }


class FakePantip:
    def __init__(self) -> None:
        self.topics: dict[int, Topic] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.rate_limit: dict[str, int] = {}  # path+query prefix -> 429s still to answer
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.rooms: dict[str, list[int]] = {}
        self.tags: dict[str, list[int]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakePantip:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_topic(self, topic: Topic) -> Topic:
        self.topics[topic.tid] = topic
        return topic

    def add_comments(self, tid: int, n: int, replies_every: int = 0) -> None:
        topic = self.topics[tid]
        start = len(topic.comments) + 1
        for no in range(start, start + n):
            topic.comments.append(comment(no, 2 if replies_every and no % replies_every == 0 else 0))

    def paths(self, prefix: str) -> list[str]:
        return [path for path, _ in self.requests if path.startswith(prefix)]

    # -- pages ------------------------------------------------------------
    def topic_page(self, topic: Topic) -> str:
        tags = "".join(f'<a class="tag-item" href="/tag/{t}">{t}</a>' for t in topic.tags)
        stamp = START.strftime("%m/%d/%Y %H:%M:%S")
        return f"""<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">
<title>{topic.title} - Pantip</title></head><body>
<div class="container"><h1 class="display-post-title">{topic.title}</h1>
<div class="display-post-story">{topic.story}</div>
<div class="display-post-tag-wrapper">{tags}</div>
<div class="display-post-status-leftside"><a class="display-post-name owner" href="/profile/1">{topic.author}</a>
<span class="display-post-timestamp"><abbr class="timeago" title="20 พฤศจิกายน 2569 เวลา 08:00:00 น."
 data-utime="{stamp}"></abbr></span></div></div>
<div id="comments-jsrender"></div></body></html>"""

    def listing(self, tids: list[int], page: int, per_page: int = 2, base: str = "") -> str:
        chunk = tids[(page - 1) * per_page : page * per_page]
        items = "".join(
            f'<div class="post-item"><div class="post-item-title"><a href="/topic/{tid}">{self.topics[tid].title}</a>'
            "</div></div>"
            for tid in chunk
        )
        more = f'<a rel="next" href="{base}?page={page + 1}">ถัดไป</a>' if page * per_page < len(tids) else ""
        return (
            '<html><body><a href="/topic/99999999">กระทู้แนะนำ</a>'  # outside .post-item-title: ignored
            f'<div class="post-list">{items}</div><div class="loadmore-bar indexlist">{more}</div></body></html>'
        )

    def comments(self, tid: int, page: int) -> bytes:
        topic = self.topics[tid]
        if topic.broken_json:
            return "\ufeff{\"comments\": [{\"comment_no\": 1, \"message\": \"ตัดจบ".encode()
        chunk = topic.comments[(page - 1) * 100 : page * 100]
        body = {
            "count": len(topic.comments),
            "comments": chunk,
            "paging": {"page": page, "limit": 100, "max_comments": len(topic.comments)},
        }
        return ("\ufeff" + json.dumps(body, ensure_ascii=False)).encode("utf-8")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes | str, ctype: str = "text/html; charset=utf-8",
                      headers: dict[str, str] | None = None) -> None:
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                path, query = unquote(parts.path), parse_qs(parts.query)
                with fake.lock:
                    fake.requests.append((unquote(self.path), {k.lower(): v for k, v in self.headers.items()}))
                    for prefix, left in fake.rate_limit.items():
                        if unquote(self.path).startswith(prefix) and left > 0:
                            fake.rate_limit[prefix] = left - 1
                            self._send(429, "Too Many Requests", "text/plain", {"Retry-After": "1"})
                            return
                page = int(query.get("page", ["1"])[0])
                if path == "/robots.txt":
                    self._send(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
                elif path.startswith("/topic/") and path[7:].isdigit() and int(path[7:]) in fake.topics:
                    self._send(200, fake.topic_page(fake.topics[int(path[7:])]))
                elif path.startswith("/forum/topic/render_comments"):
                    if self.headers.get("X-Requested-With") != "XMLHttpRequest":
                        self._send(403, "<html><body>Forbidden</body></html>")
                        return
                    tid = int(query.get("tid", ["0"])[0])
                    pnum = int(query.get("param", ["page1"])[0].removeprefix("page") or 1)
                    if tid not in fake.topics:
                        self._send(404, "\ufeff{}".encode(), "application/json")
                        return
                    self._send(200, fake.comments(tid, pnum), "application/json; charset=utf-8")
                elif path.startswith("/forum/") and path[7:] in fake.rooms:
                    self._send(200, fake.listing(fake.rooms[path[7:]], page, base=path))
                elif path.startswith("/tag/") and path[5:] in fake.tags:
                    self._send(200, fake.listing(fake.tags[path[5:]], page, base=path))
                elif path == "/search":
                    words = query.get("q", [""])[0]
                    found = [t.tid for t in fake.topics.values() if words and words in t.title + t.story]
                    self._send(200, fake.listing(found, page, per_page=50, base=path))
                else:
                    self._send(404, "<html><body>ไม่พบหน้านี้</body></html>")

        return Handler


def standard_site(fake: FakePantip) -> FakePantip:
    """The topics the tests read: a busy one (150 comments on two pages, replies), a quiet
    one, one with broken comment JSON; a room, a tag and search."""
    fake.add_topic(Topic(
        43120001, "แอปธนาคารแสงทองล่มอีกแล้ว โอนเงินไม่ได้ตั้งแต่เช้า",
        "<p>เช้านี้เปิดแอป <b>แสงทอง</b> ไม่ได้เลยค่ะ</p><p>โอนเงินค่าเช่าบ้านไม่ได้ ใครเป็นเหมือนกันบ้าง</p>",
        ["ธนาคาร", "แอปพลิเคชันมือถือ"], "ลูกค้าผู้เดือดร้อน",
    ))
    fake.add_comments(43120001, 150, replies_every=10)
    fake.add_topic(Topic(43120002, "รีวิวบัตรเครดิตแสงทอง ใช้มาหนึ่งปี", "<p>คุ้มค่าดีครับ</p>", ["บัตรเครดิต"],
                         "นักรีวิว"))
    fake.add_comments(43120002, 3)
    fake.add_topic(Topic(43120003, "สาขาแสงทองปิดปรับปรุงหรือเปล่า", "<p>ไปแล้วปิด</p>", ["ธนาคาร"], "ผู้สงสัย",
                         broken_json=True))
    fake.rooms["sinthorn"] = [43120001, 43120002, 43120003]
    fake.tags["ธนาคาร"] = [43120001, 43120003]
    return fake
