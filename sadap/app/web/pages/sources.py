"""Sources: per source, its last crawl (when, items, new, errors and the first error's message,
from the store, ``sadap.app.crawl_reports``), items stored, last collected and silence."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sadap.app.crawl_reports import load_reports
from sadap.app.web import views
from sadap.app.web.app import Workspace, in_thread
from sadap.core.timeutil import now_utc
from sadap.store import MentionFilter

NAV: tuple[str, str, str] | None = ("/sources", "sources", "viewer")
WORDS: dict[str, tuple[str, str]] = {
    "crawl_new": ("ใหม่", "new"),
    "crawl_items": ("รายการ", "items"),
    "crawl_never": ("ยังไม่เคยรวบรวม", "not crawled yet"),
    "last_collected": ("เก็บข้อความล่าสุด", "Last collected"),
}


async def sources(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)

    def load() -> list[dict[str, Any]]:
        counts = ws.store.count_by(MentionFilter(), "source_name", 1000)
        reports = load_reports(ws.store, ws.config.data_path)
        out = []
        names = [s.name for s in ws.config.sources] + [n for n in counts if n not in {s.name for s in ws.config.sources}]
        for name in names:
            latest = ws.store.search(MentionFilter(source_names=(name,), time_field="collected_at"), 1)
            last = latest[0].collected_at if latest else None
            cfg = next((s for s in ws.config.sources if s.name == name), None)
            out.append({"name": name, "kind": cfg.kind if cfg else (latest[0].source_kind if latest else "-"),
                        "url": cfg.url if cfg else None, "every": cfg.every if cfg else None,
                        "enabled": cfg.enabled if cfg else None, "items": counts.get(name, 0), "last": last,
                        "silence": (now_utc() - last) if last else None, "crawl": reports.get(name)})
        return out

    rows = await in_thread(load)
    return ws.render(request, "sources.html", user=user, rows=rows,
                     clock=lambda d: views.clock_words(d, ws.lang(request)))


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/sources", sources, ["GET"]),
]
