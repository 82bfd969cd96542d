"""RSS and Atom feeds: one mention per entry."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Literal

from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import SourceOptions, SourceSpider, html_to_text, iso, register, tidy
from sadap.core.timeutil import UTC


class RssOptions(SourceOptions):
    """An RSS or Atom feed: one mention per entry (`url`: the feed URL)."""

    kind: Literal["rss"]


@register
class RssSpider(SourceSpider):
    """``scrapy crawl rss -a url=<feed URL> -a source=<name>``"""

    name = "rss"
    label = ('ฟีดข่าว', 'news feed')
    Options: ClassVar[type[SourceOptions]] = RssOptions
    #: Whether an entry's author (RSS ``<author>``, Atom ``<author><name>``/``<email>``) is kept.
    keep_entry_author: ClassVar[bool] = True

    def parse(self, response: Response, **kwargs: Any) -> Iterator[MentionItem]:
        # Parse what was already downloaded: feedparser must never fetch anything itself.
        import feedparser  # heavy-ish: only when a feed is read, not when the config loads

        # As UTF-8, in the charset the feed is really in: given the bytes, feedparser reads a TIS-620 feed
        # that declares nothing, or Latin-1, as windows-1252 (mojibake, and its Thai dates unreadable).
        body = self.xml_as_utf8(response.body, response)
        media = (response.headers.get("Content-Type", b"") or b"").decode("latin-1").split(";")[0].strip()
        content_type = f"{media}; charset=utf-8" if media else ""
        feed = feedparser.parse(body, response_headers={"content-type": content_type, "content-location": response.url})
        if not feed.entries and (feed.bozo or not feed.version):
            self.logger.error("%s: not an RSS/Atom feed (%s)", response.url, _why_not_a_feed(response, feed))
            self.count("feed_errors")
            return
        feed_title = tidy(feed.feed.get("title"))
        for entry in feed.entries:
            yield self._entry(entry, feed_title, response)

    def _entry(self, entry: Any, feed_title: str, response: Response) -> MentionItem:
        link = entry.get("link")
        extras: dict[str, Any] = {}
        if feed_title:
            extras["feed_title"] = feed_title
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        if tags:
            extras["tags"] = tags
        return self.mention(
            native_id=entry.get("id") or link,
            url=response.urljoin(link) if link else None,
            title=html_to_text(entry.get("title")) or None,
            text=_entry_text(entry),
            author=(tidy(entry.get("author")) or None) if self.keep_entry_author else None,
            published_at=self._published(entry, link or response.url),
            extras=extras,
        )

    def _published(self, entry: Any, where: str) -> str | None:
        # Our own parser first: it reads Thai dates and treats zone-less times as
        # Bangkok time, where feedparser would assume UTC.
        for key in ("published", "updated", "created"):
            raw = entry.get(key)
            value = self.read_date(raw, where)
            if value:
                return value
        for key in ("published_parsed", "updated_parsed", "created_parsed"):
            parsed = entry.get(key)
            if parsed:
                return iso(datetime.fromtimestamp(calendar.timegm(parsed), UTC))
        return None


def _entry_text(entry: Any) -> str:
    """The fullest text an entry offers: its content, else its summary."""
    candidates = [c.get("value") for c in entry.get("content", [])] + [entry.get("summary")]
    texts = [html_to_text(c) for c in candidates if c]
    return max(texts, key=len, default="")


def _why_not_a_feed(response: Response, feed: Any) -> str:
    content_type = (response.headers.get("Content-Type", b"") or b"").decode("latin-1").split(";")[0].strip()
    reason = str(feed.get("bozo_exception") or "no feed elements found").splitlines()[0]
    return f"{content_type}: {reason}" if content_type else reason
