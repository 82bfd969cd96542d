"""Stakeholders: the registry, each stakeholder's page (their mentions, sentiment and expectation
trend, open incidents and complaint cases, last contact and responses, key issues this month),
editing for responders, and the "informed" tick on an incident's who-to-inform list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sadap.app import stakeholders as registry
from sadap.app.config import configured_playbooks
from sadap.app.responses import staff_text
from sadap.app.web.app import Workspace, in_thread, whole_number
from sadap.app.web.i18n import form_problem
from sadap.core.errors import InputError
from sadap.core.labels import SENTIMENT
from sadap.core.stakeholder import CONTACT_CHANNELS, GROUP_WORDS, GROUPS, LEVEL_WORDS, LEVELS, STATUS_WORDS, STATUSES, Stakeholder
from sadap.core.timeutil import now_utc
from sadap.core.yamlsource import LineMap, validation_lines
from sadap.store import MentionFilter

NAV: tuple[str, str, str] | None = ("/stakeholders", "stakeholders_tab", "viewer")
WORDS: dict[str, tuple[str, str]] = {
    "stakeholders_tab": ("ผู้มีส่วนได้ส่วนเสีย", "Stakeholders"),
    "sh_name": ("ชื่อ", "Name"),
    "sh_name_en": ("ชื่อภาษาอังกฤษ", "English name"),
    "sh_status": ("สถานะ", "Status"),
    "sh_group": ("กลุ่ม", "Group"),
    "sh_role": ("บทบาทและวิธีการทำงาน", "Role and way of working"),
    "sh_issues": ("ประเด็นสำคัญ", "Key issues"),
    "sh_expectations": ("ความคาดหวัง", "Expectations"),
    "sh_contacts": ("ผู้แทน/ผู้ประสานงาน", "Representatives and coordinators"),
    "sh_relationship": ("ระดับความสัมพันธ์", "Relationship level"),
    "sh_relationship_history": ("ระดับความสัมพันธ์ก่อนหน้า", "Earlier relationship levels"),
    "sh_reason": ("เหตุผล", "Reason"),
    "sh_watched": ("ชื่อที่เฝ้าติดตาม", "Watched names"),
    "sh_aliases": ("ชื่ออื่น", "Aliases"),
    "sh_accounts": ("บัญชีออนไลน์", "Accounts"),
    "sh_inform_as": ("แจ้งในบทบาท", "Informed as"),
    "sh_trend": ("แนวโน้มอารมณ์และความคาดหวังรายสัปดาห์", "Weekly sentiment and expectation trend"),
    "sh_open_incidents": ("เหตุการณ์ที่เปิดอยู่", "Open incidents"),
    "sh_open_cases": ("เรื่องร้องเรียนที่เปิดอยู่", "Open complaint cases"),
    "sh_last_contact": ("ติดต่อล่าสุด", "Last contact"),
    "sh_issues_month": ("ประเด็นที่พบออนไลน์เดือนนี้", "Key issues seen online this month"),
    "sh_add": ("เพิ่มผู้มีส่วนได้ส่วนเสีย", "Add a stakeholder"),
    "sh_edit": ("แก้ไขข้อมูล", "Edit profile"),
    "sh_lists_hint": ("คั่นหลายค่าด้วย ;", "separate several with ;"),
    "sh_contacts_hint": ("หนึ่งคนต่อบรรทัด: ชื่อ|ช่องทาง|ที่อยู่ติดต่อ|ตำแหน่ง", "one a line: name|channel|address|title"),
    "sh_mentions_30d": ("ข้อความ 30 วัน", "Mentions, 30 days"),
    "sh_informed": ("แจ้งแล้ว", "Informed"),
    "sh_not_informed": ("ยังไม่ได้แจ้ง", "Not yet informed"),
    "sh_mark_informed": ("บันทึกว่าแจ้งแล้ว", "Mark informed"),
    "sh_due": ("ภายใน", "By"),
    "sh_week": ("สัปดาห์เริ่ม", "Week from"),
}
FORM_FIELDS = ("id", "name", "name_en", "status", "group", "role", "key_issues", "expectations", "contacts", "level",
               "reason", "watched", "aliases", "accounts", "inform_as", "notes")


def _words(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    return {k: (v[0] if lang == "th" else v[1]) for k, v in table.items()}


def _ctx(ws: Workspace, request: Request) -> dict[str, Any]:
    lang = ws.lang(request)
    return {"statuses": STATUSES, "groups": GROUPS, "levels": LEVELS, "channels": CONTACT_CHANNELS,
            "status_words": _words(STATUS_WORDS, lang), "group_words": _words(GROUP_WORDS, lang),
            "level_words": _words(LEVEL_WORDS, lang), "sentiment_words": _words(SENTIMENT, lang)}


def _form_values(s: Stakeholder | None) -> dict[str, str]:
    """The add/edit form's fields as text: a stakeholder's, or blank."""
    if s is None:
        return {k: "" for k in FORM_FIELDS}
    return {"id": s.id, "name": s.name, "name_en": s.name_en or "", "status": s.status, "group": s.group,
            "role": s.role or "", "key_issues": registry.join_list(s.key_issues),
            "expectations": registry.join_list(s.expectations),
            "contacts": "".join(registry.format_contact(c) + "\n" for c in s.contacts),
            "level": s.relationship.level if s.relationship else "", "reason": "",
            "watched": registry.join_list(s.watched), "aliases": registry.join_list(s.aliases),
            "accounts": "; ".join(registry.format_account(a) for a in s.accounts),
            "inform_as": registry.join_list(s.inform_as), "notes": s.notes or ""}


def _refused(ws: Workspace, request: Request, err: InputError, data: dict[str, str]) -> dict[str, Any]:
    """A refused add/edit: what was typed (kept) and the problems, one per field where the error names one."""
    lang = ws.lang(request)
    return {"fv": {k: data.get(k, "") for k in FORM_FIELDS},
            "problems": [form_problem(part, lang, FORM_FIELDS + ("relationship",)) for part in str(err).split("; ")],
            "status": 422}


async def stakeholder_list(ws: Workspace, request: Request, refused: dict[str, Any] | None = None) -> Response:
    user = ws.need(request)

    def load() -> list[dict[str, Any]]:
        since = now_utc().replace(microsecond=0)
        out = []
        for s in ws.store.list_stakeholders():
            month = MentionFilter(stakeholders=(s.id,), since=since - timedelta(days=30))
            out.append({"s": s, "month": ws.store.count(month),
                        "negative": ws.store.count(MentionFilter(stakeholders=(s.id,), since=since - timedelta(days=30),
                                                                 sentiment=("neg",)))})
        return out

    rows = await in_thread(load)
    group = request.query_params.get("group", "")
    if group in GROUPS:
        rows = [r for r in rows if r["s"].group == group]
    refused = refused or {"fv": _form_values(None), "problems": []}
    return ws.render(request, "stakeholders.html", user=user, rows=rows, group=group, **refused, **_ctx(ws, request))


async def stakeholder_page(ws: Workspace, request: Request, refused: dict[str, Any] | None = None) -> Response:
    user = ws.need(request)
    sid = request.path_params["stakeholder_id"]

    def load() -> dict[str, Any]:
        s = ws.store.get_stakeholder(sid)
        if s is None:
            raise InputError(f"no stakeholder {sid!r}")
        return registry.profile(ws.store, s)

    data = await in_thread(load)
    refused = refused or {"fv": _form_values(data["s"]), "problems": []}
    return ws.render(request, "stakeholder.html", user=user, p=data, **refused, **_ctx(ws, request))


def _doc_from_form(data: dict[str, str]) -> dict[str, Any]:
    row = {k: data.get(k, "") for k in ("id", "name", "name_en", "status", "group", "role", "key_issues", "expectations",
                                       "watched", "aliases", "accounts", "inform_as", "notes")}
    doc = registry._row_to_doc(row)
    # One contact a line: a `;` in a line is part of it (an address with two numbers).
    doc["contacts"] = [registry.parse_contact(line) for line in data.get("contacts", "").splitlines() if line.strip()]
    for k in ("key_issues", "expectations", "watched", "aliases", "accounts", "inform_as", "contacts", "name_en", "role", "notes"):
        doc.setdefault(k, [] if k not in ("name_en", "role", "notes") else "")
    return doc


def _save(ws: Workspace, doc: dict[str, Any], old: Stakeholder | None, actor: str, level: str, reason: str) -> Stakeholder:
    now = now_utc()
    if level:
        if old is not None and old.relationship and old.relationship.level == level and not reason:
            doc["relationship"] = old.relationship.model_dump()
        else:
            doc["relationship"] = {"level": level, "set_by": actor, "reason": reason, "set_at": now}
    elif old is not None and old.relationship:
        doc["relationship"] = old.relationship.model_dump()
    try:
        s = Stakeholder.model_validate({**doc, "updated_at": now, "updated_by": actor})
    except ValidationError as err:
        raise InputError("; ".join(line.split(": ", 1)[-1] for line in validation_lines(err, None, LineMap(), Stakeholder))) from None
    return registry.save(ws.store, s)


async def stakeholder_new(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    try:
        doc = _doc_from_form(data)
        if ws.store.get_stakeholder(doc.get("id", "")) is not None:
            raise InputError(f"id: {doc['id']!r} exists already")
        s = await in_thread(_save, ws, doc, None, user.username, data.get("level", ""), data.get("reason", "").strip())
    except InputError as err:  # the list page again, with what was typed and what to fix
        return await stakeholder_list(ws, request, _refused(ws, request, err, data))
    await in_thread(registry.retag, ws.config, ws.store)
    return RedirectResponse(f"/stakeholders/{s.id}", status_code=303)


async def stakeholder_edit(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    sid = request.path_params["stakeholder_id"]
    old = ws.store.get_stakeholder(sid)
    if old is None:
        raise InputError(f"no stakeholder {sid!r}")
    try:
        doc = _doc_from_form({**data, "id": sid})
        await in_thread(_save, ws, doc, old, user.username, data.get("level", ""), data.get("reason", "").strip())
    except InputError as err:  # the stakeholder's page again, with what was typed and what to fix
        return await stakeholder_page(ws, request, _refused(ws, request, err, {**data, "id": sid}))
    if (set(doc.get("aliases", [])), doc.get("name"), set(doc.get("watched", []))) != (set(old.aliases), old.name, set(old.watched)) \
            or [a.model_dump() for a in old.accounts] != doc.get("accounts"):
        await in_thread(registry.retag, ws.config, ws.store)
    return RedirectResponse(f"/stakeholders/{sid}", status_code=303)


async def incident_inform(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    incident_id = request.path_params["incident_id"]
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        raise InputError(f"no incident {incident_id!r}")
    playbook = next((p for p in configured_playbooks(ws.config, check_references=False) if p.id == incident.playbook), None)
    entry = whole_number(data.get("entry", ""))
    if entry is None:
        raise InputError("entry: give the stakeholder entry number (0, 1, …)")
    await in_thread(registry.mark_informed, ws.store, incident_id, playbook, entry, data.get("stakeholder", ""),
                    user.username, staff_text(ws.config, data.get("text", "").strip()[:1000]))
    return RedirectResponse(f"/incidents/{incident_id}#inform", status_code=303)


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/stakeholders", stakeholder_list, ["GET"]),
    ("/stakeholders/new", stakeholder_new, ["POST"]),
    ("/stakeholders/{stakeholder_id}", stakeholder_page, ["GET"]),
    ("/stakeholders/{stakeholder_id}/edit", stakeholder_edit, ["POST"]),
    ("/stakeholders/inform/{incident_id}", incident_inform, ["POST"]),
]
