from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass
class Notification:
    text_th: str
    text_en: str
    payload: dict[str, Any]


class Notifier:
    """Delivers a notification; raises sadap.errors.NotifyError when it finally fails."""

    type_name: ClassVar[str]

    def __init__(self, config):
        self.config = config

    @property
    def id(self) -> str:
        return self.config.id

    def send(self, notification: Notification) -> None:
        raise NotImplementedError
