"""What every part of the Redis store shares: the connection, the keys, the scripts, the
commit observer and the scrub after an erase."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis

from chatserver.backends.base import CommitObserver
from chatserver.backends.redis_records import persistence, scripts
from chatserver.backends.scrub import ScrubSchedule

T = TypeVar("T")
SCRUB_DELAY = 60.0  # seconds from an erase to the append-only rewrite that makes it final
NAMESPACE = "rec:"  # after the prefix: the records' keys never meet the floor's


class RecordsBase:
    """The shared half of :class:`~chatserver.backends.redis_records.store.RedisStore`."""

    _redis: aioredis.Redis | None
    _prefix: str
    _observer: CommitObserver | None
    _scrubs: ScrubSchedule
    _scrub_lock: asyncio.Lock
    _scripts: dict[str, Any]

    # keys and scripts -----------------------------------------------------------------
    @property
    def _r(self) -> str:
        """What every record key starts with: the prefix and the records' namespace."""
        return self._prefix + NAMESPACE

    def _key(self, *parts: str) -> str:
        return self._r + ":".join(parts)

    @property
    def _client(self) -> Any:
        """The open connection. ``Any``: with ``decode_responses`` every reply is ``str``,
        which redis-py's annotations (``bytes | str``) cannot say."""
        if self._redis is None:
            raise RuntimeError("The Redis store is not open.")
        return self._redis

    def _register(self, client: aioredis.Redis) -> None:
        self._scripts = {
            name: client.register_script(getattr(scripts, name))
            for name in dir(scripts)
            if name.isupper() and not name.startswith("_")
        }

    async def _run(
        self, name: str, keys: Sequence[str] = (), args: Sequence[str | int | float] = ()
    ) -> Any:
        """A read-only script, or a write through :meth:`_commit`."""
        return await self._scripts[name](keys=list(keys), args=list(args))

    async def _write(
        self, name: str, keys: Sequence[str] = (), args: Sequence[str | int | float] = ()
    ) -> Any:
        return await self._commit(self._run(name, keys, args))

    async def _commit(self, write: Awaitable[T]) -> T:
        """One write (a script or a MULTI/EXEC): with ``appendfsync always`` Redis answers
        once it is in the append-only file and fsynced, so returning is acknowledging."""
        started = time.perf_counter()
        result = await write
        if self._observer is not None:
            self._observer(time.perf_counter() - started, 1)
        return result

    def _multi(self) -> Any:
        """A MULTI/EXEC pipeline: its writes reach Redis, and its file, as one."""
        return self._client.pipeline(transaction=True)

    async def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """Several hashes in one round trip (a pipeline of reads, no transaction needed)."""
        if not keys:
            return []
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        found: list[dict[str, str]] = await pipe.execute()
        return found

    # the scrub ------------------------------------------------------------------------
    def _schedule_scrub(self) -> None:
        """Something was erased: rewrite the append-only file ``scrub_delay`` from now (or at
        the next :meth:`scrub` or close), a failed rewrite again ``scrub_delay`` later
        (``scrub.ScrubSchedule``). Erases are gathered: a rewrite copies everything."""
        self._scrubs.ask()

    async def scrub(self) -> None:
        """Rewrite Redis's append-only file if anything was erased since the last scrub, and
        wait until the rewrite is done: from then on the erased text is in none of the files
        of Redis's data directory."""
        async with self._scrub_lock:  # a second caller returns once the rewrite is done
            client = self._redis
            if client is not None:
                await self._scrubs.run(lambda: persistence.rewrite(client))
