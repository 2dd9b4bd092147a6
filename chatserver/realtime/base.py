"""What both namespaces share: an answer even for events nobody handles."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
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

    def __init__(self, namespace: str | None = None) -> None:
        super().__init__(namespace)
        self._handlers: dict[str, Callable[..., Awaitable[Any]]] = {}  # see ``_handler``

    async def trigger_event(self, event: str, *args: Any) -> Any:
        handler = self._handler(event)
        if handler is not None:  # a client's event, straight to its handler
            try:
                answer: Any = await handler(*args)
            except asyncio.CancelledError:  # as python-socketio: an empty answer
                answer = None
        elif event not in ("connect", "disconnect") and not hasattr(self, f"on_{event}"):
            answer = failure(UnknownEvent())
        else:
            answer = await super().trigger_event(event, *args)
        observer = self.refusal_observer
        if observer is not None and isinstance(answer, dict) and answer.get("ok") is False:
            observer(self.namespace, answer["error"]["code"])  # every error ack, in one place
        return answer

    def _handler(self, event: str) -> Callable[..., Awaitable[Any]] | None:
        """The coroutine handler of a client's event, looked up once per name.

        python-socketio looks the handler up and asks ``inspect`` whether it is a coroutine
        function for every event; a chat message is an event. Only our own ``on_*``
        coroutine methods are kept (a bounded set, never a name a client made up); the
        socket's own ``connect`` and ``disconnect`` and anything else take python-socketio's
        way.
        """
        handler = self._handlers.get(event)
        if handler is None and event not in ("connect", "disconnect"):
            found = getattr(self, f"on_{event}", None)
            if found is not None and inspect.iscoroutinefunction(found):
                handler = self._handlers[event] = found
        return handler
