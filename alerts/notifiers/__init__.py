"""Notifiers, one module each. Importing this package registers them: adding a notifier is
its module (the class with its ``Options``) plus one line here (see docs/contributing.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from alerts.notifiers import console, email, line, slack, teams, webhook  # noqa: F401  (each registers)
from alerts.notifiers.base import NOTIFIERS, Notification, Notifier
from alerts.notifiers.options import NotifierOptions

if TYPE_CHECKING:
    NotifierConfig = NotifierOptions
else:
    # The `notifiers:` entry, told apart by `type`: one member per registered notifier.
    NotifierConfig = Annotated[Union[tuple(cls.Options for cls in NOTIFIERS.values())], Field(discriminator="type")]


def check_notifiers(configs: Iterable[NotifierOptions]) -> None:
    """Raise ConfigError (one line) for the first notifier whose secrets are not set."""
    for config in configs:
        config.check()


def build_notifiers(configs: Iterable[NotifierOptions]) -> list[Notifier]:
    """The notifiers for ``configs``, after checking that every secret they need is set, so
    a missing token fails when the service loads, not when the first alert fires."""
    configs = list(configs)
    check_notifiers(configs)
    return [NOTIFIERS[c.type](c) for c in configs]


__all__ = ["NOTIFIERS", "Notification", "Notifier", "NotifierConfig", "NotifierOptions", "build_notifiers", "check_notifiers"]
