"""python-socketio's client manager with each client's rooms kept beside the client.

python-socketio (5.x) finds the rooms of a client who disconnects by looking through every
room of the namespace (``BaseManager.basic_disconnect``, and ``get_rooms`` likewise). Every
visitor has rooms of their own, so with 10,000 people waiting each disconnect walked 10,000
rooms: a chat that ended under a long queue spent more time there than in ending the chat
(py-spy, the capacity benchmark). ``RoomIndexed`` keeps ``(namespace, sid) -> rooms`` up to
date in the three places rooms change, so a disconnect costs the client's own rooms.

``rooms`` itself stays python-socketio's: emits, participants and the Redis manager read it
as before. tests/web/test_rooms.py checks the result against the library's own manager.
"""

from __future__ import annotations

from typing import Any

import socketio


class RoomIndexed(socketio.AsyncManager):
    """An ``AsyncManager`` (or, first in the bases, any of its subclasses such as the Redis
    manager) whose disconnect and ``get_rooms`` read an index instead of every room."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rooms_of: dict[tuple[str, str], set[str | None]] = {}

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        super().basic_leave_room(sid, namespace, room)
        rooms = self._rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[namespace, sid]

    def get_rooms(self, sid: str, namespace: str) -> list[str]:
        return [room for room in self._rooms_of.get((namespace, sid), ()) if room is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """``BaseManager.basic_disconnect`` with the client's rooms from the index; the rest
        (callbacks, pending connects and disconnects) as the library does it."""
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if sid in pending.get(namespace, ()):
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]
