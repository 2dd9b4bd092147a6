"""Fixtures every test folder may use: one Chromium for the whole session, the store backends
the shared tests run against, the tests' own ``redis-server``, and the default floor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.backends.factories import BACKENDS, Backend
from tests.chromium import ARGS, CHROMIUM
from tests.floors import MEMORY_FLOOR, FloorKind
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


@pytest.fixture(scope="session")
def floor_kind() -> FloorKind:
    """The floor of servers and hubs made by shared helpers (``env`` of tests/e2e, used by
    the web, privacy and console suites too): the memory floor. The suites that run on both
    floors, tests/floor, tests/hub and tests/e2e, override it with the parametrized
    ``floor_kind`` of ``tests/floors.py``."""
    return MEMORY_FLOOR
