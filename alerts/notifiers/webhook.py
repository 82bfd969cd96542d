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

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from alerts.notifiers.base import Notification, Notifier, register
from alerts.notifiers.options import NotifierOptions, id_field, max_retry_after_field, retries_field, timeout_field
from sadap.core.settings_types import Duration
from sadap.core.errors import ConfigError
from alerts.notifiers.delivery import deliver, post_json

SIGNATURE_HEADER = "X-Sadap-Signature"
TIMESTAMP_HEADER = "X-Sadap-Timestamp"
DELIVERY_HEADER = "X-Sadap-Delivery"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Sadap-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


class WebhookOptions(NotifierOptions):
    """POST each alert as JSON to a URL, signed with HMAC-SHA256 when `secret_env` is set."""

    id: str = id_field()
    type: Literal["webhook"]
    url: str | None = Field(None, description="Receiver URL (if it holds no secret).")
    url_env: str | None = Field(None, description="Environment variable holding the URL (when it holds a token).")
    secret_env: str | None = Field(
        None,
        description="Environment variable holding the shared secret; when set, every request carries "
        "`X-Sadap-Timestamp` and `X-Sadap-Signature: sha256=<hex>` (see docs/alerts.md).",
    )
    timeout: Duration = timeout_field()
    retries: int = retries_field()
    max_retry_after: Duration = max_retry_after_field()
    lang: Literal["th", "en"] = Field("th", description="Language of the `text` field.")

    @model_validator(mode="after")
    def _one_url(self):
        if self.url and self.url_env:
            raise ValueError("set `url` or `url_env`, not both")
        if not self.url and not self.url_env:
            raise ValueError("set `url` (or `url_env` when the URL holds a token)")
        return self

    def resolved_url(self) -> str:
        if self.url_env:
            return self._env("url_env").get_secret_value()
        if not self.url:
            raise ConfigError(f"notifier {self.id!r}: set `url` or `url_env`")
        return self.url

    def signing_secret(self) -> SecretStr | None:
        return self._env("secret_env") if self.secret_env else None

    def check(self) -> None:
        self._check_url("url_env" if self.url_env else "url", self.resolved_url())
        self.signing_secret()


@register
class WebhookNotifier(Notifier):
    type_name = "webhook"
    Options = WebhookOptions

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
