"""Equal response: per group (channel, source, sentiment, complaint type, stakeholder group …),
complaints and questions, first-response and resolution times, share within the SLA, unanswered,
unresolved; slower groups flagged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sadap.app.responses import DIMENSIONS, GroupFigures, ResponseReport, equal_response, hours
from sadap.app.web import views
from sadap.app.web.app import Workspace, in_thread, params
from sadap.app.web.i18n import label
from sadap.core.errors import InputError
from sadap.core.timeutil import BANGKOK, now_utc

NAV: tuple[str, str, str] | None = ("/responses", "equal_response", "viewer")
WORDS: dict[str, tuple[str, str]] = {
    "equal_response": ("ตอบสนองเท่าเทียม", "Equal response"),
    "group_by": ("แยกตาม", "Group by"),
    "median_first_response": ("มัธยฐานเวลาตอบครั้งแรก (ชม.)", "Median first response (h)"),
    "p90_first_response": ("เวลาตอบครั้งแรก P90 (ชม.)", "90th percentile first response (h)"),
    "within_sla": ("ตอบทันเวลา", "Answered within SLA"),
    "median_resolution": ("มัธยฐานเวลาแก้ไขเสร็จ (ชม.)", "Median time to resolution (h)"),
    "p90_resolution": ("เวลาแก้ไขเสร็จ P90 (ชม.)", "90th percentile time to resolution (h)"),
    "unresolved": ("ยังไม่เสร็จสิ้น", "Unresolved"),
    "slower_resolution": ("แก้ไขเสร็จช้ากว่ากลุ่มอื่นอย่างชัดเจน", "resolved markedly slower than the rest"),
    "unanswered": ("ยังไม่ตอบ", "Unanswered"),
    "slower_than_rest": ("ช้ากว่ากลุ่มอื่นอย่างชัดเจน", "markedly slower than the rest"),
    "all_groups": ("ทุกกลุ่ม", "All groups"),
    "equal_response_note": (
        "ข้อร้องเรียนและคำถามที่เผยแพร่ในช่วงเวลานี้ (ไม่นับสำเนาและข่าวจากสื่อ) เวลาตอบนับจากเวลาเผยแพร่ถึงการตอบครั้งแรก "
        "เวลาแก้ไขเสร็จนับถึงการปิดเรื่องร้องเรียน (ข้อความที่ไม่อยู่ในเรื่องใด: ถึงการตอบครั้งแรก)",
        "Complaints and questions published in the range (copies and news coverage left out); response time from publication to the "
        "first logged response, resolution time to the close of its complaint case (in no case: to the first response)",
    ),
}


def _label(by: str, value: str, lang: str) -> str:
    kind = DIMENSIONS[by].label_kind
    return label(kind, value, lang) if kind else value


def _hours(g: GroupFigures) -> dict[str, Any]:
    return {**g.as_dict(), "median_h": hours(g.median_s), "p90_h": hours(g.p90_s),
            "res_median_h": hours(g.resolution_median_s), "res_p90_h": hours(g.resolution_p90_s)}


async def responses(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    p = params(request)
    by = request.query_params.get("by", "")[:50] or "channel"
    if by not in DIMENSIONS:
        raise InputError(f"by: {by!r} is unknown (allowed: {', '.join(DIMENSIONS)})")
    today = now_utc().astimezone(BANGKOK).date().isoformat()
    until = views.parse_when(p.get("until") or today, "until", end=True)
    since = views.parse_when(p["since"], "since") if p.get("since") else until - timedelta(days=90)
    if since >= until:
        raise InputError("since: must be before until")
    result: ResponseReport = await in_thread(equal_response, ws.store, ws.config, by, since, until)
    lang = ws.lang(request)
    rows: list[dict[str, Any]] = [{**_hours(g), "name": _label(by, g.group, lang)} for g in result.groups]
    overall = _hours(result.overall)
    return ws.render(request, "responses.html", user=user, rows=rows, overall=overall, by=by,
                     dimensions={k: (d.words[0] if lang == "th" else d.words[1]) for k, d in DIMENSIONS.items()},
                     sla_h=hours(result.sla.total_seconds()), factor=result.slower_factor,
                     since_day=since.astimezone(BANGKOK).date().isoformat(),
                     until_day=(until - timedelta(microseconds=1)).astimezone(BANGKOK).date().isoformat())


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/responses", responses, ["GET"]),
]
