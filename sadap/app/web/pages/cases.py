"""A complaint case's page: channel, type, the 24-hour clock, the reconstructed sequence of
events, service-recovery steps, the cause of the problem, the assignee; notes, linking,
recording the cause, closing (the queue itself is ``/complaints``; assigning, the queue row's
and this page's form, is ``POST /cases/<id>/assign`` in ``sadap.app.web.routes``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sadap.app import complaints as cases
from sadap.app.responses import staff_text
from sadap.app.config import configured_playbooks
from sadap.app.web import views
from sadap.app.web.app import Denied, Workspace, in_thread, whole_number
from sadap.app.web.i18n import form_problem
from sadap.core.complaint_case import CAUSE_NOTE_MAX, CAUSE_WORDS, CAUSES, CLOSE_REASON_WORDS, CLOSE_REASONS
from sadap.core.errors import InputError
from sadap.core.labels import CASE_TIMELINE
from sadap.core.users import role_at_least

NAV: tuple[str, str, str] | None = None
WORDS: dict[str, tuple[str, str]] = {
    "case": ("เรื่องร้องเรียน", "Complaint case"),
    "case_received": ("รับเรื่อง", "Received"),
    "case_due": ("ครบกำหนดตอบ", "Answer due"),
    "case_first_response": ("ตอบครั้งแรก", "First response"),
    "case_follow_up": ("ผู้ร้องติดตามอีกครั้ง", "Customer wrote again"),
    "case_answered_again": ("ตอบการติดตาม", "Follow-up answered"),
    "case_in_time": ("ทันเวลา", "in time"),
    "case_late": ("เกินเวลา", "late"),
    "case_events": ("ลำดับเหตุการณ์", "Sequence of events"),
    "case_recovery": ("การแก้ไขปัญหาบริการ", "Service recovery"),
    "case_close": ("ปิดเรื่อง", "Close the case"),
    "case_reason": ("เหตุผลที่ปิด", "Close reason"),
    "case_link": ("เชื่อมข้อความ (รหัสข้อความ)", "Link a mention (its id)"),
    "case_reopen": ("เปิดเรื่องอีกครั้ง", "Reopen"),
    "case_closed": ("ปิดแล้ว", "Closed"),
    "case_closed_unanswered": ("ปิดโดยไม่ได้ตอบ", "closed, not answered"),
    "case_mentions": ("ข้อความ", "mentions"),
    "case_stakeholders": ("ผู้มีส่วนได้ส่วนเสีย", "Stakeholders"),
    "case_done": ("ทำแล้ว", "Done"),
    "case_cause": ("สาเหตุของปัญหา", "Cause of the problem"),
    "case_cause_note": ("สิ่งที่พบ", "What was found"),
    "case_cause_none": ("ยังไม่ได้บันทึก", "not recorded"),
    "case_cause_pick": ("เลือกสาเหตุ", "Choose a cause"),
    "case_cause_save": ("บันทึกสาเหตุ", "Record the cause"),
    **{f"ev_{kind}": words for kind, words in CASE_TIMELINE.items()},
}


def _playbooks(ws: Workspace) -> dict[str, Any]:
    return {p.id: p for p in configured_playbooks(ws.config, check_references=False)}


async def case_page(ws: Workspace, request: Request, refused: dict[str, Any] | None = None) -> Response:
    user = ws.need(request)
    case_id = request.path_params["case_id"]

    def load() -> dict[str, Any]:
        case = cases.get_case(ws.store, case_id)  # as read out too: case-1a2b3c4d, 1a2b3c4d
        view = cases.case_view(ws.store, case, _playbooks(ws), sla=cases.case_sla(ws.config))
        return {**view, "assignee": cases.shown_assignees(ws.store, [case])[case.id],
                "users": views.assignable_users(ws.store) if user is not None and role_at_least(user.role, "responder") else []}

    data = await in_thread(load)
    lang = ws.lang(request)
    reasons = {k: (v[0] if lang == "th" else v[1]) for k, v in CLOSE_REASON_WORDS.items()}
    causes = {k: (v[0] if lang == "th" else v[1]) for k, v in CAUSE_WORDS.items()}
    refused = refused or {"problems": [], "typed": {}, "form": ""}
    return ws.render(request, "case.html", user=user, reasons=reasons, reason_ids=CLOSE_REASONS,
                     causes=causes, cause_ids=CAUSES, here=f"/cases/{data['case'].id}",
                     clockw=lambda d: views.clock_words(d, lang), **refused, **data)


async def case_action(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    case_id, action = request.path_params["case_id"], request.path_params["action"]
    try:
        await _case_act(ws, case_id, action, user.username, data)
    except InputError as err:
        # The case's page again: the problem next to the form it came from, what was typed kept
        # (a case that does not exist, or whose page cannot load, is still the error page).
        field = {"link": "mention_id", "close": "reason", "step": "step", "cause": "cause"}.get(action, "text")
        problem = form_problem(str(err), ws.lang(request), ("text", "reason", "step", "mention_id", "cause"), field)
        return await case_page(ws, request, {"problems": [problem], "form": action, "status": 422,
                                             "typed": {k: v[:4000] for k, v in data.items() if k != "csrf_token"}})
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


async def _case_act(ws: Workspace, case_id: str, action: str, actor: str, data: dict[str, str]) -> None:
    text = staff_text(ws.config, data.get("text", "").strip()[:4000])
    if action == "note":
        await in_thread(cases.note, ws.store, case_id, actor, text)
    elif action == "step":
        step = whole_number(data.get("step", ""))
        if step is None:
            raise InputError("step: give the step number (1, 2, …)")
        await in_thread(cases.mark_step, ws.store, case_id, actor, step, text, _playbooks(ws))
    elif action == "close":
        await in_thread(cases.close, ws.store, case_id, data.get("reason", ""), actor, text)
    elif action == "reopen":
        await in_thread(cases.reopen, ws.store, case_id, actor, text)
    elif action == "cause":
        note = staff_text(ws.config, data.get("cause_note", "").strip()[:CAUSE_NOTE_MAX])
        await in_thread(cases.set_cause, ws.store, case_id, data.get("cause", ""), actor, note)
    elif action == "link":
        await in_thread(cases.link, ws.store, case_id, data.get("mention_id", "").strip(), actor)
    else:
        raise Denied(404, "use note, step, cause, close, reopen or link")


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/cases/{case_id}", case_page, ["GET"]),
    ("/cases/{case_id}/{action}", case_action, ["POST"]),
]
