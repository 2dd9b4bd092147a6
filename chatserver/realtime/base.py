"""What both namespaces share: an answer even for events nobody handles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from chatserver.errors import UnknownEvent
from chatserver.realtime.acks import failure

# told (namespace, error code) of every error answer: app.py points it at the metrics
RefusalObserver = Callable[[str, str], None]


class AnsweringNamespace(socketio.AsyncNamespace):
    """A namespace that acknowledges unknown events with ``unknown_event`` instead of silence.

    ``connect`` and ``disconnect`` arriving here are the real ones: a client's events of
    those names are refused by ``realtime/server.py`` before any namespace sees them.
    """

    # not named on_*: socket.io dispatches a client's event X to on_X, so an on_ attribute would
    # be an event anyone could send (the fuzz suite found "refusal" reaching the metrics)
    refusal_observer: RefusalObserver | None = None

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event not in ("connect", "disconnect") and not hasattr(self, f"on_{event}"):
            answer: Any = failure(UnknownEvent())
        else:
            answer = await super().trigger_event(event, *args)
        observer = self.refusal_observer
        if observer is not None and isinstance(answer, dict) and answer.get("ok") is False:
            observer(self.namespace, answer["error"]["code"])  # every error ack, in one place
        return answer
