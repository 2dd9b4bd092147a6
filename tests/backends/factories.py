"""The store backends the shared tests run against: one list, read by the ``backend`` fixture.

The backend contract tests (``tests/backends/``), the hub's property tests and the end-to-end
tests (with the web, privacy and console tests that share their server) all take their store
from here, through the ``backend`` fixture of ``tests/conftest.py``; each runs once per entry,
with the backend's name in its test id (``test_x[embedded]``). A backend added to ``BACKENDS``
inherits the whole suite. That is the embedded SQLite store.

``STORE_BACKENDS`` adds the Redis store (``chatserver/backends/redis_store.py``) for the store
contract tests alone (``tests/backends/``): the hub and end-to-end tests do not run on it until
the Redis mode is wired, which keeps the whole suite's time as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatserver.backends.embedded import MEMORY, SqliteStore
from chatserver.hub.followup.spaces import FollowUpStores as Store


@dataclass(frozen=True)
class Backend:
    """How to make stores of one kind for a test; the stores are handed out unopened, with
    the follow-up's records (letters, spaces) beside the chats', as the server needs them."""

    name: str  # the test id
    # a store on storage kept under this folder: every store made for the same folder reaches
    # the same records, so a test can close one and open another to play a restart
    store_at: Callable[[Path], Store]
    # a store on throwaway storage of its own, for many short runs within one test (the
    # examples of a property test), where there is no folder per run
    scratch: Callable[[], Store]
    # several nodes write to it: what the hub's per-node conversation lock cannot order, the
    # store must (a message that arrives after "delete my conversation" is refused)
    shared: bool = False


EMBEDDED = Backend(
    "embedded",
    store_at=lambda folder: SqliteStore(folder / "chat.sqlite"),
    scratch=lambda: SqliteStore(MEMORY),
)

BACKENDS: tuple[Backend, ...] = (EMBEDDED,)


def _redis_store_at(folder: Path) -> Store:
    from tests.backends import records_redis  # imports redis: only where it is used

    return records_redis.store_at(folder)


def _redis_scratch() -> Store:
    from tests.backends import records_redis

    return records_redis.scratch()


REDIS = Backend("redis", store_at=_redis_store_at, scratch=_redis_scratch, shared=True)

STORE_BACKENDS: tuple[Backend, ...] = (*BACKENDS, REDIS)
