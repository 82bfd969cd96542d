"""The shared request queue and duplicate filter in Redis, through an outage of Redis.

scrapy-redis's scheduler (``SCHEDULER = "crawlers.redis_queue.Scheduler"``, set by ``sadap
worker``; see crawlers/distributed.py) raises at every call while Redis is unreachable, and
Scrapy logged each as a traceback, every second (each poll of the queue). Here an outage is one
line when it starts and one when it ends (:func:`crawlers.distributed.outage`); meanwhile
nothing is taken from the queue, the spider is not idle (its round is not over: the queue may
still hold it), and a request found then is dropped (counted in ``sadap/redis_dropped``: the next
round finds it again). Redis is tried again with a ``PING`` every ``SADAP_REDIS_RETRY`` seconds, from a
thread, not at every call: a Redis that stalls holds each call for the whole answer timeout. Imported only with the
``distributed`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy_redis.scheduler import Scheduler as RedisScheduler

from crawlers.distributed import outage, outage_errors

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class Scheduler(RedisScheduler):  # type: ignore[misc]  # scrapy-redis ships no types
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Scheduler:
        instance: Scheduler = super().from_crawler(crawler)
        instance.outage = outage(crawler)
        return instance

    def enqueue_request(self, request: Request) -> bool:
        if not self.outage.usable():
            return self._dropped()
        try:
            queued = bool(super().enqueue_request(request))
        except outage_errors() as err:
            self.outage.failed(err)
            return self._dropped()
        self.outage.answered()
        return queued

    def _dropped(self) -> bool:
        if self.stats:
            self.stats.inc_value("sadap/redis_dropped")
        return False

    def next_request(self) -> Any:
        if not self.outage.usable():
            return None
        try:
            request = super().next_request()
        except outage_errors() as err:
            self.outage.failed(err)
            return None
        self.outage.answered()
        return request

    def has_pending_requests(self) -> bool:
        if not self.outage.usable():
            return True  # as below
        try:
            pending = bool(super().has_pending_requests())
        except outage_errors() as err:
            self.outage.failed(err)
            return True  # unknown: not idle, so the round is not taken for over
        self.outage.answered()
        return pending
