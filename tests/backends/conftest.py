"""One backend test suite, many backends: every contract test runs against each ``Store``.

``make_store`` hands out fresh, unopened store objects that all reach the same storage (the
same SQLite file, the same key prefix in the same Redis), so a test can close one and open
another to play a restart. The backends are listed once, in ``factories.py``: this suite walks
``STORE_BACKENDS`` (``store_backend``), the embedded store and the Redis store; the hub's and
end-to-end tests walk ``BACKENDS`` (the ``backend`` fixture in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from chatserver.backends.base import Store
from chatserver.backends.embedded import SqliteStore
from tests.backends.factories import STORE_BACKENDS, Backend

StoreFactory = Callable[[], Store]
Opener = Callable[[Store], Awaitable[Store]]


@pytest.fixture(scope="session", params=STORE_BACKENDS, ids=[b.name for b in STORE_BACKENDS])
def store_backend(request: pytest.FixtureRequest) -> Backend:
    """Each store backend in turn, the Redis store included (``STORE_BACKENDS``)."""
    chosen: Backend = request.param
    return chosen


@pytest.fixture
def make_store(store_backend: Backend, tmp_path: Path) -> StoreFactory:
    return lambda: store_backend.store_at(tmp_path)


@pytest_asyncio.fixture
async def opened() -> AsyncIterator[Opener]:
    """Open a store and close it after the test, however the test ends.

    Closing matters beyond tidiness: aiosqlite runs each connection on a non-daemon thread,
    so one store left open keeps the whole pytest process from exiting.
    """
    stores: list[Store] = []

    async def open_store(store: Store) -> Store:
        await store.open()
        stores.append(store)
        return store

    yield open_store
    for store in stores:
        await store.close()


@pytest_asyncio.fixture
async def store(make_store: StoreFactory, opened: Opener) -> Store:
    return await opened(make_store())


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "chat.sqlite"


@pytest_asyncio.fixture
async def sqlite_store(sqlite_path: Path, opened: Opener) -> SqliteStore:
    """For what only the embedded store promises: files on disk, commits, migrations."""
    store = SqliteStore(sqlite_path)
    await opened(store)
    return store
