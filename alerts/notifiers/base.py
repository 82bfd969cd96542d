from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, TypeVar

from alerts.notifiers.options import NotifierOptions
from sadap.core.errors import ConfigError, NotifyError

T = TypeVar("T")


@dataclass
class Notification:
    text_th: str
    text_en: str
    payload: dict[str, Any]


class Notifier:
    """Delivers a notification; raises sadap.core.errors.NotifyError when it finally fails.

    The error is one line naming the notifier type and id and the reason, never a URL,
    token or password (chat webhook URLs are secrets)."""

    type_name: ClassVar[str]
    #: Its settings in ``notifiers:``; ``type`` is a Literal of ``type_name``.
    Options: ClassVar[type[NotifierOptions]]
    #: First wait between attempts (doubled each time, at most ``max_backoff_seconds``).
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0

    def __init__(self, config):
        self.config = config
        self.sleep: Callable[[float], None] = time.sleep  # tests replace it to record the waits

    @property
    def id(self) -> str:
        return self.config.id

    def send(self, notification: Notification) -> None:
        raise NotImplementedError

    # -- helpers for subclasses ----------------------------------------------
    def text(self, notification: Notification) -> str:
        return notification.text_en if getattr(self.config, "lang", "th") == "en" else notification.text_th

    def failure(self, reason: str) -> NotifyError:
        return NotifyError(f"{self.type_name} {self.id!r}: {reason}")

    def secret(self, getter: Callable[[], T]) -> T:
        """Resolve a secret at send time; a missing one becomes a NotifyError (the engine
        records it and carries on) rather than crashing the scheduler."""
        try:
            return getter()
        except ConfigError as err:
            raise NotifyError(str(err)) from None


NOTIFIERS: dict[str, type[Notifier]] = {}
N = TypeVar("N", bound=type[Notifier])


def register(cls: N) -> N:
    """Register a notifier under its ``type_name`` (the ``type`` of its settings)."""
    declared = cls.Options.model_fields["type"].annotation
    if getattr(declared, "__args__", None) != (cls.type_name,):
        raise TypeError(f"{cls.__name__}.Options.type must be Literal[{cls.type_name!r}]")
    NOTIFIERS[cls.type_name] = cls
    return cls
