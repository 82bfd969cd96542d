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
from urllib.parse import urlsplit

import lxml.html
import scrapy
from lxml.etree import ParserError
from scrapy.http import Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from w3lib.encoding import http_content_type_encoding

from crawlers.charset import THAI_CHARSET_FLAG, xml_as_utf8, xml_charset
from crawlers.items import MentionItem
from crawlers.options import SourceOptions as SourceOptions  # declared there, without Scrapy
from crawlers.state import RedisState, SourceState
from sadap.core.errors import InputError
from sadap.core.thaidate import from_epoch, parse_thai_datetime
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
    #: True for spiders that authenticate to an API: :class:`crawlers.middlewares.ApiAuthMiddleware`
    #: adds :meth:`auth_headers` to their requests at download time, so that no request waiting in a
    #: queue (Redis, when crawling on several machines) ever holds a key.
    uses_auth: ClassVar[bool] = False
    #: True where a crawl reads one site (or one API): a worker on the shared queue then takes from
    #: it only as many requests as it may send that site at once (``CONCURRENT_REQUESTS_PER_DOMAIN``).
    #: False for spiders that read pages on many sites (Google News's publishers).
    one_site: ClassVar[bool] = True

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
        #: True while this process runs the crawl round it started: always on one machine; on several,
        #: only the worker that took the round's start from Redis (others take part in its requests).
        self.round_owner = True
        self._thai_sites: set[str] = set()  # named once each, see xml_as_utf8

    @property
    def state(self) -> SourceState:
        """This source's state between crawls (see :mod:`crawlers.state`): a file saved when the spider
        closes, or on several machines a value in Redis shared at the end of each round."""
        if self._state is None:
            state_dir = getattr(self, "state_dir", None) or self.settings.get("SADAP_STATE_DIR")
            on_disk = SourceState.for_source(state_dir, self.name, self.source)
            redis_key = self.settings.get("SADAP_REDIS_STATE_KEY")
            # Several machines: shared in Redis (a file from one machine seeds it, once).
            self._state = RedisState.from_settings(self.settings, redis_key, seed=on_disk) if redis_key else on_disk
        return self._state

    def begin_round(self) -> None:
        """A crawl round starts here (several machines: this worker took the round's start).
        Spiders reset what they count per crawl."""
        self.round_owner = True

    def end_round(self, reason: str) -> None:
        """The end of a crawl (``closed``) or of this worker's part in a round: spiders note in
        :attr:`state` what the next crawl starts from. ``reason`` is Scrapy's close reason."""

    def closed(self, reason: str) -> None:
        self.end_round(reason)
        if self._state is not None:
            self._state.save()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.parse, dont_filter=True)

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate requests to :meth:`auth_origin` (a key read from this process's
        environment); empty when the source needs none. Spiders never put them in a request themselves."""
        return {}

    def auth_origin(self) -> str | None:
        """``scheme://host[:port]`` that :meth:`auth_headers` are sent to, and to no other."""
        return None

    def follow_url(self, response: Response, url: str, **kwargs: Any) -> scrapy.Request | None:
        """A request for ``url`` (relative to ``response``), or None, counted as
        ``sadap/skipped/unsafe_url`` and logged, when it is not an http(s) URL.

        Spiders follow links they read from pages and APIs through this, so that a
        ``file://`` or ``javascript:`` link in a remote thread list is refused and the rest
        of the list still read. (``WebOnlyMiddleware`` refuses any other request too.)
        """
        try:
            absolute = response.urljoin(url.strip()) if isinstance(url, str) else ""
        except ValueError:  # not a URL at all (``http://[broken/``): refused like an unsafe one
            absolute = ""
        if not is_web_url(absolute):
            self.logger.warning(
                "refused %s: only http/https URLs are followed (%s)", str(url)[:200], scheme_of(str(url)) or "no scheme"
            )
            self.count("skipped/unsafe_url")
            return None
        return response.follow(absolute, **kwargs)

    def xml_as_utf8(self, body: bytes, response: Response) -> bytes:
        """A sitemap's or feed's ``body`` (``response``'s, or what it unpacked to) as UTF-8, for a
        parser that reads bytes: in the charset :func:`crawlers.charset.xml_charset` finds, else as
        Scrapy guesses. TIS-620 Thai read against its declaration, or without one, is counted in
        ``sadap/thai_charset`` (unless the downloader middleware already did) and the site named once."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        found = xml_charset(body, http_content_type_encoding(content_type))
        encoding = found.encoding or TextResponse(response.url, body=body, headers={"Content-Type": content_type}).encoding
        if found.thai and THAI_CHARSET_FLAG not in response.flags:
            self.count("thai_charset")
            site = urlparse_cached(response).netloc
            if site not in self._thai_sites:
                self._thai_sites.add(site)
                self.logger.info("%s: sitemaps and feeds in Thai (TIS-620) declared Latin-1, UTF-8 or not at all are "
                                 "read as windows-874 (first: %s)", site, response.url)
        return xml_as_utf8(body, encoding)

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


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased (what an API key is scoped to)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower().rsplit('@', 1)[-1]}"


def iso(value: datetime | None) -> str | None:
    # Items carry ISO strings: feed exports would otherwise drop the time zone.
    return value.astimezone(UTC).isoformat() if value else None


# Epoch values this large are milliseconds, as many JSON APIs give them: in seconds they would be
# past the year 5000, and in milliseconds they are 1973 to 2286.
_MILLISECONDS = 10**11


def epoch_time(value: int | float | str) -> datetime:
    """Epoch seconds, or milliseconds where the number is too large for seconds, as aware UTC;
    InputError (one line) for a value that is neither."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= _MILLISECONDS:
        value = value / 1000
    return from_epoch(value)


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, one line per block, whitespace tidied (a number or other
    value where an API should have put text is read as its text)."""
    if not markup:
        return ""
    if not isinstance(markup, str):
        markup = str(markup)
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
