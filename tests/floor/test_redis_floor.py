"""What only the Redis floor promises: its keys stay under its prefix, and the hub stays
free of Redis (the domain knows no storage; only ``chatserver/backends`` talks to Redis)."""

from __future__ import annotations

import ast
import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

import chatserver.hub
from chatserver.backends.redis_floor import RedisFloor
from chatserver.errors import NodeLapsed
from chatserver.hub.floor_records import Draft
from chatserver.hub.model import Role
from tests.floor.kit import NOW, arrive, on_duty, supervisor, visitor, volunteer
from tests.floors import fresh_prefix


@pytest_asyncio.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def _busy_evening(floor: RedisFloor) -> None:
    """Touch every kind of key the floor writes."""
    await floor.join("n1", 5)
    await floor.lead("n1", 5)
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob", backup=True))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await arrive(floor, visitor("c1"), visitor("c2"))
    await floor.claim("c1", "ann", NOW)
    await floor.post("c1", Draft(Role.VISITOR, "hoi", NOW), client_id="m1")
    await floor.request_backup("c1", "ann", "", NOW)
    await floor.watch("c1", "sue", "observer")
    await floor.offer("c1", "ann", "bob", "", NOW + 60)


async def test_every_key_lives_under_the_prefix(redis_url: str, raw: aioredis.Redis) -> None:
    """Two floors on one Redis never see each other's visitors: every key a floor writes
    starts with its prefix, so a shared instance (or our tests) can keep floors apart."""
    first, second = f"a{uuid.uuid4().hex[:8]}:", f"b{uuid.uuid4().hex[:8]}:"
    one, two = RedisFloor(redis_url, first), RedisFloor(redis_url, second)
    try:
        await _busy_evening(one)
        assert await two.waiting() == [] and await two.presences() == []
        assert await two.open_conversations() == [] and await two.offers() == []
        assert await two.lead("n2", 5), "the other floor's leader is not ours"
        await _busy_evening(two)
        assert [w.conversation_id for w in await one.waiting()] == ["c2"]
        keys = [key async for key in raw.scan_iter(match=f"{first}*")]
        assert len(keys) > 15
        assert not [key async for key in raw.scan_iter(match="c1*")]
        assert not [key async for key in raw.scan_iter(match="p:*")]
    finally:
        await one.close()
        await two.close()


def test_the_hub_never_imports_redis() -> None:
    """The domain stays storage-free: only ``chatserver/backends`` may talk to Redis, so
    the embedded default runs without it and the hub reads in the helpline's words."""
    offenders = []
    for path in Path(chatserver.hub.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.split(".")[0] == "redis" or n.startswith("chatserver.backends.redis")
            ]
    assert offenders == []


async def _lapsed(floor: RedisFloor, node: str) -> None:
    """Wait (Redis's own clock: no test can move it) until ``node``'s lease ran out."""
    deadline = time.monotonic() + 5
    while node not in await floor.dead_nodes():
        assert time.monotonic() < deadline, f"{node}'s lease did not lapse"
        await asyncio.sleep(0.05)


async def test_a_reaped_node_registers_no_connection(redis_url: str, raw: aioredis.Redis) -> None:
    """n1 lapsed and was reaped; a connect or a visitor's return from it still on its way is
    refused (``NodeLapsed``: the node lets that socket go), and a start from it puts the
    visitor on the floor with no connection (its grace period runs; it resumes elsewhere).
    Nothing is left under n1 for nobody to reap: a volunteer does not look online for ever.
    Once n1 joined again it registers connections as before; a handle that never joined
    (one hub on a Redis floor) has no lease to lose."""
    prefix = fresh_prefix()
    floor = RedisFloor(redis_url, prefix)
    try:
        assert await floor.join("n1", 0.2)
        await floor.enqueue(visitor("c1"), "n1", NOW, 10)
        await _lapsed(floor, "n1")
        await floor.reap("n1", NOW + 1)
        assert await floor.dead_nodes() == []

        with pytest.raises(NodeLapsed):
            await floor.connect(volunteer("ann"), "n1", NOW + 2)
        with pytest.raises(NodeLapsed):
            await floor.visitor_connected("c1", "n1")
        await floor.enqueue(visitor("c2"), "n1", NOW + 2, 10)
        assert await floor.presence("ann") is None
        c1, c2 = await floor.conversation("c1"), await floor.conversation("c2")
        assert c1 is not None and c1.visitor_connections == 0
        assert c2 is not None and c2.visitor_connections == 0
        assert c2.visitor_gone_since == NOW + 2
        assert [key async for key in raw.scan_iter(match=f"{prefix}n[pv]:n1")] == []

        assert await floor.join("n1", 5)
        ann = await floor.connect(volunteer("ann"), "n1", NOW + 3)
        assert ann.connections == 1
        assert await floor.visitor_connected("c2", "n1") == 1
        bob = await floor.connect(volunteer("bob"), "n9", NOW + 3)
        assert bob.connections == 1
    finally:
        await floor.close()
