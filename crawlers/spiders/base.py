"""What Sadap spiders share: the settings every source has, the spider registry, arguments,
item building, HTML-to-text and dates.

Every spider takes ``-a url=...`` (where to start) and ``-a source=...`` (the source
name stored with each mention; defaults to the spider's name). A spider declares its own
source settings as ``Options`` (a :class:`SourceOptions` whose ``kind`` is its name), its
Thai and English ``label``, and registers with :func:`register`; ``sources[].kind``, the
labels and the configuration reference all come from the registry.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import lxml.html
import scrapy
from lxml.etree import ParserError
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.options import SourceOptions as SourceOptions  # declared there, without Scrapy
from crawlers.state import SourceState
from sadap.core.errors import InputError
from sadap.core.thaidate import parse_thai_datetime
from sadap.core.timeutil import UTC
from sadap.core.urls import UnsafeUrlError, check_source_url, is_web_url, scheme_of

# Elements after which a line ends when HTML is flattened to text.
_BLOCKS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "tr", "table", "section", "article", "header", "footer", "figcaption",
)


class SourceSpider(scrapy.Spider):
    """Base for spiders that read one configured source."""

    source_kind: ClassVar[str]
    #: (Thai, English) name of the kind, shown to people.
    label: ClassVar[tuple[str, str]]
    #: Its settings in ``sources:``; ``kind`` is a Literal of the spider's name.
    Options: ClassVar[type[SourceOptions]]

    def __init__(self, url: str | None = None, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not url:
            raise ValueError(f"spider {self.name!r} needs a start URL: add -a url=https://...")
        try:
            self.url: str = check_source_url(url)
        except UnsafeUrlError as err:
            raise ValueError(f"spider {self.name!r}: url {err}") from None
        self.source: str = source or self.name
        self._state: SourceState | None = None

    @property
    def state(self) -> SourceState:
        """This source's state between crawls (see :mod:`crawlers.state`), saved when the spider closes."""
        if self._state is None:
            state_dir = getattr(self, "state_dir", None) or self.settings.get("SADAP_STATE_DIR")
            self._state = SourceState.for_source(state_dir, self.name, self.source)
        return self._state

    def closed(self, reason: str) -> None:
        if self._state is not None:
            self._state.save()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse, dont_filter=True)

    def follow_url(self, response: Response, url: str, **kwargs: Any) -> scrapy.Request | None:
        """A request for ``url`` (relative to ``response``), or None, counted as
        ``sadap/skipped/unsafe_url`` and logged, when it is not an http(s) URL.

        Spiders follow links they read from pages and APIs through this, so that a
        ``file://`` or ``javascript:`` link in a remote thread list is refused and the rest
        of the list still read. (``WebOnlyMiddleware`` refuses any other request too.)
        """
        absolute = response.urljoin(url.strip()) if isinstance(url, str) else ""
        if not is_web_url(absolute):
            self.logger.warning(
                "refused %s: only http/https URLs are followed (%s)", str(url)[:200], scheme_of(str(url)) or "no scheme"
            )
            self.count("skipped/unsafe_url")
            return None
        return response.follow(absolute, **kwargs)

    def mention(self, **fields: Any) -> MentionItem:
        return MentionItem(source_kind=self.source_kind, source_name=self.source, **fields)

    def count(self, stat: str, n: int = 1) -> None:
        """Add to a ``sadap/<stat>`` counter in the crawl stats."""
        self.crawler.stats.inc_value(f"sadap/{stat}", n)

    def read_date(self, text: str | None, where: str) -> str | None:
        """A Thai or ISO date as an ISO 8601 UTC string; an impossible one is logged and skipped."""
        if not text:
            return None
        try:
            value = parse_thai_datetime(text)
        except InputError as err:
            self.logger.warning("%s: %s", where, err)
            return None
        return iso(value)


SPIDERS: dict[str, type[SourceSpider]] = {}
S = TypeVar("S", bound=type[SourceSpider])


def register(cls: S) -> S:
    """Register a spider under its ``name`` (the ``kind`` of its sources)."""
    kind = cls.Options.model_fields["kind"].annotation
    if getattr(kind, "__args__", None) != (cls.name,):
        raise TypeError(f"{cls.__name__}.Options.kind must be Literal[{cls.name!r}]")
    cls.source_kind = cls.name
    SPIDERS[cls.name] = cls
    return cls


def iso(value: datetime | None) -> str | None:
    # Items carry ISO strings: feed exports would otherwise drop the time zone.
    return value.astimezone(UTC).isoformat() if value else None


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, one line per block, whitespace tidied."""
    if not markup:
        return ""
    if "<" not in markup:
        return tidy(html.unescape(markup))
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ParserError, ValueError):
        return tidy(re.sub(r"<[^>]+>", " ", markup))
    for junk in root.xpath(".//script|.//style|.//noscript"):
        junk.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag == "br":
            continue
        element.text = "\n" + (element.text or "")
    return tidy(root.text_content())


def tidy(text: str | None) -> str:
    """Collapse runs of spaces within lines and drop empty lines."""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.replace("\u200b", "").splitlines())
    return "\n".join(line for line in lines if line)
