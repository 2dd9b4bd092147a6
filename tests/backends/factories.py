"""The store backends the shared tests run against: one list, read by the ``backend`` fixture.

The backend contract tests (``tests/backends/``), the hub's property tests and the end-to-end
tests (with the web, privacy and console tests that share their server) all take their store
from here, through the ``backend`` fixture of ``tests/conftest.py``; each runs once per entry,
with the backend's name in its test id (``test_x[embedded]``). A backend added to ``BACKENDS``
inherits the whole suite. Today that is the embedded SQLite store; the Redis store joins when
``chatserver/backends/redis.py`` exists.
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


EMBEDDED = Backend(
    "embedded",
    store_at=lambda folder: SqliteStore(folder / "chat.sqlite"),
    scratch=lambda: SqliteStore(MEMORY),
)

BACKENDS: tuple[Backend, ...] = (EMBEDDED,)
