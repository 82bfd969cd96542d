"""Budget counters shared by every worker in Redis (YouTube's daily quota, a sitemap's pages a round),
through an outage of Redis.

Each counter (``<prefix>:<name>``) is checked and added to in one step on the server (a Lua script),
so N workers together spend at most the budget. A Redis that stalls would hold every call for its
answer timeout (5 s with ``sadap worker``), and YouTube makes one call per API request: a crawl of a
few hundred requests would stand still for minutes. So the first call that gets no answer (or no
connection) is the outage's one wait and one line (:class:`crawlers.redis_errors.Outage`, shared
with the crawl state); from then on this worker counts on its own, from the count Redis last gave
it, and does not call Redis until a ``PING``, sent from a thread every ``SADAP_REDIS_RETRY``
seconds, answers. The next call then adds what was counted here meanwhile to the shared counters
(one line), and counting is shared again.

So the budgets still add up: each call also notes, under ``<counter>:applied:<worker>``, that it was
applied; the call in hand when Redis stalled, which Redis may still have applied when it woke, is
added again only if it was not.

During the outage each worker knows only its own spending. So that N workers do not each spend
what was left, every call also notes its worker in ``<prefix>:workers`` (a sorted set, by the
server's clock) and learns how many spent from the source's budgets in the last :data:`LIVE_S`
seconds; during an outage each spends at most ``(limit - the count it last read) // N``. Together
they stay within the budget unless more workers spend than Redis last counted (a worker that had
not spent for :data:`LIVE_S`), or a worker's last read is older than the others' spending.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from crawlers.redis_errors import Outage, outage_errors

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

#: What a worker does while Redis is out (the end of the outage's one line).
ALONE = ("budgets (YouTube's quota, a sitemap's pages) are counted by this worker alone until it answers, from the "
         "last count it read, each worker spending at most its share of what was left, and the crawl state is "
         "shared when it is back")

#: How long a day's budget counter is kept in Redis (a day in any time zone, and then some).
COUNTER_KEPT_S = 3 * 24 * 3600

#: A worker that spent from a source's budgets within this many seconds counts as one of those
#: spending them (:attr:`SharedCounters.workers`, what each may spend alone during an outage).
LIVE_S = 600

# KEYS[3] the workers that spend the source's budgets (score: when each last did, the server's clock);
# ARGV[6] this worker, ARGV[7] LIVE_S. How many there are now, this one included.
_NOTE_WORKER = """
local now = redis.call('time')
now = tonumber(now[1])
redis.call('zadd', KEYS[3], now, ARGV[6])
redis.call('zremrangebyscore', KEYS[3], '-inf', now - tonumber(ARGV[7]))
redis.call('expire', KEYS[3], tonumber(ARGV[7]))
local workers = redis.call('zcard', KEYS[3])
"""

# Check and add in one step: KEYS[1] the counter, KEYS[2] where this worker notes the last call applied
# (``<token>:<units>``); ARGV cost, limit, seconds kept, the count to start from when the counter does not
# exist yet (a count carried over from a file), the call's token. {taken, the count now, workers}.
_TAKE = _NOTE_WORKER + """
local used = tonumber(redis.call('get', KEYS[1]) or '-1')
if used < 0 then
  used = tonumber(ARGV[4])
  redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
end
local cost, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
if used + cost > limit then
  return {0, used, workers}
end
used = used + cost
redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
redis.call('set', KEYS[2], ARGV[5] .. ':' .. cost, 'EX', tonumber(ARGV[3]))
return {1, used, workers}
"""

# As much of ARGV[1] as is left under the limit ARGV[2] (possibly nothing), taken in one step; KEYS[2]
# and ARGV[5] (the token) as above, ARGV[4] unused. {granted, the count now, workers}.
_TAKE_UP_TO = _NOTE_WORKER + """
local used = tonumber(redis.call('get', KEYS[1]) or '0')
local grant = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used))
if grant > 0 then
  used = used + grant
  redis.call('set', KEYS[1], used, 'EX', tonumber(ARGV[3]))
  redis.call('set', KEYS[2], ARGV[5] .. ':' .. grant, 'EX', tonumber(ARGV[3]))
end
return {grant, used, workers}
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

    def __init__(self, client: Redis, prefix: str, retry_s: float = 5.0, timeout_s: float | None = None,
                 outage: Outage | None = None) -> None:
        self.client = client
        self.prefix = prefix
        self.worker = uuid.uuid4().hex[:16]
        #: Shared with the crawl state these budgets belong to (crawlers/state.py), when there is one.
        self.outage = outage or Outage(prefix, client, logger, ALONE, retry_s, timeout_s)
        #: Per counter: the count Redis last gave, the units counted here during the outage, and where a
        #: counter that Redis did not have yet starts.
        self.seen: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.starts: dict[str, int] = {}
        #: Per counter, the token of the call in hand when Redis stopped answering (Redis may apply it on waking).
        self.unsure: dict[str, str] = {}
        #: How many workers spent from these budgets lately, as Redis last said (this one included).
        self.workers = 1

    def _keys(self, name: str) -> tuple[str, str, str]:
        counter = f"{self.prefix}:{name}"
        return counter, f"{counter}:applied:{self.worker}", f"{self.prefix}:workers"

    def _call(self, script: str, name: str, *args: int | str) -> tuple[int, int] | None:
        """``script`` on counter ``name`` in Redis: (its first answer, the count now); None while Redis is out."""
        if not self._shared(int(args[2])):
            return None
        token = uuid.uuid4().hex
        try:
            first, used, workers = self.client.eval(script, 3, *self._keys(name), *args, token, self.worker, LIVE_S)
        except outage_errors() as err:
            self.outage.failed(err)
            self.unsure[name] = token
            return None
        self.outage.answered()
        self.seen[name], self.workers = int(used), max(1, int(workers))
        return int(first), int(used)

    def _alone(self, name: str, limit: int) -> tuple[int, int]:
        """During an outage: (the count as this worker knows it, the most it may reach). Each of the
        workers last seen spending takes at most its share of what was left: ``(limit - count) / N``."""
        seen = self.seen.get(name, self.starts.get(name, 0))
        return seen + self.pending.get(name, 0), seen + max(0, limit - seen) // self.workers

    def take(self, name: str, cost: int, limit: int, kept_s: int = COUNTER_KEPT_S, start: int = 0) -> tuple[bool, int]:
        """Take ``cost`` from counter ``name`` unless it would pass ``limit``: ``(taken, the count now)``.
        ``start``: where a counter that does not exist yet begins."""
        self.starts.setdefault(name, start)
        answer = self._call(_TAKE, name, cost, limit, kept_s, start)
        if answer is not None:
            return bool(answer[0]), answer[1]
        used, most = self._alone(name, limit)
        if used + cost > most:
            return False, used
        self.pending[name] = self.pending.get(name, 0) + cost
        return True, used + cost

    def take_up_to(self, name: str, wanted: int, limit: int, kept_s: int = COUNTER_KEPT_S) -> int:
        """As many of ``wanted`` units of counter ``name`` as are left under ``limit``."""
        answer = self._call(_TAKE_UP_TO, name, wanted, limit, kept_s, "")
        if answer is not None:
            return answer[0]
        used, most = self._alone(name, limit)
        grant = max(0, min(wanted, most - used))
        self.pending[name] = self.pending.get(name, 0) + grant
        return grant

    # -- the outage -----------------------------------------------------------------------------
    def flush(self) -> bool:
        """Add what was counted here during an outage, if Redis answers: whether it does."""
        return self._shared(COUNTER_KEPT_S)

    def _shared(self, kept_s: int) -> bool:
        """Whether to call Redis now: yes unless it is out; then only once the PING has answered, the
        counts of the outage added first."""
        if not self.outage.usable():
            return False
        if not (self.pending or self.unsure):
            return True
        try:
            added = self._add_pending(kept_s)
        except outage_errors() as err:  # out again at once: the same outage, no second line
            self.outage.failed(err)
            return False
        what = f"{added} units counted by this worker meanwhile are added to the shared budgets"
        if self.outage.since is None:  # the crawl state got through first and said Redis is back
            logger.info("%s: %s", self.prefix, what)
        self.outage.answered(what)
        return True

    def _add_pending(self, kept_s: int) -> int:
        added = 0
        for name in sorted(set(self.pending) | set(self.unsure)):
            units = self.pending.get(name, 0)
            self.seen[name] = int(self.client.eval(_ADD, 2, *self._keys(name)[:2], units, kept_s,
                                                   self.starts.get(name, 0), self.unsure.get(name, "")))
            self.pending.pop(name, None)
            self.unsure.pop(name, None)
            added += units
        return added
