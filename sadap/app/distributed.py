"""Several machines: the shared crawl queue in Redis and the scheduler's lease.

- Workers (``sadap worker``) run every enabled source's spider against a queue and duplicate filter
  per source in Redis (scrapy-redis's scheduler and filter, switched on by :func:`scrapy_settings`),
  so the requests of one crawl are shared out between the workers of all machines.
- The scheduler (``sadap run --role scheduler``) starts a crawl round of a source by pushing a
  token to the source's start list (:func:`push_start`); the first worker to pop it runs the
  spider's own start requests into the shared queue.
- Only one scheduler evaluates rules and sends notifications at a time: it holds a lease
  (:class:`RedisLease`, or :class:`SqliteLease` in the SQLite store without Redis) and renews it
  every third of ``distributed.lease``; a standby takes over when it expires.

Redis keys (prefix ``distributed.key_prefix``): ``<prefix>:<source>:requests`` (the queue),
``<prefix>:<source>:dupefilter``, ``<prefix>:<source>:start``, ``<prefix>:<source>:state`` (the
source's incremental state, crawlers/state.py), ``<prefix>:<source>:counter:<name>:<day or round>``
(budgets every worker adds to: YouTube's daily quota, a sitemap's pages a round), ``<prefix>:crawl-delay:<host>``
(whose turn it is to send a request to a site that asks robots.txt's Crawl-delay, crawlers/shared_delay.py),
``<prefix>:<source>:round`` (when the current round
was pushed) with ``<prefix>:<source>:report:<round>`` (the workers' counts for its crawl report,
kept a week), ``<prefix>:privacy:erased`` (erasure register lines, hashes only:
sadap/app/erasure_share.py) and ``<prefix>:scheduler:lease``.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from sadap.app.config import Config
from sadap.core.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from redis import Redis
    from redis.retry import Retry

log = logging.getLogger("sadap.distributed")


#: How long a worker, or a scheduler pushing a round, waits for Redis to answer one command before
#: calling it unreachable: a Redis that stalls (its connection open, no answer) is noticed in this
#: time. A busy but healthy one answers well within it (docs/deploy.md, "When Redis goes away").
ANSWER_WITHIN_S = 5.0


def _retry(again: bool) -> Retry:
    """redis-py's retries: (with ``again``) one more try after a lost connection, such as a pooled
    one that a restarted Redis closed; none after a timeout, where a second wait for a Redis that
    stalls would only double the time before anyone hears of it."""
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError
    from redis.retry import Retry

    return Retry(NoBackoff(), 1 if again else 0, supported_errors=(ConnectionError,))


def redis_client(config: Config, timeout_s: float = ANSWER_WITHIN_S, retries: bool = True) -> Redis:
    """A client for ``distributed.redis_url`` (password from the environment), waiting at most
    ``timeout_s`` for an answer, and (without ``retries``) trying each command once, also after a
    lost connection; raises ConfigError when Redis is not configured or the ``distributed`` extra
    is not installed."""
    url = config.distributed.redis_url
    if not url:
        raise ConfigError("distributed.redis_url is not set: several workers need a Redis they all reach")
    try:
        import redis
    except ImportError:
        raise ConfigError("distributed.redis_url needs the `distributed` extra: pip install 'sadap[distributed]'") from None
    return redis.Redis.from_url(url, password=redis_password(config), socket_timeout=timeout_s,
                                socket_connect_timeout=min(ANSWER_WITHIN_S, timeout_s), retry=_retry(retries))


def redis_password(config: Config) -> str | None:
    return os.environ.get(config.distributed.redis_password_env) or None


def redis_problem(config: Config, err: Exception) -> str:
    """One line for an error reaching ``distributed.redis_url`` (no password in it: the URL holds
    none, and redis-py's messages name none)."""
    from redis.exceptions import AuthenticationError

    url, env = config.distributed.redis_url, config.distributed.redis_password_env
    if isinstance(err, AuthenticationError):
        if redis_password(config) is None:
            return f"Redis at {url} asks for a password: put it in ${env} (distributed.redis_password_env)"
        return f"Redis at {url} refused the password in ${env}: {err}"
    return f"cannot reach Redis at {url} (distributed.redis_url): {err}"


def check_redis(config: Config, client: Redis) -> None:
    """Raise StoreError (one line, :func:`redis_problem`) unless Redis answers ``client``."""
    from redis.exceptions import RedisError

    try:
        client.ping()
    except RedisError as err:
        raise StoreError(redis_problem(config, err)) from None


def key(config: Config, *parts: str) -> str:
    return ":".join((config.distributed.key_prefix, *parts))


def scrapy_settings(config: Config, source: str) -> dict[str, Any]:
    """Scrapy settings that put one source's crawl on the shared Redis queue (a worker's
    crawler gets these on top of ``crawlers.settings``; see crawlers/distributed.py)."""
    if not config.distributed.redis_url:
        return {}
    # As redis_client's (scrapy-redis's own are 30 s and a retry after a timeout: a minute's stall a call).
    params: dict[str, Any] = {"socket_timeout": ANSWER_WITHIN_S, "socket_connect_timeout": ANSWER_WITHIN_S,
                              "retry_on_timeout": False, "retry": _retry(True)}
    password = redis_password(config)
    if password:
        params["password"] = password
    return {
        "SCHEDULER": "crawlers.redis_queue.Scheduler",  # scrapy-redis's, through a Redis outage
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # Keys per source, not per spider kind: two sources of one kind are two crawls.
        "SCHEDULER_QUEUE_KEY": key(config, source, "requests"),
        "SCHEDULER_DUPEFILTER_KEY": key(config, source, "dupefilter"),
        # Requests travel as JSON (never pickle: whoever can write to Redis must not run code on workers).
        "SCHEDULER_SERIALIZER": "crawlers.distributed",
        # The queue outlives a worker: a worker that stops leaves its share to the others.
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": config.distributed.redis_url,
        "REDIS_PARAMS": params,
        "SADAP_REDIS_START_KEY": key(config, source, "start"),
        # Incremental state (last ids, cursors, dates) shared by the workers, not one copy per worker.
        "SADAP_REDIS_STATE_KEY": key(config, source, "state"),
        # Budgets every worker adds to in one step (YouTube's daily quota, a sitemap's pages a round).
        "SADAP_REDIS_COUNTER_KEY": key(config, source, "counter"),
        # robots.txt's Crawl-delay kept by all the workers together: one turn per host, for every source.
        "SADAP_REDIS_CRAWL_DELAY_KEY": key(config, "crawl-delay"),
    }


def push_start(config: Config, source: str, client: Redis | None = None) -> bool:
    """Start a crawl round of ``source`` on the workers: a token on its start list. Skipped (False)
    while the previous round still has requests queued, or its token waits for a worker (a
    warning: no worker runs for the source); a new round starts with an empty duplicate filter,
    as a crawl on one machine does."""
    client = client or redis_client(config)
    if client.llen(key(config, source, "start")):
        # Not one worker has looked at the source since: the rounds would wait in Redis forever.
        raw = client.get(key(config, source, "round"))
        ago = f" {time.time() - float(raw):.0f} s ago" if raw is not None else ""
        log.warning("crawl %s: no worker took the round queued%s; is `sadap worker` running against this "
                    "Redis (%s, key_prefix %s)?", source, ago, config.distributed.redis_url,
                    config.distributed.key_prefix)
        return False
    if client.zcard(key(config, source, "requests")):
        log.info("crawl %s: the previous round is still queued, not started again", source)
        return False
    started = str(time.time())
    pipe = client.pipeline()
    # UNLINK: freed in the background; DEL of a filter of millions holds every worker's Redis for seconds.
    pipe.unlink(key(config, source, "dupefilter"))
    pipe.set(key(config, source, "round"), started)  # the workers' crawl reports add up under it
    pipe.rpush(key(config, source, "start"), started)
    pipe.execute()
    log.info("crawl %s: round queued for the workers", source)
    return True


def default_worker_id() -> str:
    return socket.gethostname().split(".")[0] or "worker"


# -- the scheduler's lease --------------------------------------------------------------------
class Lease(Protocol):
    """Held by at most one scheduler at a time; expires unless renewed."""

    holder: str

    def acquire(self) -> bool:
        """Take the lease, or renew it when held; True while this process holds it."""
        ...

    def release(self) -> None: ...


def answer_within(ttl_s: float) -> float:
    """How long a try to take or renew the lease may wait for Redis or the file: a third of the
    lease. The loop tries every third, so a renewal that cannot get through fails (and the
    scheduler pauses) before the lease can run out and a standby take it: never two active."""
    return max(0.2, ttl_s / 3)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Renew only a lease this holder still has (compare and set in one step on the server).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    """The lease as one Redis key with a time to live (``SET NX PX``; renewed by its holder only)."""

    def __init__(self, client: Redis, name: str, ttl_s: float, holder: str | None = None) -> None:
        self.client = client
        self.name = name
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.holder = holder or _holder()

    def acquire(self) -> bool:
        if self.client.set(self.name, self.holder, nx=True, px=self.ttl_ms):
            return True
        return bool(self.client.eval(_RENEW, 1, self.name, self.holder, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.name, self.holder)


class SqliteLease:
    """The lease as a row in the SQLite store's file (schedulers on one machine, no Redis)."""

    def __init__(self, path: str, name: str, ttl_s: float, holder: str | None = None) -> None:
        # A renewal waits for a busy file at most a third of the lease (see answer_within).
        self.db = sqlite3.connect(path, isolation_level=None, timeout=answer_within(ttl_s), check_same_thread=False)
        self.name = name
        self.ttl_s = ttl_s
        self.holder = holder or _holder()
        self._table = False

    def acquire(self) -> bool:
        if not self._table:  # here, not at start: a locked file is then a failed try, retried
            self.db.execute("CREATE TABLE IF NOT EXISTS scheduler_lease "
                            "(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL)")
            self._table = True
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")  # one writer decides at a time
        try:
            row = self.db.execute("SELECT holder, expires FROM scheduler_lease WHERE name = ?", (self.name,)).fetchone()
            if row is not None and row[0] != self.holder and row[1] > now:
                return False
            self.db.execute(
                "INSERT INTO scheduler_lease (name, holder, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires",
                (self.name, self.holder, now + self.ttl_s),
            )
            return True
        finally:
            self.db.execute("COMMIT")

    def release(self) -> None:
        self.db.execute("DELETE FROM scheduler_lease WHERE name = ? AND holder = ?", (self.name, self.holder))


def redis_lease_holder(config: Config) -> tuple[str, float] | None:
    """Who holds the schedulers' lease in Redis now, and for how many more seconds unless renewed;
    None when nobody does. Raises StoreError (one line) when Redis does not answer."""
    from redis.exceptions import RedisError

    name = key(config, "scheduler", "lease")
    client = redis_client(config)
    try:
        pipe = client.pipeline(transaction=True)  # the holder and its time left, read together
        pipe.get(name)
        pipe.pttl(name)
        holder, left_ms = pipe.execute()
    except RedisError as err:
        raise StoreError(redis_problem(config, err)) from None
    finally:
        client.close()
    if holder is None:
        return None
    return holder.decode("utf-8", "replace") if isinstance(holder, bytes) else str(holder), max(0, int(left_ms)) / 1000


def scheduler_lease(config: Config) -> Lease | None:
    """The lease this config's schedulers share: in Redis when ``distributed.redis_url`` is set,
    else in the SQLite store; None on Elasticsearch without Redis (run one scheduler only)."""
    ttl = config.distributed.lease.total_seconds()
    if config.distributed.redis_url:
        # One try a renewal, answered within a third of the lease: redis-py's own retries (10, with
        # backoff) would hold a cut-off scheduler active past its lease.
        return RedisLease(redis_client(config, answer_within(ttl), retries=False), key(config, "scheduler", "lease"), ttl)
    if config.store.backend == "sqlite":
        config.store_path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteLease(str(config.store_path), "scheduler", ttl)
    return None

