"""``teams``: post the alert to a Microsoft Teams channel as an Adaptive Card, through an
incoming webhook or a Workflows ("When a Teams webhook request is received") URL.

The URL is a secret (whoever has it can post), so it comes only from ``url_env``."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import ChatWebhookOptions
from alerts.notifiers.chat import split_text
from alerts.notifiers.delivery import deliver, post_json

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


#: A Markdown link's ``](`` (TextBlocks render a CommonMark subset, links included).
_LINK = re.compile(r"\]\s*\(")


def no_links(text: str) -> str:
    """``text`` with Markdown link syntax broken by a space: a quoted mention's
    ``[ธนาคาร](https://elsewhere)`` would show as a link named ธนาคาร to a hidden address; shown
    as written it names its address. (A bare URL stays a URL anyone can read.)"""
    return _LINK.sub("] (", text)


def adaptive_card(text: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card 1.4: the headline (in red for P1 and P2), then one block per line."""
    head, lines = split_text(no_links(text))
    urgent = payload.get("severity") in ("P1", "P2")
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": head, "weight": "Bolder", "size": "Medium", "wrap": True,
         **({"color": "Attention"} if urgent else {})}
    ]
    body += [{"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"} for line in lines]
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body,
            "msteams": {"width": "Full"}}
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class TeamsOptions(ChatWebhookOptions):
    """Post each alert to a Microsoft Teams channel as an Adaptive Card, through an incoming
    webhook or a Workflows (Power Automate) webhook URL."""

    type: Literal["teams"]


@register
class TeamsNotifier(Notifier):
    type_name = "teams"
    Options = TeamsOptions
    config: TeamsOptions

    def send(self, notification: Notification) -> None:
        url = self.secret(self.config.resolved_url)
        message = adaptive_card(self.text(notification), notification.payload)
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        deliver(self, lambda: post_json(self, url, body), secrets=[url])
