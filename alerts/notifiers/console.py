"""``console``: print the alert to standard output (Thai by default)."""

from __future__ import annotations

import sys

from alerts.notifiers.base import Notification, Notifier


class ConsoleNotifier(Notifier):
    type_name = "console"

    def __init__(self, config, stream=None):
        super().__init__(config)
        self.stream = stream

    def send(self, notification: Notification) -> None:
        stream = self.stream or sys.stdout
        text = notification.text_th if self.config.lang == "th" else notification.text_en
        print("🔔 " + text + "\n", file=stream, flush=True)
