"""One contract, two floors: every test here runs on the memory floor and the Redis floor.

``kit`` hands a test three handles on one floor, as three nodes would have: for memory the
same object three times (one process), for Redis three ``RedisFloor`` objects with their own
connections to the tests' own ``redis-server``, each test under a fresh key prefix.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from chatserver.backends.redis_floor import RedisFloor
from chatserver.hub.floor_state import FloorState
from tests.floor.kit import FloorKit, memory_kit, redis_kit
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest_asyncio.fixture(params=["memory", "redis"])
async def kit(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[FloorKit]:
    if request.param == "memory":
        yield memory_kit()
        return
    url = request.getfixturevalue("redis_url")
    floors = [RedisFloor(url, prefix) for _ in range(3)]
    try:
        yield redis_kit(floors)
    finally:
        for floor in floors:
            await floor.close()


@pytest.fixture
def floor(kit: FloorKit) -> FloorState:
    return kit.nodes[0]
