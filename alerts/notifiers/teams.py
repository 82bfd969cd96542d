"""``teams``: post the alert to a Microsoft Teams channel as an Adaptive Card, through an
incoming webhook or a Workflows ("When a Teams webhook request is received") URL.

The URL is a secret (whoever has it can post), so it comes only from ``url_env``."""

from __future__ import annotations

import json

from typing import Literal

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import ChatWebhookOptions
from alerts.notifiers.chat import split_text
from alerts.notifiers.delivery import deliver, post_json

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def adaptive_card(text: str, payload: dict) -> dict:
    """An Adaptive Card 1.4: the headline (in red for P1 and P2), then one block per line."""
    head, lines = split_text(text)
    urgent = payload.get("severity") in ("P1", "P2")
    body: list[dict] = [
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

    def send(self, notification: Notification) -> None:
        url = self.secret(self.config.resolved_url)
        message = adaptive_card(self.text(notification), notification.payload)
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        deliver(self, lambda: post_json(self, url, body), secrets=[url])
