"""News sites through their sitemaps, on Scrapy's SitemapSpider: sitemap indexes, the
sitemaps a robots.txt names, and Google News sitemaps (``news:publication_date``,
``news:title``). Only URLs newer than the last crawl are read; each page is read by the
article spider's extraction (:meth:`ArticleSpider.parse_article`).

Every sitemap an index names, and every page a sitemap names, is a request of its own carrying
what it needs (the round's mark, since when pages are new, the entry's news title and date), so on
several machines the workers share one index through the queue in Redis whichever of them reads
what. ``max_pages`` is then one count per round for the whole fleet (a counter in Redis), and the
undated pages already read are remembered per sitemap, by the worker that read it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import Field, field_validator
from scrapy.http import Request, Response
from scrapy.spiders import SitemapSpider
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawlers.items import MentionItem
from crawlers.spiders.article import ArticleOptions, ArticleSpider
from crawlers.spiders.base import SourceOptions, iso, register, tidy
from crawlers.state import RedisState
from sadap.core.errors import InputError
from sadap.core.settings_types import Duration, parse_duration_setting
from sadap.core.thaidate import parse_thai_datetime
from sadap.core.timeutil import UTC, now_utc
from sadap.core.urls import is_web_url

_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
# How a sitemap starts (a BOM, an XML declaration, comments and the root element's prefix allowed).
_SITEMAP_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<([\w.\-]+:)?(urlset|sitemapindex)\b", re.S)
#: Sitemaps are read before pages: an index fans out to every worker first, and each sitemap read
#: early puts its pages in the queue for all of them.
SITEMAP_PRIORITY = 10


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
        self._queued = 0
        self._started = now_utc()
        #: Undated pages seen in this crawl, per sitemap read here.
        self._undated_now: dict[str, set[str]] = {}

    def _since(self) -> datetime:
        """Since when pages count as new: the last crawl's start, else ``first_crawl`` back."""
        last = self.state.data.get("last_crawl")
        return datetime.fromisoformat(last) if last else self._started - self.first_crawl

    def _undated_before(self, sitemap: str) -> set[str]:
        """The undated pages of ``sitemap`` that an earlier crawl read (by whichever worker read it)."""
        by_sitemap = self.state.data.get("undated_by_sitemap")
        if isinstance(by_sitemap, dict) and sitemap in by_sitemap:
            return set(by_sitemap[sitemap])
        return set(self.state.data.get("undated", []))  # written by an earlier version: one list for all

    def begin_round(self) -> None:
        super().begin_round()
        self._started = now_utc()

    def _round(self, response: Response | None = None) -> dict[str, str]:
        """What every request of a round carries (on several machines, to whichever worker takes
        it): the round's mark and since when pages count as new, fixed when the round started."""
        if response is not None and "sadap_round" in response.meta:
            return {"sadap_round": response.meta["sadap_round"], "sadap_since": response.meta["sadap_since"]}
        return {"sadap_round": self._started.isoformat(), "sadap_since": self._since().isoformat()}

    async def start(self) -> AsyncIterator[Any]:
        meta = self._round()
        for url in self.sitemap_urls:
            yield Request(url, self._parse_sitemap, dont_filter=True, meta=meta)

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        """robots.txt, a sitemap index or a sitemap: each sitemap it names, and each page, becomes
        a request of its own (on several machines, in the shared queue: the workers share them)."""
        meta = self._round(response)
        since = datetime.fromisoformat(meta["sadap_since"])
        if response.url.endswith("/robots.txt"):
            return [Request(url, self._parse_sitemap, meta=meta, priority=SITEMAP_PRIORITY)
                    for url in sitemap_urls_from_robots(response.body, base_url=response.url)]
        body = self._get_sitemap_body(response)
        read = self._read(self.xml_as_utf8(body, response), response.url) if body else None
        if read is None:
            self.logger.error("%s: not a sitemap", response.url)
            self.count("feed_errors")
            return []
        kind, entries = read
        if kind == "sitemapindex":
            requests = []
            for entry in entries:
                if not self._web(entry["loc"]):
                    continue
                if entry["when"] is not None and entry["when"] <= since:
                    self.count("skipped/old")  # unchanged since the last crawl: nothing new in it
                    continue
                if any(x.search(entry["loc"]) for x in self._follow):
                    requests.append(Request(entry["loc"], self._parse_sitemap, meta=meta, priority=SITEMAP_PRIORITY))
            return requests
        return self._pages(entries, response.url, since, meta)

    def _get_sitemap_body(self, response: Response) -> bytes | None:
        # Scrapy takes an XML answer, a gzip file or a URL ending in .xml; a sitemap served as
        # application/octet-stream (or with no type) at another URL is read too when it is one.
        body: bytes | None = super()._get_sitemap_body(response)
        if body is None and _SITEMAP_START.match(response.body[:1024]):
            body = response.body
        return body

    def _web(self, loc: str) -> bool:
        if is_web_url(loc):  # also False for a URL urlsplit cannot read (``http://[broken/``)
            return True
        self.logger.warning("sitemap entry %r: not an http(s) URL, skipped", loc[:80])
        self.count("skipped/not_http")
        return False

    def _read(self, body: bytes, where: str) -> tuple[str, list[dict[str, Any]]] | None:
        """``(root element, entries)`` of a sitemap (``body`` in UTF-8): each entry's ``loc`` and its date (Google News
        ``news:publication_date``, else ``lastmod``) and ``news:title``; None when not a sitemap."""
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, recover=True, huge_tree=False))
        except etree.XMLSyntaxError:
            return None
        if root is None:
            return None
        kind = str(etree.QName(root).localname)
        if kind not in ("urlset", "sitemapindex"):
            return None
        entries = []
        for element in root.iterchildren("{*}url", "{*}sitemap"):
            loc = tidy(element.findtext("{*}loc"))
            if not loc:
                continue
            published = self._date(element.findtext(f".//{{{_NEWS}}}publication_date"), where)
            entries.append({
                "loc": loc,
                "title": tidy(element.findtext(f".//{{{_NEWS}}}title")) or None,
                "published": published,
                "when": published or self._date(element.findtext("{*}lastmod"), where),
            })
        return kind, entries

    def _date(self, text: str | None, where: str) -> datetime | None:
        if not text or not text.strip():
            return None
        try:
            return parse_thai_datetime(text.strip())
        except InputError as err:
            self.logger.warning("%s: %s", where, err)
            return None

    def _pages(self, entries: list[dict[str, Any]], sitemap: str, since: datetime, meta: dict[str, str]) -> list[Request]:
        """Pages changed since the last crawl, newest first, within ``max_pages`` a round."""
        kept: list[tuple[datetime, dict[str, Any]]] = []
        undated_before = self._undated_before(sitemap)
        undated_now = self._undated_now.setdefault(sitemap, set())
        for entry in entries:
            loc, when = entry["loc"], entry["when"]
            if not self._web(loc):
                continue
            if when is None:
                # Undated: read once, then only while it is new to the sitemap.
                undated_now.add(loc)
                if loc in undated_before:
                    self.count("skipped/seen")
                    continue
                kept.append((datetime.max.replace(tzinfo=UTC), entry))
            elif when <= since:
                self.count("skipped/old")
            else:
                kept.append((when, entry))
        kept.sort(key=lambda pair: pair[0], reverse=True)
        chosen = []
        for _, entry in kept:
            callback = next((c for r, c in self._cbs if r.search(entry["loc"])), None)
            if callback is not None:
                chosen.append((entry, callback))
        allowed = self._take_pages(len(chosen), meta["sadap_round"])
        if allowed < len(chosen):
            self.count("skipped/max_pages", len(chosen) - allowed)
        return [
            Request(entry["loc"], callback,
                    meta={**meta, "sadap_news": {"title": entry["title"], "published": iso(entry["published"])}})
            for entry, callback in chosen[:allowed]
        ]

    def _take_pages(self, wanted: int, round_mark: str) -> int:
        """How many of ``wanted`` pages this round may still read: ``max_pages`` counted in this
        process, or on several machines in one counter per round in Redis that every worker takes from."""
        if wanted <= 0:
            return 0
        state = self.state
        if isinstance(state, RedisState):
            return state.take_up_to(f"pages:{round_mark}", wanted, self.max_pages)
        allowed = max(0, min(wanted, self.max_pages - self._queued))
        self._queued += allowed
        return allowed

    def parse_page(self, response: Response) -> Iterator[MentionItem]:
        news = response.meta.get("sadap_news") or {}  # from the sitemap entry, whichever worker read it
        for item in self.parse_article(response):
            if news.get("title"):
                item["title"] = news["title"]
            if news.get("published"):
                item["published_at"] = news["published"]
            yield item

    def end_round(self, reason: str) -> None:
        if self.round_owner:
            self.state.data["last_crawl"] = self._started.isoformat()
        if self._undated_now:  # each sitemap's undated pages, from the worker that read that sitemap
            by_sitemap = self.state.data.setdefault("undated_by_sitemap", {})
            for sitemap, pages in self._undated_now.items():
                by_sitemap[sitemap] = sorted(pages)
            self.state.data.pop("undated", None)
        # What the next crawl reads afresh (on several machines this process lives on between rounds).
        self._undated_now = {}
        self._queued = 0
