"""What a Redis outage looks like to redis-py, how it is told in one log line, and how a worker lives
through it (:class:`Outage`: one wait and one line per outage, for every caller). No Scrapy here: the
crawl state and its budget counters use it too."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis


def outage_errors() -> tuple[type[Exception], ...]:
    """What redis-py raises when Redis cannot be reached or stops answering."""
    from redis.exceptions import ConnectionError, TimeoutError

    return ConnectionError, TimeoutError


def outage_reason(err: Exception, timeout_s: float | None) -> str:
    """Why a call failed, for the one line an outage gets: a stall ("no answer within 5 s") or the error."""
    from redis.exceptions import TimeoutError

    if isinstance(err, TimeoutError) and timeout_s:
        return f"no answer within {timeout_s:g} s: {err}"  # connected, but it stalls
    return f"{type(err).__name__}: {err}"


class Outage:
    """One Redis client's outage, as every caller in crawlers/ and the worker lives through it: the
    first call that gets no answer (or no connection) is its one wait and its one line; from then on
    :meth:`usable` is False, so nothing calls Redis (and waits its answer timeout again), until a
    ``PING``, sent every ``retry_s`` from a thread of its own, answers. The caller then does what it
    owes Redis (counts, turns, state) and :meth:`answered` ends the outage with one line.

    ``alone`` says what the worker does meanwhile (ends the first line); ``name`` starts both lines."""

    def __init__(self, name: str, client: Redis, logger: logging.Logger, alone: str,
                 retry_s: float = 5.0, timeout_s: float | None = None) -> None:
        self.name, self.client, self.logger, self.alone = name, client, logger, alone
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        #: When the outage began (monotonic); None while Redis answers.
        self.since: float | None = None
        self._answers = threading.Event()  # set by the PING thread
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def usable(self) -> bool:
        """Whether to call Redis now: unless it is out, and then once the PING has answered."""
        return self.since is None or self._answers.is_set()

    def failed(self, err: Exception) -> None:
        """A call got no answer: the outage's one line (the first), and PINGs until Redis answers. A
        call that fails again right after the PING answered is the same outage: PINGs again, no line."""
        with self._lock:
            first = self.since is None
            if first:
                self.since = time.monotonic()
            elif not self._answers.is_set():
                return  # already PINGing
            self._answers.clear()
        if first:
            self.logger.error("%s: Redis unreachable (%s); %s (trying again every %g s)", self.name,
                              outage_reason(err, self.timeout_s), self.alone, self.retry_s)
        threading.Thread(target=self._ping_until_it_answers, name="sadap-redis-ping", daemon=True).start()

    def answered(self, what: str = "the crawl goes on") -> None:
        """A call got through: the outage, if there was one, is over (one line, ``what`` at its end)."""
        with self._lock:
            since, self.since = self.since, None
        if since is not None:
            self.logger.info("%s: Redis answers again after %.0f s; %s", self.name, time.monotonic() - since, what)

    def close(self) -> None:
        """No more PINGs (the crawl is closing)."""
        self._closed.set()

    def _ping_until_it_answers(self) -> None:
        while not self._closed.wait(self.retry_s):
            try:
                self.client.ping()
            except outage_errors():
                continue
            self._answers.set()
            return
