"""Settings of each notifier type (``notifiers:`` in sadap.yaml). Secrets come only from
environment variables named by ``*_env`` settings."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from sadap.errors import ConfigError
from sadap.settings_types import Duration, Strict


class ConsoleNotifierConfig(Strict):
    """Print alerts on standard output."""

    id: str = Field(description="Notifier id.")
    type: Literal["console"]
    lang: Literal["th", "en"] = Field("th", description="Language of the message.")


class WebhookNotifierConfig(Strict):
    """POST each alert as JSON to a URL."""

    id: str = Field(description="Notifier id.")
    type: Literal["webhook"]
    url: str | None = Field(None, description="Receiver URL (if it holds no secret).")
    url_env: str | None = Field(None, description="Environment variable holding the URL (when it holds a token).")
    timeout: Duration = Field(timedelta(seconds=10), description="Time allowed per attempt.")
    retries: int = Field(3, ge=0, le=10, description="Extra attempts after a failure, with exponential backoff.")
    lang: Literal["th", "en"] = Field("th", description="Language of the `text` field.")

    def resolved_url(self) -> str:
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigError(f"notifier {self.id!r}: environment variable {self.url_env} is not set")
            return value
        if not self.url:
            raise ConfigError(f"notifier {self.id!r}: set `url` or `url_env`")
        return self.url


NotifierConfig = Annotated[ConsoleNotifierConfig | WebhookNotifierConfig, Field(discriminator="type")]
