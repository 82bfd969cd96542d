"""News and blog articles: an index page whose links are followed, or a single article."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import trafilatura
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from pydantic import Field, field_validator

from crawlers.items import MentionItem
from crawlers.spiders.base import SourceOptions, SourceSpider, register, iso, tidy
from sadap.core.errors import InputError
from sadap.core.thaidate import parse_thai_datetime
from sadap.core.timeutil import BANGKOK

# Where pages print their date when it is not in the metadata. Looked for inside the
# article first: headers often print today's date and sidebars other stories' dates.
_DATE_SCOPES = ("//article", "//main", "//*[@role='main']", "/html")
_NOT_CHROME = (
    "[not(ancestor-or-self::header or ancestor-or-self::nav"
    " or ancestor-or-self::footer or ancestor-or-self::aside)]"
)
_DATE_XPATH = (
    f".//time{_NOT_CHROME}/@datetime | .//time{_NOT_CHROME}"
    f" | .//*[contains(@class, 'date') or contains(@class, 'published')]{_NOT_CHROME}"
    f" | .//*[@itemprop='datePublished']{_NOT_CHROME}/@content"
)
_BYLINE_XPATH = (
    f"//*[@rel='author']{_NOT_CHROME} | //*[contains(@class, 'byline')]{_NOT_CHROME}"
    f" | //*[contains(@class, 'author') and not(contains(@class, 'authors'))]{_NOT_CHROME}"
)
_BY_PREFIX = re.compile(r"^(?:เขียนโดย|โดย|ผู้เขียน|by)\s*[:：]?\s*", re.IGNORECASE)
# Short blocks of text that start with "วันที่" ("date"), e.g. "วันที่ 20 พ.ย. 69 เวลา 18.45 น.".
_DATE_LINE_XPATH = (
    ".//*[not(self::script or self::style)]"
    "[starts-with(normalize-space(.), 'วันที่') and string-length(normalize-space(.)) < 120]" + _NOT_CHROME
)


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
    expression are crawled as articles. Without it, the start page is the article.
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
        if self._links is None:
            yield from self.parse_article(response)
            return
        links = self._links.extract_links(response)
        if not links:
            self.logger.warning("%s: no links match follow=%r", response.url, self.follow)
        for link in links:
            yield response.follow(link.url, callback=self.parse_article)

    def parse_article(self, response: Response) -> Iterator[MentionItem]:
        if not isinstance(response, TextResponse):
            self.logger.warning("%s: not an HTML page, skipped", response.url)
            self.count("empty_pages")
            return
        doc = trafilatura.bare_extraction(
            response.text,
            url=response.url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            # Markup only: no guessing from free text, which picks up copyright years.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
        title = _title(response) or (tidy(doc.title) if doc is not None else "") or None
        text = _body_text(doc.text if doc is not None else None, title)
        if not text:
            self.logger.warning("%s: no main text found, page skipped", response.url)
            self.count("empty_pages")
            return
        extras: dict[str, Any] = {}
        site = response.xpath("//meta[@property='og:site_name']/@content").get()
        if site:
            extras["site_name"] = tidy(site)
        yield self.mention(
            url=response.url,
            title=title,
            text=text,
            author=_author(response) or (tidy(doc.author) or None),
            published_at=iso(self._published(response, doc.date)),
            extras=extras,
        )

    def _published(self, response: Response, extracted: str | None) -> datetime | None:
        on_page = self._date_on_page(response)
        found = self._parse(extracted, response.url) if extracted else None
        if found is None:
            return on_page
        # trafilatura usually gives a bare day; take the page's time when it is the same day.
        if on_page and on_page.astimezone(BANGKOK).date() == found.astimezone(BANGKOK).date():
            return on_page
        return found

    def _date_on_page(self, response: Response) -> datetime | None:
        for scope in _DATE_SCOPES:
            for root in response.xpath(scope)[:1]:
                candidates = [_node_text(node) for node in root.xpath(_DATE_XPATH)]
                candidates += [_node_text(node) for node in root.xpath(_DATE_LINE_XPATH)]
                for candidate in candidates:
                    value = self._parse(candidate, response.url)
                    if value:
                        return value
        return None

    def _parse(self, text: str, where: str) -> datetime | None:
        try:
            return parse_thai_datetime(text)
        except InputError as err:
            self.logger.warning("%s: %s", where, err)
            return None


def _body_text(extracted: str | None, title: str | None) -> str:
    # Extractors often repeat the headline as the first line; a page that is only its
    # headline (a video or gallery page) has no text of its own.
    lines = tidy(extracted).splitlines()
    if title:
        lines = [line for line in lines if line != title]
    return "\n".join(lines)


def _node_text(node: Any) -> str:
    value = node.get()
    if value.lstrip().startswith("<"):
        return tidy(" ".join(node.xpath(".//text()").getall()))
    return tidy(value)


def _title(response: Response) -> str | None:
    for query in ("//meta[@property='og:title']/@content", "//h1", "//title"):
        node = response.xpath(query)
        if node:
            text = _node_text(node[0])
            if text:
                return text
    return None


def _author(response: Response) -> str | None:
    meta = response.xpath("//meta[@name='author']/@content").get()
    if meta and tidy(meta):
        return tidy(meta)
    for node in response.xpath(_BYLINE_XPATH):
        text = _BY_PREFIX.sub("", _node_text(node))
        if text:
            return text
    return None
