"""What a Redis outage looks like to redis-py, and how it is told in one log line (no Scrapy here:
the crawl state's budget counters use it too)."""

from __future__ import annotations


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
