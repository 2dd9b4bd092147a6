"""The supervisors' live dashboard: pushed on change, coalesced, never polled.

Every floor event marks the dashboard dirty; at most one snapshot per ``interval`` goes to
the ``supervisors`` room, however busy the evening. Coalescing is a transport concern (how
often to send), so it lives here; what the floor looks like is the hub's ``dashboard()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

log = logging.getLogger(__name__)


class DashboardFeed:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        snapshot: Callable[[], Awaitable[dict[str, Any]]],
        room: str,
        namespace: str,
        interval: float = 0.25,
        watched: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.sio = sio
        self.snapshot = snapshot
        self.watched = watched
        self.room = room
        self.namespace = namespace
        self.interval = interval
        self._pending: asyncio.Task[None] | None = None

    def changed(self) -> None:
        """Something on the floor changed; send a snapshot soon (once, however many changes)."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._send_soon())

    async def _send_soon(self) -> None:
        await asyncio.sleep(self.interval)
        try:
            # a snapshot reads the whole floor: with thousands waiting and nobody who could
            # be watching, that read cost each node more than all its visitors together
            if self.watched is not None and not await self.watched():
                return
            await self.sio.emit(
                "dashboard", await self.snapshot(), room=self.room, namespace=self.namespace
            )
        except Exception:  # a failed push must not stop the next one
            log.exception("dashboard push failed")

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
