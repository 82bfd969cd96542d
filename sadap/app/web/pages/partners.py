"""Partners: the masked feeds each partner reads (token, not sign-in), and the page where
planners see what is shared with whom (the audit) and push a webhook now."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from sadap.app.partners import ATOM_TYPE, JSON_FEED_TYPE, PartnerConfig, atom_feed, json_feed, push, record, select
from sadap.app.web.app import Workspace, in_thread
from sadap.core.errors import ConfigError
from sadap.core.signing import same_secret, signed_headers
from sadap.core.timeutil import now_utc

log = logging.getLogger("sadap.web.partners")
NAV: tuple[str, str, str] | None = ("/partners", "partners", "planner")
WORDS: dict[str, tuple[str, str]] = {
    "partners": ("พันธมิตร", "Partners"),
    "partner_shares": ("สิ่งที่แบ่งปัน", "What is shared"),
    "partner_audit": ("บันทึกการแบ่งปัน", "Sharing audit"),
    "partner_push": ("ส่งตอนนี้", "Push now"),
    "partner_token_set": ("ตั้งโทเคนแล้ว", "Token set"),
    "partner_token_missing": ("ยังไม่ได้ตั้งโทเคน", "Token not set"),
    "partner_none": ("ยังไม่มีพันธมิตร: เพิ่มใน partners: ของ sadap.yaml", "No partners yet: add them under partners: in sadap.yaml"),
    "partner_items": ("จำนวนรายการ", "Items"),
    "partner_channel": ("ช่องทาง", "Channel"),
    "partner_actor": ("ผู้ดำเนินการ", "By"),
}


def _refused() -> Response:
    return JSONResponse({"error": "unknown partner or wrong token (Authorization: Bearer <partner token>)"},
                        status_code=401, headers={"www-authenticate": "Bearer"})


def _authorised(ws: Workspace, request: Request) -> PartnerConfig | None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    try:
        partner: PartnerConfig = ws.config.partner(request.path_params["name"])
        expected = partner.token()
    except ConfigError as err:
        if "environment variable" in str(err):
            log.error("%s", err)
        return None
    if scheme.lower() != "bearer" or not same_secret(expected, given.strip()):
        return None
    return partner


async def _feed(ws: Workspace, request: Request, fmt: str) -> Response:
    partner = _authorised(ws, request)
    if partner is None:
        return _refused()
    now = now_utc()
    items, _ = await in_thread(select, ws.store, partner, now)
    url = str(request.url)
    body = json_feed(partner, items, url) if fmt == "json" else atom_feed(partner, items, url, now)
    await in_thread(record, ws.store, partner, f"feed.{fmt}", items, partner.name, now)
    headers = {"cache-control": "no-store", **signed_headers(partner.token(), int(time.time()), body)}
    return Response(body, media_type=JSON_FEED_TYPE if fmt == "json" else ATOM_TYPE, headers=headers)


async def feed_json(ws: Workspace, request: Request) -> Response:
    return await _feed(ws, request, "json")


async def feed_atom(ws: Workspace, request: Request) -> Response:
    return await _feed(ws, request, "atom")


def _token_set(partner: PartnerConfig) -> bool:
    try:
        partner.token()
    except ConfigError:
        return False
    return True


async def partners(ws: Workspace, request: Request) -> Response:
    user = ws.need(request, "planner")

    def load() -> list[dict[str, Any]]:
        return [{"p": p, "token_set": _token_set(p), "webhook": _origin(p.webhook), "shares": ws.store.shares(p.name, limit=20)}
                for p in ws.config.partners]

    rows = await in_thread(load)
    return ws.render(request, "partners.html", user=user, rows=rows)


async def partner_push(ws: Workspace, request: Request) -> Response:
    user, _ = await ws.form(request, "planner")
    partner = ws.config.partner(request.path_params["name"])
    await in_thread(lambda: push(ws.store, partner, actor=user.username))
    return RedirectResponse("/partners", status_code=303)


def _origin(url: str | None) -> str | None:
    """A webhook's scheme, host and port only: its user info, path or query may hold a secret."""
    if not url:
        return None
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/partners", partners, ["GET"]),
    ("/partners/{name}/push", partner_push, ["POST"]),
    ("/partners/{name}/feed.json", feed_json, ["GET"]),
    ("/partners/{name}/feed.atom", feed_atom, ["GET"]),
]
