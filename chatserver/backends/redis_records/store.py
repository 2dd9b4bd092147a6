"""The ``Store`` and the ``FollowUpStore`` on Redis: the lifecycle, the parts are mixins."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from chatserver.backends import redis_client
from chatserver.backends.base import CommitObserver, StoreUnusable
from chatserver.backends.redis_records import persistence
from chatserver.backends.redis_records.accounts import AccountRecords
from chatserver.backends.redis_records.conversations import ConversationRecords
from chatserver.backends.redis_records.core import SCRUB_DELAY
from chatserver.backends.redis_records.followup import FollowUpRecords
from chatserver.backends.redis_records.stats import StatsRecords
from chatserver.backends.scrub import ScrubSchedule


def where(url: str) -> str:
    """The address for a message: the URL without user name or password."""
    parts = urlsplit(url)
    host = parts.hostname or parts.path or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path if parts.hostname else ''}"


class RedisStore(AccountRecords, ConversationRecords, StatsRecords, FollowUpRecords):
    """The records in one Redis, under ``prefix`` (default ``chat:``, beside the floor).

    ``open`` refuses (``StoreUnusable``) a Redis that is unreachable or whose persistence
    cannot keep records (``persistence.check``). ``scrub_delay`` is how long after an erase
    the append-only rewrite runs (erases are gathered: a rewrite copies the whole dataset);
    ``None`` leaves it to explicit :meth:`scrub` calls and :meth:`close`.
    """

    def __init__(
        self,
        url: str,
        prefix: str = "chat:",
        *,
        scrub_delay: float | None = SCRUB_DELAY,
        max_connections: int = 32,
        socket_timeout: float = redis_client.COMMAND_TIMEOUT,
    ) -> None:
        self.url = url
        self.socket_timeout = socket_timeout
        self._prefix = prefix
        self.max_connections = max_connections
        self._redis = None
        self._observer = None
        self._scrubs = ScrubSchedule(
            lambda: self.scrub(), scrub_delay, what="The append-only rewrite", retry_failed=True
        )
        self._scrub_lock = asyncio.Lock()
        self._scripts = {}

    def observe_commits(self, observer: CommitObserver) -> None:
        self._observer = observer

    async def open(self) -> None:
        """Connect and check the persistence settings; a second call is a no-op."""
        if self._redis is not None:
            return
        # Redis unreachable or too slow later on: RedisUnavailable, answered ``unavailable``
        pool = redis_client.pool(self.url, self.max_connections, self.socket_timeout)
        client = redis_client.GuardedRedis(connection_pool=pool)
        try:
            await client.ping()
            await persistence.check(client, where(self.url))
        except RedisError as error:
            await client.aclose()
            await pool.aclose()
            raise StoreUnusable(
                f"Redis at {where(self.url)} cannot be reached ({error}). Start it, or check"
                " the address."
            ) from None
        except BaseException:
            await client.aclose()
            await pool.aclose()
            raise
        self._pool = pool
        self._register(client)
        self._redis = client

    async def close(self) -> None:
        """Scrub if an erase asks for it, then disconnect; idempotent."""
        if self._redis is None:
            return
        await self._scrubs.stop()
        try:
            await self.scrub()
        finally:
            await self._redis.aclose()
            await self._pool.aclose()
            self._redis = None
