"""One lock per conversation, kept exactly as long as someone holds it or waits for it.

A conversation's lock keeps its messages in order and makes "store, then tell" atomic with a
handover or an erase. Taking a lock out of a plain dict when the conversation ends is not
safe: a message already waiting for the old lock would then run beside whoever takes the new
one (a visitor's last lines were stored after "delete my conversation" had erased the rest).
Here the lock goes away by itself when its last user leaves, and never before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding or waiting


class KeyedLocks:
    """``async with locks[key]:`` holds the lock for ``key``; first come, first served."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __getitem__(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._hold(key)

    def __len__(self) -> int:
        """How many keys have a lock now: those held or waited for, no others."""
        return len(self._entries)

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]
