"""Fixtures every test folder may use: one Chromium for the whole session, the store backends
and the floors the shared tests run against, and the tests' own ``redis-server``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.backends.factories import BACKENDS, Backend
from tests.chromium import ARGS, CHROMIUM
from tests.floors import FLOOR_KINDS, FloorKind
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Started once for the widget's and the console's tests alike."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="session", params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each store backend in turn (see ``tests/backends/factories.py``): a test that asks for
    it, directly or through ``store``, ``make_store`` or ``env``, runs once per backend.

    Session-scoped because it only describes how to make stores (every store it makes is the
    test's own), and so property tests can use it across their examples.
    """
    chosen: Backend = request.param
    return chosen


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``redis-server`` of the tests' own for the session (ephemeral port, no
    persistence), started only when a test needs it; tests keep apart by key prefix."""
    server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session", params=FLOOR_KINDS)
def floor_kind(request: pytest.FixtureRequest) -> FloorKind:
    """Each floor in turn (``tests/floors.py``): the memory floor, then the Redis floor. A
    test that asks for it, directly or through ``env`` and the like, runs on both, with the
    floor's name in its id.

    Session-scoped because it only describes how to make floors (every floor made from it is
    the test's own, under a fresh key prefix), and so property tests can use it across their
    examples.
    """
    if request.param == "memory":
        return FloorKind("memory")
    return FloorKind("redis", request.getfixturevalue("redis_url"))
