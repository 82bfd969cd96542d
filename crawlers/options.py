"""The settings every source has (``sources[]`` in ``sadap.yaml``): the base of each spider's
``Options``. Kept apart from :mod:`crawlers.spiders.base` so that loading a config imports no
Scrapy (a config without sources never imports a spider; see :mod:`sadap.app.sources`)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from sadap.core.errors import ConfigError
from sadap.core.settings_types import PositiveDuration, Strict, secret_in_value
from sadap.core.urls import check_source_url, has_user_info, is_web_url


def _no_user_info(url: str) -> None:
    # A password in a source's address would be shown on the workspace's Sources page (to every
    # viewer) and in crawl logs: secrets come only from the environment (the kind's `*_env`).
    if url and has_user_info(url):
        raise secret_in_value("no user name or password in a source's address: a kind that needs a key reads it "
                              "from the environment variable its *_env setting names")


class SourceOptions(Strict):
    """A place to collect mentions from."""

    name: str = Field(description="Unique source name (letters, digits, - and _).")
    kind: str = Field(description="Which spider (or importer) reads it.")
    url: str = Field(description="Where to start: what it means depends on the kind (below).")
    every: PositiveDuration = Field(timedelta(minutes=15), description="How often `sadap run` crawls it.")
    enabled: bool = Field(True, description="Set false to stop crawling it without deleting it.")

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        # Only http/https is ever crawled (kinds that read an API leave `url` empty).
        _no_user_info(value)
        return check_source_url(value) if value else value

    @field_validator("base_url", check_fields=False)
    @classmethod
    def _web_base_url(cls, value: str) -> str:
        # Kinds that read a site or an API at a fixed address declare `base_url` (tests point it
        # at a local server); it is checked here, once for all of them.
        _no_user_info(value)
        if not is_web_url(value):
            raise ValueError("use an http:// or https:// address")
        return value.rstrip("/")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
            raise ValueError("use only letters, digits, - and _")
        return value

    def check(self) -> None:
        """Raise :class:`ConfigError` (one line) when something the source needs at crawl time is
        missing, such as a key in the environment. Called where the crawl starts."""

    def secret(self, setting: str) -> str:
        """The secret in the environment variable that the ``setting`` (``*_env``) names; raises
        :class:`ConfigError` naming the source, the variable and the setting (never a value)."""
        name = getattr(self, setting)
        value = os.environ.get(name) if name else None
        if not value:
            raise ConfigError(
                f"source {self.name!r} ({self.kind}): environment variable {name} is not set ({setting}); "
                f"see docs/crawlers.md for how to get the key"
            )
        return value

    def spider_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the spider: ``url``, ``source`` and the kind's own settings."""
        common = set(SourceOptions.model_fields) - {"url"}
        own = self.model_dump(exclude=common, exclude_none=True)
        return {**own, "source": self.name}
