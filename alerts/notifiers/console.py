"""``console``: print the alert to standard output (Thai by default)."""

from __future__ import annotations

import sys

from typing import Literal

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import NotifierOptions, id_field, lang_field


class ConsoleOptions(NotifierOptions):
    """Print alerts on standard output."""

    id: str = id_field()
    type: Literal["console"]
    lang: Literal["th", "en"] = lang_field()


@register
class ConsoleNotifier(Notifier):
    type_name = "console"
    Options = ConsoleOptions

    def __init__(self, config, stream=None):
        super().__init__(config)
        self.stream = stream

    def send(self, notification: Notification) -> None:
        stream = self.stream or sys.stdout
        text = notification.text_th if self.config.lang == "th" else notification.text_en
        print("🔔 " + text + "\n", file=stream, flush=True)
