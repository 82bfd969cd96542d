"""Budget counters shared by every worker in Redis (YouTube's daily quota, a sitemap's pages a round),
through an outage of Redis.

Each counter (``<prefix>:<name>``) is checked and added to in one step on the server (a Lua script),
so N workers together spend at most the budget. A Redis that stalls would hold every call for its
answer timeout (5 s with ``sadap worker``), and YouTube makes one call per API request: a crawl of a
few hundred requests would stand still for minutes. So the first call that gets no answer (or no
connection) is the outage's one wait and one line; from then on this worker counts on its own,
from the count Redis last gave it, and does not call Redis until a ``PING``, sent from a thread
every ``SADAP_REDIS_RETRY`` seconds, answers. The next call then adds what was counted here
meanwhile to the shared counters (one line), and counting is shared again.

So the budgets still add up: each call also notes, under ``<counter>:applied:<worker>``, that it was
applied; the call in hand when Redis stalled, which Redis may still have applied when it woke, is
added again only if it was not. During the outage each worker knows only its own spending: N
workers may together pass a budget by what the others spent meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from crawlers.redis_errors import outage_errors, outage_reason

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

#: How long a day's budget counter is kept in Redis (a day in any time zone, and then some).
COUNTER_KEPT_S = 3 * 24 * 3600

# Check and add in one step: KEYS[1] the counter, KEYS[2] where this worker notes the last call applied
# (``<token>:<units>``); ARGV cost, limit, seconds kept, the count to start from when the counter does not
# exist yet (a count carried over from a file), the call's token. {taken, the count now}.
_TAKE = """
local used = tonumber(redis.call('get', KEYS[1]) or '-1')
if used < 0 then
  used = tonumber(ARGV[4])
  redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
end
local cost, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if used + cost > limit then
  return {0, used}
end
used = used + cost
redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
redis.call('set', KEYS[2], ARGV[5] .. ':' .. cost, 'EX', tonumber(ARGV[3]))
return {1, used}
"""

# As much of ARGV[1] as is left under the limit ARGV[2] (possibly nothing), taken in one step; KEYS[2]
# and ARGV[4] as above. {granted, the count now}.
_TAKE_UP_TO = """
local used = tonumber(redis.call('get', KEYS[1]) or '0')
local grant = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used))
if grant > 0 then
  used = used + grant
  redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
  redis.call('set', KEYS[2], ARGV[4] .. ':' .. grant, 'EX', tonumber(ARGV[3]))
end
return {grant, used}
"""

# What a worker counted during an outage, added whatever the limit (it was spent): KEYS[1] the counter,
# KEYS[2] its last call noted; ARGV units, seconds kept, the count to start from, and the token of the
# call in hand when Redis stalled: what Redis applied for it when it woke is taken off (the worker
# counted that call itself).
_ADD = """
local units = tonumber(ARGV[1])
local noted = redis.call('get', KEYS[2])
if ARGV[4] ~= '' and noted and string.sub(noted, 1, #ARGV[4] + 1) == ARGV[4] .. ':' then
  units = units - tonumber(string.sub(noted, #ARGV[4] + 2))
end
local used = math.max(0, tonumber(redis.call('get', KEYS[1]) or ARGV[3]) + units)
redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[2]))
return used
"""


class SharedCounters:
    """The budget counters under one prefix (``<prefix>:<source>:counter``), for one worker."""

    def __init__(self, client: Redis, prefix: str, retry_s: float = 5.0, timeout_s: float | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self.worker = uuid.uuid4().hex[:16]
        self.out_since: float | None = None
        self._answers = threading.Event()  # set by the PING thread
        #: Per counter: the count Redis last gave, the units counted here during the outage, and where a
        #: counter that Redis did not have yet starts.
        self.seen: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.starts: dict[str, int] = {}
        #: Per counter, the token of the call in hand when Redis stopped answering (Redis may apply it on waking).
        self.unsure: dict[str, str] = {}

    def _keys(self, name: str) -> tuple[str, str]:
        counter = f"{self.prefix}:{name}"
        return counter, f"{counter}:applied:{self.worker}"

    def take(self, name: str, cost: int, limit: int, kept_s: int = COUNTER_KEPT_S, start: int = 0) -> tuple[bool, int]:
        """Take ``cost`` from counter ``name`` unless it would pass ``limit``: ``(taken, the count now)``.
        ``start``: where a counter that does not exist yet begins."""
        self.starts.setdefault(name, start)
        if self._shared(kept_s):
            token = uuid.uuid4().hex
            try:
                taken, used = self.client.eval(_TAKE, 2, *self._keys(name), cost, limit, kept_s, start, token)
            except outage_errors() as err:
                self._failed(err)
                self.unsure[name] = token
            else:
                self.seen[name] = int(used)
                return bool(taken), int(used)
        used = self.seen.get(name, start) + self.pending.get(name, 0)
        if used + cost > limit:
            return False, used
        self.pending[name] = self.pending.get(name, 0) + cost
        return True, used + cost

    def take_up_to(self, name: str, wanted: int, limit: int, kept_s: int = COUNTER_KEPT_S) -> int:
        """As many of ``wanted`` units of counter ``name`` as are left under ``limit``."""
        if self._shared(kept_s):
            token = uuid.uuid4().hex
            try:
                grant, used = self.client.eval(_TAKE_UP_TO, 2, *self._keys(name), wanted, limit, kept_s, token)
            except outage_errors() as err:
                self._failed(err)
                self.unsure[name] = token
            else:
                self.seen[name] = int(used)
                return int(grant)
        grant = max(0, min(wanted, limit - self.seen.get(name, 0) - self.pending.get(name, 0)))
        self.pending[name] = self.pending.get(name, 0) + grant
        return grant

    # -- the outage -----------------------------------------------------------------------------
    def _shared(self, kept_s: int) -> bool:
        """Whether to call Redis now: yes unless it is out; then only once the PING has answered, the
        counts of the outage added first."""
        if self.out_since is None:
            return True
        if not self._answers.is_set():
            return False
        try:
            added = self._add_pending(kept_s)
        except outage_errors():  # out again at once: the same outage, no second line
            self._watch()
            return False
        logger.info("%s: Redis answers again after %.0f s; %d units counted by this worker meanwhile are added to "
                    "the shared budgets", self.prefix, time.monotonic() - self.out_since, added)
        self.out_since = None
        return True

    def _add_pending(self, kept_s: int) -> int:
        added = 0
        for name in sorted(set(self.pending) | set(self.unsure)):
            units = self.pending.get(name, 0)
            self.seen[name] = int(self.client.eval(_ADD, 2, *self._keys(name), units, kept_s, self.starts.get(name, 0),
                                                   self.unsure.get(name, "")))
            self.pending.pop(name, None)
            self.unsure.pop(name, None)
            added += units
        return added

    def _failed(self, err: Exception) -> None:
        if self.out_since is not None:
            return
        self.out_since = time.monotonic()
        logger.error("%s: Redis unreachable (%s); budgets (YouTube's quota, a sitemap's pages) are counted by this "
                     "worker alone until it answers, from the last count it read (trying again every %g s)",
                     self.prefix, outage_reason(err, self.timeout_s), self.retry_s)
        self._watch()

    def _watch(self) -> None:
        self._answers.clear()
        threading.Thread(target=self._ping_until_it_answers, name="sadap-counters-ping", daemon=True).start()

    def _ping_until_it_answers(self) -> None:
        while True:
            time.sleep(self.retry_s)
            try:
                self.client.ping()
            except outage_errors():
                continue
            self._answers.set()
            return
