"""``line``: push the alert as a text message through the LINE Messaging API
(``POST {api_base}/v2/bot/message/push`` with the channel access token).

Retries carry the same ``X-Line-Retry-Key``, so LINE delivers the message once even when an
earlier attempt got through but its answer was lost (LINE then answers 409)."""

from __future__ import annotations

import json
import uuid

import httpx

from alerts.notifiers.base import Notification, Notifier
from alerts.notifiers.delivery import deliver, post_json

PUSH_PATH = "/v2/bot/message/push"
TEXT_MAX = 5000  # LINE's limit for a text message


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` cut to LINE's limit (counted in UTF-16 units, so emoji count safely), ending in …"""
    if _utf16_len(text) <= limit:
        return text
    out = text[: limit - 1]
    while _utf16_len(out) > limit - 1:
        out = out[:-1]
    return out + "…"


def _line_error(response: httpx.Response) -> str | None:
    """LINE answers errors with ``{"message": "…"}``; the message names no secret."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return None
    return " ".join(str(message).split())[:120] if message else None


def _already_accepted(response: httpx.Response) -> bool:
    """409 with ``x-line-accepted-request-id``: an earlier attempt with this retry key got through."""
    return response.status_code == 409 and "x-line-accepted-request-id" in response.headers


class LineNotifier(Notifier):
    type_name = "line"

    def send(self, notification: Notification) -> None:
        token = self.secret(self.config.token).get_secret_value()
        url = self.config.api_base.rstrip("/") + PUSH_PATH
        message = {"to": self.config.to, "messages": [{"type": "text", "text": truncate(self.text(notification))}]}
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {token}", "X-Line-Retry-Key": str(uuid.uuid4())}
        deliver(
            self,
            lambda: post_json(self, url, body, headers=headers, detail=_line_error, ok=_already_accepted),
            secrets=[token],
        )
