"""The room index (``chatserver/realtime/rooms.py``) against python-socketio's own manager.

The index replaces the library's walk over every room when a client disconnects; whatever
clients do, the rooms it leaves behind, and the rooms it reports a client in, must be the
library's. Random sequences of what the server does with rooms, on both managers side by
side: connect, enter, leave, close a room, disconnect.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import socketio

from chatserver.realtime.rooms import RoomIndexed

NAMESPACES = ("/visitor", "/operator")
ROOMS = ("conversation:a", "conversation:b", "line:chat", "supervisors")


class Ids:
    """Stands in for the engine.io server python-socketio asks for new sids."""

    def __init__(self) -> None:
        self.count = 0

    def generate_id(self) -> str:
        self.count += 1
        return f"sid{self.count}"


def managers() -> tuple[Any, Any]:
    plain, indexed = socketio.AsyncManager(), RoomIndexed()
    for manager, ids in ((plain, Ids()), (indexed, Ids())):
        manager.server = type("Server", (), {"eio": ids})()
    return plain, indexed


def snapshot(manager: Any) -> dict[str, dict[str | None, dict[str, str]]]:
    return {ns: {room: dict(members) for room, members in rooms.items()}
            for ns, rooms in manager.rooms.items()}  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
async def test_rooms_are_the_librarys_whatever_clients_do(seed: int) -> None:
    """Same operations, same rooms; ``get_rooms`` the same rooms (order aside); a
    disconnect leaves no trace of the client in either."""
    pick = random.Random(seed)
    plain, indexed = managers()
    connected: list[tuple[str, str]] = []  # (namespace, sid), the same on both
    for step in range(300):
        action = pick.choice(("connect", "enter", "enter", "leave", "close", "disconnect"))
        if action == "connect" or not connected:
            namespace = pick.choice(NAMESPACES)
            eio_sid = f"eio{step}"
            sids = [await m.connect(eio_sid, namespace) for m in (plain, indexed)]
            assert sids[0] == sids[1]
            connected.append((namespace, sids[0]))
            continue
        namespace, sid = pick.choice(connected)
        room = pick.choice(ROOMS)
        for manager in (plain, indexed):
            if action == "enter":
                await manager.enter_room(sid, namespace, room)
            elif action == "leave":
                await manager.leave_room(sid, namespace, room)
            elif action == "close":
                await manager.close_room(room, namespace)
            else:
                await manager.disconnect(sid, namespace)
        if action == "disconnect":
            connected.remove((namespace, sid))
            assert not indexed.is_connected(sid, namespace)
            assert (namespace, sid) not in indexed._rooms_of
        assert snapshot(indexed) == snapshot(plain)
        for ns, each in connected:
            assert sorted(indexed.get_rooms(each, ns)) == sorted(plain.get_rooms(each, ns))
