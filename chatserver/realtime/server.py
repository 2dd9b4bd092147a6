"""The Socket.IO server, guarded where python-socketio trusts its clients.

Everything a client sends passes here before a namespace sees it:

* **Reserved event names.** python-socketio calls a namespace's ``on_connect`` and
  ``on_disconnect`` for a client's ``EVENT`` packets named ``connect`` or ``disconnect`` as
  readily as for a socket that really comes or goes. A forged ``disconnect`` reset the
  visitor's rate limit and told the volunteer the visitor had left; a forged ``connect``
  gave a blocked visitor a new pseudonym. Such names (and an event that is no list led by
  a name) are answered ``unknown_event`` / ``invalid_payload`` before any handler runs.
* **Malformed packets** (``packets.py``): answered where they can be, logged once per
  connection, counted; a connection that keeps sending them is closed.
* **Oversized long-polling POSTs** are answered ``413`` at once, and the session closed.

And one promise python-socketio does not keep by itself: **a client's events are handled in
the order it sent them.** By default each event runs in a task of its own, and those tasks
overtook each other at their first real wait: on the Redis floor, messages a visitor sent
without waiting for each ack were stored out of order, and a typing indicator could end in a
state the visitor had already left. Here each event is handled in its connection's own
reading task (``async_handlers=False``), one after the other, as sent; the connection reads
its next frame when the handler is done. That also saves a task per event (issue 14). Other
clients are not held up, and pings are sent by a task of their own; only a handler slower
than the ping timeout (20 s; Redis waits are bounded at a few seconds) would cost its own
connection. The WebSocket session itself runs in ``ws_session.py``.

The hooks overridden here are python-socketio's and python-engineio's own dispatch methods;
the tests that send raw packets (``tests/e2e/raw.py``) pin their behaviour.
"""

from __future__ import annotations

import asyncio
from typing import Any

import engineio
import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as engineio_aiohttp
from engineio.async_socket import AsyncSocket
from socketio import packet

from chatserver.errors import ChatError, InvalidPayload, UnknownEvent
from chatserver.realtime import ws_session
from chatserver.realtime.acks import failure
from chatserver.realtime.packets import (
    CheckedPacket,
    Garbage,
    MalformedPacket,
    engine_frame_ok,
    engine_payload_ok,
)
from chatserver.web.keys import SCREENED_BODY

# the names python-socketio gives a meaning of its own, on the server or in its client
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "__disconnect_final", "*"})


class GuardedServer(socketio.AsyncServer):
    """``socketio.AsyncServer`` that refuses what no honest client sends."""

    eio: GuardedEngine

    def __init__(self, node: str = "", **options: Any) -> None:
        # each event handled in the connection's own reading task, so in the order sent
        super().__init__(serializer=CheckedPacket, async_handlers=False, **options)
        self.eio.node = node
        # the tasks handling an event right now (each connection's own, one event at a time),
        # with a future for whoever waits for that event to end (``handlers_done``)
        self._handling: dict[asyncio.Task[Any] | None, asyncio.Future[None] | None] = {}

    @property
    def handling(self) -> int:
        """How many events are being handled right now."""
        return len(self._handling)

    async def _handle_event_internal(
        self,
        server: socketio.AsyncServer,
        sid: str,
        eio_sid: str,
        data: Any,
        namespace: str,
        ack_id: int | None,
    ) -> None:
        """One event, noted while it runs, so a drain can wait for the ones under way."""
        task = asyncio.current_task()
        self._handling[task] = None
        try:
            await super()._handle_event_internal(server, sid, eio_sid, data, namespace, ack_id)
        finally:
            waiter = self._handling.pop(task, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def handlers_done(self) -> None:
        """Until the events being handled now have ended (a message on its way into the
        store). Events that start meanwhile are not waited for: under steady traffic there
        may never be a moment with none."""
        loop = asyncio.get_running_loop()
        waiters = []
        for task, waiter in list(self._handling.items()):
            if waiter is None:
                waiter = self._handling[task] = loop.create_future()
            waiters.append(waiter)
        if waiters:
            await asyncio.wait(waiters)

    def _engineio_server_class(self) -> type[GuardedEngine]:
        return GuardedEngine

    @property
    def garbage(self) -> Garbage:
        return self.eio.garbage

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        """Every Socket.IO packet; a malformed one is answered if it can be, and counted."""
        if eio_sid not in self.environ:  # closed: what a client still sends is ignored
            self.garbage.note(None, "a packet after its connection was closed")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except MalformedPacket as bad:
            answered = True
            if bad.packet_type == packet.EVENT and bad.ack_id is not None:
                await self._answer(eio_sid, bad.namespace, bad.ack_id, InvalidPayload(bad.reason))
            elif bad.packet_type == packet.CONNECT:
                await self._refuse_connect(eio_sid, bad.namespace, InvalidPayload(bad.reason))
            else:
                answered = False
            await self._count(eio_sid, bad.reason, answered)

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, ack_id: int | None, data: Any
    ) -> None:
        """Every client event passes here before its namespace's handler."""
        error: ChatError | None = None
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            error = InvalidPayload("An event is a list: its name, then one payload.")
        elif data[0] in RESERVED_EVENTS:
            error = UnknownEvent("This event name is reserved by Socket.IO; see docs/protocol.md.")
        if error is None:
            await super()._handle_event(eio_sid, namespace, ack_id, data)
            return
        if ack_id is not None:
            await self._answer(eio_sid, namespace, ack_id, error)
        await self._count(eio_sid, "a reserved or malformed event", ack_id is not None)

    async def _answer(
        self, eio_sid: str, namespace: str | None, ack_id: int, error: ChatError
    ) -> None:
        """An error ack for a refused event, if the client is in that namespace at all."""
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            return
        answer = self.packet_class(
            packet.ACK, namespace=namespace, id=ack_id, data=[failure(error)]
        )
        await self._send_packet(eio_sid, answer)

    async def _refuse_connect(self, eio_sid: str, namespace: str | None, error: ChatError) -> None:
        """A connection request whose ``auth`` is bad JSON: refused as any other, with a code."""
        refusal = {"message": error.code, "data": error.as_dict()}
        answer = self.packet_class(packet.CONNECT_ERROR, data=refusal, namespace=namespace or "/")
        await self._send_packet(eio_sid, answer)

    async def _count(self, eio_sid: str, reason: str, answered: bool = False) -> None:
        if self.garbage.note(eio_sid, reason, answered):
            await self.eio.cut_off(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self.garbage.closed(eio_sid)


class GuardedEngine(engineio.AsyncServer):
    """Engine.IO that checks frames and POST bodies before it decodes them."""

    _async: dict[str, Any]  # the async driver's functions (engineio sets it up)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.garbage = Garbage()
        self.node = ""  # this server's name behind a load balancer (see generate_id)
        self._async = {  # a copy: the driver's own table is shared by every server
            **self._async,
            "websocket": CheckedWebSocket,
            "translate_request": _replaying_translate,
        }

    def generate_id(self) -> str:
        """Session ids that name their node: ``<node>.<random>``.

        Long-polling sends every request of one Engine.IO session to the node that holds it,
        and visitors are promised no cookies, so no sticky cookie can say which node that is.
        The session id can: every polling request carries it as ``?sid=``, and the load
        balancer routes on its prefix (docs/deployment.md). Namespace sids are made here too.
        Without a node name the ids are Engine.IO's own.
        """
        sid: str = super().generate_id()
        return f"{self.node}.{sid}" if self.node else sid

    async def cut_off(self, sid: str) -> None:
        """Close a connection that keeps sending garbage, without waiting for the client.

        (``disconnect`` waits until the client has taken the CLOSE packet, which a
        long-polling client that never polls again never does.)
        """
        socket = self.sockets.get(sid)
        if socket is not None and not socket.closed:
            # the namespaces' disconnect handlers still read the session: close, then drop
            await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
            self.garbage.closed(sid, for_garbage=True)
        self.sockets.pop(sid, None)

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        request = args[0]
        if isinstance(request, web.Request) and request.method == "POST":
            refusal = await self._screen_post(request)
            if refusal is not None:
                return refusal
        return await super().handle_request(*args, **kwargs)

    async def _screen_post(self, request: web.Request) -> web.Response | None:
        """A long-polling POST that is too large, or not Engine.IO, is answered here, at once.

        Engine.IO answered an oversized POST only after closing the session, and it closes
        by waiting until the client has polled the CLOSE packet: a script that only POSTs
        held the request open for ever.
        """
        sid = request.query.get("sid", "")
        socket = self.sockets.get(sid)
        length = request.content_length
        if length is not None and length > self.max_http_buffer_size:
            self.garbage.note(sid if socket else None, "a POST above the maximum payload")
            await self.cut_off(sid)
            return web.Response(status=413, text="The payload is larger than maxPayload.")
        if socket is None or socket.upgraded or not socket.connected or not length:
            return None  # Engine.IO answers these itself
        try:
            body = await request.content.readexactly(length)
            text = body.decode("utf-8")
        except Exception:  # a client that sends less than it announced, or not UTF-8
            text = None
        if text is None or not engine_payload_ok(text):
            if self.garbage.note(sid, "a POST that is not an Engine.IO payload"):
                await self.cut_off(sid)
            return web.Response(status=400, text="Not an Engine.IO payload.")
        request[SCREENED_BODY] = body
        return None


class _Replay:
    """A body already read, for Engine.IO to read again."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self, length: int = -1) -> bytes:
        return self.body


def _replaying_translate(request: web.Request) -> dict[str, Any]:
    environ: dict[str, Any] = engineio_aiohttp.translate_request(request)
    # only a POST was screened; a Request's .get() is Mapping.get, which raises and catches
    # a KeyError inside for every websocket opened (3% of a join's time)
    if request.method == "POST" and SCREENED_BODY in request:
        environ["wsgi.input"] = _Replay(request[SCREENED_BODY])
    return environ


class CheckedWebSocket(engineio_aiohttp.WebSocket):
    """Engine.IO's WebSocket, minus the frames Engine.IO would crash on.

    A bad frame is dropped and counted; once its connection is closed (for garbage or by
    the client's CLOSE packet) the socket ends, so a client that ignores the close cannot
    go on talking to a connection the server has given up.
    """

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self.socket: AsyncSocket | None = getattr(handler, "__self__", None)  # the one it serves

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        """The session runs in ``ws_session`` (no task and timer per frame), not in
        Engine.IO's own loop; the response is prepared as Engine.IO's driver does."""
        if self.socket is None:
            response: web.WebSocketResponse = await super().__call__(environ)
            return response
        response = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size)
        await response.prepare(environ["aiohttp.request"])
        self._sock = response
        self.environ = environ
        await ws_session.serve(self.socket, self)
        return response

    async def send(self, message: str | bytes) -> None:
        """As Engine.IO's driver, without asking ``inspect`` for every frame whether aiohttp's
        send methods are coroutines (they are)."""
        if isinstance(message, str):
            await self._sock.send_str(message)
        else:
            await self._sock.send_bytes(message)

    async def wait(self) -> Any:
        engine = self.server
        socket = self.socket
        while True:
            frame = await super().wait()
            if socket is not None and socket.closed:
                raise OSError("the connection was closed")
            if engine_frame_ok(frame):
                return frame
            sid = socket.sid if socket is not None else None
            if engine.garbage.note(sid, "a WebSocket frame that is not Engine.IO") and sid:
                await engine.cut_off(sid)
                raise OSError("closed for sending garbage")
