"""Notifiers, one module each, registered by config ``type``."""

from __future__ import annotations

from alerts.notifiers.base import Notification, Notifier
from alerts.notifiers.console import ConsoleNotifier
from alerts.notifiers.webhook import WebhookNotifier

NOTIFIER_TYPES: dict[str, type[Notifier]] = {
    ConsoleNotifier.type_name: ConsoleNotifier,
    WebhookNotifier.type_name: WebhookNotifier,
}


def build_notifiers(configs) -> list[Notifier]:
    return [NOTIFIER_TYPES[c.type](c) for c in configs]


__all__ = ["NOTIFIER_TYPES", "Notification", "Notifier", "build_notifiers"]
