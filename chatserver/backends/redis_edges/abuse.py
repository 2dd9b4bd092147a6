"""The abuse limits in Redis (``SourceGuard``): a block or a rate holds on every node.

Same rules as ``privacy/abuse.py``'s ``AbuseGuard`` (its docstring says why), the state in
Redis. ``{source}`` is a pseudonym; ``{epoch}`` names the pseudonym key in use (its period and
the key), so what belongs to one key lapses with it, as in memory:

* ``P ab:cb:{conversation}``, ``P ab:sb:{epoch}:{source}``: token buckets (hash ``tokens``,
  ``at``) of a conversation and of a source. ``CHECK_MESSAGE`` refills both and takes one
  from each, or neither, in one script. TTL: until the bucket would be full again.
* ``P ab:open:{source}``: the source's open conversations (a set). TTL a day, renewed at each
  start: a node that died before a chat's end was counted cannot hold a source down for ever.
* ``P ab:of:{conversation}``: ``{epoch}|{source}``, who started it, so a volunteer can block
  them after the chat (within the key period). TTL one key period.
* ``P ab:blk:{epoch}``: the blocked sources of the period (a set). TTL one key period.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from chatserver.backends.redis_edges import DEFAULT_PREFIX, ttl_ms
from chatserver.clock import Clock
from chatserver.errors import Blocked, ConnectionCrowded, RateLimited
from chatserver.privacy.abuse import Limits
from chatserver.privacy.pseudonyms import PseudonymKey

OPEN_KEEP_SECONDS = 24 * 3600.0

CHECK_MESSAGE = """
local now, burst1, per_minute = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local share = math.max(tonumber(ARGV[4]), redis.call('SCARD', KEYS[3]))
local function refill(key, size)
  local burst, rate = burst1 * size, per_minute * size / 60.0
  local held = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(held[1]), tonumber(held[2])
  if tokens == nil then tokens, at = burst, now end
  return math.min(burst, tokens + math.max(0, now - at) * rate), burst, rate
end
local function keep(key, tokens, burst, rate)
  redis.call('HSET', key, 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
  redis.call('PEXPIRE', key, math.floor((burst - tokens) / rate * 1000) + 1000)
end
local ct, cb, cr = refill(KEYS[1], 1)
local st, sb, sr = refill(KEYS[2], share)
local allowed = ct >= 1 and st >= 1
if allowed then ct, st = ct - 1, st - 1 end
keep(KEYS[1], ct, cb, cr)
keep(KEYS[2], st, sb, sr)
if allowed then return 1 end
return 0
"""


class RedisAbuseGuard:
    def __init__(
        self,
        client: aioredis.Redis,
        clock: Clock,
        pseudonyms: PseudonymKey,
        limits: Limits | None = None,
        prefix: str = DEFAULT_PREFIX,
        period_seconds: float = 86400.0,
    ) -> None:
        self._redis = client
        self.clock = clock
        self._pseudonyms = pseudonyms
        self.limits = limits or Limits()
        self._p = f"{prefix}ab:"
        self._period = period_seconds
        self._check_message = client.register_script(CHECK_MESSAGE)

    @property
    def pseudonyms(self) -> PseudonymKey:
        return self._pseudonyms

    def _open(self, source: str) -> str:
        return f"{self._p}open:{source}"

    def _blocked(self) -> str:
        return f"{self._p}blk:{self._pseudonyms.epoch}"

    async def check_message(self, conversation_id: str, source: str) -> None:
        epoch = self._pseudonyms.epoch
        allowed = await self._check_message(
            keys=[f"{self._p}cb:{conversation_id}", f"{self._p}sb:{epoch}:{source}",
                  self._open(source)],
            args=[self.clock.now(), self.limits.burst, self.limits.messages_per_minute,
                  self.limits.conversations_per_source],
        )  # fmt: skip
        if not allowed:
            raise RateLimited("You are sending messages very fast; wait a moment.")

    async def check_start(self, source: str) -> int:
        async with self._redis.pipeline(transaction=False) as reads:
            reads.sismember(self._blocked(), source)
            reads.scard(self._open(source))
            blocked, open_now = await reads.execute()
        if blocked:
            raise Blocked()
        if open_now >= self.limits.conversations_ceiling:
            raise ConnectionCrowded()
        with_this = int(open_now) + 1
        return with_this if with_this > self.limits.conversations_per_source else 0

    async def started(self, source: str, conversation_id: str) -> None:
        epoch = self._pseudonyms.epoch
        async with self._redis.pipeline(transaction=True) as steps:
            steps.sadd(self._open(source), conversation_id)
            steps.pexpire(self._open(source), ttl_ms(OPEN_KEEP_SECONDS))
            steps.set(f"{self._p}of:{conversation_id}", f"{epoch}|{source}",
                      px=ttl_ms(self._period))  # fmt: skip
            await steps.execute()

    async def _started_by(self, conversation_id: str) -> str | None:
        """``{epoch}|{source}`` of whoever started the conversation, if still known."""
        found = await self._redis.get(f"{self._p}of:{conversation_id}")
        return None if found is None else str(found)

    async def finished(self, conversation_id: str) -> None:
        """No longer counted; its bucket goes (the source's stays). Who started it is kept
        for the rest of the period, so the volunteer can still block them."""
        started_by = await self._started_by(conversation_id)
        async with self._redis.pipeline(transaction=True) as steps:
            steps.delete(f"{self._p}cb:{conversation_id}")
            if started_by:
                steps.srem(self._open(started_by.split("|", 1)[1]), conversation_id)
            await steps.execute()

    async def block_conversation(self, conversation_id: str) -> bool:
        started_by = await self._started_by(conversation_id)
        if not started_by:
            return False
        epoch, source = started_by.split("|", 1)
        if epoch != self._pseudonyms.epoch:
            return False  # the key was replaced since: that pseudonym is nobody now
        async with self._redis.pipeline(transaction=True) as steps:
            steps.sadd(self._blocked(), source)
            steps.pexpire(self._blocked(), ttl_ms(self._period))
            await steps.execute()
        return True

    async def is_blocked(self, source: str) -> bool:
        return bool(await self._redis.sismember(self._blocked(), source))
