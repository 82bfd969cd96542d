"""``line``: push the alert as a text message through the LINE Messaging API
(``POST {api_base}/v2/bot/message/push`` with the channel access token).

Retries carry the same ``X-Line-Retry-Key``, so LINE delivers the message once even when an
earlier attempt got through but its answer was lost (LINE then answers 409)."""

from __future__ import annotations

import json
import uuid

import httpx

from typing import Literal

from pydantic import Field, SecretStr

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import NotifierOptions, id_field, lang_field, max_retry_after_field, retries_field, timeout_field
from sadap.core.alert import cut
from sadap.core.settings_types import Duration
from alerts.notifiers.delivery import deliver, post_json

PUSH_PATH = "/v2/bot/message/push"
TEXT_MAX = 5000  # LINE's limit for a text message


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int = TEXT_MAX) -> str:
    """``text`` cut to LINE's limit (counted in UTF-16 units, so emoji count safely), ending in …,
    never inside a Thai syllable."""
    if _utf16_len(text) <= limit:
        return text
    out = cut(text, limit - 1)
    while _utf16_len(out) > limit - 1:
        out = cut(out, len(out) - 1)
    return out + "…"


def _line_error(response: httpx.Response) -> str | None:
    """LINE answers errors with ``{"message": "…"}``; the message names no secret."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return None
    return " ".join(str(message).split())[:120] if message else None


def _quota_spent(response: httpx.Response) -> bool:
    """429 "You have reached your monthly limit.": no retry succeeds before next month (a rate
    limit, 429 "The API rate limit has been exceeded…", is waited out as usual)."""
    return response.status_code == 429 and "monthly limit" in (_line_error(response) or "").lower()


def _already_accepted(response: httpx.Response) -> bool:
    """409 with ``x-line-accepted-request-id``: an earlier attempt with this retry key got through."""
    return response.status_code == 409 and "x-line-accepted-request-id" in response.headers


class LineOptions(NotifierOptions):
    """Push each alert as a text message to a LINE user, group or room (LINE Messaging API)."""

    id: str = id_field()
    type: Literal["line"]
    to: str = Field(description="User, group or room id to push to (`U…`, `C…` or `R…`).")
    token_env: str = Field(description="Environment variable holding the channel access token.")
    api_base: str = Field("https://api.line.me", description="Messaging API base URL (change only for tests or a proxy).")
    timeout: Duration = timeout_field()
    retries: int = retries_field()
    max_retry_after: Duration = max_retry_after_field()
    lang: Literal["th", "en"] = lang_field()

    def token(self) -> SecretStr:
        return self._env("token_env")

    def check(self) -> None:
        self.token()
        self._check_url("api_base", self.api_base)


@register
class LineNotifier(Notifier):
    type_name = "line"
    Options = LineOptions
    config: LineOptions

    def send(self, notification: Notification) -> None:
        token = self.secret(self.config.token).get_secret_value()
        url = self.config.api_base.rstrip("/") + PUSH_PATH
        message = {"to": self.config.to, "messages": [{"type": "text", "text": truncate(self.text(notification))}]}
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {token}", "X-Line-Retry-Key": notification.delivery_id or str(uuid.uuid4())}
        deliver(
            self,
            lambda: post_json(self, url, body, headers=headers, detail=_line_error, ok=_already_accepted,
                              refused=_quota_spent),
            secrets=[token],
        )
