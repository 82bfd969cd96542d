"""robots.txt's ``Crawl-delay`` kept by all the workers together (several machines), not by each.

Each worker spaces its own requests to a site (:class:`crawlers.middlewares.CrawlDelayMiddleware`);
two workers on one site would send two requests per delay. With ``SADAP_REDIS_CRAWL_DELAY_KEY`` set
(``sadap worker`` sets it when ``distributed.redis_url`` is), a request to a site that asks for a
delay first takes the site's turn in Redis: one key per host, ``<prefix>:<host>``, set only where it
is not (``SET NX PX``) with a token of the request's own, to expire after the download timeout and
the delay. When the answer (or the failure) is back, the worker that holds the turn lets the key expire
the delay later (``PEXPIRE``, only while the token is still its own). So the site has at most one
request of the fleet on its way at a time, and the next one leaves at least the delay after the
answer to the one before, as on one machine. robots.txt takes the host's turn too, before its delay
is known (:class:`crawlers.middlewares.CrawlDelayMiddleware` gives it back once robots.txt is read,
with the delay it asks for), so N workers starting on a site ask it one after the other. A worker that
finds the turn taken waits what the key has left (at most the delay, then looks again).

Redis is asked from a thread, so a Redis that stalls holds only the requests waiting for a turn, and
only once (:class:`crawlers.redis_errors.Outage`): the first call that finds no answer within the
client's timeout (``REDIS_PARAMS``; 5 s from ``sadap worker``) is one line, and the worker keeps the
delay on its own until a PING, sent in the background every ``SADAP_REDIS_RETRY`` seconds, answers:
one line again. Turns that a stalled Redis may still have taken when it woke are let go then.
Meanwhile it keeps the delay times the number of crawls that asked for the host's turns in the last
:data:`LIVE_S` seconds (``<prefix>:<host>:workers``, noted at each ask), so N workers together still
send about one request per delay, not N.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from crawlers.distributed import _redis, answer_timeout
from crawlers.redis_errors import Outage, outage_errors

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

KEY_SETTING = "SADAP_REDIS_CRAWL_DELAY_KEY"

#: A crawl that asked for a host's turn within this many seconds counts as one of those crawling it
#: (a crawl waiting for a turn asks again at least every Crawl-delay, at most SADAP_CRAWL_DELAY_MAX).
LIVE_S = 120

#: What a worker does while Redis is out (the end of the outage's one line).
ALONE = ("each worker keeps robots.txt's Crawl-delay on its own until it answers, times the number of workers "
         "last seen on the site")

# KEYS[1] the host's turn, KEYS[2] the crawls asking for it (score: when each last did, the server's clock);
# ARGV token, how long (ms) the turn is held at most, this crawl, LIVE_S. {0: taken, else the ms it has
# left; how many crawls asked for the host's turns lately, this one included}.
_TAKE = """
local now = tonumber(redis.call('time')[1])
redis.call('zadd', KEYS[2], now, ARGV[3])
redis.call('zremrangebyscore', KEYS[2], '-inf', now - tonumber(ARGV[4]))
redis.call('expire', KEYS[2], tonumber(ARGV[4]))
local workers = redis.call('zcard', KEYS[2])
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, workers}
end
local left = redis.call('pttl', KEYS[1])
if left < 0 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return {tonumber(ARGV[2]), workers}
end
return {math.max(left, 1), workers}
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
        self.crawl = uuid.uuid4().hex[:16]
        self.outage = Outage(prefix, client, log, ALONE, retry_s, timeout_s)
        self._background: set[asyncio.Future[None]] = set()
        #: Turns asked for or given back while Redis did not answer: Redis may hold them when it wakes.
        self._unsure: set[tuple[str, str]] = set()
        #: Per host: how many crawls (workers) asked for its turns in the last LIVE_S, as Redis last said.
        self.workers: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedCrawlDelay | None:
        prefix = crawler.settings.get(KEY_SETTING)
        if not prefix:
            return None
        return cls(_redis(crawler), str(prefix), crawler.settings.getfloat("SADAP_REDIS_RETRY", 5.0),
                   answer_timeout(crawler.settings))

    def _key(self, host: str) -> str:
        return f"{self.prefix}:{host}"

    def shared(self) -> bool:
        """Whether turns go through Redis now (not while it is out)."""
        return self.outage.since is None

    async def turn(self, host: str, delay: float, hold: float) -> str | None:
        """Wait for ``host``'s turn and take it: its token, or None while Redis is out (the worker's own
        delay then). ``hold``: seconds the turn is kept at most, should the answer never be reported."""
        token = uuid.uuid4().hex
        key = self._key(host)
        while await self._usable():
            try:
                left_ms, workers = await asyncio.to_thread(
                    self.client.eval, _TAKE, 2, key, f"{key}:workers", token, int(hold * 1000), self.crawl, LIVE_S)
            except outage_errors() as err:
                self._unsure.add((key, token))
                self.outage.failed(err)
                return None
            self.workers[host] = max(1, int(workers))
            if int(left_ms) <= 0:
                return token
            await asyncio.sleep(min(int(left_ms) / 1000, delay))
        return None

    def give_back(self, host: str, token: str, delay: float) -> None:
        """The answer to the request holding ``host``'s turn is in: the turn ends ``delay`` from now."""
        future = asyncio.ensure_future(self._give_back(self._key(host), token, delay))
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    async def _give_back(self, key: str, token: str, delay: float) -> None:
        if not self.outage.usable():
            self._unsure.add((key, token))  # let go when Redis is back
            return
        try:
            await asyncio.to_thread(self.client.eval, _GIVE_BACK, 1, key, token, int(delay * 1000))
        except outage_errors() as err:
            self._unsure.add((key, token))
            self.outage.failed(err)

    async def _usable(self) -> bool:
        """Whether to ask Redis for a turn now: not while it is out; once its PING answers, after the
        turns that the stalled Redis may have taken on waking are let go (the outage's last line)."""
        if not self.outage.usable():
            return False
        if self.outage.since is None:
            return True
        try:
            await asyncio.to_thread(self._let_go)
        except outage_errors() as err:  # out again at once: the same outage
            self.outage.failed(err)
            return False
        self.outage.answered("Crawl-delay is shared by the workers again")
        return True

    def _let_go(self) -> None:
        for key, token in list(self._unsure):
            self.client.eval(_GIVE_BACK, 1, key, token, 1)
            self._unsure.discard((key, token))

    def close(self) -> None:
        """The crawl is closing: no more PINGs (turns still being given back are, so no worker waits for them)."""
        self.outage.close()
