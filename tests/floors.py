"""The floors the hub's, end-to-end and property tests run on: one list, read by the
``floor_kind`` fixture of ``tests/conftest.py``.

A test that asks for ``floor_kind`` runs once on the memory floor (the embedded default) and
once on the Redis floor, with the floor's name in its test id (``test_x[embedded-redis]``).
The Redis floor lives on the tests' own ``redis-server`` (``tests/redis_server.py``, one per
session); every floor made here has a fresh key prefix, so no test sees another's floor, and
is closed by whoever made it (``made``), in the event loop that used it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from chatserver.backends.redis_floor import RedisFloor
from chatserver.clock import Clock
from chatserver.hub.floor_memory import MemoryFloor
from chatserver.hub.floor_state import FloorState

FLOOR_KINDS = ("memory", "redis")


def fresh_prefix() -> str:
    """Keys of a floor no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}:"


@dataclass(frozen=True)
class FloorKind:
    """How to make floors of one kind: in this process, or on the Redis at ``url``."""

    name: str
    url: str | None = None  # the tests' redis-server, for the Redis floor

    def make(self, clock: Clock) -> FloorState:
        """A new floor of its own (the Redis one under a fresh prefix); the memory floor's
        leases run on ``clock``, the Redis floor's on Redis's own clock."""
        if self.url is None:
            return MemoryFloor(clock)
        return RedisFloor(self.url, fresh_prefix())

    @contextlib.asynccontextmanager
    async def made(self, clock: Clock) -> AsyncIterator[FloorState]:
        """A new floor for as long as the block runs, closed after it (its connections)."""
        floor = self.make(clock)
        try:
            yield floor
        finally:
            await close(floor)


async def close(floor: FloorState) -> None:
    if isinstance(floor, RedisFloor):
        await floor.close()


MEMORY_FLOOR = FloorKind("memory")
