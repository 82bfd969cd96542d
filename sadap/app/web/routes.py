"""The workspace's pages, forms and JSON API."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from alerts.incidents import add_note, transition
from sadap.app import complaints as complaint_cases
from sadap.app.alerting import run_backtest
from sadap.app import corrections, responses
from sadap.app.stakeholders import who_to_inform
from sadap.app.config import configured_playbooks
from sadap.app.names import complaint_type_names, news_topic_names
from sadap.app.snooze_keys import snooze_key
from sadap.app.summary import overview as summary
from sadap.app.web import auth, views
from sadap.app.web.i18n import form_problem
from sadap.app.web.pages import cases as cases_page
from sadap.app.web.app import (
    LANG_COOKIE,
    SESSION_COOKIE,
    Denied,
    Workspace,
    csv_response,
    in_thread,
    mention_filter,
    params,
    whole_number,
)
from sadap.core.errors import InputError, RefusedValue
from sadap.core.incident import IncidentState
from sadap.core.mention import Mention
from sadap.core.timeutil import BANGKOK, now_utc
from sadap.core.users import ROLES
from sadap.store import MentionFilter

log = logging.getLogger("sadap.web")
COUNT_CAP = 10000  # the mentions page says "10000+" beyond this
INCIDENT_STATES: tuple[str, ...] = get_args(IncidentState)
ACTIONS: dict[str, IncidentState] = {"ack": "acknowledged", "resolve": "resolved", "reopen": "open"}


def back(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """Only paths on this site (never ``//host`` or ``scheme:``) are redirected to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


def playbooks_by_id(ws: Workspace) -> dict[str, Any]:
    return {p.id: p for p in configured_playbooks(ws.config, check_references=False)}


# -- sign-in ---------------------------------------------------------------------------------
async def signin_page(ws: Workspace, request: Request) -> Response:
    return ws.render(request, "signin.html", next=local_path(request.query_params.get("next")), problem=None)


async def signin(ws: Workspace, request: Request) -> Response:
    ws.check_origin(request)
    try:
        form = await request.form(max_files=0, max_fields=10)
    except Exception:
        raise Denied(400, "unreadable form") from None
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    ws.check_csrf(request, data.get("csrf_token"), signed_out_page=True)
    username = data.get("username", "").strip().lower()[:64]
    password = data.get("password", "")[:1000]
    nxt = local_path(data.get("next"))
    client = request.client.host if request.client else "?"
    keys = (f"user:{username}", f"addr:{client}")
    stamp = ws.limiter.begin(*keys)  # counted as a failure until the password is found good
    if stamp is None:
        return ws.render(request, "signin.html", status=429, next=nxt, problem="too_many")
    user = await in_thread(auth.authenticate, ws.store, username, password)
    if user is None:
        return ws.render(request, "signin.html", status=401, next=nxt, problem="bad_sign_in")
    ws.limiter.succeeded(keys[0], *keys[1:], stamp=stamp)
    response = back(nxt)
    hours = ws.console.session_hours
    response.set_cookie(SESSION_COOKIE, auth.sign_session(ws.secret, user, hours * 3600), max_age=hours * 3600,
                        httponly=True, samesite="lax", secure=ws.secure(request), path="/")
    return response


async def signout(ws: Workspace, request: Request) -> Response:
    user, _ = await ws.form(request, "viewer")
    if not getattr(request.state, "via_token", False):  # a browser: its session, and any copy of the cookie, ends
        await in_thread(auth.end_sessions, ws.store, user.username)
    response = back("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def set_language(ws: Workspace, request: Request) -> Response:
    ws.check_origin(request)
    form = await request.form(max_files=0, max_fields=10)
    ws.check_csrf(request, str(form.get("csrf_token") or ""), signed_out_page=True)
    lang = "en" if form.get("lang") == "en" else "th"
    response = back(local_path(str(form.get("next") or "/")))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", secure=ws.secure(request),
                        path="/")
    return response


# -- overview --------------------------------------------------------------------------------
async def overview(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    p = params(request)
    # Whole Bangkok days (the store answers those from its daily counts): by default the last 30.
    today = now_utc().astimezone(BANGKOK).date().isoformat()
    until = views.parse_when(p.get("until") or today, "until", end=True)
    since = views.parse_when(p["since"], "since") if p.get("since") else until - timedelta(days=30)
    if since >= until:
        raise InputError("since: must be before until")
    entity = p.get("entity") or None
    data = await in_thread(views.overview, ws.store, since, until, entity, ws.lang(request))
    incidents = await in_thread(ws.store.list_incidents, ("open", "acknowledged"))
    return ws.render(request, "overview.html", user=user, data=data, incidents=incidents, entity=entity,
                     since_day=since.astimezone(BANGKOK).date().isoformat(),
                     until_day=(until - timedelta(microseconds=1)).astimezone(BANGKOK).date().isoformat())


# -- mentions --------------------------------------------------------------------------------
async def mentions(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    p = params(request)
    limit = min(max(whole_number(request.query_params.get("limit")) or 50, 1), 500)
    sources = await in_thread(ws.store.count_by, MentionFilter(), "source_name", 50)
    languages = await in_thread(ws.store.count_by, MentionFilter(), "language", 30)
    page_ctx: dict[str, Any] = {"user": user, "p": p, "languages": list(languages), "complaint_types": list(complaint_type_names()),
                "news_topics": list(news_topic_names()), "limit": limit, "sources": list(sources),
                "time_range": views.time_range(p),
                "clear_range_link": views.link("/mentions", **{k: v for k, v in p.items() if k not in ("since", "until")})}
    try:
        flt = mention_filter(ws, request)
        after = views.read_cursor(request.query_params.get("after"), "after")
        before = views.read_cursor(request.query_params.get("before"), "before")
    except InputError as err:
        # The page again, every filter kept, with what could not be read beside the search box.
        problem = "bad_query" if str(err).startswith("query ") else views.refused_word(err) or "bad_filter"
        return ws.render(request, "mentions.html", status=422 if isinstance(err, RefusedValue) else 400,
                         found=[], total=0, more=False, sizes={},
                         problem=problem, problem_detail=str(err), paging=None, csv_link=None, **page_ctx)
    start = min(whole_number(request.query_params.get("start")) or 1, 10**9)  # for "51–100 of N" only

    def load() -> tuple[dict[str, Any], int, dict[str, int]]:
        page = views.mention_page(ws.store, flt, limit, after, before, start)
        # Counted up to COUNT_CAP only: a common filter stops early on a big store.
        total = ws.store.count_upto(flt, COUNT_CAP + 1)
        return page, total, views.cluster_sizes(ws.store, page["rows"])

    page, total, sizes = await in_thread(load)
    here = {k: v for k, v in p.items() if k != "limit" or v != "50"}
    paging = {
        "start": page["start"], "end": page["end"],
        "prev": views.link("/mentions", **here, before=page["before"], start=page["start"] - limit)
        if page["before"] else (views.link("/mentions", **here) if after is not None and not page["rows"] else None),
        "next": views.link("/mentions", **here, after=page["after"], start=page["end"] + 1) if page["after"] else None,
    }
    return ws.render(request, "mentions.html", found=page["rows"], total=min(total, COUNT_CAP),
                     more=total > COUNT_CAP, sizes=sizes, problem=None, problem_detail=None, paging=paging,
                     csv_link=views.link("/mentions.csv", **p), **page_ctx)


async def mentions_csv(ws: Workspace, request: Request) -> Response:
    ws.need(request)
    flt = mention_filter(ws, request)
    found = await in_thread(ws.store.search, flt, 10000)
    return csv_response(views.csv_rows(found), "sadap-mentions.csv")


async def mention_page(ws: Workspace, request: Request, refused: dict[str, Any] | None = None) -> Response:
    user = ws.need(request)
    mid = request.path_params["mention_id"]

    def load() -> dict[str, Any]:
        m = ws.store.get(mid)
        if m is None:
            raise InputError(f"no mention {mid!r}")
        cluster = m.duplicate_of or m.id
        copies = [c for c in ws.store.search(MentionFilter(clusters=(cluster,)), 50) if c.id != m.id]
        thread = []  # a forum post's thread: the same page, a few days either side
        if m.url and m.source_kind == "forum":
            base = m.url.split("#")[0]
            thread = [t for t in ws.store.search(MentionFilter(source_names=(m.source_name,),
                      since=m.published_at - timedelta(days=3), until=m.published_at + timedelta(days=3)), 200)
                      if t.id != m.id and (t.url or "").split("#")[0] == base][:30]
        return {"m": m, "copies": copies, "thread": thread, "responses": ws.store.responses(m.id),
                "assigned": ws.store.assignments([m.id]).get(m.id), "corrections": ws.store.corrections(m.id)}

    data = await in_thread(load)
    users = await in_thread(views.assignable_users, ws.store)
    refused = refused or {"problems": [], "typed": {}}
    return ws.render(request, "mention.html", user=user, users=users, choices=corrections.choices(ws.config),
                     **refused, **data)


async def mention_respond(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    mid = request.path_params["mention_id"]
    text = data.get("text", "").strip()
    if not text:
        raise InputError("text: required (what was said in the response)")
    if ws.store.get(mid) is None:
        raise InputError(f"no mention {mid!r}")
    responses.record(ws.store, ws.config, mid, user.username, data.get("channel", "social")[:40] or "social", text[:4000])
    if getattr(request.state, "via_token", False):
        return JSONResponse({"ok": True, "responses": len(ws.store.responses(mid))})
    return back(local_path(data.get("next"), f"/mentions/{mid}"))


async def mention_label(ws: Workspace, request: Request) -> Response:
    """A person's labels for a mention (responder and up); blank fields stay as they are."""
    user, data = await ws.form(request, "responder")
    mid = request.path_params["mention_id"]
    values = {name: data.get(name) for name in corrections.FIELDS}
    try:
        fixed = await in_thread(corrections.correct, ws.store, ws.config, mid, values, user.username)
    except InputError as err:
        if getattr(request.state, "via_token", False):
            raise
        # The mention's page again, the choices kept and the problem next to its field (a
        # mention that does not exist is still the error page).
        problem = form_problem(str(err), ws.lang(request), tuple(corrections.FIELDS))
        return await mention_page(ws, request, {"problems": [problem], "status": 422,
                                                "typed": {k: str(v or "") for k, v in values.items()}})
    if getattr(request.state, "via_token", False):
        return JSONResponse({"ok": True, "id": fixed.id, "corrected": fixed.corrected.model_dump(mode="json")
                             if fixed.corrected else None})
    return back(local_path(data.get("next"), f"/mentions/{mid}"))


async def case_assign(ws: Workspace, request: Request) -> Response:
    """The assign form of the complaint queue's rows and of the case page: gives the case (not
    one of its mentions) to someone, then back to the page the form was on (``next``)."""
    user, data = await ws.form(request, "responder")
    case_id = request.path_params["case_id"]
    case = await in_thread(complaint_cases.get_case, ws.store, case_id)  # none such: the error page
    to = local_path(data.get("next"), "/complaints")
    try:
        await in_thread(complaint_cases.assign_case, ws.store, case.id, data.get("assignee", ""), user.username)
    except InputError as err:
        # "— not assigned —" (or someone gone since the page was drawn) is refused, never a quiet
        # unassign: the page again, the problem next to the form (the queue: on the case's row).
        if getattr(request.state, "via_token", False):
            raise
        problem = {**form_problem(str(err), ws.lang(request), ("assignee",)), "case": case.id}
        if urlsplit(to).path.rstrip("/").lower() == f"/cases/{case.id}".lower():
            return await cases_page.case_page(ws, request, {"problems": [problem], "form": "assign", "status": 422,
                                                            "typed": {}})
        query = parse_qs(urlsplit(to).query)
        return await complaints_page(ws, request, whole_number((query.get("days") or [""])[0]),
                                     whole_number((query.get("page") or [""])[0]), problem)
    return back(to)


# -- incidents -------------------------------------------------------------------------------
async def incidents(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    state = request.query_params.get("state", "")
    found = await in_thread(ws.store.list_incidents, incident_states(request))
    return ws.render(request, "incidents.html", user=user, found=found, state=state)


def incident_states(request: Request) -> tuple[IncidentState, ...]:
    """The ``state`` filter (``status`` on the API is the same one): a comma list, each one of
    the states; an unknown one is refused (once ignored, so every incident was listed)."""
    field = "status" if "status" in request.query_params and request.url.path.startswith("/api/") else "state"
    raw = request.query_params.get(field, "")
    values = tuple(v for v in (part.strip() for part in raw.split(",")) if v)[:10]
    return tuple(cast(IncidentState, views.choice(field, v, INCIDENT_STATES)) for v in values)


def _incident_context(ws: Workspace, incident_id: str, lang: str, alerts: bool = False) -> dict[str, Any]:
    incident = ws.store.get_incident(incident_id)
    if incident is None:
        raise InputError(f"no incident {incident_id!r}")
    events = ws.store.events(incident_id)
    playbook = playbooks_by_id(ws).get(incident.playbook)
    mentions = [m for m in (ws.store.get(i) for i in incident.mention_ids[:20]) if m]
    return {"incident": incident, "events": events, "playbook": playbook,
            "steps": views.steps_state(incident, events, playbook, lang),
            "templates": views.response_templates(incident, playbook, lang, mentions, ws.custom_words),
            "mentions": mentions,
            "inform": who_to_inform(incident, playbook, ws.store.list_stakeholders(), events, lang),
            "alerts": views.alert_mentions(ws.store, events) if alerts else [], "now": now_utc()}


async def incident_page(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    ctx = await in_thread(_incident_context, ws, request.path_params["incident_id"], ws.lang(request), True)
    return ws.render(request, "incident.html", user=user, **ctx)


async def incident_live(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    ctx = await in_thread(_incident_context, ws, request.path_params["incident_id"], ws.lang(request))
    return ws.render(request, "incident_live.html", user=user, **ctx)


def _act(ws: Workspace, incident_id: str, action: str, actor: str, data: dict[str, str]) -> None:
    text = responses.staff_text(ws.config, data.get("text", "").strip()[:4000])
    if action in ACTIONS:
        transition(ws.store, incident_id, ACTIONS[action], actor, text)
    elif action in ("note", "respond"):
        if not text:
            raise InputError("text: required")
        add_note(ws.store, incident_id, actor, text, kind="note" if action == "note" else "response",
                 channel=(data.get("channel") or "social")[:40] if action == "respond" else None)
    elif action == "step":
        incident = ws.store.get_incident(incident_id)
        if incident is None:
            raise InputError(f"no incident {incident_id!r}")
        step = whole_number(data.get("step", ""))
        if step is None:
            raise InputError("step: give the step number (1, 2, …)")
        views.mark_step(ws.store, incident, playbooks_by_id(ws).get(incident.playbook), step, actor, text)
    else:
        raise Denied(404, "use ack, resolve, reopen, note, respond or step")


async def incident_action(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    incident_id, action = request.path_params["incident_id"], request.path_params["action"]
    await in_thread(_act, ws, incident_id, action, user.username, data)
    if request.headers.get("hx-request"):
        return await incident_live(ws, request)
    return back(f"/incidents/{incident_id}")


# -- complaints ------------------------------------------------------------------------------
async def complaints(ws: Workspace, request: Request) -> Response:
    return await complaints_page(ws, request, whole_number(request.query_params.get("days")),
                                 whole_number(request.query_params.get("page")))


async def complaints_page(ws: Workspace, request: Request, days_asked: int | None, page_asked: int | None,
                          problem: dict[str, str] | None = None) -> Response:
    user = ws.need(request)
    days = min(days_asked or 7, 90)
    page = min(page_asked or 1, 1_000_000)  # past the last: the last
    sla = complaint_cases.case_sla(ws.config)

    def load() -> complaint_cases.QueuePage:
        ws.complaint_sync(ws.store)  # complaints not in a case yet (an import, another process); once a minute
        found = complaint_cases.queue_page(ws.store, days=days, sla=sla, page=page)
        with_whom = complaint_cases.shown_assignees(ws.store, [r["case"] for r in found.rows])
        for r in found.rows:
            r["assignee"] = with_whom[r["case"].id]
        return found

    found = await in_thread(load)
    users = await in_thread(views.assignable_users, ws.store)
    here = views.link("/complaints", days=days, page=found.page if found.page > 1 else None)
    return ws.render(request, "complaints.html", status=422 if problem else 200, user=user, queue=found.rows,
                     found=found, sla=sla, days=days, users=users, here=here, problem=problem, clock=lambda d: views.clock_words(d, ws.lang(request)),
                     prev_link=views.link("/complaints", days=days, page=found.page - 1) if found.page > 1 else None,
                     next_link=views.link("/complaints", days=days, page=found.page + 1) if found.page < found.pages else None)


# -- playbooks and rules ---------------------------------------------------------------------
async def playbooks(ws: Workspace, request: Request) -> Response:
    user = ws.need(request)
    loaded = await in_thread(playbooks_by_id, ws)
    return ws.render(request, "playbooks.html", user=user, playbooks=list(loaded.values()),
                     editable={k: views.editable(ws.config, p) for k, p in loaded.items()})


def _playbook(ws: Workspace, playbook_id: str) -> Any:
    playbook = playbooks_by_id(ws).get(playbook_id)
    if playbook is None:
        raise InputError(f"no playbook {playbook_id!r}")
    return playbook


async def playbook_page(ws: Workspace, request: Request, text: str | None = None, problems: list[str] | None = None,
                        saved: bool = False, status: int = 200) -> Response:
    user = ws.need(request)
    playbook = await in_thread(_playbook, ws, request.path_params["playbook_id"])
    source = playbook.source or ""
    if text is None:
        text = Path(source).read_text(encoding="utf-8") if source else ""
    return ws.render(request, "playbook.html", status=status, user=user, playbook=playbook, text=text,
                     problems=problems, saved=saved, editable=views.editable(ws.config, playbook),
                     problem_lines=views_problem_lines(problems or []))


def views_problem_lines(problems: list[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for p in problems:
        match = re.match(r"^.*?:(\d+): ", p)
        out.setdefault(int(match.group(1)) if match else 0, []).append(p)
    return out


async def playbook_edit(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "planner")
    playbook = await in_thread(_playbook, ws, request.path_params["playbook_id"])
    text = data.get("yaml", "").replace("\r\n", "\n")
    problems = await in_thread(views.validate_playbook_text, ws.config, playbook.source or "playbook.yaml", text)
    if problems or data.get("do") != "save":
        return await playbook_page(ws, request, text, problems, status=422 if problems else 200)
    if not views.editable(ws.config, playbook):
        raise Denied(403, "shipped playbooks cannot be saved here: copy one under playbooks.paths to change it")
    path = Path(playbook.source)
    old = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    try:
        await in_thread(playbooks_by_id, ws)  # the whole set must still load (ids stay unique)
    except InputError:
        path.write_text(old, encoding="utf-8")
        raise
    except Exception as err:
        path.write_text(old, encoding="utf-8")
        return await playbook_page(ws, request, text, str(err).splitlines(), status=422)
    log.info("playbook %s saved by %s", playbook.id, user.username)
    return await playbook_page(ws, request, text, [], saved=True)


async def backtest(ws: Workspace, request: Request) -> Response:
    user = ws.need(request, "planner")
    target = request.path_params["target"]
    since = views.parse_since(request.query_params.get("since", "7d"))
    step = views.parse_since(request.query_params["step"]) if request.query_params.get("step") else None
    until = now_utc()
    report = await in_thread(run_backtest, ws.config, ws.store, target, until - since, until, step)
    return ws.render(request, "backtest.html", user=user, target=target, report=report,
                     chart=views.backtest_chart(report), since=request.query_params.get("since", "7d"))


async def rules(ws: Workspace, request: Request, notice: str | None = None) -> Response:
    user = ws.need(request)

    def load() -> tuple[list[Any], dict[str, str], dict[str, list[Any]]]:
        last: dict[str, str] = {}
        for alert in ws.store.alerts_since(now_utc() - timedelta(days=90)):
            last[alert.get("rule", "")] = alert.get("window_end", "")
        snoozes: dict[str, list[Any]] = {}
        for s in ws.store.snoozes():
            if s["until"] > now_utc():
                snoozes.setdefault(s["rule_id"], []).append(s)
        return list(ws.config.alert_rules), last, snoozes

    found, last, snoozes = await in_thread(load)
    last_at = {k: datetime.fromisoformat(v) for k, v in last.items() if v}
    return ws.render(request, "rules.html", user=user, rules=found, last=last_at, snoozes=snoozes, notice=notice)


async def rule_snooze(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "planner")
    rule = request.path_params["rule_id"]
    found = {r.id: r for r in ws.config.alert_rules}
    if rule not in found:
        raise InputError(f"no rule {rule!r}")
    key = (data.get("key") or "*").strip()[:200] or "*"
    if request.path_params["action"] == "snooze":
        until = now_utc() + views.parse_since(data.get("duration") or "2h")
        checked = snooze_key(ws.config, ws.store, found[rule], key)  # the key as the rule's alerts carry it
        ws.store.snooze(rule, checked.key, until, user.username,
                        responses.staff_text(ws.config, data.get("reason", "").strip()[:500]))
        if checked.warning:  # kept, but said: the page shows it above the rules
            return await rules(ws, request, notice=checked.warning)
    else:  # the key exactly as stored (a snooze kept from before keys were normalised still lifts)
        ws.store.snooze(rule, key, now_utc(), user.username, "unsnoozed")
    return back("/rules")


# -- users and tokens (admin) ------------------------------------------------------------------
async def users(ws: Workspace, request: Request, new_token: str | None = None) -> Response:
    user = ws.need(request, "admin")
    return ws.render(request, "users.html", user=user, users=ws.store.list_users(), roles=ROLES,
                     tokens=ws.store.list_api_tokens(), new_token=new_token)


async def users_action(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "admin")
    action = request.path_params["action"]
    name = data.get("username", "").strip().lower()
    if action == "add":
        await in_thread(auth.add_user, ws.store, name, data.get("role", "viewer"), data.get("password", ""))
    elif action in ("disable", "enable"):
        if name == user.username:
            raise InputError("you cannot disable yourself")
        auth.set_disabled(ws.store, name, action == "disable")
    elif action == "role":
        auth.set_role(ws.store, name, data.get("role", ""))
    elif action == "token":
        token, _ = auth.new_api_token(ws.store, name, data.get("name", ""))
        return await users(ws, request, new_token=token)
    elif action == "revoke":
        auth.revoke_api_token(ws.store, data.get("token_hash", ""))
    else:
        raise Denied(404, "unknown action")
    return back("/admin/users")


# -- JSON API ------------------------------------------------------------------------------------
async def api_summary(ws: Workspace, request: Request) -> Response:
    ws.need(request)
    body = await in_thread(summary, ws.store)
    body["incidents"] = [i.model_dump(mode="json") for i in ws.store.list_incidents()]
    return JSONResponse(body)


async def api_incidents(ws: Workspace, request: Request) -> Response:
    ws.need(request)
    found = await in_thread(ws.store.list_incidents, incident_states(request))
    return JSONResponse([i.model_dump(mode="json") for i in found])


async def api_incident(ws: Workspace, request: Request) -> Response:
    ws.need(request)
    incident = ws.store.get_incident(request.path_params["incident_id"])
    if incident is None:
        raise Denied(404, "no such incident")
    data = incident.model_dump(mode="json")
    data["timeline"] = [e.model_dump(mode="json") for e in ws.store.events(incident.id)]
    return JSONResponse(data)


async def api_incident_action(ws: Workspace, request: Request) -> Response:
    user, data = await ws.form(request, "responder")
    incident_id, action = request.path_params["incident_id"], request.path_params["action"]
    await in_thread(_act, ws, incident_id, action, user.username, data)
    incident = ws.store.get_incident(incident_id)
    return JSONResponse(incident.model_dump(mode="json") if incident else {})


async def api_mentions(ws: Workspace, request: Request) -> Response:
    ws.need(request)
    flt = mention_filter(ws, request)
    limit = min(whole_number(request.query_params.get("limit")) or 50, 1000)
    exact = views.choice("count", request.query_params.get("count", ""), ("exact",)) == "exact"
    after = views.read_cursor(request.query_params.get("after"), "after")
    found = await in_thread(ws.store.search_page, flt, limit + 1, after)
    # The next page: the same filter with after=<next> (by key, so new mentions never repeat a row).
    following = views.page_cursor(found[limit - 1], flt.time_field) if len(found) > limit else None
    found = found[:limit]
    # Counted up to COUNT_CAP ("more": true beyond it, as the page's "10000+"); count=exact counts all.
    total = await in_thread(ws.store.count, flt) if exact else await in_thread(ws.store.count_upto, flt, COUNT_CAP + 1)
    more = total > COUNT_CAP and not exact
    return JSONResponse({"total": min(total, COUNT_CAP) if more else total, "more": more, "next": following,
                         "mentions": [m.model_dump(mode="json") for m in found]})


async def favicon(ws: Workspace, request: Request) -> Response:
    return Response(status_code=204)


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/favicon.ico", favicon, ["GET"]),
    ("/signin", signin_page, ["GET"]),
    ("/signin", signin, ["POST"]),
    ("/signout", signout, ["POST"]),
    ("/lang", set_language, ["POST"]),
    ("/", overview, ["GET"]),
    ("/mentions", mentions, ["GET"]),
    ("/mentions.csv", mentions_csv, ["GET"]),
    ("/mentions/{mention_id}", mention_page, ["GET"]),
    ("/mentions/{mention_id}/respond", mention_respond, ["POST"]),
    ("/mentions/{mention_id}/label", mention_label, ["POST"]),
    ("/incidents", incidents, ["GET"]),
    ("/incidents/{incident_id}", incident_page, ["GET"]),
    ("/incidents/{incident_id}/live", incident_live, ["GET"]),
    ("/incidents/{incident_id}/{action}", incident_action, ["POST"]),
    ("/complaints", complaints, ["GET"]),
    ("/cases/{case_id}/assign", case_assign, ["POST"]),  # before the case page's /cases/{case_id}/{action}
    ("/playbooks", playbooks, ["GET"]),
    ("/playbooks/{playbook_id}", playbook_page, ["GET"]),
    ("/playbooks/{playbook_id}", playbook_edit, ["POST"]),
    ("/backtest/{target}", backtest, ["GET"]),
    ("/rules", rules, ["GET"]),
    ("/rules/{rule_id}/{action:str}", rule_snooze, ["POST"]),
    ("/admin/users", users, ["GET"]),
    ("/admin/users/{action}", users_action, ["POST"]),
    ("/api/summary", api_summary, ["GET"]),
    ("/api/incidents", api_incidents, ["GET"]),
    ("/api/incidents/{incident_id}", api_incident, ["GET"]),
    ("/api/incidents/{incident_id}/{action}", api_incident_action, ["POST"]),
    ("/api/mentions", api_mentions, ["GET"]),
    ("/api/mentions/{mention_id}/respond", mention_respond, ["POST"]),
    ("/api/mentions/{mention_id}/label", mention_label, ["POST"]),
]
