"""X (Twitter) posts from the API v2 recent search (the last seven days), with a bearer token.

``GET /2/tweets/search/recent?query=...&max_results=100&since_id=...&next_token=...`` with
``tweet.fields=created_at,public_metrics,lang,conversation_id,author_id`` and
``expansions=author_id``: ``data[]``, ``includes.users[]``, ``meta{newest_id, next_token}``.
Rate limits: ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (epoch seconds) are obeyed
(a page that leaves none waits for the reset before the next; a 429 waits and asks again).
Re-crawls ask only for posts after the newest one read (``since_id``, kept in the state), and
only once every page down to it was read: a crawl that stops early (rate limit, ``max_pages``, a
failed page) keeps the old ``since_id`` and saves where it stopped (``resume``: the ``next_token``,
the ``since_id`` or ``start_time`` it was asked with, and the newest id read); the next crawl reads
on from there first. Recent search refuses a ``since_id`` older than seven days (HTTP 400
"Invalid 'since_id'"): one older than that (its time is in the id, a snowflake) is dropped and the
crawl asks ``start_time`` seven days ago (less a margin) instead; a 400 naming ``since_id``,
``start_time`` or ``next_token`` drops it from the state and asks again once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.api import ApiSpider
from crawlers.spiders.base import SourceOptions, iso, origin, register, tidy
from sadap.core.timeutil import UTC, now_utc

_FIELDS = {
    "tweet.fields": "created_at,public_metrics,lang,conversation_id,author_id",
    "expansions": "author_id",
    "user.fields": "username,name",
}
#: X's snowflake ids hold their time: ``(id >> 22) + _TWEPOCH_MS`` milliseconds since 1970.
_TWEPOCH_MS = 1288834974657
#: Recent search answers for the last seven days; a ``since_id`` or ``start_time`` older is refused.
_WINDOW = timedelta(days=7)
#: Kept from the window's edge, so that pages asked later in the crawl (after rate-limit waits) are
#: still inside it.
_MARGIN = timedelta(hours=1)
#: Parameters of a search whose refusal (HTTP 400) the spider mends by dropping them from the state.
_MENDABLE = ("since_id", "start_time", "next_token", "pagination_token")


class XOptions(SourceOptions):
    """Posts on X matching a search (API v2 recent search: the last seven days)."""

    kind: Literal["x"]
    url: str = Field("", description="Not used (the API address is `base_url`).")
    query: str = Field(
        description="X search query with its operators (`แสงทอง -is:retweet lang:th`, `@SaengThongBank`, `#แอปล่ม`)."
    )
    bearer_token_env: str = Field("X_BEARER_TOKEN", description="Environment variable holding the app's bearer token.")
    max_pages: int = Field(10, ge=1, description="At most this many pages of 100 posts a crawl.")
    max_wait: int = Field(900, ge=0, description="Longest wait for a rate-limit reset, in seconds.")
    base_url: str = Field("https://api.x.com/2", description="The API's address (change only for tests).")

    def check(self) -> None:
        self.secret("bearer_token_env")


@register
class XSpider(ApiSpider):
    """``X_BEARER_TOKEN=... scrapy crawl x -a 'query=แสงทอง lang:th -is:retweet' -a source=<name>``"""

    name = "x"
    label = ("เอ็กซ์ (ทวิตเตอร์)", "X (Twitter)")
    Options = XOptions
    platform = "X"

    def __init__(
        self,
        query: str | None = None,
        source: str | None = None,
        bearer_token_env: str = "X_BEARER_TOKEN",
        max_pages: Any = 10,
        max_wait: Any = 900,
        base_url: str = "https://api.x.com/2",
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not query:
            raise ValueError("spider 'x' needs a query: add -a query=...")
        super().__init__(url=url or base_url, source=source, **kwargs)
        self.query = query
        self.base = base_url.rstrip("/")
        self.max_pages = int(max_pages)
        self.max_wait = float(max_wait)
        self.token = self.env_secret(bearer_token_env, "bearer_token_env")

    async def start(self) -> AsyncIterator[Request]:
        yield self._resumed() or self._page(self._lower_bound(), None, 1)

    # -- where a search starts ------------------------------------------------
    def _window_start(self) -> datetime:
        return now_utc() - _WINDOW + _MARGIN

    def _lower_bound(self) -> dict[str, str]:
        """``since_id`` from the state, or ``start_time`` where it fell out of the seven days that
        recent search covers (X would refuse it, crawl after crawl), or nothing on a first crawl."""
        since = self.state.data.get("since_id")
        if not since:
            return {}
        when = posted_at(str(since))
        if when is not None and when >= self._window_start():
            return {"since_id": str(since)}
        start = _rfc3339(self._window_start())
        self.logger.warning(
            "X: since_id %s (%s) is older than recent search's seven days: dropped; asking for posts from %s",
            since, _rfc3339(when) if when else "not an X id", start,
        )
        self.count("x/since_id_dropped")
        self.state.data.pop("since_id", None)
        return {"start_time": start}

    def _resumed(self) -> Request | None:
        """The page where the last crawl stopped early, while it is still in the window."""
        resume = self.state.data.get("resume")
        if not isinstance(resume, dict) or not resume.get("next_token"):
            return None
        bound = {k: str(resume[k]) for k in ("since_id", "start_time") if resume.get(k)}
        since_at = posted_at(bound["since_id"]) if "since_id" in bound else None
        start_at = _parse_rfc3339(bound["start_time"]) if "start_time" in bound else None
        edge = self._window_start()
        if ("since_id" in bound and (since_at is None or since_at < edge)) or (
            "start_time" in bound and (start_at is None or start_at < edge)
        ):
            self.logger.warning("X: the pages left by an earlier crawl are older than seven days: dropped")
            self.state.data.pop("resume", None)
            return None
        newest = str(resume["newest_id"]) if resume.get("newest_id") else None
        self.logger.info("X: reading on from where the last crawl stopped")
        return self._page(bound, str(resume["next_token"]), 1, newest=newest, resumed=True)

    def _page(
        self, bound: dict[str, str], next_token: str | None, number: int, *, newest: str | None = None,
        resumed: bool = False, meta: dict[str, Any] | None = None,
    ) -> Request:
        params = {"query": self.query, "max_results": "100", **_FIELDS, **bound}
        if next_token:
            params["next_token"] = next_token
        # What the page continues travels with it (on several machines another worker may read it).
        return self.api_request(
            f"{self.base}/tweets/search/recent?{urlencode(params)}",
            self.parse,
            cb_kwargs={"number": number, "bound": bound, "next_token": next_token, "newest": newest,
                       "resumed": resumed},
            meta=meta or {},
        )

    # -- where a search ends ----------------------------------------------------
    def _read_to_the_end(self, newest: str | None) -> None:
        """Every page down to the old ``since_id`` was read: the mark moves to the newest post."""
        if newest:
            self.state.data["since_id"] = newest
        self.state.data.pop("resume", None)

    def _stopped(self, bound: dict[str, str], next_token: str, newest: str | None) -> None:
        """Paging stopped before the last page: the old mark stays, and the next crawl reads on from here."""
        self.state.data["resume"] = {**bound, "next_token": next_token, "newest_id": newest}

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def auth_origin(self) -> str | None:
        return origin(self.base)

    def rate_limit(self, response: Response, data: Any) -> float | None:
        if response.status != 429:
            return None
        return _until_reset(response)

    def error_message(self, response: Response, data: Any) -> str:
        if isinstance(data, dict):
            errors = data.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("message"):
                return f"{data.get('title', 'error')}: {errors[0]['message']}"
            if data.get("detail") or data.get("title"):
                return str(data.get("detail") or data.get("title"))
        return f"HTTP {response.status}"

    def is_auth_error(self, response: Response, data: Any) -> bool:
        return response.status in (401, 403)

    def recover(self, response: Response, data: Any) -> Request | None:
        if response.status != 400 or response.meta.get("x_mended"):
            return None
        refused = [name for name in _MENDABLE if name in _named_parameters(data)]
        if not refused:
            return None
        if "since_id" in refused:
            self.state.data.pop("since_id", None)
        self.state.data.pop("resume", None)  # a token or bound X no longer takes
        if "since_id" in refused or "start_time" in refused:
            bound = {"start_time": _rfc3339(self._window_start())}
        else:
            bound = self._lower_bound()
        since = f"since_id {bound['since_id']}" if "since_id" in bound else ""
        self.logger.warning(
            "X refused %s (%s): dropped from the state; asking again from %s",
            " and ".join(refused), self.error_message(response, data),
            bound.get("start_time") or since or "the last seven days",
        )
        self.count("x/refused_bound")
        number = int((response.request.cb_kwargs if response.request else {}).get("number", 1))
        return self._page(bound, None, number, meta={"x_mended": True})

    async def parse(
        self, response: Response, number: int = 1, bound: dict[str, str] | None = None,
        next_token: str | None = None, newest: str | None = None, resumed: bool = False, **kwargs: Any,
    ) -> AsyncIterator[MentionItem | Request]:
        bound = bound or {}
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
            return
        if not isinstance(data, dict):  # this page failed (one line said why): read on from it next crawl
            if next_token:
                self._stopped(bound, next_token, newest)
            return
        meta_raw = data.get("meta")
        meta: dict[str, Any] = meta_raw if isinstance(meta_raw, dict) else {}
        if newest is None and meta.get("newest_id"):  # the first page: the mark once every page is read
            newest = str(meta["newest_id"])
        users = {
            str(u.get("id")): u for u in (data.get("includes") or {}).get("users", []) if isinstance(u, dict)
        }
        for post in data.get("data") or []:
            if not isinstance(post, dict) or not post.get("id") or not post.get("text"):
                self.count("feed_errors")
                continue
            user = users.get(str(post.get("author_id")), {})
            username = user.get("username")
            metrics = post.get("public_metrics") or {}
            extras: dict[str, Any] = {"query": self.query}
            for key in ("lang", "conversation_id"):
                if post.get(key):
                    extras[key] = post[key]
            yield self.mention(
                native_id=str(post["id"]),
                url=f"https://x.com/i/web/status/{post['id']}",  # no handle: sadap.core.urls.x_post_url
                text=tidy(post["text"]),
                author=tidy(username) or None,  # the account (handle), not its display name
                published_at=self.read_date(post.get("created_at"), "X post"),
                engagement={
                    "likes": _n(metrics.get("like_count")),
                    "shares": _n(metrics.get("retweet_count")) + _n(metrics.get("quote_count")),
                    "comments": _n(metrics.get("reply_count")),
                    "views": _n(metrics.get("impression_count")),
                },
                extras=extras,
            )
        following = meta.get("next_token")
        if not following:  # the last page: everything down to the old since_id is read
            self._read_to_the_end(newest)
            if resumed and number < self.max_pages:  # then what is new since the crawl that stopped
                yield self._page(self._lower_bound(), None, number + 1)
            return
        following = str(following)
        if number >= self.max_pages:
            if not bound:  # a first crawl: max_pages is how far back it reads
                self._read_to_the_end(newest)
            else:
                self.logger.info("X: max_pages (%d) read; the rest next crawl", self.max_pages)
                self._stopped(bound, following, newest)
            return
        remaining = response.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.strip() == b"0":
            wait = _until_reset(response)
            if wait > self.max_wait:
                self.logger.warning("X: no requests left until the reset in %.0f s; next page next crawl", wait)
                self._stopped(bound, following, newest)
                return
            self.logger.info("X: no requests left; waiting %.1f s for the reset", wait)
            await asyncio.sleep(wait)
        yield self._page(bound, following, number + 1, newest=newest, resumed=resumed)


def posted_at(post_id: str) -> datetime | None:
    """When an X post was made, from its (snowflake) id; None for what is not a number."""
    try:
        number = int(post_id)
    except (TypeError, ValueError):
        return None
    if number < 0:
        return None
    try:
        return datetime.fromtimestamp(((number >> 22) + _TWEPOCH_MS) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):  # far past any date
        return None


def _rfc3339(when: datetime) -> str:
    return (iso(when.replace(microsecond=0)) or "").replace("+00:00", "Z")


def _parse_rfc3339(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _named_parameters(data: Any) -> set[str]:
    """The request parameters an X error answer names (``errors[].parameters``)."""
    errors = data.get("errors") if isinstance(data, dict) else None
    named: set[str] = set()
    for error in errors if isinstance(errors, list) else []:
        parameters = error.get("parameters") if isinstance(error, dict) else None
        if isinstance(parameters, dict):
            named.update(str(name) for name in parameters)
    return named


def _until_reset(response: Response) -> float:
    reset = response.headers.get("x-rate-limit-reset")
    try:
        return max(float(reset.decode()) - time.time(), 0.0) + 0.5 if reset else 60.0
    except ValueError:
        return 60.0


def _n(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
