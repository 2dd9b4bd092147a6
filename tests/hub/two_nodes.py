"""Two ``Hub`` objects on one Redis floor and one Redis store (same URL, same prefix), each
with its own connections, as two processes would have: the set-up of the hub tests that make
two nodes race. Node B's store is the test's own (a ``RedisStore`` that waits or dies where
the test says); everything else is the real thing."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from chatserver.backends.redis_floor import RedisFloor
from chatserver.backends.redis_store import RedisStore
from chatserver.clock import ManualClock
from chatserver.hub.hub import Hub
from chatserver.settings import load_settings
from tests.backends.records_redis import records_url

SETTINGS = load_settings(Path(__file__).parent.parent / "e2e" / "test.toml")
START = 1_795_662_000.0  # a Wednesday, 20:00 in Amsterdam

StoreB = TypeVar("StoreB", bound=RedisStore)


@dataclass
class TwoNodes(Generic[StoreB]):
    a: Hub
    b: Hub
    store_a: RedisStore
    store_b: StoreB
    floor_a: RedisFloor
    url: str
    prefix: str  # every key of this pair starts with it


@contextlib.asynccontextmanager
async def two_redis_hubs(
    store_b: Callable[[str, str], StoreB],
) -> AsyncIterator[TwoNodes[StoreB]]:
    """Nodes "a" and "b"; ``store_b(url, prefix)`` makes node B's store."""
    url, prefix = records_url(), f"f{uuid.uuid4().hex[:10]}:"
    clock = ManualClock(START)
    store_a, other = RedisStore(url, prefix, scrub_delay=None), store_b(url, prefix)
    floor_a, floor_b = RedisFloor(url, prefix), RedisFloor(url, prefix)
    await store_a.open()
    await other.open()
    try:
        a = Hub(SETTINGS, store_a, clock, floor=floor_a, node="a")
        b = Hub(SETTINGS, other, clock, floor=floor_b, node="b")
        yield TwoNodes(a, b, store_a, other, floor_a, url, prefix)
    finally:
        for closing in (store_a.close(), other.close(), floor_a.close(), floor_b.close()):
            await closing
