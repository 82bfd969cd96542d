"""``slack``: post the alert to a Slack incoming webhook as Block Kit blocks (Thai by
default), with the whole text in ``text`` for notifications and older clients.

The webhook URL is a secret (whoever has it can post to the channel), so it comes only from
``url_env`` and never appears in errors or logs."""

from __future__ import annotations

import json
import re

import httpx

from typing import Any, Literal

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import ChatWebhookOptions
from alerts.notifiers.chat import clip, split_text
from alerts.notifiers.delivery import deliver, post_json

HEADER_MAX = 150  # Slack's limit for a header block's text
SECTION_MAX = 3000  # … and for a section's text
TEXT_MAX = 40000  # Slack cuts a message's `text` beyond this
_ERROR_CODE = re.compile(r"[a-z_]{1,60}")


def _escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, size: int) -> str:
    """``text`` escaped and clipped to ``size``, never ending in half an escape (``&am…``)."""
    escaped = _escape(text)
    clipped = clip(escaped, size)
    return clipped if clipped == escaped else re.sub(r"&[a-z]*…$", "…", clipped)


def _slack_error(response: httpx.Response) -> str | None:
    """Slack answers errors with a short code (``no_service``, ``invalid_payload`` …)."""
    text = response.text.strip()
    return text if _ERROR_CODE.fullmatch(text) else None


def slack_message(text: str, payload: dict[str, Any]) -> dict[str, Any]:
    head, lines = split_text(text)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": clip(head, HEADER_MAX), "emoji": True}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn("\n".join(lines), SECTION_MAX)}})
    incident = payload.get("incident")
    if incident:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{_escape(incident['ack'])}`"}]})
    # `text` (shown in notifications) is mrkdwn too: unescaped, a mention's "<!channel>" would ping everyone.
    return {"text": _mrkdwn(text, TEXT_MAX), "blocks": blocks}


class SlackOptions(ChatWebhookOptions):
    """Post each alert to a Slack channel through an incoming webhook (Block Kit)."""

    type: Literal["slack"]


@register
class SlackNotifier(Notifier):
    type_name = "slack"
    Options = SlackOptions
    config: SlackOptions

    def send(self, notification: Notification) -> None:
        url = self.secret(self.config.resolved_url)
        message = slack_message(self.text(notification), notification.payload)
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        deliver(self, lambda: post_json(self, url, body, detail=_slack_error), secrets=[url])
