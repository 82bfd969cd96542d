"""Settings of each notifier type (``notifiers:`` in sadap.yaml). Secrets come only from
environment variables named by ``*_env`` settings.

Every model has ``check()``: it raises :class:`~sadap.core.errors.ConfigError` (one line naming the
notifier and the setting) when a secret it needs is not in the environment, so a missing
token fails when the service loads its configuration, not when the first alert fires."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from sadap.core.errors import ConfigError
from sadap.core.settings_types import Duration, Strict

# -- fields several notifier types share (declared per model so each table reads in order) --


def _id():
    return Field(description="Notifier id (named in logs and on incident timelines).")


def _timeout():
    return Field(timedelta(seconds=10), description="Time allowed per attempt.")


def _retries():
    return Field(3, ge=0, le=10, description="Extra attempts after a failure, with exponential backoff.")


def _max_retry_after():
    return Field(
        timedelta(seconds=60),
        description="Longest `Retry-After` (on HTTP 429/503) to wait for; a longer one ends the retries at once.",
    )


def _lang():
    return Field("th", description="Language of the message (Thai, or English).")


class _Notifier(Strict):
    """What every notifier config has: an id, and ``check()`` for its secrets."""

    id: str

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
        if not value.startswith(("https://", "http://")):  # never echo the value: it may hold a token
            raise ConfigError(f"notifier {self.id!r}: {setting} must give a URL starting with https:// or http://")


class ConsoleNotifierConfig(_Notifier):
    """Print alerts on standard output."""

    id: str = _id()
    type: Literal["console"]
    lang: Literal["th", "en"] = _lang()


class WebhookNotifierConfig(_Notifier):
    """POST each alert as JSON to a URL, signed with HMAC-SHA256 when `secret_env` is set."""

    id: str = _id()
    type: Literal["webhook"]
    url: str | None = Field(None, description="Receiver URL (if it holds no secret).")
    url_env: str | None = Field(None, description="Environment variable holding the URL (when it holds a token).")
    secret_env: str | None = Field(
        None,
        description="Environment variable holding the shared secret; when set, every request carries "
        "`X-Sadap-Timestamp` and `X-Sadap-Signature: sha256=<hex>` (see docs/alerts.md).",
    )
    timeout: Duration = _timeout()
    retries: int = _retries()
    max_retry_after: Duration = _max_retry_after()
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


class EmailNotifierConfig(_Notifier):
    """Send each alert as an e-mail (plain text, UTF-8) through an SMTP server."""

    id: str = _id()
    type: Literal["email"]
    host: str = Field(description="SMTP server host name.")
    port: int | None = Field(None, ge=1, le=65535, description="SMTP port; default 465 with `ssl`, else 587.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS before logging in and sending.")
    ssl: bool = Field(False, description="Use implicit TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS.")
    ca_cert: str | None = Field(
        None,
        description="CA certificate (PEM) that signed the server's certificate, when not a public CA. "
        "The certificate and host name are always verified.",
    )
    sender: str = Field(description="The From address, e.g. `Sadap <alerts@example.co.th>`.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    username: str | None = Field(None, description="User to log in as (no login when unset).")
    password_env: str | None = Field(None, description="Environment variable holding the password (with `username`).")
    lang: Literal["th", "en", "both"] = Field(
        "both", description="`th`: Thai only; `en`: English only; `both`: Thai subject and body with English below."
    )
    timeout: Duration = _timeout()
    retries: int = _retries()

    @model_validator(mode="after")
    def _transport(self):
        if self.ssl and self.starttls:
            raise ValueError("`ssl: true` (implicit TLS) and `starttls: true` exclude each other; set `starttls: false`")
        if self.username and not (self.ssl or self.starttls):
            raise ValueError("a login without `starttls` or `ssl` would send the password unencrypted")
        if self.username and not self.password_env:
            raise ValueError("`username` needs `password_env`")
        return self

    @property
    def resolved_port(self) -> int:
        return self.port or (465 if self.ssl else 587)

    def password(self) -> SecretStr | None:
        return self._env("password_env") if self.username else None

    def check(self) -> None:
        self.password()
        if self.ca_cert and not Path(self.ca_cert).is_file():
            raise ConfigError(f"notifier {self.id!r}: ca_cert {self.ca_cert} is not a file")


class _ChatWebhookConfig(_Notifier):
    """What Slack and Teams incoming webhooks share: a secret URL and the delivery policy."""

    id: str = _id()
    url_env: str = Field(description="Environment variable holding the incoming-webhook URL (it is a secret).")
    timeout: Duration = _timeout()
    retries: int = _retries()
    max_retry_after: Duration = _max_retry_after()
    lang: Literal["th", "en"] = _lang()

    def resolved_url(self) -> str:
        return self._env("url_env").get_secret_value()

    def check(self) -> None:
        self._check_url("url_env", self.resolved_url())


class SlackNotifierConfig(_ChatWebhookConfig):
    """Post each alert to a Slack channel through an incoming webhook (Block Kit)."""

    type: Literal["slack"]


class TeamsNotifierConfig(_ChatWebhookConfig):
    """Post each alert to a Microsoft Teams channel as an Adaptive Card, through an incoming
    webhook or a Workflows (Power Automate) webhook URL."""

    type: Literal["teams"]


class LineNotifierConfig(_Notifier):
    """Push each alert as a text message to a LINE user, group or room (LINE Messaging API)."""

    id: str = _id()
    type: Literal["line"]
    to: str = Field(description="User, group or room id to push to (`U…`, `C…` or `R…`).")
    token_env: str = Field(description="Environment variable holding the channel access token.")
    api_base: str = Field("https://api.line.me", description="Messaging API base URL (change only for tests or a proxy).")
    timeout: Duration = _timeout()
    retries: int = _retries()
    max_retry_after: Duration = _max_retry_after()
    lang: Literal["th", "en"] = _lang()

    def token(self) -> SecretStr:
        return self._env("token_env")

    def check(self) -> None:
        self.token()
        self._check_url("api_base", self.api_base)


NOTIFIER_CONFIGS: tuple[type[_Notifier], ...] = (
    ConsoleNotifierConfig,
    WebhookNotifierConfig,
    EmailNotifierConfig,
    SlackNotifierConfig,
    TeamsNotifierConfig,
    LineNotifierConfig,
)

NotifierConfig = Annotated[
    ConsoleNotifierConfig
    | WebhookNotifierConfig
    | EmailNotifierConfig
    | SlackNotifierConfig
    | TeamsNotifierConfig
    | LineNotifierConfig,
    Field(discriminator="type"),
]
