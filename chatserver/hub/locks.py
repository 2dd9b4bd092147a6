"""One lock per conversation, kept exactly as long as someone holds it or waits for it.

A conversation's lock keeps its messages in order and makes "store, then tell" atomic with a
handover or an erase. Taking a lock out of a plain dict when the conversation ends is not
safe: a message already waiting for the old lock would then run beside whoever takes the new
one (a visitor's last lines were stored after "delete my conversation" had erased the rest).
Here the lock goes away by itself when its last user leaves, and never before.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding or waiting


class KeyedLocks:
    """``async with locks[key]:`` holds the lock for ``key``; first come, first served."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __getitem__(self, key: str) -> AbstractAsyncContextManager[None]:
        return _Hold(self._entries, key)

    def __len__(self) -> int:
        """How many keys have a lock now: those held or waited for, no others."""
        return len(self._entries)


class _Hold:
    """One ``async with``: a plain class, not ``@asynccontextmanager``, because every message
    passes two of these (its connection's turn and its conversation's lock) and a generator
    with its wrapper cost more than the lock itself."""

    __slots__ = ("_entries", "_entry", "_key")

    def __init__(self, entries: dict[str, _Entry], key: str) -> None:
        self._entries = entries
        self._key = key
        self._entry: _Entry | None = None

    async def __aenter__(self) -> None:
        entry = self._entries.get(self._key)
        if entry is None:
            entry = self._entries[self._key] = _Entry()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._leave(entry)
            raise
        self._entry = entry

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entry = self._entry
        assert entry is not None
        self._entry = None
        entry.lock.release()
        self._leave(entry)

    def _leave(self, entry: _Entry) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._entries[self._key]
