"""The floors the floor's, hub's, end-to-end and property tests run on: the ``floor_kind``
fixture, parametrized ``memory``/``redis``.

The suites that run on both floors (tests/floor, tests/hub, tests/e2e) import ``floor_kind``
into their ``conftest.py``, overriding the memory-only default of ``tests/conftest.py`` (which
the web, privacy and console suites keep: they reuse ``env`` to check what pages and HTTP
answer, not what a floor keeps). A test there that asks for ``floor_kind``, directly or
through ``env`` and the like, runs once on the memory floor (the embedded default) and once on
the Redis floor, with the floor's name in its id (``test_x[embedded-redis]``).

The Redis floor lives on the tests' own ``redis-server`` (``redis_url``, one per session,
started only when a Redis test runs); every floor made here has a fresh key prefix, so no test
sees another's floor, and is closed by whoever made it (``made``), in the event loop that used
it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from chatserver.backends.redis_floor import RedisFloor
from chatserver.clock import Clock
from chatserver.hub.events import Event, SessionEnded
from chatserver.hub.floor_memory import MemoryFloor
from chatserver.hub.floor_records import Notice
from chatserver.hub.floor_state import FloorState
from chatserver.hub.hub import Hub

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


@pytest.fixture(scope="session", params=FLOOR_KINDS)
def floor_kind(request: pytest.FixtureRequest) -> FloorKind:
    """Each floor in turn: the memory floor, then the Redis floor.

    Session-scoped because it only describes how to make floors (every floor made from it is
    the test's own), and so property tests can use it across their examples.
    """
    if request.param == "memory":
        return MEMORY_FLOOR
    return FloorKind("redis", request.getfixturevalue("redis_url"))


@contextlib.asynccontextmanager
async def relaying(hub: Hub) -> AsyncIterator[None]:
    """A hub on a shared floor hears messages and notices (an account changed, a session
    ended) through the floor's feed, as every node does (``app.py`` starts the relay): the
    feed is relayed to the hub's bus while the block runs. One process needs no relay."""
    if not hub.floor_shared:
        yield
        return
    subscribed = asyncio.Event()
    relay = asyncio.create_task(hub.relay_posts(subscribed))
    await asyncio.wait_for(subscribed.wait(), RELAY_SECONDS)
    try:
        yield
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay


RELAY_SECONDS = 5.0
# a notice of the tests' own, told last: once it is back, everything told before it is too
_LAST = Notice("session", "tests-floors-last", "last")


async def told(hub: Hub, heard: list[Event]) -> list[Event]:
    """``heard`` (what a listener on ``hub``'s bus has collected) once everything the hub sent
    through the shared floor's feed so far has come back (``relaying``): the feed keeps its
    order, so a notice of our own sent now arrives after them. One process: as it is."""
    if not hub.floor_shared:
        return list(heard)
    back = asyncio.Event()

    async def watch(event: Event) -> None:
        if event == SessionEnded(_LAST.subject, _LAST.detail):
            back.set()

    hub.bus.subscribe(watch)
    try:
        await hub.floor.notify(_LAST)
        await asyncio.wait_for(back.wait(), RELAY_SECONDS)
    finally:
        hub.bus.subscribers.remove(watch)
    return [e for e in heard if e != SessionEnded(_LAST.subject, _LAST.detail)]
