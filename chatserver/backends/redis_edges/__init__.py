"""The edges' shared state in Redis: what every node must agree on to act as one server.

Issue 13, item 5: a limit or a block holds whichever node a request reaches. Each module here
is the Redis twin of an in-memory object behind the same protocol:

* ``pseudonyms.py``: ``PseudonymKey`` (memory: ``privacy.pseudonyms.Pseudonyms``). No key at
  all, only the pub/sub channel ``P pseudonym-key``.
* ``abuse.py``: ``SourceGuard`` (``privacy.abuse.AbuseGuard``). ``P ab:cb:{conversation}``,
  ``P ab:sb:{epoch}:{source}``, ``P ab:open:{source}``, ``P ab:of:{conversation}``,
  ``P ab:blk:{epoch}``.
* ``throttle.py``: ``Throttle`` (``accounts.throttle.LoginThrottle``).
  ``P lt:f:{source}:{username}``, ``P lt:s:{source}``, ``P lt:t:{account}``.
* ``enrolments.py``: ``EnrolmentBook`` (``accounts.enrolments.Enrolments``).
  ``P en:t:{sha256(token)}``, ``P en:a:{account}``.
* ``hourly.py``: ``HourlyCounts`` (``privacy.hourly_limit.MemoryHourlyCounts``).
  ``P hl:{kind}:{hour}:{source}``.

``P`` is the key prefix, default ``chat:`` (each class takes ``prefix``).

``build.redis_edges`` makes them all for one node (``chatserver.edges.Edges``).

Rules every module keeps:

* Atomic across nodes without a lock: one command, a ``MULTI`` of commands on one key, or a
  small Lua script per check-and-count. Redis runs each one whole.
* Every key has a TTL, so memory stays bounded whatever sources and names an attacker
  invents. Decisions are taken on the caller's clock (``now`` stored in the values), so a
  test's manual clock and production agree; the TTL only lets Redis forget what can no
  longer matter, a little after the caller's clock says so.
* Keys and values carry pseudonyms (``{source}``), usernames, account ids and numbers: never
  an address, a user agent or a cookie (an enrolment's token is kept only as its SHA-256).
  The pseudonym key itself is never stored in Redis at all (see ``pseudonyms.py``).
"""

from __future__ import annotations

import redis.asyncio as aioredis

from chatserver.backends import redis_client

DEFAULT_PREFIX = "chat:"


def connect(url: str, socket_timeout: float = redis_client.COMMAND_TIMEOUT) -> aioredis.Redis:
    """A client for the edges: text replies, a pool that waits rather than fails when busy,
    and ``RedisUnavailable`` (answered ``unavailable``) when Redis cannot be reached."""
    return redis_client.connect(url, 16, socket_timeout)


def ttl_ms(seconds: float) -> int:
    """A TTL in whole milliseconds, at least one second: Redis forgets the key a little after
    it stops mattering, never before."""
    return max(1000, int(seconds * 1000) + 1000)
