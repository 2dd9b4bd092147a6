"""One Engine.IO session over a WebSocket, without a task and a timer for every frame.

Engine.IO's own session loop (``AsyncSocket._websocket_handler``) reads each frame through a
fresh task wrapped in ``asyncio.wait_for``, and its writer waits for each batch to send the
same way (``AsyncSocket.poll``): a task, a timer and their callbacks for every frame in and
every batch out, only so that a connection silent for ``ping_interval + ping_timeout`` ends.
On the relay path that was about a tenth of the server's CPU (issue 14): each message is read
once and sent to both sides.

Here the reader and the writer wait on the WebSocket and on the socket's queue directly, and
one timer per connection (:class:`Silence`) does what the per-frame timeouts did: it ends
the session when the client has sent nothing for that long (a client answers every ping, so
a live one is never silent that long), or when Engine.IO has closed the socket meanwhile.
Everything else is Engine.IO's as it was: the upgrade from long-polling (probe, ``NOOP`` to
end the poll, ``UPGRADE``), ``AsyncSocket.receive`` for each packet, the packets the writer
sends in the order they were queued, and the same clean-up (the writer let go, the socket
closed as a transport close). ``tests/e2e/test_ws_session.py`` holds it to that.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

log = logging.getLogger(__name__)


class WebSocketLike(Protocol):
    """What the session needs of the driver's WebSocket (``server.CheckedWebSocket``)."""

    async def wait(self) -> Any: ...

    async def send(self, message: Any) -> None: ...

    async def close(self) -> None: ...


class Silence:
    """Ends a session whose client has been silent too long: one timer per connection.

    ``heard`` is called for every frame and only notes the time; the timer, when it comes,
    looks whether the deadline moved meanwhile and sets itself again if so. It interrupts
    the reader only while the reader waits for a frame, never in the middle of a packet.
    """

    def __init__(self, socket: AsyncSocket, reader: asyncio.Task[Any], seconds: float) -> None:
        self._socket = socket
        self._reader = reader
        self._seconds = seconds
        self._loop = asyncio.get_running_loop()
        self.last_heard = self._loop.time()
        self.waiting = False  # the reader waits for a frame (it may be interrupted)
        self.ended = False  # the timer interrupted the reader
        self._timer = self._loop.call_at(self.last_heard + seconds, self._check)

    def heard(self) -> None:
        self.last_heard = self._loop.time()

    def _check(self) -> None:
        due = self.last_heard + self._seconds
        if (self._loop.time() < due and not self._socket.closed) or not self.waiting:
            self._timer = self._loop.call_at(max(due, self._loop.time() + 1.0), self._check)
            return
        self.ended = True
        self._reader.cancel()

    def stop(self) -> None:
        self._timer.cancel()


async def serve(socket: AsyncSocket, ws: WebSocketLike) -> None:
    """Run the Engine.IO session of ``socket`` over ``ws`` until either side ends it."""
    server: Any = socket.server
    if socket.connected:  # it came by long-polling: this WebSocket is its upgrade
        if not await _upgrade(socket, ws):
            return
    else:
        socket.connected = True
        socket.upgraded = True
    writer = asyncio.ensure_future(_write(socket, ws))
    server.logger.info("%s: Upgrade to websocket successful", socket.sid)
    reader = asyncio.current_task()
    assert reader is not None  # a coroutine run by the server's request handler
    silence = Silence(socket, reader, server.ping_interval + server.ping_timeout)
    try:
        await _read(socket, ws, silence)
    finally:
        silence.stop()
    if silence.ended:
        reader.uncancel()  # our own interruption, taken: the clean-up below may wait
    await socket.queue.put(None)  # lets the writer go
    await writer
    await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)


async def _read(socket: AsyncSocket, ws: WebSocketLike, silence: Silence) -> None:
    limit = socket.server.max_http_buffer_size
    while True:
        silence.waiting = True
        try:
            frame = await ws.wait()
        except asyncio.CancelledError:  # silent too long, or the server stops: as Engine.IO
            return
        except Exception:  # the connection broke, or the driver refused the frame
            return
        finally:
            silence.waiting = False
        if frame is None or len(frame) > limit:  # closed by the client / larger than allowed
            return
        silence.heard()
        try:
            await socket.receive(packet.Packet(encoded_packet=frame))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            socket.server.logger.info("Receive error -- socket is closed")
            return
        except Exception:
            # as Engine.IO: log it and go on reading, the connection is not to blame
            log.exception("receiving a packet failed")


async def _write(socket: AsyncSocket, ws: WebSocketLike) -> None:
    """Send what is queued for the client, in order, until ``None`` or a send fails."""
    queue = socket.queue
    done = False
    while not done:
        batch = [await queue.get()]
        queue.task_done()
        while not queue.empty():
            batch.append(queue.get_nowait())
            queue.task_done()
        try:
            for pkt in batch:
                if pkt is None:
                    done = True
                    break
                await ws.send(pkt.encode())
        except Exception:
            break
    await ws.close()


async def _upgrade(socket: AsyncSocket, ws: WebSocketLike) -> bool:
    """Engine.IO's upgrade handshake, as ``AsyncSocket._websocket_handler`` does it."""
    socket.upgrading = True  # hold packet sends during the upgrade
    try:
        probe = packet.Packet(encoded_packet=await ws.wait())
        if probe.packet_type != packet.PING or probe.data != "probe":
            socket.server.logger.info("%s: Failed websocket upgrade, no PING packet", socket.sid)
            return False
        await ws.send(packet.Packet(packet.PONG, data="probe").encode())
        await socket.queue.put(packet.Packet(packet.NOOP))  # ends the pending long-poll
        upgrade = packet.Packet(encoded_packet=await ws.wait())
        if upgrade.packet_type != packet.UPGRADE:
            socket.upgraded = False
            socket.server.logger.info(
                "%s: Failed websocket upgrade, expected UPGRADE packet", socket.sid
            )
            return False
        socket.upgraded = True
        return True
    except OSError:
        return False
    finally:
        socket.upgrading = False
