"""Forums with a JSON API: a thread list, then each thread's opening post and comments.

Thread list: ``{"threads": [{"id", "title", "url", "comments"}]}``. Thread:
``{"id", "title", "author", "created_at", "body", "likes",
"comments": [{"id", "author", "created_at", "text", "likes"}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.base import SourceOptions, SourceSpider, epoch_time, html_to_text, iso, register, tidy
from sadap.core.errors import InputError


class ForumOptions(SourceOptions):
    """A forum with a JSON API (`url`: the thread-list JSON URL): each thread's opening post and comments."""

    kind: Literal["forum"]


@register
class ForumSpider(SourceSpider):
    """``scrapy crawl forum -a url=<thread-list JSON URL> -a source=<name>``"""

    name = "forum"
    label = ('เว็บบอร์ด', 'forum')
    Options = ForumOptions

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        data = self._json(response, "thread list")
        if data is None:
            return
        threads = data.get("threads") if isinstance(data, dict) else None
        if not isinstance(threads, list):
            self._bad(response, "thread list", 'expected an object with a "threads" list')
            return
        for thread in threads:
            if not isinstance(thread, dict) or not thread.get("url"):
                self._bad(response, "thread list", f"thread entry without a url: {str(thread)[:80]}")
                continue
            request = self.follow_url(response, str(thread["url"]), callback=self.parse_thread, cb_kwargs={"listed": thread})
            if request is not None:
                yield request

    def parse_thread(self, response: Response, listed: dict[str, Any]) -> Iterator[MentionItem]:
        thread = self._json(response, "thread")
        if thread is None:
            return
        if not isinstance(thread, dict) or thread.get("id") is None:
            self._bad(response, "thread", 'expected an object with an "id"')
            return
        thread_id = str(thread["id"])
        title = tidy(thread.get("title") or listed.get("title")) or None
        comments = thread.get("comments") or []
        yield self.mention(
            native_id=thread_id,
            url=response.url,
            title=title,
            text=html_to_text(thread.get("body")),
            author=_str(thread.get("author")),
            published_at=self._time(thread.get("created_at"), response.url),
            engagement={
                "likes": _count(thread.get("likes")),
                "comments": _count(listed.get("comments")) or len(comments),
            },
            extras={"thread_id": thread_id, "kind": "post"},
        )
        for comment in comments:
            if not isinstance(comment, dict) or comment.get("id") is None:
                self._bad(response, "thread", f"comment without an id: {str(comment)[:80]}")
                continue
            yield self.mention(
                native_id=f"{thread_id}#{comment['id']}",
                url=response.url,
                text=html_to_text(comment.get("text")),
                author=_str(comment.get("author")),
                published_at=self._time(comment.get("created_at"), response.url),
                engagement={"likes": _count(comment.get("likes"))},
                extras={"thread_id": thread_id, "thread_title": title, "kind": "comment"},
            )

    def _json(self, response: Response, what: str) -> Any:
        try:
            # From bytes, so the JSON's own UTF-8/16/32 wins over a missing charset header.
            return json.loads(response.body)
        except ValueError as err:
            self._bad(response, what, f"invalid JSON ({err})")
            return None

    def _bad(self, response: Response, what: str, why: str) -> None:
        self.logger.error("%s: %s: %s", response.url, what, why)
        self.count("feed_errors")

    def _time(self, value: Any, where: str) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return iso(epoch_time(value))
            except InputError as err:  # one line; the post is kept without a time
                self.logger.warning("%s: %s", where, err)
                self.count("bad_dates")
                return None
        return self.read_date(str(value), where) if value else None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return tidy(str(value)) or None


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
