"""Notifiers, one module each, registered by config ``type``."""

from __future__ import annotations

from alerts.notifiers.base import Notification, Notifier
from alerts.notifiers.console import ConsoleNotifier
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.line import LineNotifier
from alerts.notifiers.slack import SlackNotifier
from alerts.notifiers.teams import TeamsNotifier
from alerts.notifiers.webhook import WebhookNotifier

NOTIFIER_TYPES: dict[str, type[Notifier]] = {
    cls.type_name: cls
    for cls in (ConsoleNotifier, WebhookNotifier, EmailNotifier, SlackNotifier, TeamsNotifier, LineNotifier)
}


def check_notifiers(configs) -> None:
    """Raise ConfigError (one line) for the first notifier whose secrets are not set."""
    for config in configs:
        config.check()


def build_notifiers(configs) -> list[Notifier]:
    """The notifiers for ``configs``, after checking that every secret they need is set, so
    a missing token fails when the service loads, not when the first alert fires."""
    check_notifiers(configs)
    return [NOTIFIER_TYPES[c.type](c) for c in configs]


__all__ = ["NOTIFIER_TYPES", "Notification", "Notifier", "build_notifiers", "check_notifiers"]
