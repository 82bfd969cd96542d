"""What the platform API spiders (YouTube, X, Facebook pages) share: JSON requests through
Scrapy (so throttling, retries and logging stay in one place), one-line errors, rate limits
waited out, and a rejected key or token that stops the source with one line.

API hosts do not ask for robots.txt rules: robots.txt governs crawlers of web pages, and
these are authenticated API clients bound by each platform's terms and rate limits, which
the spiders obey. ``ROBOTSTXT_OBEY`` is off for them (``custom_settings``).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, ClassVar

from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response

from crawlers.spiders.base import SourceSpider

_MAX_WAITS = 4


class RateLimited(Exception):
    """The platform asked us to wait ``seconds`` before asking again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class ApiSpider(SourceSpider):
    """Base for spiders that read a platform's JSON API with a key from the environment."""

    custom_settings = {
        "ROBOTSTXT_OBEY": False,  # API hosts: see the module docstring
        # Rate limits (429) are waited out by the spider, not retried at once by Scrapy.
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
    }
    #: The platform's name in messages.
    platform: ClassVar[str]
    #: Longest wait for a rate limit, in seconds (a longer one stops the source for this crawl).
    max_wait: float = 900.0
    # The key goes on at download time (crawlers.middlewares.ApiAuthMiddleware), never into a request.
    uses_auth = True

    def env_secret(self, env_name: str, setting: str) -> str:
        value = os.environ.get(env_name or "")
        if not value:
            raise ValueError(
                f"source {self.source!r} ({self.name}): environment variable {env_name} is not set ({setting}); "
                "see docs/crawlers.md for how to get the key"
            )
        return value

    def api_request(self, url: str, callback: Any, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Request:
        # Every answer reaches the spider, which reports an error in one line of its own (without the
        # query string): the download middleware does not report these again (``sadap_reports_errors``).
        meta = {"handle_httpstatus_all": True, "sadap_reports_errors": True, **kwargs.pop("meta", {})}
        return Request(url, callback=callback, headers=headers, meta=meta, dont_filter=True, **kwargs)

    # -- per platform -----------------------------------------------------
    def rate_limit(self, response: Response, data: Any) -> float | None:
        """Seconds to wait when this answer says "too many requests", else None."""
        return None

    def error_message(self, response: Response, data: Any) -> str:
        """The platform's own words for an error answer."""
        return f"HTTP {response.status}"

    def temporary(self, response: Response, data: Any) -> float | None:
        """Seconds to wait when this answer is a temporary error worth asking again, else None."""
        return None

    def recover(self, response: Response, data: Any) -> Request | None:
        """A request to send instead of this error answer, when the spider can mend what it asked
        (after logging one line of its own), else None."""
        return None

    def is_auth_error(self, response: Response, data: Any) -> bool:
        return response.status == 401

    def skippable(self, response: Response, data: Any) -> str | None:
        """A reason when this error concerns one item only (comments disabled...): a warning, not an error."""
        return None

    # -- reading ----------------------------------------------------------
    async def read(self, response: Response) -> tuple[Any, Request | None]:
        """``(data, None)`` for a good answer; ``(None, request)`` to ask again after a wait;
        ``(None, None)`` after an error line. A rejected key stops the spider."""
        try:
            data: Any = json.loads(response.body.decode("utf-8-sig")) if response.body else None
        except (UnicodeDecodeError, ValueError) as err:
            data = None
            if response.status < 400:
                self.logger.error("%s: %s: invalid JSON (%s)", self._where(response), self.platform, str(err).splitlines()[0])
                self.count("feed_errors")
                return None, None
        wait = self.rate_limit(response, data)
        temporary = False
        if wait is None and response.status >= 400:
            wait = self.temporary(response, data)
            temporary = wait is not None
        if wait is not None:
            tries = int(response.meta.get("rate_waits", 0)) + 1
            if temporary:
                self.count("temporary_errors")
                if tries > _MAX_WAITS:  # one line, and the source goes on with its other requests
                    self.logger.error(
                        "%s: %s temporary error, still there after %d tries: %s",
                        self._where(response), self.platform, tries, self.error_message(response, data),
                    )
                    self.count("feed_errors")
                    return None, None
                self.logger.info(
                    "%s: %s temporary error (%s); asking again in %.1f s",
                    self._where(response), self.platform, self.error_message(response, data), wait,
                )
            else:
                self.count("rate_limited")
                if tries > _MAX_WAITS or wait > self.max_wait:
                    self.logger.error(
                        "%s: %s rate limit: would wait %.0f s (try %d); stopped for this crawl",
                        self._where(response), self.platform, wait, tries,
                    )
                    raise CloseSpider("rate_limited")
                self.logger.info("%s: %s rate limit; waiting %.1f s", self._where(response), self.platform, wait)
            await asyncio.sleep(max(wait, 0.0))
            if response.request is None:
                return None, None
            return None, response.request.replace(meta={**response.meta, "rate_waits": tries})
        if response.status >= 400:
            again = self.recover(response, data)
            if again is not None:
                return None, again
            if self.is_auth_error(response, data):
                if getattr(self, "_refused", False):  # requests already in flight: said once
                    raise CloseSpider("token_refused")
                self._refused = True
                self.logger.error(
                    "%s refused the key or token (HTTP %d: %s): renew it, or wait for its quota (see docs/crawlers.md)",
                    self.platform, response.status, self.error_message(response, data),
                )
                self.count("feed_errors")
                raise CloseSpider("token_refused")
            reason = self.skippable(response, data)
            if reason:
                self.logger.warning("%s: %s", self._where(response), reason)
                self.count(f"skipped/{reason.split(':')[0].replace(' ', '_')}")
                return None, None
            retries = int(response.meta.get("retry_times", 0))
            self.logger.error(
                "%s: %s error: %s%s", self._where(response), self.platform, self.error_message(response, data),
                f" (tried {retries + 1} times)" if retries else "",
            )
            self.count("feed_errors")
            return None, None
        return data, None

    def _where(self, response: Response) -> str:
        """The URL without its query, which may hold ids of people (never a key: keys go in headers)."""
        return response.url.split("?", 1)[0]
