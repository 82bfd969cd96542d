"""robots.txt's ``Crawl-delay`` kept by all the workers together (several machines), not by each.

Each worker spaces its own requests to a site (:class:`crawlers.middlewares.CrawlDelayMiddleware`);
two workers on one site would send two requests per delay. With ``SADAP_REDIS_CRAWL_DELAY_KEY`` set
(``sadap worker`` sets it when ``distributed.redis_url`` is), a request to a site that asks for a
delay first takes the site's turn in Redis: one key per host, ``<prefix>:<host>``, set only where it
is not (``SET NX PX``) with a token of the request's own, to expire after the download timeout and
the delay. When the answer (or the failure) is back, the worker that holds the turn lets the key expire
the delay later (``PEXPIRE``, only while the token is still its own). So the site has at most one
request of the fleet on its way at a time, and the next one leaves at least the delay after the
answer to the one before, as on one machine; robots.txt itself, asked once by each worker before the
delay is known, is outside the count. A worker that finds the turn taken waits what the key has left
(at most the delay, then looks again).

Redis is asked from a thread, so a Redis that stalls holds only the requests waiting for a turn, and
only once: the first call that finds no answer within the client's timeout (``REDIS_PARAMS``; 5 s
from ``sadap worker``) is one line, and the worker keeps the delay on its own (as without Redis)
until a PING, sent in the background every ``SADAP_REDIS_RETRY`` seconds, answers: one line again.
Turns that a stalled Redis may still have taken when it woke are let go then.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING

from crawlers.distributed import _redis
from crawlers.redis_errors import outage_errors, outage_reason

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

KEY_SETTING = "SADAP_REDIS_CRAWL_DELAY_KEY"

# KEYS[1] the host's turn; ARGV token, how long (ms) the turn is held at most. 0: taken; else the ms it has left.
_TAKE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
local left = redis.call('pttl', KEYS[1])
if left < 0 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return tonumber(ARGV[2])
end
return math.max(left, 1)
"""

# The turn ends ARGV[2] ms from now, if it is still ARGV[1]'s.
_GIVE_BACK = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], math.max(1, tonumber(ARGV[2])))
  return 1
end
return 0
"""


class SharedCrawlDelay:
    """The turns of one crawl's requests to the sites that ask for a delay, in Redis."""

    def __init__(self, client: Redis, prefix: str, retry_s: float = 5.0, timeout_s: float | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self.out_since: float | None = None
        self._watching: asyncio.Future[None] | None = None
        self._background: set[asyncio.Future[None]] = set()
        #: Turns asked for or given back while Redis did not answer: Redis may hold them when it wakes.
        self._unsure: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedCrawlDelay | None:
        prefix = crawler.settings.get(KEY_SETTING)
        if not prefix:
            return None
        timeout = crawler.settings.getdict("REDIS_PARAMS").get("socket_timeout")
        return cls(_redis(crawler), str(prefix), crawler.settings.getfloat("SADAP_REDIS_RETRY", 5.0),
                   float(timeout) if isinstance(timeout, (int, float)) else None)

    def _key(self, host: str) -> str:
        return f"{self.prefix}:{host}"

    def shared(self) -> bool:
        """Whether turns go through Redis now (not while it is out)."""
        return self.out_since is None

    async def turn(self, host: str, delay: float, hold: float) -> str | None:
        """Wait for ``host``'s turn and take it: its token, or None while Redis is out (the worker's own
        delay then). ``hold``: seconds the turn is kept at most, should the answer never be reported."""
        token = uuid.uuid4().hex
        key = self._key(host)
        while self.shared():
            try:
                left_ms = int(await asyncio.to_thread(self.client.eval, _TAKE, 1, key, token, int(hold * 1000)))
            except outage_errors() as err:
                self._unsure.add((key, token))
                self.failed(err)
                return None
            if left_ms <= 0:
                return token
            await asyncio.sleep(min(left_ms / 1000, delay))
        return None

    def give_back(self, host: str, token: str, delay: float) -> None:
        """The answer to the request holding ``host``'s turn is in: the turn ends ``delay`` from now."""
        future = asyncio.ensure_future(self._give_back(self._key(host), token, delay))
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    async def _give_back(self, key: str, token: str, delay: float) -> None:
        try:
            await asyncio.to_thread(self.client.eval, _GIVE_BACK, 1, key, token, int(delay * 1000))
        except outage_errors() as err:
            self._unsure.add((key, token))
            self.failed(err)

    def failed(self, err: Exception) -> None:
        if self.out_since is None:
            self.out_since = time.monotonic()
            log.error("%s: Redis unreachable (%s); each worker keeps robots.txt's Crawl-delay on its own until it "
                      "answers (trying again every %g s)", self.prefix, outage_reason(err, self.timeout_s),
                      self.retry_s)
            self._watching = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        """Every ``retry_s``, a PING from a thread (a Redis that stalls holds no request meanwhile)."""
        while True:
            await asyncio.sleep(self.retry_s)
            try:
                await asyncio.to_thread(self._recover)
            except outage_errors():
                continue
            assert self.out_since is not None
            log.info("%s: Redis answers again after %.0f s; Crawl-delay is shared by the workers again",
                     self.prefix, time.monotonic() - self.out_since)
            self.out_since = None
            return

    def _recover(self) -> None:
        self.client.ping()
        # What Redis may have done on waking: a turn taken for a request that went on without it.
        for key, token in list(self._unsure):
            self.client.eval(_GIVE_BACK, 1, key, token, 1)
            self._unsure.discard((key, token))

    def close(self) -> None:
        """The crawl is closing: no more PINGs (turns still being given back are, so no worker waits for them)."""
        if self._watching is not None:
            self._watching.cancel()
