"""An ASGI layer in front of the workspace: Host allow-list, body size limits, security headers
(and ``Cache-Control: no-store`` on everything but ``/static/``).

It answers bad requests itself (400, 413) so that no handler sees them."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class _TooLarge(BaseException):  # not Exception: no handler may swallow it
    pass


async def _reply(send: Send, status: int, message: str, api: bool) -> None:
    if api:
        body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
        ctype = b"application/json; charset=utf-8"
    else:
        body = message.encode("utf-8")
        ctype = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


# A Host header: a name or IPv4 address, or a bracketed IPv6 address, and an optional port
# (RFC 9110 §7.2); anything else (``localhost:evil.example``, user info) is refused.
_HOST = re.compile(r"(?P<name>[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{0,5})?")


def host_name(raw: bytes) -> str | None:
    """The host part of a Host header (port left out), or None where it is not plain ASCII."""
    try:
        text = raw.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return None
    shape = _HOST.fullmatch(text)
    return shape.group("name") if shape else None


class Guard:
    def __init__(self, app: ASGIApp, allowed_hosts: list[str], max_body: int, hsts: bool = True):
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}
        self.max_body = max_body
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")
        headers = dict(scope.get("headers") or [])
        host = host_name(headers.get(b"host", b""))
        if host is None or ("*" not in self.allowed and host not in self.allowed):
            await _reply(send, 400, "host not allowed (add it to console.allowed_hosts)", api)
            return
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _reply(send, 400, "Content-Length must be a whole number", api)
                return
            if int(length) > self.max_body:
                await _reply(send, 413, f"request body too large (at most {self.max_body} bytes)", api)
                return
        secure = scope.get("scheme") == "https"
        # Pages, the JSON API and the CSV export hold personal data: no browser or proxy keeps
        # a copy (the shipped scripts, styles and fonts may be cached).
        cached = str(scope.get("path", "")).startswith("/static/")
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = list(HEADERS)
                if secure and self.hsts:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                if not cached:
                    extra.append((b"cache-control", b"no-store"))
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"request body too large (at most {self.max_body} bytes)", api)
