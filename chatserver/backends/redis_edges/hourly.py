"""Counts per source and clock hour in Redis (``HourlyCounts``): the link guard's wrong links
and the letter limit's letters, shared by every node.

One key per kind, hour and source: ``P hl:{kind}:{hour}:{source}``, counted with ``INCR``
and given a TTL of two hours in the same ``MULTI`` (the hour it counts, and the one after in
case the nodes' clocks differ a little). ``{source}`` is a pseudonym, never an address.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from chatserver.backends.redis_edges import DEFAULT_PREFIX

KEEP_SECONDS = 2 * 3600


class RedisHourlyCounts:
    def __init__(self, client: aioredis.Redis, kind: str, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._base = f"{prefix}hl:{kind}:"

    def _key(self, hour: int, source: str) -> str:
        return f"{self._base}{hour}:{source}"

    async def get(self, hour: int, source: str) -> int:
        found = await self._redis.get(self._key(hour, source))
        return int(found or 0)

    async def add(self, hour: int, source: str) -> None:
        key = self._key(hour, source)
        async with self._redis.pipeline(transaction=True) as steps:
            steps.incr(key)
            steps.expire(key, KEEP_SECONDS)
            await steps.execute()
