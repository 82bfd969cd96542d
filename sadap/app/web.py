"""A minimal web console: overview, search, incidents, and a JSON API to acknowledge, resolve and note incidents."""

from __future__ import annotations

import hmac
import html
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from alerts.incidents import add_note, transition
from sadap.app.names import category_names, complaint_type_names
from sadap.app.sources import source_kinds
from sadap.app.summary import overview
from sadap.core.errors import SadapError
from sadap.core.labels import EXPECTATION, INCIDENT_STATE, SENTIMENT, th
from sadap.core.timeutil import show
from sadap.store import MentionFilter, open_store
from sadap.store.query import parse_query

_STYLE = """body{font-family:'Sarabun','Noto Sans Thai',sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:left}
.neg{color:#b00}.pos{color:#070}.q{color:#05a}nav a{margin-right:1rem}input{font-size:1rem;padding:.3rem;width:24rem}"""


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html lang='th'><head><meta charset='utf-8'><title>{html.escape(title)} · สดับ</title>"
        f"<style>{_STYLE}</style></head><body><nav><a href='/'>ภาพรวม</a><a href='/incidents'>เหตุการณ์</a>"
        "<form action='/search' style='display:inline'><input name='q' placeholder='ค้นหา เช่น แอป ล่ม'></form></nav>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode("utf-8")


def _table(rows: dict, labels: dict | None = None) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(th(labels, k) if labels else str(k))}</td><td>{v}</td></tr>" for k, v in rows.items()
    )
    return f"<table>{cells}</table>"


def _mentions(mentions) -> str:
    rows = []
    for m in mentions:
        label = m.sentiment.label if m.sentiment else ""
        link = f"<a href='{html.escape(m.url)}'>ลิงก์</a>" if m.url else ""
        rows.append(
            f"<tr><td>{show(m.published_at)}</td><td>{html.escape(m.source_name)}</td>"
            f"<td class='{label}'>{th(SENTIMENT, label or None)}</td><td>{html.escape(m.text[:200])}</td><td>{link}</td></tr>"
        )
    return "<table><tr><th>เวลา</th><th>แหล่ง</th><th>ความรู้สึก</th><th>ข้อความ</th><th></th></tr>" + "".join(rows) + "</table>"


class ConsoleHandler(BaseHTTPRequestHandler):
    store = None
    custom_words: tuple[str, ...] = ()

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/":
                self._send(200, self._overview())
            elif url.path == "/search":
                self._send(200, self._search(params.get("q", "")))
            elif url.path == "/incidents":
                self._send(200, self._incidents())
            elif url.path == "/api/incidents":
                body = [i.model_dump(mode="json") for i in self.store.list_incidents()]
                self._json(200, body)
            elif url.path.startswith("/api/incidents/"):
                incident = self.store.get_incident(url.path.rsplit("/", 1)[1])
                if incident is None:
                    self._json(404, {"error": "no such incident"})
                else:
                    data = incident.model_dump(mode="json")
                    data["timeline"] = [e.model_dump(mode="json") for e in self.store.events(incident.id)]
                    self._json(200, data)
            elif url.path == "/api/summary":
                body = {**overview(self.store), "incidents": [i.model_dump(mode="json") for i in self.store.list_incidents()]}
                self._send(200, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")
            else:
                self._send(404, _page("ไม่พบหน้า", "<p>ไม่พบหน้านี้</p>"))
        except Exception as err:  # show, never crash the server thread
            self._send(400, _page("ผิดพลาด", f"<p>{html.escape(str(err))}</p>"))

    def _json(self, status: int, body) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802
        """``POST /api/incidents/<id>/<ack|resolve|reopen|note|respond>`` with JSON
        ``{"by": "...", "text": "...", "channel": "..."}``. When ``$SADAP_API_TOKEN`` is set,
        ``Authorization: Bearer <token>`` is required."""

        token = os.environ.get("SADAP_API_TOKEN")
        given = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token and not hmac.compare_digest(given, token):
            self._json(401, {"error": "missing or wrong API token"})
            return
        parts = urlsplit(self.path).path.strip("/").split("/")
        actions = {"ack": "acknowledged", "resolve": "resolved", "reopen": "open"}
        if len(parts) != 4 or parts[:2] != ["api", "incidents"] or parts[3] not in (*actions, "note", "respond"):
            self._json(404, {"error": "use POST /api/incidents/<id>/(ack|resolve|reopen|note|respond)"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as err:
            self._json(400, {"error": f"invalid JSON body: {err}"})
            return
        actor, text = str(body.get("by") or "api"), str(body.get("text") or "")
        incident_id, action = parts[2], parts[3]
        try:
            if action in actions:
                transition(self.store, incident_id, actions[action], actor, text)
            else:
                if not text:
                    raise SadapError("`text` is required")
                add_note(self.store, incident_id, actor, text, kind="note" if action == "note" else "response",
                         channel=body.get("channel"))
        except SadapError as err:
            self._json(409 if "can become" in str(err) else 404 if "no incident" in str(err) else 400, {"error": str(err)})
            return
        self._json(200, self.store.get_incident(incident_id).model_dump(mode="json"))

    def _overview(self) -> bytes:
        o = overview(self.store)
        incidents = self.store.list_incidents(("open", "acknowledged"))
        latest = self.store.search(MentionFilter(sentiment=("neg",)), limit=15)
        body = (
            f"<p>ข้อความทั้งหมด {o['total']} · ซ้ำ/คัดลอก {o['near_duplicates']}</p>"
            f"<h2>เหตุการณ์ที่ยังเปิดอยู่ ({len(incidents)})</h2>{self._incident_table(incidents)}"
            f"<h2>ความรู้สึก</h2>{_table(o['by_sentiment'], SENTIMENT)}"
            f"<h2>ระดับความคาดหวัง</h2>{_table(o['by_expectation'], EXPECTATION)}"
            f"<h2>หมวดเสียงลูกค้า</h2>{_table(o['by_category'], category_names())}"
            f"<h2>ข้อร้องเรียน ({o['complaints']})</h2>{_table(o['by_complaint_type'], complaint_type_names())}"
            f"<h2>ประเภทแหล่งที่มา</h2>{_table(o['by_source_kind'], source_kinds())}"
            f"<h2>แหล่งที่มา</h2>{_table(o['by_source'])}"
            f"<h2>สิ่งที่ติดตาม</h2>{_table(o['by_entity'])}"
            f"<h2>ข้อความเชิงลบล่าสุด</h2>{_mentions(latest)}"
        )
        return _page("ภาพรวม", body)

    def _incident_table(self, incidents) -> str:
        rows = "".join(
            f"<tr><td>{i.id}</td><td>{i.severity}</td><td>{th(INCIDENT_STATE, i.state)}</td>"
            f"<td>{show(i.opened_at)}</td><td>{html.escape(i.title)}</td><td>{html.escape(i.playbook)}</td></tr>"
            for i in incidents
        )
        return f"<table>{rows}</table>" if rows else "<p>ไม่มี</p>"

    def _incidents(self) -> bytes:
        return _page("เหตุการณ์", self._incident_table(self.store.list_incidents()))

    def _search(self, q: str) -> bytes:
        flt = MentionFilter(query=parse_query(q, self.custom_words))
        found = self.store.search(flt, limit=50)
        return _page(f"ค้นหา: {q}", f"<p>พบ {self.store.count(flt)} ข้อความ</p>{_mentions(found)}")


def start_console(config, host: str = "127.0.0.1", port: int = 8470) -> str:
    """Serve in a daemon thread; returns the URL."""
    handler = type("Handler", (ConsoleHandler,), {"store": open_store(config), "custom_words": tuple(config.custom_words())})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://{host}:{server.server_address[1]}/"


def serve_forever(config, host: str, port: int) -> None:
    url = start_console(config, host, port)
    print(f"console: {url} (Ctrl-C to stop)", flush=True)
    threading.Event().wait()
