"""Pantip (pantip.com), Thailand's largest web board: topics and every comment and reply.

Topics come from their ids or URLs, from rooms (``/forum/<room>``), tags (``/tag/<tag>``)
and keyword searches (``/search?q=<words>``). Each topic page gives the opening post
(title ``h1.display-post-title``, story ``.display-post-story``, tags ``.tag-item``, author
``.display-post-name``, time ``abbr[data-utime]``); its comments come from
``/forum/topic/render_comments?tid=<id>&param=page<n>&type=3`` (JSON behind a UTF-8 BOM,
only for ``X-Requested-With: XMLHttpRequest``): ``count`` and ``comments[]`` with
``comment_no``, ``message`` (HTML), ``user{mid,name}``, ``replies[]``, ``reply_count``,
``point``, ``emo_score``, ``data_utime`` (``MM/DD/YYYY HH:MM:SS``, Bangkok time) and
``created_time`` (epoch seconds); 100 comments a page.

Every comment and reply is a mention linked to its topic (``extras.thread_id`` and
``thread_title``, so it inherits what the topic is about). Re-crawls fetch only what is new:
the source's state (:mod:`crawlers.state`) keeps, per topic, its title, the comment page
reached and the last comment and reply numbers seen. A 429 answer is waited out
(``Retry-After``, else a doubling pause) and asked again.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field, model_validator
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.base import SourceOptions, SourceSpider, epoch_time, html_to_text, iso, register, tidy
from sadap.core.errors import InputError
from sadap.core.timeutil import BANGKOK, UTC

_TOPIC = re.compile(r"/topic/(\d+)")
# Pantip's data-utime: month first, Bangkok time. (A local helper until sadap.core.thaidate reads it.)
_UTIME = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_PAGE_SIZE = 100
_MAX_RATE_LIMIT_TRIES = 4


class PantipOptions(SourceOptions):
    """Pantip topics with all their comments and replies: by id or URL (`topics`), by room
    (`rooms`), by tag (`tags`) and by keyword search (`search`)."""

    kind: Literal["pantip"]
    url: str = Field(
        "", description="Optional: one more Pantip page to start from (a topic, a room, a tag or a search page)."
    )
    base_url: str = Field("https://pantip.com", description="Pantip's address (change only to test against a copy).")
    topics: list[str] = Field([], description="Topic ids or URLs (`43120001`, `https://pantip.com/topic/43120001`).")
    rooms: list[str] = Field([], description="Rooms whose newest topics are read (`sinthorn`, `food`, ...).")
    tags: list[str] = Field([], description="Tags whose newest topics are read (`ธนาคาร`, ...).")
    search: list[str] = Field([], description="Keyword searches whose topics are read.")
    max_topics: int = Field(30, ge=1, le=1000, description="At most this many topics from each room, tag or search.")
    max_comment_pages: int = Field(50, ge=1, description="At most this many comment pages (100 each) per topic a crawl.")

    @model_validator(mode="after")
    def _something(self) -> PantipOptions:
        if not (self.url or self.topics or self.rooms or self.tags or self.search):
            raise ValueError("name at least one of topics, rooms, tags, search or url")
        return self


def _listed(value: Any) -> list[str]:
    """A list option: a list in-process, or comma-separated text from ``-a name=a,b``."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def pantip_time(utime: Any, epoch: Any = None) -> datetime | None:
    """A comment's time: ``created_time`` (epoch seconds) or ``data_utime`` (MM/DD/YYYY, Bangkok)."""
    if (isinstance(epoch, (int, float)) and not isinstance(epoch, bool) and epoch > 0) or (
            isinstance(epoch, str) and epoch.isdigit()):
        try:
            return epoch_time(epoch)
        except InputError:  # out of any range: fall back to data_utime, else no time
            pass
    match = _UTIME.match(str(utime or ""))
    if not match:
        return None
    month, day, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BANGKOK).astimezone(UTC)
    except ValueError:
        return None


@register
class PantipSpider(SourceSpider):
    """``scrapy crawl pantip -a topics=43120001 -a rooms=sinthorn -a tags=ธนาคาร -a search=แอปล่ม -a source=<name>``

    Add ``-a base_url=http://127.0.0.1:8000`` to read a local copy and
    ``-a state_dir=DIR`` to remember what was read (see :mod:`crawlers.state`).
    """

    name = "pantip"
    label = ("พันทิป", "Pantip")
    Options = PantipOptions
    # 429s are handled here (waited out); Scrapy's retry middleware would retry them at once.
    custom_settings = {"RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408]}

    def __init__(
        self,
        url: str | None = None,
        source: str | None = None,
        base_url: str = "https://pantip.com",
        topics: Any = None,
        rooms: Any = None,
        tags: Any = None,
        search: Any = None,
        max_topics: Any = 30,
        max_comment_pages: Any = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url or base_url, source=source, **kwargs)
        options = PantipOptions.model_validate({
            "name": "spider", "kind": "pantip", "url": url or "", "base_url": base_url, "topics": _listed(topics),
            "rooms": _listed(rooms), "tags": _listed(tags), "search": _listed(search), "max_topics": int(max_topics),
            "max_comment_pages": int(max_comment_pages),
        })
        self.options = options
        self.base = options.base_url

    # -- where to start ---------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for topic in self.options.topics:
            match = _TOPIC.search(topic)
            tid = match.group(1) if match else topic.strip()
            if not tid.isdigit():
                self.logger.error("pantip topic %r: not a topic id or /topic/<id> URL", topic)
                self.count("feed_errors")
                continue
            yield self._topic_request(tid)
        listings = [f"{self.base}/forum/{quote(room)}" for room in self.options.rooms]
        listings += [f"{self.base}/tag/{quote(tag)}" for tag in self.options.tags]
        listings += [f"{self.base}/search?q={quote(words)}" for words in self.options.search]
        for listing in listings:
            yield self._get(listing, self.parse, cb_kwargs={"left": self.options.max_topics})
        if self.options.url:
            match = _TOPIC.search(urlsplit(self.options.url).path)
            if match:
                yield self._topic_request(match.group(1))
            else:
                yield self._get(self.options.url, self.parse, cb_kwargs={"left": self.options.max_topics})

    def _get(self, url: str, callback: Any, **kwargs: Any) -> Request:
        meta = kwargs.pop("meta", {})
        return Request(url, callback=callback, meta={"handle_httpstatus_list": [429], **meta}, **kwargs)

    def _topic_request(self, tid: str) -> Request:
        known = self.state.data.get("topics", {}).get(tid)
        if known:  # read before: only comments from the page reached last time
            return self._comments_request(tid, known.get("title"), int(known.get("page", 1)))
        return self._get(f"{self.base}/topic/{tid}", self.parse_topic, cb_kwargs={"tid": tid})

    def _comments_request(self, tid: str, title: str | None, page: int, first: int | None = None) -> Request:
        url = f"{self.base}/forum/topic/render_comments?tid={tid}&param=page{page}&type=3"
        return self._get(
            url,
            self.parse_comments,
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": f"{self.base}/topic/{tid}"},
            cb_kwargs={"tid": tid, "title": title, "page": page, "first": page if first is None else first},
            dont_filter=True,
        )

    # -- listings: rooms, tags, searches ------------------------------------
    async def parse(self, response: Response, left: int = 30, **kwargs: Any) -> AsyncIterator[Request]:
        if response.status == 429:
            retry = await self._wait_out(response)
            if retry is not None:
                yield retry
            return
        links = response.css(".post-item-title a::attr(href)").getall() or response.css("a::attr(href)").getall()
        seen: list[str] = []
        for href in links:
            match = _TOPIC.search(href)
            if match and match.group(1) not in seen:
                seen.append(match.group(1))
        if not seen:
            self.logger.warning("%s: no Pantip topics found on this page", response.url)
        for tid in seen[:left]:
            yield self._topic_request(tid)
        left -= len(seen[:left])
        more = response.css("a[rel=next]::attr(href)").get()
        following = self.follow_url(response, more) if left > 0 and more and seen else None
        if following is not None:  # a javascript: or broken link is refused (counted), not followed
            yield self._get(following.url, self.parse, cb_kwargs={"left": left})

    # -- a topic's opening post -------------------------------------------
    async def parse_topic(self, response: Response, tid: str) -> AsyncIterator[MentionItem | Request]:
        if response.status == 429:
            retry = await self._wait_out(response)
            if retry is not None:
                yield retry
            return
        title = tidy(" ".join(response.css("h1.display-post-title ::text").getall())) or None
        story = response.css(".display-post-story").get()
        if title is None and story is None:
            self.logger.error("%s: not a Pantip topic page (no h1.display-post-title)", response.url)
            self.count("feed_errors")
            return
        tags = [tidy(t) for t in response.css(".tag-item ::text").getall() if tidy(t)]
        author = tidy(" ".join(response.css(".display-post-name::text").getall()[:1])) or None
        stamp = response.css(".display-post-timestamp abbr::attr(data-utime), abbr[data-utime]::attr(data-utime)").get()
        extras: dict[str, Any] = {"thread_id": tid, "kind": "post"}
        if tags:
            extras["tags"] = tags
        yield self.mention(
            native_id=tid,
            url=f"{self.base}/topic/{tid}",
            title=title,
            text=html_to_text(story),
            author=author,
            published_at=iso(pantip_time(stamp)),
            extras=extras,
        )
        self.state.data.setdefault("topics", {})[tid] = {"title": title, "page": 1, "last": 0, "replies": {}}
        yield self._comments_request(tid, title, 1)

    # -- its comments and replies -------------------------------------------
    async def parse_comments(
        self, response: Response, tid: str, title: str | None, page: int, first: int = 1
    ) -> AsyncIterator[MentionItem | Request]:
        if response.status == 429:
            retry = await self._wait_out(response)
            if retry is not None:
                yield retry
            return
        try:
            data = json.loads(response.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as err:
            self.logger.error("%s: comments: invalid JSON (%s)", response.url, str(err).splitlines()[0])
            self.count("feed_errors")
            return
        comments = data.get("comments") if isinstance(data, dict) else None
        if comments is None and isinstance(data, dict) and not data.get("count"):
            comments = []  # a topic nobody has answered yet
        if not isinstance(comments, list):
            self.logger.error("%s: comments: expected an object with a \"comments\" list", response.url)
            self.count("feed_errors")
            return
        topic = self.state.data.setdefault("topics", {}).setdefault(
            tid, {"title": title, "page": page, "last": 0, "replies": {}}
        )
        last = int(topic.get("last", 0))
        seen_replies: dict[str, int] = topic.get("replies", {})
        topic_url = f"{self.base}/topic/{tid}"
        highest = last
        for comment in comments:
            if not isinstance(comment, dict) or not str(comment.get("comment_no", "")).isdigit():
                self.logger.error("%s: comment without a comment_no: %s", response.url, str(comment)[:80])
                self.count("feed_errors")
                continue
            number = int(comment["comment_no"])
            highest = max(highest, number)
            if number > last:
                yield self._item(comment, f"{tid}#{number}", topic_url, tid, title, "comment")
            replies = comment.get("replies") or []
            done = int(seen_replies.get(str(number), 0))
            newest = done
            for index, reply in enumerate(replies if isinstance(replies, list) else [], start=1):
                if not isinstance(reply, dict):
                    continue
                reply_no = int(reply["reply_no"]) if str(reply.get("reply_no", "")).isdigit() else index
                newest = max(newest, reply_no)
                if reply_no > done:
                    yield self._item(reply, f"{tid}#{number}.{reply_no}", topic_url, tid, title, "reply", number)
            if newest:
                seen_replies[str(number)] = newest
        topic.update({"title": title, "page": page, "last": highest, "replies": seen_replies})
        total = _int(data.get("count")) if isinstance(data, dict) else 0
        full = len(comments) >= _PAGE_SIZE
        if comments and (full or highest < total):
            if page < first + self.options.max_comment_pages - 1:
                yield self._comments_request(tid, title, page + 1, first)
            else:
                self.logger.warning("%s: stopped at max_comment_pages=%d", topic_url, self.options.max_comment_pages)
        # Next time start from this page again (it may fill up); keep reply counts of this page only.
        topic["replies"] = {
            str(c["comment_no"]): seen_replies[str(c["comment_no"])]
            for c in comments
            if isinstance(c, dict) and str(c.get("comment_no")) in seen_replies
        }

    def _item(
        self, entry: dict[str, Any], native_id: str, url: str, tid: str, title: str | None, kind: str,
        comment_no: int | None = None,
    ) -> MentionItem:
        user = entry.get("user")
        if not isinstance(user, dict):
            user = {}
        extras: dict[str, Any] = {"thread_id": tid, "thread_title": title, "kind": kind}
        if entry.get("emo_score") is not None:
            extras["emo_score"] = entry.get("emo_score")
        if comment_no is not None:
            extras["comment_no"] = comment_no
        return self.mention(
            native_id=native_id,
            url=url,
            text=html_to_text(entry.get("message")),
            author=tidy(str(user.get("name") or "")) or None,
            published_at=iso(pantip_time(entry.get("data_utime"), entry.get("created_time"))),
            engagement={"likes": _int(entry.get("point")), "comments": _int(entry.get("reply_count"))},
            extras=extras,
        )

    async def _wait_out(self, response: Response) -> Request | None:
        """Wait as a 429 asks (``Retry-After``, else 2, 4, 8 s...), then the same request again."""
        tries = int(response.meta.get("rate_limited", 0)) + 1
        self.count("rate_limited")
        if tries > _MAX_RATE_LIMIT_TRIES:
            self.logger.error("%s: still rate limited (429) after %d tries; skipped", response.url, tries - 1)
            return None
        header = (response.headers.get("Retry-After") or b"").decode("latin-1").strip()
        wait = float(header) if header.replace(".", "", 1).isdigit() else 2.0**tries
        wait = min(wait, 60.0)
        self.logger.info("%s: rate limited (429); waiting %.1f s", response.url, wait)
        await asyncio.sleep(wait)
        if response.request is None:
            return None
        return response.request.replace(dont_filter=True, meta={**response.meta, "rate_limited": tries})


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
