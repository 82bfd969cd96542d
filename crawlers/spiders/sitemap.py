"""News sites through their sitemaps, on Scrapy's SitemapSpider: sitemap indexes, the
sitemaps a robots.txt names, and Google News sitemaps (``news:publication_date``,
``news:title``). Only URLs newer than the last crawl are read; each page is read by the
article spider's extraction (:meth:`ArticleSpider.parse_article`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import Field, field_validator
from scrapy.http import Request, Response
from scrapy.spiders import SitemapSpider

from crawlers.items import MentionItem
from crawlers.spiders.article import ArticleOptions, ArticleSpider
from crawlers.spiders.base import SourceOptions, iso, register, tidy
from sadap.core.errors import InputError
from sadap.core.settings_types import Duration, parse_duration_setting
from sadap.core.thaidate import parse_thai_datetime
from sadap.core.timeutil import UTC, now_utc

_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


class SitemapOptions(SourceOptions):
    """A site's articles through its sitemaps (`url`: a sitemap, a sitemap index, a robots.txt
    or the site's root, whose robots.txt names its sitemaps); only pages newer than the last crawl."""

    kind: Literal["sitemap"]
    follow: str | None = Field(None, description="Regular expression; only page URLs matching it are read.")
    first_crawl: Duration = Field(
        timedelta(days=2), description="On the first crawl, read pages published or changed this far back."
    )
    max_pages: int = Field(200, ge=1, description="At most this many pages a crawl (the newest first).")

    _regex = field_validator("follow")(ArticleOptions._regex.__func__)  # type: ignore[attr-defined]


@register
class NewsSitemapSpider(SitemapSpider, ArticleSpider):
    """``scrapy crawl sitemap -a url=https://example.com/ [-a follow=/news/] -a source=<name> [-a state_dir=DIR]``"""

    name = "sitemap"
    label = ("แผนผังเว็บไซต์ข่าว", "news sitemap")
    Options = SitemapOptions  # type: ignore[assignment]  # (ArticleSpider narrowed it to ArticleOptions)

    def __init__(
        self,
        url: str | None = None,
        source: str | None = None,
        follow: str | None = None,
        first_crawl: Any = "2d",
        max_pages: Any = 200,
        **kwargs: Any,
    ) -> None:
        self.sitemap_rules = [(follow or "", "parse_page")]
        super().__init__(url=url, source=source, follow=follow, **kwargs)
        parts = urlsplit(self.url)
        if parts.path in ("", "/"):
            self.sitemap_urls = [f"{parts.scheme}://{parts.netloc}/robots.txt"]
        else:
            self.sitemap_urls = [self.url]
        self.first_crawl = parse_duration_setting(first_crawl)
        self.max_pages = int(max_pages)
        self._news: dict[str, dict[str, Any]] = {}
        self._queued = 0
        self._started = now_utc()
        self._since: datetime | None = None
        self._undated_before: set[str] | None = None
        self._undated_now: set[str] = set()
        self._in_index = False

    def _marks(self) -> tuple[datetime, set[str]]:
        """Since when, and which undated pages, were read before: from the state, read once a crawl
        (lazily: on several machines the worker that reads a sitemap may not be the one that started)."""
        if self._since is None or self._undated_before is None:
            last = self.state.data.get("last_crawl")
            self._since = datetime.fromisoformat(last) if last else self._started - self.first_crawl
            self._undated_before = set(self.state.data.get("undated", []))
        return self._since, self._undated_before

    def begin_round(self) -> None:
        super().begin_round()
        self._started = now_utc()

    async def start(self) -> AsyncIterator[Any]:
        self._marks()
        for url in self.sitemap_urls:
            yield Request(url, self._parse_sitemap, dont_filter=True)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        body = None if response.url.endswith("/robots.txt") else self._get_sitemap_body(response)
        self._in_index = False
        if body and self._read_news(body, response.url) in ("urlset", "sitemapindex"):
            pass
        elif not response.url.endswith("/robots.txt"):
            self.logger.error("%s: not a sitemap", response.url)
            self.count("feed_errors")
            return ()
        return super()._parse_sitemap(response)

    def _read_news(self, body: bytes, where: str) -> str | None:
        """Note Google News entries (``news:title``, ``news:publication_date``) by their ``loc``;
        the root element's name (``urlset``, ``sitemapindex``: anything else is not a sitemap)."""
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, recover=True))
        except etree.XMLSyntaxError:
            return None
        if root is None:
            return None
        kind = str(etree.QName(root).localname)
        self._in_index = kind == "sitemapindex"
        for url in root.iter("{*}url"):
            loc = tidy(url.findtext("{*}loc"))
            title = url.findtext(f".//{{{_NEWS}}}title")
            published = url.findtext(f".//{{{_NEWS}}}publication_date")
            lastmod = url.findtext("{*}lastmod")
            self._news[loc] = {
                "title": tidy(title) or None,
                "published": self._date(published, where),
                "lastmod": self._date(lastmod, where),
            }
        return kind

    def _date(self, text: str | None, where: str) -> datetime | None:
        if not text or not text.strip():
            return None
        try:
            return parse_thai_datetime(text.strip())
        except InputError as err:
            self.logger.warning("%s: %s", where, err)
            return None

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Entries changed since the last crawl, newest first, at most ``max_pages`` pages a crawl."""
        kept: list[tuple[datetime, dict[str, Any]]] = []
        since, undated_before = self._marks()
        for entry in entries:
            loc = entry.get("loc", "")
            if urlsplit(loc).scheme not in ("http", "https"):
                self.logger.warning("sitemap entry %r: not an http(s) URL, skipped", loc[:80])
                self.count("skipped/not_http")
                continue
            news = self._news.get(loc, {})
            when = news.get("published") or news.get("lastmod") or self._date(entry.get("lastmod"), loc)
            if self._in_index:
                # A sitemap in an index: unchanged since the last crawl means nothing new in it.
                if when is not None and when <= since:
                    self.count("skipped/old")
                else:
                    yield entry
                continue
            if when is None:
                # Undated: read once, then only while it is new to the sitemap.
                self._undated_now.add(loc)
                if loc in undated_before:
                    self.count("skipped/seen")
                    continue
                kept.append((datetime.max.replace(tzinfo=UTC), entry))
            elif when <= since:
                self.count("skipped/old")
            else:
                kept.append((when, entry))
        kept.sort(key=lambda pair: pair[0], reverse=True)
        for _, entry in kept:
            yield entry

    def _get_urls_and_callbacks_from_urlset(self, it: Iterable[dict[str, Any]]) -> Iterable[tuple[str, Any]]:
        for loc, callback in super()._get_urls_and_callbacks_from_urlset(it):
            if self._queued >= self.max_pages:
                self.count("skipped/max_pages")
                continue
            self._queued += 1
            yield loc, callback

    def parse_page(self, response: Response) -> Iterator[MentionItem]:
        news = self._news.get(response.url) or self._news.get(response.request.url if response.request else "", {})
        for item in self.parse_article(response):
            if news.get("title"):
                item["title"] = news["title"]
            if news.get("published"):
                item["published_at"] = iso(news["published"])
            yield item

    def end_round(self, reason: str) -> None:
        if self.round_owner:
            self.state.data["last_crawl"] = self._started.isoformat()
        if self.round_owner or self._undated_now:  # on several machines, the worker that read the sitemap
            self.state.data["undated"] = sorted(self._undated_now)
        # What the next crawl reads afresh (on several machines this process lives on between rounds).
        self._since, self._undated_before, self._undated_now = None, None, set()
        self._queued = 0
        self._news = {}
