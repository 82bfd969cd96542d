"""The web workspace: a Starlette app with Jinja2 pages (autoescaped), htmx and ECharts.

Every page and API call needs a signed-in user (session cookie) or an API token, unless
``console.public_read`` lets anonymous readers in. Roles: viewer < responder < planner < admin.
Every state-changing request needs the CSRF token (forms, htmx) or an API token."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from sadap.app import complaints as complaint_cases
from sadap.app.line_inbound import LineInbound, ingest_sink
from sadap.app.web import auth, views
from sadap.app.web.guard import Guard
from sadap.app.web.i18n import correction_value, label, word
from sadap.core.errors import RefusedValue, SadapError
from sadap.core.timeutil import BANGKOK, show
from sadap.core.users import User, role_at_least
from sadap.store import MentionFilter, Store, open_store

log = logging.getLogger("sadap.web")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "sadap_session"
CSRF_COOKIE = "sadap_csrf"
LANG_COOKIE = "sadap_lang"


def safe_url(url: Any) -> str | None:
    """``url`` if it is an http(s) URL, else None: nothing else becomes a link."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if any(ord(c) < 33 for c in text):
        return None
    lower = text.lower()
    return text if lower.startswith("http://") or lower.startswith("https://") else None


class Denied(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def show_any(value: object) -> str:
    """A time for a page: a datetime, or an ISO 8601 string as stored in event data."""
    if isinstance(value, str) and value:
        try:
            return show(datetime.fromisoformat(value))
        except ValueError:
            return value
    return show(value) if isinstance(value, datetime) else "-"

class Workspace:
    """What the handlers share: config, store, signing key, templates, the sign-in limiter."""

    def __init__(self, config: Any, store: Store | None = None):
        self.config = config
        self.console = config.console
        self.store = store or open_store(config)
        self.secret = config.session_secret()
        self.custom_words = tuple(config.custom_words())
        self.limiter = auth.SignInLimiter(self.console.sign_in_attempts)
        self.complaint_sync = complaint_cases.SyncEvery()  # the complaint queue's sync, once a minute
        self.env = Environment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters["safe_url"] = safe_url
        self.env.filters["show"] = show_any
        self.env.filters["tojson_safe"] = lambda v: json.dumps(v, ensure_ascii=False).replace("<", "\\u003c").replace(
            ">", "\\u003e").replace("&", "\\u0026")

    # -- who is asking ------------------------------------------------------------------------
    def user(self, request: Request) -> User | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Denied(401, "use Authorization: Bearer <API token>")
            user = auth.user_for_token(self.store, token.strip())
            if user is None:
                raise Denied(401, "missing, wrong or revoked API token")
            request.state.via_token = True
            return user
        session = auth.read_session(self.secret, request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        user = self.store.get_user(session.username)
        if user is None or user.disabled or user.session_version != session.version:
            return None
        return user

    def need(self, request: Request, role: str = "viewer") -> User | None:
        """The user, if allowed; None for an anonymous reader when ``public_read`` allows it."""
        user = self.user(request)
        if user is None:
            if role == "viewer" and self.console.public_read and request.method in ("GET", "HEAD"):
                return None
            raise Denied(401, "sign in first")
        if not role_at_least(user.role, role):
            raise Denied(403, f"your role ({user.role}) cannot do this; it needs {role}")
        return user

    async def form(self, request: Request, role: str) -> tuple[User, dict[str, str]]:
        """For a state-changing request: the user (with ``role``), CSRF checked, and the form."""
        user = self.need(request, role)
        assert user is not None
        self.check_origin(request)
        data: dict[str, str] = {}
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded") or ctype.startswith("multipart/form-data"):
            try:
                form = await request.form(max_files=0, max_fields=200)
            except Exception:
                raise Denied(400, "unreadable form") from None
            data = {k: v for k, v in form.items() if isinstance(v, str)}
        elif getattr(request.state, "via_token", False) and ctype.startswith("application/json"):
            data = await self.json_body(request)
        if not getattr(request.state, "via_token", False):
            self.check_csrf(request, data.get("csrf_token") or request.headers.get("x-csrf-token"))
        return user, data

    def check_csrf(self, request: Request, given: str | None, signed_out_page: bool = False) -> None:
        """``given`` must be the token this browser's pages carry: bound to its CSRF cookie and
        its session cookie (``auth.csrf_token``). ``signed_out_page``: a page drawn before
        signing in (in another tab) is good too: sign-in and the language switch, where a
        session planted with the CSRF cookie would do no more than a token bound to none."""
        cookie, session = request.cookies.get(CSRF_COOKIE), request.cookies.get(SESSION_COOKIE)
        if auth.csrf_ok(self.secret, cookie, given, session):
            return
        if not (signed_out_page and session and auth.csrf_ok(self.secret, cookie, given)):
            raise Denied(403, "missing or wrong CSRF token: reload the page and try again")

    async def json_body(self, request: Request) -> dict[str, str]:
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Denied(400, "invalid JSON body") from None
        if not isinstance(body, dict):
            raise Denied(400, "body must be a JSON object")
        return {str(k): str(v) for k, v in body.items() if isinstance(v, (str, int, float))}

    def check_origin(self, request: Request) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null":
            expected = request.headers.get("host", "").lower()
            if origin.split("://", 1)[-1].lower() != expected:
                raise Denied(403, "cross-origin request refused")
        elif origin == "null":
            raise Denied(403, "cross-origin request refused")

    def lang(self, request: Request) -> str:
        value = request.cookies.get(LANG_COOKIE)
        return value if value in ("th", "en") else self.console.language

    # -- responses ---------------------------------------------------------------------------
    def secure(self, request: Request) -> bool:
        mode = self.console.secure_cookies
        return mode == "always" or (mode == "auto" and request.url.scheme == "https")

    @staticmethod
    def back_here(request: Request) -> str:
        """Where the language switch returns to: this page with its query string; for a form's
        answer (a POST), the page the form was on, when the Referer names one on this site."""
        if request.method in ("GET", "HEAD"):
            return request.url.path + (f"?{request.url.query}" if request.url.query else "")
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc.lower() == request.headers.get("host", "").lower() and referer.path.startswith("/"):
            return referer.path + (f"?{referer.query}" if referer.query else "")
        return "/"

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        csrf_cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None
        if not csrf_cookie or len(csrf_cookie) > 100:
            csrf_cookie = new_cookie = secrets.token_urlsafe(24)
        lang = self.lang(request)
        user = ctx.pop("user", None)
        csrf = auth.csrf_token(self.secret, csrf_cookie, request.cookies.get(SESSION_COOKIE))
        html = self.env.get_template(name).render(
            request=request, user=user, lang=lang, csrf=csrf,
            t=lambda k: word(k, lang), label=lambda table, k: label(table, k, lang),
            can=lambda role: user is not None and role_at_least(user.role, role),
            fix_value=lambda k, v: correction_value(k, v, lang), public_read=self.console.public_read,
            path=request.url.path, back_here=self.back_here(request), page_nav=page_nav(), **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        if new_cookie:
            response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="strict", secure=self.secure(request),
                                path="/")
        response.headers["cache-control"] = "no-store"
        return response


@cache  # the pages are fixed once imported; read on every render
def page_nav() -> tuple[tuple[str, str, str], ...]:
    from sadap.app.web.pages import PAGES

    return tuple(page.NAV for page in PAGES if page.NAV is not None)


# -- the app ------------------------------------------------------------------------------------
Handler = Callable[[Workspace, Request], Awaitable[Response]]


def create_app(config: Any, store: Store | None = None, extra_hosts: list[str] | None = None) -> Guard:
    """The workspace as an ASGI app (with the Host / body-size / headers guard in front)."""
    ws = Workspace(config, store)
    from sadap.app.web import routes
    from sadap.app.web.pages import PAGES

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            api = request.url.path.startswith("/api/")
            try:
                return await fn(ws, request)
            except Denied as err:
                if err.status == 401 and not api and request.method in ("GET", "HEAD"):
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse("/signin?next=" + quote(target, safe=""), status_code=303)
                return error(ws, request, err.status, err.message, api)
            except SadapError as err:
                text = str(err)
                status = 422 if isinstance(err, RefusedValue) else 409 if "can become" in text else \
                    404 if text.startswith("no ") else 400
                return error(ws, request, status, text, api, views.refused_word(err))

        return endpoint

    table = list(routes.ROUTES) + [route for page in PAGES for route in page.ROUTES]
    route_list: list[BaseRoute] = [Route(path, wrap(fn), methods=methods) for path, fn, methods in table]
    if config.console.line_webhook:
        route_list.append(Route(LINE_WEBHOOK_PATH, line_endpoint(config), methods=["POST"]))
    route_list.append(Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return error(ws, request, status, str(getattr(exc, "detail", "")) or "error", request.url.path.startswith("/api/"))

    app = Starlette(routes=route_list, exception_handlers={HTTPException: not_found})
    app.state.workspace = ws
    hosts = list(config.console.allowed_hosts) + list(extra_hosts or [])
    guard = Guard(app, hosts, config.console.max_body_bytes)
    guard.workspace = ws  # type: ignore[attr-defined]
    return guard


LINE_WEBHOOK_PATH = "/webhooks/line"


def line_endpoint(config: Any) -> Callable[[Request], Awaitable[Response]]:
    """``POST /webhooks/line``: LINE calls it, so no sign-in and no CSRF token; the call is
    authenticated by its ``X-Line-Signature`` instead (a missing secret fails at start-up)."""
    inbound = LineInbound(ingest_sink(config), secret_env=config.console.line_channel_secret_env)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        # Enrichment and the store are blocking work: off the event loop.
        result = await run_in_threadpool(inbound.handle, body, dict(request.headers))
        return Response(result.json(), status_code=result.status, media_type="application/json")

    return endpoint


def error(ws: Workspace, request: Request, status: int, message: str, api: bool, hint: str | None = None) -> Response:
    """The API's ``{"error": …}``, or the error page: ``hint`` (an i18n key) says it in the page's
    language above the English line."""
    if api:
        return JSONResponse({"error": message}, status_code=status)
    try:
        user = ws.user(request)
    except Denied:
        user = None
    return ws.render(request, "error.html", status=status, user=user, status_code=status, message=message, hint=hint)


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a whole number when it is ASCII digits only, else None (``"²".isdigit()`` is
    True, but ``int("²")`` fails)."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


def params(request: Request) -> dict[str, str]:
    return {k: v[:500] for k, v in request.query_params.items() if k in views.FILTER_KEYS or k in (
        "state", "days", "limit", "target", "step")}


def mention_filter(ws: Workspace, request: Request, default_days: int | None = None) -> MentionFilter:
    return views.mention_filter(params(request), ws.custom_words, default_days)


def bangkok_day(value: Any) -> str:
    day: str = value.astimezone(BANGKOK).date().isoformat()
    return day


def csv_response(rows: list[list[str]], name: str) -> Response:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


__all__ = ["create_app", "Workspace", "safe_url", "Denied"]
