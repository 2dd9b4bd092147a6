"""Emits handed to each recipient's socket in line, not through a task per recipient.

python-socketio's ``AsyncManager.emit`` starts one task per recipient and then waits for them
all with ``asyncio.wait``. Each of those tasks only puts the encoded packet on the socket's
unbounded send queue (Engine.IO's writer task does the writing), which never waits: the tasks
cost more than the work they carry. On the relay path every message is emitted to both sides,
so a closed loop of chats spent about an eighth of the server's CPU creating and awaiting
them (issue 14). Here the packet is encoded once, as before, and queued for each recipient
directly, in the order of the room; nothing else runs in between, so two emits to one socket
can no longer interleave.

What a task used to swallow is handled here: a socket closed while it is still in the room
gets nothing (as before) and does not stop the others; any other failure is logged, without
the payload, and the others still get theirs. Emits that ask for a callback (none of ours)
keep python-socketio's own way.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.exceptions import SocketIsClosedError
from socketio import packet

from chatserver.realtime.rooms import RoomIndexed

log = logging.getLogger(__name__)


class DirectManager(socketio.AsyncManager):
    """``socketio.AsyncManager`` whose emits queue the packet for each recipient in line."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                **kwargs,
            )  # fmt: skip
            return
        room = to or room
        if namespace not in self.rooms:
            return
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        recipients = [
            eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip
        ]
        if not recipients:
            return
        # as python-socketio: a tuple is several arguments, None none
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        frames = encoded if isinstance(encoded, list) else [encoded]
        eio_packets = [eio_packet.Packet(eio_packet.MESSAGE, frame) for frame in frames]
        engine = self.server.eio
        for eio_sid in recipients:
            for eio_pkt in eio_packets:
                try:
                    await engine.send_packet(eio_sid, eio_pkt)
                except SocketIsClosedError:
                    break  # gone while still in the room: nothing to deliver
                except Exception:
                    log.exception("emitting %r to one socket failed", event)
                    break


class LocalManager(RoomIndexed, DirectManager):
    """The client manager of a node on its own: each client's rooms indexed (``rooms.py``),
    emits queued in line."""
