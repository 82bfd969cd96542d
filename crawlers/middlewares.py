"""Downloader middlewares: only web URLs are fetched; failed downloads are one counted line.

- :class:`WebOnlyMiddleware` (first in line, before robots.txt): a request for anything
  but ``http``/``https`` (``file://`` from a remote thread list, ``javascript:`` from a
  page) is refused and counted as ``sadap/skipped/unsafe_url``. After retries, a download
  that failed (timeout, DNS, refused connection, larger than ``DOWNLOAD_MAXSIZE``) or
  answered an HTTP error is one ERROR line ``<url>: <what happened>`` and a count under
  ``sadap/errors/<kind>``, not a traceback.
- :class:`RedirectLoopMiddleware` (just before Scrapy's redirect middleware): a redirect
  back to a URL already in the chain, or past ``REDIRECT_MAX_TIMES``, is one ERROR line
  and ``sadap/errors/redirect_loop``, not a silent nothing.
- :class:`ApiAuthMiddleware` (next to the downloader): adds an API spider's key or token
  (``spider.auth_headers()``, read from this process's environment) to requests for the API's
  own origin only, and takes it off again when the answer (or the failure) comes back, so that
  a request retried, redirected or queued again (in Redis, on several machines) never carries it.
- :class:`CrawlDelayMiddleware` (just after robots.txt): a site's robots.txt ``Crawl-delay`` for
  our user agent spaces the requests to that site (never closer than ``DOWNLOAD_DELAY``, never
  further apart than ``SADAP_CRAWL_DELAY_MAX``); Scrapy itself obeys only Allow and Disallow. On several
  machines (``SADAP_REDIS_CRAWL_DELAY_KEY``) the workers keep it together (:mod:`crawlers.shared_delay`).
- :class:`ThaiCharsetMiddleware` (after decompression): a page or feed that declares a Latin-1
  charset but is TIS-620 Thai (:mod:`crawlers.charset`) is read as windows-874.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)

from crawlers.charset import THAI_CHARSET_FLAG, is_latin_1_family, looks_like_tis_620
from crawlers.shared_delay import SharedCrawlDelay
from sadap.core.urls import is_web_url, scheme_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

log = logging.getLogger(__name__)


class _Counting:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"sadap/{key}")

    def _log(self, level: int, message: str, *args: Any) -> None:
        # With the spider attached, so per-source error counts (sadap.app.crawl) see it.
        log.log(level, message, *args, extra={"spider": self.crawler.spider})


class WebOnlyMiddleware(_Counting):
    def process_request(self, request: Request, spider: Any = None) -> None:
        if not is_web_url(request.url):
            scheme = scheme_of(request.url) or "no scheme"
            self._log(logging.WARNING, "refused %s: only http/https URLs are followed (%s)", request.url[:200], scheme)
            self._count("skipped/unsafe_url")
            raise IgnoreRequest(f"not an http(s) URL: {request.url[:200]}")
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if response.status >= 400 and not request.meta.get("dont_obey_robotstxt") and not self._handled(request, response):
            self._log(logging.ERROR, "%s: HTTP %d", request.url, response.status)
            self._count(f"errors/http_{response.status}")
        return response

    def _handled(self, request: Request, response: Response) -> bool:
        # A spider that asks for a 4xx status (handle_httpstatus_list) reports it itself;
        # server errors, retried first, are reported here, except to the API spiders, which report
        # every error answer in one line of their own (``sadap_reports_errors``, set by ``api_request``).
        if request.meta.get("sadap_reports_errors"):
            return True
        if response.status >= 500:
            return False
        if request.meta.get("handle_httpstatus_all"):
            return True
        asked = request.meta.get("handle_httpstatus_list") or getattr(self.crawler.spider, "handle_httpstatus_list", ())
        return response.status in (asked or ())

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        if isinstance(exception, IgnoreRequest) or request.meta.get("dont_obey_robotstxt"):
            return None
        kind, what = _describe(exception, request)
        retries = request.meta.get("retry_times", 0)
        tried = f" (tried {retries + 1} times)" if retries else ""
        self._log(logging.ERROR, "%s: %s%s", request.url, what, tried)
        self._count(f"errors/{kind}")
        # Reported: Scrapy would log it again with a traceback.
        raise IgnoreRequest(what)


class RedirectLoopMiddleware(_Counting):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        try:
            target = urljoin(request.url, location.decode("latin-1"))
        except ValueError:  # not a URL at all
            target = location.decode("latin-1")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if not is_web_url(target):  # javascript:, file:, a broken URL: one line, counted, never followed
            self._log(logging.WARNING, "%s: refused a redirect to %s: only http/https URLs are followed (%s)",
                      chain[0], target[:200], scheme_of(target) or "no scheme")
            self._count("skipped/unsafe_url")
            raise IgnoreRequest("redirect to a URL that is not http(s)")
        if target in chain:
            what = f"redirect loop ({len(chain)} redirects, back to {target})"
        elif len(chain) > self.max_times:
            what = f"more than {self.max_times} redirects"
        else:
            return response
        self._log(logging.ERROR, "%s: %s", chain[0], what)
        self._count("errors/redirect_loop")
        raise IgnoreRequest(what)


class ApiAuthMiddleware:
    """Authenticate at download time: a request holds the source's key only while it is downloaded."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ApiAuthMiddleware:
        if not getattr(crawler.spidercls, "uses_auth", False):
            raise NotConfigured  # web pages and feeds without a token: nothing to add (no message, as it is most crawls)
        return cls(crawler)

    def _auth(self) -> tuple[dict[str, str], str | None]:
        spider: Any = self.crawler.spider  # a SourceSpider with uses_auth (see from_crawler)
        if spider is None:
            return {}, None
        headers: dict[str, str] = spider.auth_headers()
        origin: str | None = spider.auth_origin()
        return headers, origin

    def process_request(self, request: Request, spider: Any = None) -> None:
        headers, origin = self._auth()
        parts = urlsplit(request.url)
        here = f"{parts.scheme.lower()}://{parts.netloc.lower().rsplit('@', 1)[-1]}"
        for name, value in headers.items():
            if origin is not None and here == origin:
                request.headers[name] = value
            else:  # never to another site (a link or redirect out of the API)
                request.headers.pop(name, None)
        return None

    def _strip(self, request: Request) -> None:
        for name in self._auth()[0]:
            request.headers.pop(name, None)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self._strip(request)  # before retry and redirect copy the request back towards the queue
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        self._strip(request)
        return None


class CrawlDelayMiddleware(_Counting):
    """Honour robots.txt's ``Crawl-delay``: Scrapy reads robots.txt for Allow and Disallow only."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.floor = settings.getfloat("DOWNLOAD_DELAY")
        self.maximum = settings.getfloat("SADAP_CRAWL_DELAY_MAX", 60.0)
        self.robots_agent: str | None = settings.get("ROBOTSTXT_USER_AGENT")
        self.agent: str = settings.get("USER_AGENT") or ""
        self.delays: dict[str, float] = {}  # downloader slot (host) -> seconds between requests
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0)
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self._answered, signal=signals.response_downloaded)
        # Several workers: the delay kept by all of them together, through Redis (crawlers/shared_delay.py).
        self.shared = SharedCrawlDelay.from_crawler(crawler)
        self.turns: weakref.WeakKeyDictionary[Request, tuple[str, str]] = weakref.WeakKeyDictionary()
        #: Per site whose robots.txt is being fetched, the turns its fetch holds (a redirect to another
        #: host takes that host's too): given back once robots.txt is read, with the delay it asks for.
        self.robots_turns: dict[str, list[tuple[str, str]]] = {}
        if self.shared is not None:
            crawler.signals.connect(self._left, signal=signals.request_left_downloader)
            crawler.signals.connect(self.shared.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured  # robots.txt is not read (API spiders, or switched off on purpose)
        return cls(crawler)

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        try:
            self._read_delay(robotparser, request)
        finally:  # robots.txt is in: its turns end the delay it asks for (or DOWNLOAD_DELAY) from now
            key = self.crawler.engine.downloader.get_slot_key(request)
            self._robots_done(key, self.delays.get(key, self.floor))

    def _read_delay(self, robotparser: RobotParser, request: Request) -> None:
        agent = self.robots_agent or (request.headers.get(b"User-Agent") or b"").decode("latin-1") or self.agent
        asked = robotparser.crawl_delay(agent)
        if asked is None or not math.isfinite(asked) or asked <= 0:
            return
        site = urlparse_cached(request).netloc
        delay = max(min(asked, self.maximum), self.floor)
        if asked > self.maximum:
            self._log(logging.WARNING, "%s: robots.txt Crawl-delay %gs is more than SADAP_CRAWL_DELAY_MAX: "
                      "one request every %gs", site, asked, delay)
        else:
            self._log(logging.INFO, "%s: robots.txt Crawl-delay %gs: one request every %gs%s%s", site, asked, delay,
                      " (DOWNLOAD_DELAY)" if delay > asked else "", " by all the workers together" if self.shared else "")
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        self.delays[key] = max(delay, self.delays.get(key, 0.0))  # two ports of one host share a slot
        # One request at a time, without jitter: no two reach the site closer than asked. Kept for
        # the host's slot should the downloader drop it while idle and make it again.
        settings = {"delay": self.delays[key], "jitter": 0.0, "concurrency": 1}
        downloader.per_slot_settings[key] = {**downloader.per_slot_settings.get(key, {}), **settings}
        slot = downloader.slots.get(key)
        if slot is not None:  # the slot robots.txt came through, its answer just in
            slot.delay, slot.jitter, slot.concurrency = self.delays[key], 0.0, 1
            slot.lastseen = time.monotonic()

    def _answered(self, response: Response, request: Request, spider: Any = None) -> None:
        # Scrapy counts the delay from when the last request left; counted from when its answer came
        # back, the next request cannot reach the site sooner, however late the last one got there.
        key = request.meta.get("download_slot")
        slot = self.crawler.engine.downloader.slots.get(key) if key in self.delays else None
        if slot is not None:
            slot.lastseen = time.monotonic()

    async def process_request(self, request: Request, spider: Any = None) -> None:
        # Runs after robots.txt was read for this request's site. AutoThrottle would otherwise set
        # the site's delay from its answer times, below Crawl-delay for a fast site.
        if self.shared is not None and _is_robots_txt(request):
            await self._robots_turn(request)
            return None
        if not self.delays:
            return None
        key = self.crawler.engine.downloader.get_slot_key(request)
        if key not in self.delays:
            return None
        request.meta["autothrottle_dont_adjust_delay"] = True
        if self.shared is not None:
            # The site's turn among all the workers; none while Redis is out: then this worker keeps the
            # delay times the number of workers Redis last saw on the site, so that together they still
            # send about one request per delay (not one each).
            hold = float(request.meta.get("download_timeout") or self.timeout) + self.delays[key]
            token = await self.shared.turn(key, self.delays[key], hold)
            if token is not None:
                self.turns[request] = (key, token)
            self._pace(key, 1 if token is not None else self.shared.workers.get(key, 1))
        return None

    def _pace(self, key: str, workers: int) -> None:
        delay = self.delays[key] * workers
        downloader = self.crawler.engine.downloader
        downloader.per_slot_settings.setdefault(key, {})["delay"] = delay
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = delay

    async def _robots_turn(self, request: Request) -> None:
        """robots.txt takes a turn of its site like any request of the workers': N workers starting on a
        site ask it one after the other, each the delay it asks for after the answer to the one before
        (the delay is not known yet: the turn is looked at again every :data:`ROBOTS_POLL_S`)."""
        assert self.shared is not None
        key = self.crawler.engine.downloader.get_slot_key(request)
        origin = _robots_origin(request, self.crawler.engine.downloader.get_slot_key)
        held = self.robots_turns.setdefault(origin, [])
        if any(host == key for host, _ in held):
            return  # a redirect of this fetch to the same host (http to https): its turn is already held
        hold = float(request.meta.get("download_timeout") or self.timeout) + ROBOTS_POLL_S
        token = await self.shared.turn(key, ROBOTS_POLL_S, hold)
        if token is not None:
            held.append((key, token))

    def _robots_done(self, origin: str, delay: float) -> None:
        for host, token in self.robots_turns.pop(origin, []):
            assert self.shared is not None
            self.shared.give_back(host, token, delay)

    def _left(self, request: Request, spider: Any = None) -> None:
        # The answer or the failure is in (or, below, the request went no further): the turn ends a delay later.
        turn = self.turns.pop(request, None)
        if turn is not None and self.shared is not None:
            self.shared.give_back(turn[0], turn[1], self.delays.get(turn[0], 0.0))

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self._left(request)  # answered by a middleware further on, not downloaded
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        self._left(request)  # refused by a middleware further on
        if self.shared is not None and _is_robots_txt(request):  # robots.txt not read: no delay known
            self._robots_done(_robots_origin(request, self.crawler.engine.downloader.get_slot_key), self.floor)
        return None


#: How often (seconds) a worker whose robots.txt waits for the site's turn looks at it again.
ROBOTS_POLL_S = 0.25


def _is_robots_txt(request: Request) -> bool:
    # Scrapy's RobotsTxtMiddleware asks for it with this flag (and so do redirects of it).
    return bool(request.meta.get("dont_obey_robotstxt")) and urlparse_cached(request).path == "/robots.txt"


def _robots_origin(request: Request, slot_key: Any) -> str:
    """The slot of the site whose robots.txt ``request`` fetches (the first URL of a redirect chain)."""
    first = (request.meta.get("redirect_urls") or [request.url])[0]
    return str(slot_key(Request(first)))


class ThaiCharsetMiddleware(_Counting):
    """Read TIS-620 Thai declared as Latin-1 (``charset=iso-8859-1``, old PHP defaults) as windows-874."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.told: set[str] = set()

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if not (isinstance(response, TextResponse) and is_latin_1_family(response.encoding)
                and looks_like_tis_620(response.body)):
            return response
        site = urlparse_cached(request).netloc
        if site not in self.told:
            self.told.add(site)
            self._log(logging.INFO, "%s: pages declared Latin-1 but in Thai (TIS-620) are read as windows-874 (first: %s)",
                      site, response.url)
        self._count("thai_charset")
        return response.replace(encoding="cp874", flags=[*response.flags, THAI_CHARSET_FLAG])


def _describe(exception: BaseException, request: Request) -> tuple[str, str]:
    name = type(exception).__name__
    if isinstance(exception, (TimeoutError, TCPTimedOutError)) or "Timeout" in name:
        timeout = request.meta.get("download_timeout")
        return "timeout", f"timed out after {timeout:g}s" if timeout else "timed out"
    if isinstance(exception, DNSLookupError):
        return "dns", "host not found (DNS lookup failed)"
    if isinstance(exception, ConnectionRefusedError):
        return "refused", "connection refused"
    if "Cancelled" in name and "max size" in str(exception):
        return "too_large", "response larger than DOWNLOAD_MAXSIZE, download cancelled"
    if isinstance(exception, ConnectError):
        return "connect", f"could not connect ({str(exception).strip() or name})"
    first = str(exception).strip().splitlines()[0] if str(exception).strip() else ""
    return "download", f"download failed: {name}" + (f": {first[:200]}" if first else "")
