"""X (Twitter) posts from the API v2 recent search (the last seven days), with a bearer token.

``GET /2/tweets/search/recent?query=...&max_results=100&since_id=...&next_token=...`` with
``tweet.fields=created_at,public_metrics,lang,conversation_id,author_id`` and
``expansions=author_id``: ``data[]``, ``includes.users[]``, ``meta{newest_id, next_token}``.
Rate limits: ``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (epoch seconds) are obeyed
(a page that leaves none waits for the reset before the next; a 429 waits and asks again).
Re-crawls ask only for posts after the newest one read (``since_id``, kept in the state).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.api import ApiSpider
from crawlers.spiders.base import SourceOptions, origin, register, tidy

_FIELDS = {
    "tweet.fields": "created_at,public_metrics,lang,conversation_id,author_id",
    "expansions": "author_id",
    "user.fields": "username,name",
}


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
        self._newest: str | None = None

    async def start(self) -> AsyncIterator[Request]:
        yield self._page(None, 1)

    def _page(self, next_token: str | None, number: int) -> Request:
        params = {"query": self.query, "max_results": "100", **_FIELDS}
        since = self.state.data.get("since_id")
        if since:
            params["since_id"] = str(since)
        if next_token:
            params["next_token"] = next_token
        return self.api_request(
            f"{self.base}/tweets/search/recent?{urlencode(params)}",
            self.parse,
            cb_kwargs={"number": number},
        )

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

    async def parse(self, response: Response, number: int = 1, **kwargs: Any) -> AsyncIterator[MentionItem | Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
            return
        if not isinstance(data, dict):
            return
        meta_raw = data.get("meta")
        meta: dict[str, Any] = meta_raw if isinstance(meta_raw, dict) else {}
        if number == 1 and meta.get("newest_id"):
            self._newest = str(meta["newest_id"])
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
        next_token = meta.get("next_token")
        if next_token and number < self.max_pages:
            remaining = response.headers.get("x-rate-limit-remaining")
            if remaining is not None and remaining.strip() == b"0":
                wait = _until_reset(response)
                if wait > self.max_wait:
                    self.logger.warning("X: no requests left until the reset in %.0f s; next page next crawl", wait)
                    return
                self.logger.info("X: no requests left; waiting %.1f s for the reset", wait)
                await asyncio.sleep(wait)
            yield self._page(str(next_token), number + 1)

    def end_round(self, reason: str) -> None:
        # The worker that read the first page knows the newest id (on several machines, that one only).
        if self._newest and reason == "finished":
            self.state.data["since_id"] = self._newest
        self._newest = None


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
