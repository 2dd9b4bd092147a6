"""The Redis connection every backend of the distributed mode uses: bounded waits, one error.

Why one module: the floor, the records and the edges each talk to Redis, and while Redis is
unreachable they must all fail the same way, quickly, with an error the edges already know how
to answer. So:

* **Bounded waits.** Without a ``socket_timeout`` a command to a paused Redis (SIGSTOP, a
  stalled disk under ``appendfsync always``) waits for ever, and so does the visitor's
  acknowledgement. Commands give up after ``COMMAND_TIMEOUT``; connecting after
  ``CONNECT_TIMEOUT``. Blocking pub/sub reads are not affected: redis-py (8.2 and later, which
  ``setup.cfg`` asks for) reads a subscription with no timeout at all, so an idle listener never
  loops on reconnects (``tests/distributed/test_unavailable.py`` holds it to that).
* **One retry, on a broken connection only.** After a Redis restart each pooled connection is
  stale and fails once; one immediate retry on a fresh connection hides that. A *timeout* is not
  retried: the command may have run (a Lua script that posted a message), and running it twice
  is worse than answering ``unavailable`` (the client repeats it, with its message id).
* **One error.** Connection errors and timeouts become :class:`RedisUnavailable`: a
  :class:`~chatserver.errors.Unavailable` (so the ack wrapper answers
  ``{"ok": false, "error": {"code": "unavailable"}}``, the HTTP middleware ``503``, and the
  client stays connected), and still a redis ``ConnectionError``, so the code that already
  catches those (the pseudonym key's listener, the store's start-up check) goes on working.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatserver.errors import Unavailable

COMMAND_TIMEOUT = 5.0  # seconds a command may take before the answer is "unavailable"
CONNECT_TIMEOUT = 2.0


class RedisUnavailable(Unavailable, RedisConnectionError):
    """Redis did not answer (refused, reset, or too slow): nothing was changed by us, or the
    command timed out and may have run; either way the client may try again."""


def _translated(error: Exception) -> RedisUnavailable:
    failure = RedisUnavailable()
    failure.__cause__ = error
    return failure


class GuardedRedis(aioredis.Redis):
    """``redis.asyncio.Redis`` whose commands, scripts and pipelines raise
    :class:`RedisUnavailable` instead of redis's connection errors and timeouts."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            # redis-py leaves this one unannotated
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except RedisUnavailable:
            raise
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise _translated(error) from error

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


class GuardedPipeline(Pipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return await super().execute(raise_on_error)
        except RedisUnavailable:
            raise
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise _translated(error) from error


def pool(
    url: str, max_connections: int, socket_timeout: float = COMMAND_TIMEOUT
) -> aioredis.BlockingConnectionPool:
    """Text replies; a pool that waits for a free connection rather than failing when busy
    (a burst waits its turn, and one node never exhausts Redis's clients)."""
    return aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=None,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(CONNECT_TIMEOUT, socket_timeout),
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )


def connect(
    url: str, max_connections: int, socket_timeout: float = COMMAND_TIMEOUT
) -> GuardedRedis:
    """A client that owns its pool: closing the client closes the pool."""
    client = GuardedRedis(connection_pool=pool(url, max_connections, socket_timeout))
    client.auto_close_connection_pool = True
    return client
