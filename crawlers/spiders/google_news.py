"""Google News search results through its RSS feed: each item is a mention with its
publisher and time, and optionally the article itself is read (the article extraction).

Feed: ``<base_url>/rss/search?q=<query>&hl=th&gl=TH&ceid=TH:th``. Items carry ``title``
("headline - publisher"), ``link``, ``guid``, ``pubDate``, ``description`` and
``<source url="...">publisher</source>``.
"""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from pydantic import Field, field_validator
from scrapy.http import Request, Response

from crawlers.items import MentionItem
from crawlers.spiders.article import ArticleSpider
from crawlers.spiders.base import SourceOptions, html_to_text, iso, register, tidy
from sadap.core.timeutil import UTC


class GoogleNewsOptions(SourceOptions):
    """Google News search results for a query, from its RSS feed (Thai editions by default)."""

    kind: Literal["google_news"]
    url: str = Field("", description="Not used (the feed URL is built from `base_url` and `query`).")
    query: str = Field(
        description="What to search for, with Google News operators (`\"แสงทอง\" when:1d`, `site:khaosod.co.th`)."
    )
    hl: str = Field("th", description="Interface language of the edition.")
    gl: str = Field("TH", description="Country of the edition.")
    ceid: str = Field("TH:th", description="Edition id (country:language).")
    follow_articles: bool = Field(False, description="Also read each linked article (its text instead of the headline).")
    base_url: str = Field("https://news.google.com", description="Google News's address (change only for tests).")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name what to search for")
        return value.strip()


def feed_url(base_url: str, query: str, hl: str = "th", gl: str = "TH", ceid: str = "TH:th") -> str:
    return f"{base_url.rstrip('/')}/rss/search?" + urlencode({"q": query, "hl": hl, "gl": gl, "ceid": ceid})


@register
class GoogleNewsSpider(ArticleSpider):
    """``scrapy crawl google_news -a 'query="ธนาคารแสงทอง"' [-a follow_articles=true] -a source=<name>``"""

    name = "google_news"
    label = ("กูเกิลนิวส์", "Google News")
    Options = GoogleNewsOptions  # type: ignore[assignment]  # (ArticleSpider narrowed it to ArticleOptions)
    one_site = False  # the feed, then articles on each publisher's site

    def __init__(
        self,
        query: str | None = None,
        source: str | None = None,
        hl: str = "th",
        gl: str = "TH",
        ceid: str = "TH:th",
        follow_articles: Any = False,
        base_url: str = "https://news.google.com",
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not query or not query.strip():
            raise ValueError("spider 'google_news' needs a query: add -a query=...")
        options = GoogleNewsOptions.model_validate({
            "name": "spider", "kind": "google_news", "query": query, "hl": hl, "gl": gl, "ceid": ceid,
            "follow_articles": str(follow_articles).lower() in ("1", "true", "yes"), "base_url": base_url,
        })
        super().__init__(url=url or feed_url(options.base_url, options.query, hl, gl, ceid), source=source, **kwargs)
        self.options = options

    async def start(self) -> AsyncIterator[Request]:
        # Errors reach parse_feed, so a refused feed is one counted error line, not a silent 0.
        yield Request(self.url, callback=self.parse_feed, dont_filter=True, meta={"handle_httpstatus_all": True})

    def parse_feed(self, response: Response) -> Iterator[MentionItem | Request]:
        import feedparser  # heavy-ish: only when a feed is read, not when the config loads

        feed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        if response.status != 200 or (not feed.entries and (feed.bozo or not feed.version)):
            self.count("feed_errors")
            retry_codes = [int(code) for code in self.settings.getlist("RETRY_HTTP_CODES")]
            retried = response.status in retry_codes and self.settings.getbool("RETRY_ENABLED")
            if not retried:  # (the retry middleware has already logged its one line)
                self.logger.error("%s: not a Google News RSS feed (HTTP %d)", response.url, response.status)
            return
        for entry in feed.entries:
            item = self._entry(entry)
            link = item.get("url")
            if self.options.follow_articles and link:
                yield Request(
                    link, callback=self.parse_linked, errback=self.unreadable, cb_kwargs={"listed": item}
                )
            else:
                yield item

    def _entry(self, entry: Any) -> MentionItem:
        publisher = tidy((entry.get("source") or {}).get("title")) or None
        publisher_url = (entry.get("source") or {}).get("href")
        title = tidy(entry.get("title"))
        if publisher and title.endswith(f" - {publisher}"):
            title = title[: -len(publisher) - 3].rstrip()
        link = entry.get("link")
        if link and urlsplit(link).scheme not in ("http", "https"):
            self.logger.warning("Google News item %r: link is not http(s), not stored", title[:60])
            self.count("skipped/not_http")
            link = None
        extras: dict[str, Any] = {"query": self.options.query}
        if publisher:
            extras["publisher"] = publisher
        if publisher_url and urlsplit(publisher_url).scheme in ("http", "https"):
            extras["publisher_url"] = publisher_url
        description = html_to_text(entry.get("summary"))
        text = title if not description or description.startswith(title) else f"{title}\n{description}"
        return self.mention(
            native_id=entry.get("id") or link,
            url=link,
            title=title or None,
            text=text,
            author=publisher,
            published_at=self._time(entry),
            extras=extras,
        )

    def _time(self, entry: Any) -> str | None:
        value = self.read_date(entry.get("published"), "Google News item")
        if value:
            return value
        parsed = entry.get("published_parsed")
        return iso(datetime.fromtimestamp(calendar.timegm(parsed), UTC)) if parsed else None

    def unreadable(self, failure: Any) -> Iterator[MentionItem]:
        """An article that could not be fetched: the feed's headline is kept."""
        listed = failure.request.cb_kwargs["listed"]
        self.logger.warning("%s: article not read (%s); headline kept", failure.request.url, failure.value)
        self.count("skipped/article_unreadable")
        yield listed

    def parse_linked(self, response: Response, listed: MentionItem) -> Iterator[MentionItem]:
        """The article behind an item: its text, the feed's headline, publisher and time kept."""
        found = False
        for item in self.parse_article(response):
            found = True
            item["native_id"] = listed.get("native_id")
            item["title"] = listed.get("title") or item.get("title")
            item["published_at"] = listed.get("published_at") or item.get("published_at")
            item["extras"] = {**(item.get("extras") or {}), **listed["extras"], "listed_url": listed.get("url")}
            yield item
        if not found:
            yield listed  # the article could not be read: keep the headline
