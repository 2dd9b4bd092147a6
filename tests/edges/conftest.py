"""One contract, two kinds of edges: every test here runs on memory and on Redis.

``edges`` hands a test two nodes. For memory they are the same objects (one process); for
Redis, two sets of objects with their own connections and their own copy of the pseudonym
key, on the tests' own ``redis-server`` (ephemeral port, ``tests/redis_server.py``),
each test under a fresh key prefix. That server persists like production (append-only,
fsync on every write), so a test can look at the bytes in its data directory.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import redis

from tests.edges.kit import EdgeKit, memory_kit, redis_kit
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def edge_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer.start(tmp_path_factory.mktemp("edge-redis"))
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        client.config_set("appendonly", "yes")
        client.config_set("appendfsync", "always")
        client.close()
        yield server
    finally:
        server.stop()


@pytest.fixture
def prefix() -> str:
    return f"e{uuid.uuid4().hex[:10]}:"


@pytest_asyncio.fixture(params=["memory", "redis"])
async def edges(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[EdgeKit]:
    if request.param == "memory":
        yield memory_kit()
        return
    server: RedisServer = request.getfixturevalue("edge_redis")
    kit = await redis_kit(server.url, prefix)
    try:
        yield kit
    finally:
        await kit.close()
