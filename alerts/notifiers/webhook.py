"""``webhook``: POST the alert as JSON, retrying with exponential backoff.

With ``secret_env`` set, each request is signed so the receiver can tell it came from Sadap
and was not replayed::

    X-Sadap-Timestamp: 1795748400                      (Unix seconds, fresh on every attempt)
    X-Sadap-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

``body`` is the exact bytes sent (UTF-8 JSON). ``X-Sadap-Delivery`` stays the same across the
retries of one notification, so a receiver can drop duplicates."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from alerts.notifiers.base import Notification, Notifier
from alerts.notifiers.delivery import deliver, post_json

SIGNATURE_HEADER = "X-Sadap-Signature"
TIMESTAMP_HEADER = "X-Sadap-Timestamp"
DELIVERY_HEADER = "X-Sadap-Delivery"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Sadap-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


class WebhookNotifier(Notifier):
    type_name = "webhook"

    def __init__(self, config):
        super().__init__(config)
        self.clock = time.time  # tests may fix the time

    def send(self, notification: Notification) -> None:
        url = self.secret(self.config.resolved_url)
        secret = self.secret(self.config.signing_secret)
        key = secret.get_secret_value().encode("utf-8") if secret else None
        payload = dict(notification.payload)
        payload["text"] = self.text(notification)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        delivery_id = str(uuid.uuid4())

        def attempt() -> None:
            headers = {DELIVERY_HEADER: delivery_id}
            if key is not None:
                timestamp = str(int(self.clock()))
                headers[TIMESTAMP_HEADER] = timestamp
                headers[SIGNATURE_HEADER] = sign(key, timestamp, body)
            post_json(self, url, body, headers=headers)

        # The URL may carry a token: errors name the notifier, never the URL.
        deliver(self, attempt, secrets=[url if self.config.url_env else None, secret and secret.get_secret_value()])
