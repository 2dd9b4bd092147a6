"""One contract, two floors: every test here runs on the memory floor and the Redis floor.

``kit`` hands a test three handles on one floor, as three nodes would have: for memory the
same object three times (one process), for Redis three ``RedisFloor`` objects with their own
connections to the tests' own ``redis-server`` (``redis_url`` in ``tests/conftest.py``), each
test under a fresh key prefix. The floors are the ``floor_kind`` fixture's, as for the hub's
and the end-to-end tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from chatserver.backends.redis_floor import RedisFloor
from chatserver.hub.floor_state import FloorState
from tests.floor.kit import FloorKit, memory_kit, redis_kit
from tests.floors import FloorKind, fresh_prefix
from tests.floors import floor_kind as floor_kind  # both floors, parametrized


@pytest_asyncio.fixture
async def kit(floor_kind: FloorKind) -> AsyncIterator[FloorKit]:
    if floor_kind.url is None:
        yield memory_kit()
        return
    prefix = fresh_prefix()
    floors = [RedisFloor(floor_kind.url, prefix) for _ in range(3)]
    try:
        yield redis_kit(floors)
    finally:
        for floor in floors:
            await floor.close()


@pytest.fixture
def floor(kit: FloorKit) -> FloorState:
    return kit.nodes[0]
