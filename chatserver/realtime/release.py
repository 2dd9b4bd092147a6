"""Letting every socket of this node go, so that its clients reconnect (here later, or to
another node) and resume: on SIGTERM (``shutdown.py``) and when the node's lease lapsed
(``node_life.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.realtime.bridge import OPERATOR, VISITOR


async def release_sockets(sio: Any, retry_after: int, notice: bool = True) -> None:
    """Tell every socket (``draining``, unless ``notice`` is false), then close every
    Engine.IO connection: clients reconnect by themselves, as after a network drop (a
    socket.io disconnect would stop them)."""
    for namespace in (VISITOR, OPERATOR) if notice else ():
        # this node's sockets only: through the Redis manager it would reach every node's
        await sio.emit(
            "draining", {"retry_after": retry_after}, namespace=namespace, ignore_queue=True
        )
    # the events under way finish first, so that their answers still go out: a visitor whose
    # `start` was under way gets the token to resume with (a new chat is refused by now)
    await sio.handlers_done()
    # the connections of now: a client that reconnects meanwhile (the relay's repair lets
    # sockets go while the node serves on) keeps its new connection
    sessions = dict(sio.eio.sockets)
    if not sessions:
        return
    # each: the disconnect handlers, then a CLOSE packet, not waited for: a long-polling
    # client gets it only with its next request, which may never come (behind a load
    # balancer, each request is a new connection, and a draining node no longer listens);
    # a long poll already waiting takes it now, the next request finds the session gone
    await asyncio.wait([asyncio.create_task(_close(sio, sid, c)) for sid, c in sessions.items()])
    connections = sessions.values()
    for connection in connections:
        # End of queue: the transport's writer sends what is queued (the notice, the CLOSE)
        # and then closes the WebSocket itself. Otherwise it waits for the client to close
        # it, up to the ping timeout (45 s), and a stopping server must not depend on that.
        connection.queue.put_nowait(None)
    # the events that started meanwhile finish before the store closes (a message on its way
    # into it): their acks go nowhere now, what they wrote is there for the client's resume
    await sio.handlers_done()


async def release_socket(sio: Any, sid: str, namespace: str, retry_after: int = 1) -> None:
    """Let one socket go as :func:`release_sockets` lets them all go: told, and its Engine.IO
    connection closed, so that its client reconnects and resumes. For a socket the floor
    would not register (``NodeLapsed``: this node's lease lapsed as it connected)."""
    # here, not through the Redis manager: the notice must be queued before the CLOSE
    await sio.emit(
        "draining", {"retry_after": retry_after}, to=sid, namespace=namespace, ignore_queue=True
    )
    eio_sid = sio.manager.eio_sid_from_sid(sid, namespace)
    connection = sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
    if connection is not None:
        await _close(sio, eio_sid, connection)
        connection.queue.put_nowait(None)


async def _close(sio: Any, sid: str, connection: Any) -> None:
    """What ``sio.eio.disconnect(sid)`` does, without waiting for the client to fetch the
    CLOSE packet."""
    await connection.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT)
    sio.eio.sockets.pop(sid, None)
