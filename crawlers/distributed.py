"""Crawling on several machines: the parts of a spider's crawl that go through Redis.

Switched on per crawler by settings (``sadap worker`` sets them from ``distributed:`` in
sadap.yaml; see ``sadap.app.distributed.scrapy_settings``): scrapy-redis's ``SCHEDULER`` and
``DUPEFILTER_CLASS`` hold the source's request queue and duplicate filter in Redis, shared by the
spiders of every worker, and ``SADAP_REDIS_START_KEY`` names the list the scheduler pushes a token to
when a crawl round is due. Without that setting the components below raise ``NotConfigured`` and
the spider crawls on its own, as ``sadap crawl`` does.

- :class:`StartOnSchedule` (spider middleware): a worker's spider does not crawl its start
  requests when it opens; rounds start from Redis.
- ``crawlers.redis_queue.Scheduler``: scrapy-redis's scheduler through a Redis outage (one line when
  Redis stops answering and one when it is back, :func:`outage`, rather than a traceback at
  every poll of the queue; a ``PING`` every few seconds from a thread, not a call each time).
- :class:`RedisRounds` (extension): while the spider is idle, pops a token from the start list;
  the worker that gets it runs the spider's own start requests into the shared queue. Keeps the
  spider open between rounds. When a worker that took part in a round goes idle, the spider's
  ``end_round`` notes what the next round starts from, and its incremental state (in Redis,
  ``SADAP_REDIS_STATE_KEY``: see crawlers/state.py) is shared with the other workers.
- ``loads`` / ``dumps``: requests in the queue as JSON (``SCHEDULER_SERIALIZER =
  "crawlers.distributed"``) rather than scrapy-redis's default pickle, so that whoever can write to
  Redis cannot make a worker run code. Only Scrapy's own request classes are accepted back.
  Credentials never go to Redis: spiders do not put keys in requests (the downloader adds them on
  each worker, ``crawlers.middlewares.ApiAuthMiddleware``), and ``dumps`` drops any authentication
  header (:data:`SECRET_HEADERS`) and ``access_token``-like query parameters that got there anyway.
"""

from __future__ import annotations

import base64
import json
import logging
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawlers.redis_errors import Outage, outage_errors as outage_errors

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

START_KEY = "SADAP_REDIS_START_KEY"


def _redis(crawler: Crawler) -> Redis:
    # scrapy-redis's own connection helper, from REDIS_URL and REDIS_PARAMS.
    from scrapy_redis.connection import get_redis_from_settings

    client: Redis = get_redis_from_settings(crawler.settings)
    return client


_outages: weakref.WeakKeyDictionary[Crawler, Outage] = weakref.WeakKeyDictionary()


def answer_timeout(settings: Any) -> float | None:
    """How long a worker's client waits for Redis to answer (``REDIS_PARAMS["socket_timeout"]``)."""
    timeout = settings.getdict("REDIS_PARAMS").get("socket_timeout")
    return float(timeout) if isinstance(timeout, (int, float)) else None


def outage(crawler: Crawler) -> Outage:
    """The crawl's one outage of the shared queue (:class:`~crawlers.redis_errors.Outage`), shared by
    its scheduler, :class:`RedisRounds` and the worker's crawl reports. While it lasts, nothing is
    taken from the queue: a call to a Redis that stalls waits the whole answer timeout with the crawl
    stopped, and a page's links are a call each; the downloads in hand go on."""
    found = _outages.get(crawler)
    if found is None:
        settings = crawler.settings
        name = str(settings.get(START_KEY) or settings.get("SCHEDULER_QUEUE_KEY") or "crawl")
        found = _outages[crawler] = Outage(
            name.removesuffix(":start"), _redis(crawler), logger,
            "nothing is taken from the shared queue or started until it answers",
            settings.getfloat("SADAP_REDIS_RETRY", 5.0), answer_timeout(settings))
        crawler.signals.connect(found.close, signal=signals.spider_closed)
    return found


class StartOnSchedule:
    """Hold back the spider's start requests when its rounds come from Redis."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StartOnSchedule:
        if not crawler.settings.get(START_KEY):
            raise NotConfigured  # no message: Scrapy would log one warning per crawl of every one-machine setup
        return cls()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        # Nothing at open: RedisRounds runs spider.start() when the scheduler asks for a round.
        for _ in ():
            yield _


class RedisRounds:
    """Start a crawl round when a token arrives on the source's start list; stay open in between."""

    def __init__(self, crawler: Crawler, client: Redis, key: str) -> None:
        self.crawler = crawler
        self.client = client
        self.key = key
        self.outage = outage(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisRounds:
        key = crawler.settings.get(START_KEY)
        if not key:
            raise NotConfigured  # SADAP_REDIS_START_KEY unset: one machine (no message, as above)
        extension = cls(crawler, _redis(crawler), key)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    took_part = False

    def spider_opened(self, spider: Spider) -> None:
        if hasattr(spider, "round_owner"):
            spider.round_owner = False  # rounds start from Redis, on whichever worker takes them
        # An idle spider looks at its queue at each engine heartbeat (Scrapy's default: every 5 s).
        # Here the queue is shared: another worker may fill it at any time, and a worker that looks
        # only every 5 s misses most of a short round (a sitemap index split into its children).
        poll = self.crawler.settings.getfloat("SADAP_REDIS_POLL", 1.0)
        engine = self.crawler.engine
        if engine is not None and poll > 0 and hasattr(engine, "_SLOT_HEARTBEAT_INTERVAL"):
            engine._SLOT_HEARTBEAT_INTERVAL = poll  # read when the engine starts, just after this signal

    def response_received(self, *args: Any, **kwargs: Any) -> None:
        self.took_part = True

    def spider_idle(self, spider: Spider) -> None:
        try:
            self._idle(spider)
        except outage_errors() as err:  # Redis went away just now: the spider stays open all the same
            self.outage.failed(err)
        raise DontCloseSpider("waiting for the next crawl round from Redis")

    def _idle(self, spider: Spider) -> None:
        # Nothing queued and nothing in hand: this worker's part in a round (if it had one) is over.
        # It notes what the next round starts from, and shares its state with the other workers.
        if not self.outage.usable():
            return  # the queue could not be read: the round may well go on when Redis is back
        if self.took_part:
            self.took_part = False
            end_round = getattr(spider, "end_round", None)
            if end_round is not None:
                end_round("finished")
            if hasattr(spider, "round_owner"):
                spider.round_owner = False
        _sync_state(spider)
        token = self.client.lpop(self.key)
        self.outage.answered()
        if token is not None:
            self.crawler.stats.inc_value("sadap/rounds")
            logger.info("crawl round started here (%s)", self.key, extra={"spider": spider})
            begin_round = getattr(spider, "begin_round", None)
            if begin_round is not None:
                begin_round()
            deferred_from_coro(self._start(spider))

    async def _start(self, spider: Spider) -> None:
        engine = self.crawler.engine
        assert engine is not None
        async for request in spider.start():
            if isinstance(request, Request):
                engine.crawl(request)


def _sync_state(spider: Spider) -> None:
    state = getattr(spider, "_state", None)  # only a spider that keeps a state has read one
    if state is not None:
        state.sync()


# -- requests as JSON ----------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot queue a request carrying a {type(value).__name__} (only JSON-like values)")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b"}:
            return base64.b64decode(value["$b"])
        if set(value) == {"$d"}:
            return {_decode(k): _decode(v) for k, v in value["$d"]}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


#: Headers that carry credentials; never written to the queue (lower case).
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "x-goog-api-key", "x-api-key", "api-key", "x-auth-token",
})
#: Query parameters that carry credentials in the platforms' URLs (Graph's paging links hold ``access_token``).
SECRET_PARAMS = frozenset({"access_token", "api_key", "apikey", "client_secret"})


def _header_name(name: Any) -> str:
    return (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower()


def without_secrets(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` (a ``Request.to_dict()``) without credentials in its headers or query."""
    clean = dict(request)
    headers = clean.get("headers")
    if isinstance(headers, dict):
        clean["headers"] = {k: v for k, v in headers.items() if _header_name(k) not in SECRET_HEADERS}
    url = clean.get("url")
    if isinstance(url, str) and "?" in url:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in query if k.lower() not in SECRET_PARAMS]
        if len(kept) != len(query):
            clean["url"] = urlunsplit(parts._replace(query=urlencode(kept)))
    return clean


def dumps(request: dict[str, Any]) -> bytes:
    """A request (``Request.to_dict()``) as JSON bytes, without credentials (see :func:`without_secrets`)."""
    return json.dumps(_encode(without_secrets(request)), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """A request dict back from :func:`dumps`; refuses classes other than Scrapy's own."""
    decoded = _decode(json.loads(data))
    if not isinstance(decoded, dict) or not isinstance(decoded.get("url"), str):
        raise ValueError("not a queued request")
    cls = decoded.get("_class")
    if cls is not None and not (isinstance(cls, str) and cls.startswith("scrapy.http.")):
        raise ValueError(f"queued request of class {cls!r} refused (only scrapy.http request classes)")
    return decoded
