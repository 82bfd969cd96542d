"""A small JSON state per source, so re-crawls fetch only what is new.

Where it lives:

- On one machine, a file: the ``SADAP_STATE_DIR`` setting (``sadap crawl`` and ``sadap run`` set it
  to ``<data_dir>/crawl-state``), or ``-a state_dir=...`` when a spider runs alone. One file per
  source: ``<state_dir>/<kind>-<source>.json``, written when the spider closes, atomically; an
  unreadable one is logged and the crawl starts afresh. Without either, a spider crawls everything
  each time (duplicates are still dropped by the store).
- On several machines, one Redis key per source (the ``SADAP_REDIS_STATE_KEY`` setting, which
  ``sadap worker`` sets to ``<prefix>:<source>:state``), shared by every worker: what one worker
  saw in a round, the next round knows whichever worker runs it. Each worker keeps a copy while it
  crawls and, when it goes idle at the end of a round, merges *its own changes* into the shared
  value (:func:`merge`: the keys it set or removed since it last read it, in one optimistic
  transaction), so two workers updating different topics, videos or posts both keep theirs; where
  both changed the same value, the later one wins. While Redis has no state for a source yet, the
  file of a crawl on one machine (``SADAP_STATE_DIR``, which ``sadap worker`` points at
  ``<data_dir>/crawl-state``) is taken as its start.

Budgets (:meth:`SourceState.spend`), such as YouTube's daily quota, are not part of that merge,
where two workers' counts would overwrite each other: in a file they are a ``{"day", "used"}``
object of the state; in Redis one counter per budget and day (``<prefix>:<source>:counter:<name>:<day>``,
the ``SADAP_REDIS_COUNTER_KEY`` setting), checked and added to in one step on the server
(``INCRBY`` in a Lua script) by every worker, and expired a few days later. So N workers together
spend at most the budget, not N times it. While Redis does not answer, a worker counts on its own
(its share of what was left) and adds what it counted when Redis is back (:mod:`crawlers.counters`).
The state shares that outage (one wait and one line for both): its read, sync and save are skipped
until a PING answers, and the changes made meanwhile are merged at the next sync.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawlers.counters import COUNTER_KEPT_S, SharedCounters
from crawlers.redis_errors import outage_errors

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

_MISSING: Any = object()


class SourceState:
    """A JSON object kept between crawls of one source (``data``), saved with :meth:`save`."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                logger.warning("%s: crawl state unreadable (%s); crawling everything again", path, err)
            else:
                if isinstance(loaded, dict):
                    self.data = loaded
                else:
                    logger.warning("%s: crawl state is not a JSON object; crawling everything again", path)

    @classmethod
    def for_source(cls, state_dir: str | os.PathLike[str] | None, kind: str, source: str) -> SourceState:
        if not state_dir:
            return cls(None)
        safe = re.sub(r"[^A-Za-z0-9_\-]", "_", source)
        return cls(Path(state_dir) / f"{kind}-{safe}.json")

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def sync(self) -> None:
        """Share this copy's changes and take the others' (several machines); a file has no others."""

    #: True where other processes share this state (Redis): budgets and round counts go through it.
    shared = False

    def spend(self, budget: str, day: str, cost: int, limit: int) -> tuple[bool, int]:
        """Take ``cost`` units of ``budget`` for ``day`` unless that would pass ``limit``:
        ``(taken, units used that day)``. A new day starts from zero."""
        counted = self.data.get(budget)
        if not isinstance(counted, dict) or counted.get("day") != day:
            counted = self.data[budget] = {"day": day, "used": 0}
        used = int(counted.get("used") or 0)
        if used + cost > limit:
            return False, used
        counted["used"] = used + cost
        return True, used + cost


def merge(theirs: Any, base: Any, mine: Any) -> Any:
    """``theirs`` with the changes that turned ``base`` into ``mine`` applied: keys added, changed or
    removed in ``mine`` (at any depth of nested objects) win; everything else stays as ``theirs``."""
    if mine == base:
        return theirs
    if isinstance(mine, dict) and isinstance(theirs, dict):
        before = base if isinstance(base, dict) else {}
        out = dict(theirs)
        for key in set(before) | set(mine):
            now = mine.get(key, _MISSING)
            was = before.get(key, _MISSING)
            if now is _MISSING:
                out.pop(key, None)  # removed here
            elif was is not _MISSING and now == was:
                continue  # not changed here: theirs (or its removal) stands
            elif key in theirs:
                out[key] = merge(theirs[key], was, now)
            else:
                out[key] = now
        return out
    return mine


class RedisState(SourceState):
    """The state as one JSON value in Redis, shared by every worker (see the module docstring)."""

    shared = True

    def __init__(self, client: Redis, key: str, seed: SourceState | None = None, counters: str | None = None,
                 retry_s: float = 5.0, timeout_s: float | None = None) -> None:
        super().__init__(None)
        self.client = client
        self.key = key
        #: Prefix of the budget counters (``<prefix>:<source>:counter``).
        self.counters = counters or f"{key}:counter"
        #: The budgets themselves, counted by this worker alone while Redis does not answer (crawlers/counters.py).
        self.budgets = SharedCounters(client, self.counters, retry_s, timeout_s)
        #: One outage for the state and its budgets: one wait and one line, then no call until a PING answers.
        self.outage = self.budgets.outage
        self._base: dict[str, Any] = {}
        try:
            self._read()
            fresh = seed is not None and bool(seed.data) and not self.client.exists(self.key)
        except outage_errors() as err:
            # Not read: this worker starts from the file (or nothing), and shares only its own changes
            # to it when Redis is back (sync merges them onto whatever Redis holds then).
            self.outage.failed(err)
            self.data = copy.deepcopy(seed.data) if seed is not None else {}
            self._base = copy.deepcopy(self.data)
            return
        if fresh:
            assert seed is not None
            # Moving from one machine to several: the state file carries on (written at the next sync).
            self.data = copy.deepcopy(seed.data)
            logger.info("%s: crawl state taken from %s", self.key, seed.path)

    @classmethod
    def from_settings(cls, settings: Any, key: str, seed: SourceState | None = None) -> RedisState:
        # scrapy-redis's connection helper: REDIS_URL and REDIS_PARAMS (password from the environment).
        from scrapy_redis.connection import get_redis_from_settings

        timeout = settings.getdict("REDIS_PARAMS").get("socket_timeout")
        return cls(get_redis_from_settings(settings), key, seed, settings.get("SADAP_REDIS_COUNTER_KEY"),
                   settings.getfloat("SADAP_REDIS_RETRY", 5.0),
                   float(timeout) if isinstance(timeout, (int, float)) else None)

    def take(self, name: str, cost: int, limit: int, kept_s: int = COUNTER_KEPT_S, start: int = 0) -> tuple[bool, int]:
        """Take ``cost`` from the counter ``name`` (shared by every worker) unless it would pass
        ``limit``, in one step on the server: ``(taken, the count now)``. ``start``: where a counter
        that does not exist yet begins. While Redis does not answer, counted by this worker alone."""
        return self.budgets.take(name, cost, limit, kept_s, start)

    def take_up_to(self, name: str, wanted: int, limit: int, kept_s: int = COUNTER_KEPT_S) -> int:
        """As many of ``wanted`` units of the counter ``name`` as are left under ``limit`` (every
        worker takes from the same counter, in one step on the server)."""
        return self.budgets.take_up_to(name, wanted, limit, kept_s)

    def spend(self, budget: str, day: str, cost: int, limit: int) -> tuple[bool, int]:
        start = 0
        counted = self.data.get(budget)
        if isinstance(counted, dict):
            # A count kept in the state itself (a file from one machine, or an earlier version): today's
            # carries on in the counter; from now on the count lives only there.
            if counted.get("day") == day:
                start = int(counted.get("used") or 0)
            self.data.pop(budget, None)
        return self.take(f"{budget}:{day}", cost, limit, start=start)

    @staticmethod
    def _parse(raw: bytes | str | None, key: str) -> dict[str, Any]:
        if raw is None:
            return {}
        try:
            loaded = json.loads(raw)
        except ValueError as err:
            logger.warning("%s: crawl state unreadable (%s); crawling everything again", key, err)
            return {}
        if not isinstance(loaded, dict):
            logger.warning("%s: crawl state is not a JSON object; crawling everything again", key)
            return {}
        return loaded

    def _read(self) -> None:
        self.data = self._parse(self.client.get(self.key), self.key)
        self._base = copy.deepcopy(self.data)

    def sync(self) -> None:
        self._shared()

    def _shared(self) -> bool:
        """Share this copy's changes and take the others': False while Redis is out (the changes are
        kept and shared at a later sync), at most one wait per outage."""
        if not (self.outage.usable() and self.budgets.flush()):
            return False
        try:
            self._sync()
        except outage_errors() as err:
            self.outage.failed(err)
            return False
        self.outage.answered("the crawl state is shared by the workers again")
        return True

    def _sync(self) -> None:
        if self.data == self._base:
            self._read()
            return
        from redis.exceptions import WatchError

        for _ in range(50):
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(self.key)  # type: ignore[no-untyped-call]
                    theirs = self._parse(pipe.get(self.key), self.key)
                    merged = merge(theirs, self._base, self.data)
                    pipe.multi()
                    pipe.set(self.key, json.dumps(merged, ensure_ascii=False, sort_keys=True))
                    pipe.execute()
                except WatchError:
                    continue  # another worker wrote in between: merge again onto its value
            self.data = merged
            self._base = copy.deepcopy(merged)
            return
        logger.warning("%s: crawl state not saved (other workers kept writing); this round's marks are lost", self.key)

    def save(self) -> None:
        if not self._shared():  # a worker stopping during an outage of Redis: no second wait
            logger.warning("%s: crawl state not saved, Redis unreachable; the next round starts from the last "
                           "state saved", self.key)
