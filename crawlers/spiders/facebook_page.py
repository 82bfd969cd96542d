"""Posts and comments of Facebook Pages the organisation manages, through the Graph API with a
Page access token.

``GET /<version>/<page-id>/posts?fields=id,message,created_time,permalink_url,shares,...&since=``
then, per post, ``GET /<version>/<post-id>/comments?filter=stream&order=reverse_chronological``
(comments and replies, each with ``parent`` when it answers another). Paging follows
``paging.next`` (its ``access_token`` parameter is removed: the token goes in the
``Authorization`` header, never in a URL or a log line). Errors are Graph's
``{"error": {"message", "type", "code", "error_subcode", "is_transient"}}``: codes 190 and 102,
HTTP 401 or an ``OAuthException`` without a code (a refused token) stop the source with one line;
codes 4, 17, 32 and 613 (rate limits) wait (``X-Business-Use-Case-Usage``/``X-App-Usage``
``estimated_time_to_regain_access``, else a minute) and ask again; codes 1 and 2 or
``is_transient`` (temporary, even as ``OAuthException``) wait 1, 2, 4, 8 s and ask again; any other
error is one line and the source goes on. Re-crawls read posts of the last ``comments_for`` and only
comments newer than the newest read per post; that mark moves only once paging reached it (or the
last page): where a page of comments fails, the post keeps its mark and a ``resume`` point (that
page's ``paging.next`` URL, without the token, and the newest time read), and the next crawl reads
on from there first. A saved page whose cursor Graph no longer accepts (codes 2642 and 100) is
dropped with one line, and that post's comments are read again from the newest.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, field_validator
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.api import ApiSpider
from crawlers.spiders.base import SourceOptions, origin, register, tidy
from sadap.core.settings_types import Duration, parse_duration_setting
from sadap.core.timeutil import now_utc

_RATE_CODES = {4, 17, 32, 613, 80001}
#: "An unknown error occurred" (1) and "Service temporarily unavailable" (2): ask again after a wait.
_TEMPORARY_CODES = {1, 2}
#: "Invalid cursors values" (2642) and "Invalid parameter" (100): a saved cursor that has expired.
_CURSOR_CODES = {100, 2642}
_POST_FIELDS = "id,message,created_time,permalink_url,shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
_COMMENT_FIELDS = "id,message,created_time,from,like_count,comment_count,permalink_url,parent{id}"


class FacebookPageOptions(SourceOptions):
    """Posts and comments of a Facebook Page the organisation manages (Graph API, Page token)."""

    kind: Literal["facebook_page"]
    url: str = Field("", description="Not used (the API address is `base_url`).")
    page_id: str = Field(description="The Page's id (or its username).")
    page_token_env: str = Field("FACEBOOK_PAGE_TOKEN", description="Environment variable holding the Page access token.")
    api_version: str = Field("v21.0", description="Graph API version (`vNN.N`).")
    comments_for: Duration = Field(
        timedelta(days=7), description="Read new comments on posts up to this old."
    )
    max_posts: int = Field(50, ge=1, description="At most this many posts a crawl.")
    base_url: str = Field("https://graph.facebook.com", description="The Graph API's address (change only for tests).")

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", value):
            raise ValueError("write a Graph API version like v21.0")
        return value

    def check(self) -> None:
        self.secret("page_token_env")


@register
class FacebookPageSpider(ApiSpider):
    """``FACEBOOK_PAGE_TOKEN=... scrapy crawl facebook_page -a page_id=<id> -a source=<name>``"""

    name = "facebook_page"
    label = ("เพจเฟซบุ๊ก", "Facebook page")
    Options = FacebookPageOptions
    platform = "Facebook"

    def __init__(
        self,
        page_id: str | None = None,
        source: str | None = None,
        page_token_env: str = "FACEBOOK_PAGE_TOKEN",
        api_version: str = "v21.0",
        comments_for: Any = "7d",
        max_posts: Any = 50,
        base_url: str = "https://graph.facebook.com",
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not page_id:
            raise ValueError("spider 'facebook_page' needs a page: add -a page_id=...")
        super().__init__(url=url or base_url, source=source, **kwargs)
        self.page_id = page_id
        self.api = f"{base_url.rstrip('/')}/{api_version}"
        self.comments_for = parse_duration_setting(comments_for)
        self.max_posts = int(max_posts)
        self.token = self.env_secret(page_token_env, "page_token_env")

    def _get(self, url: str, callback: Any, **cb_kwargs: Any) -> Request:
        # What a callback needs travels in the request (cb_kwargs), not in this process: on several
        # machines the next page may be read by another worker (the posts counted against max_posts).
        return self.api_request(_without_token(url), callback, cb_kwargs=cb_kwargs)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def auth_origin(self) -> str | None:
        return origin(self.api)

    async def start(self) -> AsyncIterator[Request]:
        since = int((now_utc() - self.comments_for).timestamp())
        params = {"fields": _POST_FIELDS, "limit": 25, "since": since}
        yield self._get(f"{self.api}/{self.page_id}/posts?{urlencode(params)}", self.parse)

    # -- errors -----------------------------------------------------------
    def _error(self, data: Any) -> dict[str, Any]:
        error = data.get("error") if isinstance(data, dict) else None
        return error if isinstance(error, dict) else {}

    def error_message(self, response: Response, data: Any) -> str:
        error = self._error(data)
        if not error:
            return f"HTTP {response.status}"
        sub = f"/{error['error_subcode']}" if error.get("error_subcode") else ""
        return f"{error.get('message', 'error')} ({error.get('type', 'error')} {error.get('code', '?')}{sub})"

    def is_auth_error(self, response: Response, data: Any) -> bool:
        # Only these say the token itself is refused; Graph also types temporary and permission errors
        # ``OAuthException`` (with their own codes), which must not stop the source.
        error = self._error(data)
        return response.status == 401 or error.get("code") in (190, 102) or (
            error.get("type") == "OAuthException" and error.get("code") is None
        )

    def temporary(self, response: Response, data: Any) -> float | None:
        error = self._error(data)
        if error.get("code") in _TEMPORARY_CODES or error.get("is_transient") is True:
            return 2.0 ** int(response.meta.get("rate_waits", 0))  # 1, 2, 4, 8 s
        return None

    def recover(self, response: Response, data: Any) -> Request | None:
        """A saved page of comments Graph no longer accepts (its cursor expired: ``(#2642) Invalid cursors
        values`` or an invalid ``after``): dropped, and the post's comments read from the newest."""
        kwargs = response.request.cb_kwargs if response.request is not None else {}
        pid = kwargs.get("pid")
        if not kwargs.get("resumed") or not pid or self._error(data).get("code") not in _CURSOR_CODES:
            return None
        post = self.state.data.setdefault("posts", {}).setdefault(pid, {"newest": ""})
        saved = post.get("resume") or {}
        if not isinstance(saved, dict) or saved.get("next") != _without_token(response.url):
            return None  # a page this crawl was just given: an error like any other (never a loop)
        post.pop("resume", None)
        self.count("resume_dropped")
        self.logger.warning(
            "Facebook: the saved page of comments on post %s is no longer accepted (%s); its comments are read "
            "from the newest", pid, self.error_message(response, data),
        )
        return self._first_comments(pid, kwargs.get("title"))

    def rate_limit(self, response: Response, data: Any) -> float | None:
        if response.status == 429 or self._error(data).get("code") in _RATE_CODES:
            minutes: float | None = None
            for header in (b"X-Business-Use-Case-Usage", b"X-App-Usage", b"X-Page-Usage"):
                raw = response.headers.get(header)
                found = _regain_minutes(raw) if raw else None
                if found is not None:
                    minutes = max(minutes or 0.0, found)
            if minutes is None:  # no estimate: a minute, then two...
                return 60.0 * (int(response.meta.get("rate_waits", 0)) + 1)
            return max(minutes * 60, 1.0)
        return None

    # -- posts and comments ---------------------------------------------------
    async def parse(self, response: Response, seen: int = 0, **kwargs: Any) -> AsyncIterator[MentionItem | Request]:
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            return
        posts = self.state.data.setdefault("posts", {})
        for post in data.get("data") or []:
            if seen >= self.max_posts:
                return
            seen += 1
            pid = str(post.get("id"))
            if pid not in posts:
                reactions = ((post.get("reactions") or {}).get("summary") or {}).get("total_count")
                yield self.mention(
                    native_id=pid,
                    url=_http(post.get("permalink_url")),
                    text=tidy(post.get("message")),
                    published_at=self.read_date(post.get("created_time"), "Facebook post"),
                    engagement={
                        "likes": int(reactions or 0),
                        "shares": int((post.get("shares") or {}).get("count") or 0),
                        "comments": int(((post.get("comments") or {}).get("summary") or {}).get("total_count") or 0),
                    },
                    extras={"thread_id": pid, "kind": "post", "page_id": self.page_id},
                )
                posts[pid] = {"newest": "", "text": tidy(post.get("message"))[:200]}
            title = posts[pid].get("text") or None
            yield self._first_comments(pid, title)
        more = (data.get("paging") or {}).get("next")
        if more and seen < self.max_posts:
            yield self._get(more, self.parse, seen=seen)

    def _first_comments(self, pid: str, title: str | None) -> Request:
        """A post's first page of comments this crawl: where the last crawl stopped, else the newest."""
        post = self.state.data.setdefault("posts", {}).setdefault(pid, {"newest": ""})
        before = str(post.get("newest") or "")
        resume = post.get("resume")
        if isinstance(resume, dict) and isinstance(resume.get("next"), str):
            if origin(resume["next"]) == origin(self.api):  # (never a URL elsewhere, where the token would not go)
                return self._get(resume["next"], self.parse_comments, pid=pid, title=title, before=before,
                                 pending=str(resume.get("pending") or ""), resumed=True)
            post.pop("resume", None)
        params = {"fields": _COMMENT_FIELDS, "filter": "stream", "order": "reverse_chronological", "limit": 100}
        return self._get(f"{self.api}/{pid}/comments?{urlencode(params)}", self.parse_comments, pid=pid, title=title,
                         before=before, first=True)

    async def parse_comments(
        self, response: Response, pid: str, title: str | None, before: str, pending: str = "",
        resumed: bool = False, first: bool = False,
    ) -> AsyncIterator[MentionItem | Request]:
        # ``first``: the first page of the post's newest comments, not a page further on.
        data, retry = await self.read(response)
        if retry is not None:
            yield retry
        if not isinstance(data, dict):
            if retry is None and not first:  # a page further on failed: read on from it next crawl
                post = self.state.data.setdefault("posts", {}).setdefault(pid, {"newest": ""})
                post["resume"] = {"next": _without_token(response.url), "pending": pending}
            return
        reached_old = False
        for comment in data.get("data") or []:
            created = str(comment.get("created_time") or "")
            if before and created <= before:
                reached_old = True  # newest first: the rest was read before
                break
            pending = max(pending, created)
            parent = (comment.get("parent") or {}).get("id")
            commenter = comment.get("from") if isinstance(comment.get("from"), dict) else {}
            extras: dict[str, Any] = {"thread_id": pid, "thread_title": title, "kind": "reply" if parent else "comment"}
            if parent:
                extras["parent_id"] = parent
            yield self.mention(
                native_id=str(comment.get("id")),
                url=_http(comment.get("permalink_url")),
                text=tidy(comment.get("message")),
                author=tidy(commenter.get("name")) or None,
                # The user id, where the Page token may see it: a name is shared and can change.
                author_account=(str(commenter["id"]).strip() or None) if isinstance(commenter.get("id"), (str, int)) else None,
                published_at=self.read_date(created, "Facebook comment"),
                engagement={"likes": int(comment.get("like_count") or 0),
                            "comments": int(comment.get("comment_count") or 0)},
                extras=extras,
            )
        more = (data.get("paging") or {}).get("next")
        if more and not reached_old:
            yield self._get(more, self.parse_comments, pid=pid, title=title, before=before, pending=pending,
                            resumed=resumed)
            return
        # Paging reached the old mark or the last page: the mark moves to the newest comment read.
        post = self.state.data.setdefault("posts", {}).setdefault(pid, {"newest": ""})
        post["newest"] = max(str(post.get("newest") or ""), pending)
        post.pop("resume", None)
        if resumed:  # then what is new since the crawl that stopped
            yield self._first_comments(pid, title)


def _without_token(url: str) -> str:
    """``paging.next`` URLs carry the token as ``access_token``: it goes in a header instead."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _http(url: Any) -> str | None:
    return url if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") else None


def _regain_minutes(raw: bytes) -> float | None:
    """The longest ``estimated_time_to_regain_access`` (minutes) in a usage header, if any."""
    try:
        usage = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    found: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "estimated_time_to_regain_access" and isinstance(inner, (int, float)):
                    found.append(float(inner))
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(usage)
    return max(found) if found else None
