"""News and blog articles: an index page whose links are followed, or a single article.

What is read from each page (headline, time to the minute, body, author) and in what
order of trust is described in :mod:`crawlers.newspage`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawlers.items import MentionItem
from crawlers.newspage import read_news_page
from crawlers.spiders.base import SourceOptions, SourceSpider, iso, register


class ArticleOptions(SourceOptions):
    """News or blog articles (`url`: an index page with `follow`, or one article page)."""

    kind: Literal["article"]
    follow: str | None = Field(
        None, description="Regular expression; links on the `url` page matching it are crawled as articles."
    )

    @field_validator("follow")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"not a regular expression: {err}") from None
        return value


@register
class ArticleSpider(SourceSpider):
    """``scrapy crawl article -a url=<page> [-a follow=<regex>] -a source=<name>``

    With ``follow``, the start page is an index: links on it matching the regular
    expression are crawled as articles. Without it, the start page is the article; a
    start page that turns out to be a list of stories (a home or category page) gives
    no mention and is counted as ``skipped/index_page``.
    """

    name = "article"
    label = ("บทความข่าว", "news article")
    Options = ArticleOptions

    def __init__(self, url: str | None = None, source: str | None = None, follow: str | None = None, **kwargs: Any):
        super().__init__(url=url, source=source, **kwargs)
        if follow:
            try:
                re.compile(follow)
            except re.error as err:
                raise ValueError(f"spider 'article': follow={follow!r} is not a regular expression ({err})") from None
        self.follow = follow
        self._links = LinkExtractor(allow=follow, unique=True) if follow else None

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request | MentionItem]:
        if self._links is None or not isinstance(response, TextResponse):
            yield from self.parse_article(response)  # a page that is not HTML is reported there
            return
        links = self._links.extract_links(response)
        if not links:
            self.logger.warning("%s: no links match follow=%r", response.url, self.follow)
        for link in links:
            request = self.follow_url(response, link.url, callback=self.parse_article)
            if request is not None:
                yield request

    def parse_article(self, response: Response) -> Iterator[MentionItem]:
        if not isinstance(response, TextResponse):
            self.logger.warning("%s: not an HTML page, skipped", response.url)
            self.count("empty_pages")
            return
        page = read_news_page(response.text, response.url)
        if page.kind == "index":
            hint = "" if self.follow else " (set `follow:` to a pattern of its article links to crawl them)"
            self.logger.warning("%s: skipped: %s%s", response.url, page.reason, hint)
            self.count("skipped/index_page")
            return
        if page.kind != "article":
            self.logger.warning("%s: %s, page skipped", response.url, page.reason)
            self.count("empty_pages")
            return
        extras: dict[str, Any] = {}
        if page.site_name:
            extras["site_name"] = page.site_name
        # The canonical address, so the AMP copy and the page itself are one mention.
        url = page.canonical or response.url
        if url != response.url:
            extras["fetched_url"] = response.url
        yield self.mention(
            url=url,
            title=page.title,
            text=page.text,
            author=page.author,
            published_at=iso(page.published),
            extras=extras,
        )
