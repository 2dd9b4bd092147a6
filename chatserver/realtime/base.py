"""What both namespaces share: an answer even for events nobody handles."""

from __future__ import annotations

from typing import Any

import socketio

from chatserver.errors import UnknownEvent
from chatserver.realtime.acks import failure


class AnsweringNamespace(socketio.AsyncNamespace):
    """A namespace that acknowledges unknown events with ``unknown_event`` instead of silence.

    ``connect`` and ``disconnect`` arriving here are the real ones: a client's events of
    those names are refused by ``realtime/server.py`` before any namespace sees them.
    """

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event not in ("connect", "disconnect") and not hasattr(self, f"on_{event}"):
            return failure(UnknownEvent())
        return await super().trigger_event(event, *args)
