"""A thin Socket.IO client: Engine.IO v4 / Socket.IO v5 framing, by hand, over an aiohttp
WebSocket, so a load generator spends little of the machine on its own clients.

One :class:`Socket` is one WebSocket (``/socket.io/?EIO=4&transport=websocket``, no
long-polling, no upgrade) carrying one namespace. What it speaks, as text frames:

* Engine.IO: ``0{open}`` from the server, then ``2`` ping (answered ``3`` pong), ``1`` close,
  ``6`` noop, and ``4<socket.io packet>`` for everything else;
* Socket.IO inside it: ``40/visitor,{auth}`` connect (answered ``40/visitor,{"sid"}`` or
  ``44/visitor,{error}``), ``42/visitor,<ack id>["event",data]`` events,
  ``43/visitor,<id>[answer]`` acknowledgements, ``41/visitor,`` disconnect. The default
  namespace ``/`` has no ``/name,`` part.

An event nobody listens to is not even decoded: a visitor waiting in a long queue gets many
``queue`` events and the generator should not pay for them. Binary packets, reconnection and
long-polling are left out on purpose: python-socketio's own client does those.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

PATH = "/socket.io/?EIO=4&transport=websocket"

# Socket.IO packet types (inside an Engine.IO message, "4")
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = "0", "1", "2", "3", "4"

Handler = Callable[[Any], Awaitable[None] | None]
AckHandler = Callable[[Any], None]


class Refused(Exception):
    """The server refused the namespace connection (a ``44`` packet)."""

    def __init__(self, data: Any) -> None:
        super().__init__(f"connection refused: {data!r}")
        self.data = data


class Closed(ConnectionError):
    """The WebSocket closed before an acknowledgement came."""


@dataclass(frozen=True)
class Packet:
    """One Socket.IO packet: its type, namespace, ack id (or None) and JSON text."""

    kind: str
    namespace: str
    ack: int | None
    payload: str


def encode(kind: str, namespace: str, payload: str = "", ack: int | None = None) -> str:
    """The text frame of a Socket.IO packet, Engine.IO message prefix included."""
    prefix = "" if namespace == "/" else f"{namespace},"
    return f"4{kind}{prefix}{'' if ack is None else ack}{payload}"


def decode(frame: str) -> Packet | None:
    """A Socket.IO packet from an Engine.IO message frame (``4...``); None for another frame."""
    if len(frame) < 2 or frame[0] != "4":
        return None
    kind, at = frame[1], 2
    namespace = "/"
    if frame.startswith("/", at):
        comma = frame.find(",", at)
        if comma < 0:  # "41/visitor": a namespace and nothing after it
            return Packet(kind, frame[at:], None, "")
        namespace, at = frame[at:comma], comma + 1
    digits = at
    while digits < len(frame) and frame[digits].isdigit():
        digits += 1
    ack = int(frame[at:digits]) if digits > at else None
    return Packet(kind, namespace, ack, frame[digits:])


def event_name(payload: str) -> str | None:
    """The event name of an event's JSON array, read without decoding the rest."""
    if not payload.startswith('["'):
        return None
    end = payload.find('"', 2)
    return payload[2:end] if end > 0 else None


def dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class Socket:
    """One namespace over one WebSocket. Register handlers with :meth:`on` before
    :meth:`connect`: the server may send events right after accepting the connection."""

    def __init__(self, namespace: str = "/", timeout: float = 30.0) -> None:
        self.namespace = namespace
        self.timeout = timeout  # for connecting, and for each call's answer
        self.handlers: dict[str, Handler] = {}
        self.sid: str | None = None
        self.closed = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future[Any] | AckHandler] = {}
        self._ids = itertools.count()
        self._reader: asyncio.Task[None] | None = None

    def on(self, event: str, handler: Handler) -> None:
        """Call ``handler(data)`` for each ``event``; a coroutine is awaited before the next
        packet is read, so keep it short (it may send, never wait for an acknowledgement)."""
        self.handlers[event] = handler

    async def connect(
        self,
        http: aiohttp.ClientSession,
        url: str,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Open the WebSocket and the namespace; :class:`Refused` when the server says no."""
        async with asyncio.timeout(self.timeout):
            ws = await http.ws_connect(
                url.rstrip("/") + PATH, headers=headers, compress=0, max_msg_size=0
            )
            self._ws = ws
            opened = await ws.receive()
            if opened.type is not aiohttp.WSMsgType.TEXT or not opened.data.startswith("0"):
                await ws.close()
                raise ConnectionError(f"no Engine.IO open packet: {opened!r}")
            await ws.send_str(encode(CONNECT, self.namespace, dumps(auth) if auth else ""))
            while True:
                message = await ws.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"closed while connecting: {message!r}")
                if message.data == "2":
                    await ws.send_str("3")
                    continue
                packet = decode(message.data)
                if packet is None or packet.namespace != self.namespace:
                    continue
                if packet.kind == CONNECT_ERROR:
                    await ws.close()
                    raise Refused(json.loads(packet.payload) if packet.payload else None)
                if packet.kind == CONNECT:
                    self.sid = json.loads(packet.payload).get("sid") if packet.payload else None
                    break
        self._reader = asyncio.create_task(self._read(ws))

    async def send(self, event: str, data: Any = None, ack: AckHandler | None = None) -> None:
        """Send an event; ``ack(answer)`` is called when its acknowledgement arrives."""
        ident = None
        if ack is not None:
            ident = next(self._ids)
            self._acks[ident] = ack
        await self._write(encode(EVENT, self.namespace, dumps([event, data]), ident))

    async def call(self, event: str, data: Any = None) -> Any:
        """Send an event and wait for its acknowledgement's first argument (TimeoutError
        after ``self.timeout``)."""
        ident = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ident] = answer
        try:
            await self._write(encode(EVENT, self.namespace, dumps([event, data]), ident))
            async with asyncio.timeout(self.timeout):
                return await answer
        finally:
            self._acks.pop(ident, None)

    async def close(self) -> None:
        """Leave the namespace, close the Engine.IO session and then the WebSocket, as
        python-socketio's client does (no error if it is gone already)."""
        ws = self._ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(encode(DISCONNECT, self.namespace))
                await ws.send_str("1")
            await ws.close()
        if self._reader is not None:
            await self._reader

    async def _write(self, frame: str) -> None:
        if self._ws is None or self._ws.closed:
            raise Closed("the socket is closed")
        await self._ws.send_str(frame)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            while True:
                message = await ws.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break  # CLOSE, CLOSED or ERROR: the connection is over
                frame: str = message.data
                if frame == "2":
                    await ws.send_str("3")
                elif frame.startswith("4"):
                    await self._packet(frame)
                elif frame == "1":
                    break
        except ConnectionError:
            pass
        finally:
            self.closed.set()
            for waiting in self._acks.values():
                if isinstance(waiting, asyncio.Future) and not waiting.done():
                    waiting.set_exception(Closed("the socket closed before the answer"))
            self._acks.clear()
            if not ws.closed:
                await ws.close()

    async def _packet(self, frame: str) -> None:
        packet = decode(frame)
        if packet is None or packet.namespace != self.namespace:
            return
        if packet.kind == EVENT:
            name = event_name(packet.payload)
            handler = self.handlers.get(name) if name is not None else None
            if handler is None:
                return  # nobody listens: not even decoded
            args = json.loads(packet.payload)
            result = handler(args[1] if len(args) > 1 else None)
            if inspect.isawaitable(result):
                await result
        elif packet.kind == ACK and packet.ack is not None:
            waiting = self._acks.pop(packet.ack, None)
            if waiting is None:
                return
            args = json.loads(packet.payload) if packet.payload else []
            answer = args[0] if args else None
            if isinstance(waiting, asyncio.Future):
                if not waiting.done():
                    waiting.set_result(answer)
            else:
                waiting(answer)
        elif packet.kind == DISCONNECT and self._ws is not None:
            await self._ws.close()
