"""``webhook``: POST the alert as JSON, retrying with exponential backoff."""

from __future__ import annotations

import logging
import time

import httpx

from alerts.notifiers.base import Notification, Notifier
from sadap.errors import NotifyError

log = logging.getLogger(__name__)


class WebhookNotifier(Notifier):
    type_name = "webhook"
    backoff_seconds = 0.5

    def send(self, notification: Notification) -> None:
        url = self.config.resolved_url()
        body = dict(notification.payload)
        body["text"] = notification.text_th if self.config.lang == "th" else notification.text_en
        attempts = self.config.retries + 1
        last = ""
        for attempt in range(attempts):
            try:
                response = httpx.post(url, json=body, timeout=self.config.timeout.total_seconds())
                if response.status_code < 300:
                    return
                last = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the receiver refuses this request; retrying will not help
            except httpx.HTTPError as err:
                last = type(err).__name__
            if attempt + 1 < attempts:
                time.sleep(self.backoff_seconds * (2**attempt))
        # The URL may carry a token: name the notifier, never the URL.
        raise NotifyError(f"webhook {self.id!r}: delivery failed after {attempts} attempt(s): {last}")
