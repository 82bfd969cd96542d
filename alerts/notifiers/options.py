"""What every notifier's settings (``notifiers:`` in sadap.yaml) share. Each notifier module
declares its own settings as ``Options``, a subclass of :class:`NotifierOptions`. Secrets come
only from environment variables named by ``*_env`` settings.

Every model has ``check()``: it raises :class:`~sadap.core.errors.ConfigError` (one line naming the
notifier and the setting) when a secret it needs is not in the environment, so a missing
token fails when the service loads its configuration, not when the first alert fires."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr

from sadap.core.errors import ConfigError
from sadap.core.settings_types import Duration, Strict

# -- fields several notifier types share (declared per model so each table reads in order) --


def id_field() -> Any:
    return Field(description="Notifier id (named in logs and on incident timelines).")


def timeout_field() -> Any:
    return Field(timedelta(seconds=10), description="Time allowed per attempt.")


def retries_field() -> Any:
    return Field(3, ge=0, le=10, description="Extra attempts after a failure, with exponential backoff.")


def max_retry_after_field() -> Any:
    return Field(
        timedelta(seconds=60),
        description="Longest `Retry-After` (on HTTP 429/503) to wait for within one try; a longer one ends "
        "the try at once, and the outbox tries again after the wait asked.",
    )


def lang_field() -> Any:
    return Field("th", description="Language of the message (Thai, or English).")


class NotifierOptions(Strict):
    """Where alerts are sent. Every notifier has an `id` and a `type` (and `check()` for its secrets)."""

    id: str
    type: str

    def check(self) -> None:
        """Raise ConfigError when a secret this notifier needs is not set."""

    def _env(self, setting: str) -> SecretStr:
        """The secret in the environment variable that the ``setting`` (``*_env``) names."""
        name = getattr(self, setting)
        value = os.environ.get(name) if name else None
        if not value:
            raise ConfigError(f"notifier {self.id!r}: environment variable {name} is not set ({setting})")
        return SecretStr(value)

    def _check_url(self, setting: str, value: str) -> None:
        host = ""
        if value.startswith(("https://", "http://")):
            try:
                host = httpx.URL(value).host
            except (httpx.InvalidURL, UnicodeError):  # a malformed port, bracket or host name
                host = ""
        if not host:  # never echo the value: it may hold a token
            raise ConfigError(
                f"notifier {self.id!r}: {setting} must give a URL starting with https:// or http:// and naming a host"
            )


class ChatWebhookOptions(NotifierOptions):
    """What Slack and Teams incoming webhooks share: a secret URL and the delivery policy."""

    id: str = id_field()
    url_env: str = Field(description="Environment variable holding the incoming-webhook URL (it is a secret).")
    timeout: Duration = timeout_field()
    retries: int = retries_field()
    max_retry_after: Duration = max_retry_after_field()
    lang: Literal["th", "en"] = lang_field()

    def resolved_url(self) -> str:
        return self._env("url_env").get_secret_value()

    def check(self) -> None:
        self._check_url("url_env", self.resolved_url())
