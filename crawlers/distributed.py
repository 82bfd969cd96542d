"""Crawling on several machines: the parts of a spider's crawl that go through Redis.

Switched on per crawler by settings (``sadap worker`` sets them from ``distributed:`` in
sadap.yaml; see ``sadap.app.distributed.scrapy_settings``): scrapy-redis's ``SCHEDULER`` and
``DUPEFILTER_CLASS`` hold the source's request queue and duplicate filter in Redis, shared by the
spiders of every worker, and ``SADAP_REDIS_START_KEY`` names the list the scheduler pushes a token to
when a crawl round is due. Without that setting the components below raise ``NotConfigured`` and
the spider crawls on its own, as ``sadap crawl`` does.

- :class:`StartOnSchedule` (spider middleware): a worker's spider does not crawl its start
  requests when it opens; rounds start from Redis.
- :class:`RedisRounds` (extension): while the spider is idle, pops a token from the start list;
  the worker that gets it runs the spider's own start requests into the shared queue. Keeps the
  spider open between rounds.
- ``loads`` / ``dumps``: requests in the queue as JSON (``SCHEDULER_SERIALIZER =
  "crawlers.distributed"``) rather than scrapy-redis's default pickle, so that whoever can write to
  Redis cannot make a worker run code. Only Scrapy's own request classes are accepted back.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisRounds:
        key = crawler.settings.get(START_KEY)
        if not key:
            raise NotConfigured  # SADAP_REDIS_START_KEY unset: one machine (no message, as above)
        extension = cls(crawler, _redis(crawler), key)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_idle(self, spider: Spider) -> None:
        token = self.client.lpop(self.key)
        if token is not None:
            self.crawler.stats.inc_value("sadap/rounds")
            logger.info("crawl round started here (%s)", self.key, extra={"spider": spider})
            deferred_from_coro(self._start(spider))
        raise DontCloseSpider("waiting for the next crawl round from Redis")

    async def _start(self, spider: Spider) -> None:
        engine = self.crawler.engine
        assert engine is not None
        async for request in spider.start():
            if isinstance(request, Request):
                engine.crawl(request)


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


def dumps(request: dict[str, Any]) -> bytes:
    """A request (``Request.to_dict()``) as JSON bytes."""
    return json.dumps(_encode(request), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """A request dict back from :func:`dumps`; refuses classes other than Scrapy's own."""
    decoded = _decode(json.loads(data))
    if not isinstance(decoded, dict) or not isinstance(decoded.get("url"), str):
        raise ValueError("not a queued request")
    cls = decoded.get("_class")
    if cls is not None and not (isinstance(cls, str) and cls.startswith("scrapy.http.")):
        raise ValueError(f"queued request of class {cls!r} refused (only scrapy.http request classes)")
    return decoded
