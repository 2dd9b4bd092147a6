"""The login lockout in Redis (``Throttle``): failures counted on one node lock on every node.

Same rules as ``accounts/throttle.py``'s ``LoginThrottle`` (its docstring says why each one),
with the state in Redis so an attacker gets one budget, not one per node:

* ``P lt:f:{source}:{username}``, a hash ``count``, ``locked`` (until), ``last``: failures of
  a name from one source. Counted by one script (``FAILED``) that also sets the growing lock,
  so two nodes counting at once lose nothing. TTL ``FORGET_AFTER`` (a day).
* ``P lt:s:{source}``, a hash ``spent``, ``at``: the source's leaky bucket over all names,
  drained and counted in the same script. TTL: until it has drained.
* ``P lt:t:{account}``: the last TOTP time step used, raised only by a script (``FRESH``), so
  a code used on one node is refused on every other. TTL one hour: a step older than the
  code window (``TOTP_WINDOW`` steps of 30 s) fails the code check anyway.

``{source}`` is a pseudonym and ``{username}`` what was typed, lower-cased; no address.
"""

from __future__ import annotations

import math

import redis.asyncio as aioredis

from chatserver.accounts.throttle import LoginThrottle
from chatserver.backends.redis_edges import DEFAULT_PREFIX, ttl_ms
from chatserver.errors import Locked

STEP_KEEP_SECONDS = 3600.0

FAILED = """
local now, free = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, maxlock = tonumber(ARGV[3]), tonumber(ARGV[4])
local refill, forget = tonumber(ARGV[5]), tonumber(ARGV[6])
local pair = redis.call('HMGET', KEYS[1], 'count', 'locked', 'last')
local count, locked, last = tonumber(pair[1]) or 0, tonumber(pair[2]) or 0, tonumber(pair[3]) or 0
if count > 0 and now - last > forget then count, locked = 0, 0 end
count = count + 1
if count >= free then locked = now + math.min(first * 2 ^ (count - free), maxlock) end
redis.call('HSET', KEYS[1], 'count', count, 'locked', string.format('%.6f', locked),
           'last', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.floor(forget * 1000) + 1000)
local budget = redis.call('HMGET', KEYS[2], 'spent', 'at')
local spent, at = tonumber(budget[1]) or 0, tonumber(budget[2]) or now
spent = math.max(0, spent - (now - at) / refill) + 1
redis.call('HSET', KEYS[2], 'spent', string.format('%.6f', spent), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[2], math.floor(spent * refill * 1000) + 1000)
return count
"""

FRESH = """
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


class RedisThrottle:
    """``LoginThrottle``'s limits (the same class constants), shared through Redis."""

    FREE = LoginThrottle.FREE
    FIRST_LOCK = LoginThrottle.FIRST_LOCK
    MAX_LOCK = LoginThrottle.MAX_LOCK
    SOURCE_FREE = LoginThrottle.SOURCE_FREE
    SOURCE_REFILL = LoginThrottle.SOURCE_REFILL
    FORGET_AFTER = LoginThrottle.FORGET_AFTER

    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix
        self._failed = client.register_script(FAILED)
        self._fresh = client.register_script(FRESH)

    def _pair(self, username: str, source: str) -> str:
        return f"{self._prefix}lt:f:{source}:{username}"

    def _source(self, source: str) -> str:
        return f"{self._prefix}lt:s:{source}"

    async def check(self, username: str, source: str, now: float) -> None:
        """Raise ``Locked`` while the name is locked for this source or the source has no
        failures left. Two reads of two keys: a failure counted between them only makes the
        next check stricter."""
        async with self._redis.pipeline(transaction=False) as reads:
            reads.hmget(self._pair(username, source), "locked", "last")
            reads.hmget(self._source(source), "spent", "at")
            (locked, last), (spent, at) = await reads.execute()
        pair_wait = 0.0
        if locked is not None and now - float(last or 0) <= self.FORGET_AFTER:
            pair_wait = float(locked) - now
        source_wait = 0.0
        if spent is not None:
            drained = max(0.0, float(spent) - (now - float(at or now)) / self.SOURCE_REFILL)
            if drained > 0:
                source_wait = (drained - self.SOURCE_FREE + 1) * self.SOURCE_REFILL
        wait = max(pair_wait, source_wait)
        if wait > 0:
            seconds = math.ceil(wait)
            raise Locked(f"Too many failed attempts. Try again in {seconds} s.",
                         retry_after=seconds)  # fmt: skip

    async def failed(self, username: str, source: str, now: float) -> None:
        await self._failed(
            keys=[self._pair(username, source), self._source(source)],
            args=[now, self.FREE, self.FIRST_LOCK, self.MAX_LOCK, self.SOURCE_REFILL,
                  self.FORGET_AFTER],
        )  # fmt: skip

    async def succeeded(self, username: str, source: str) -> None:
        await self._redis.delete(self._pair(username, source))

    async def fresh_step(self, account_id: str, step: int) -> bool:
        fresh = await self._fresh(
            keys=[f"{self._prefix}lt:t:{account_id}"], args=[step, ttl_ms(STEP_KEEP_SECONDS)]
        )
        return bool(fresh)
