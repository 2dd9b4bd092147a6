"""A hostile client: raw Socket.IO packets over the Engine.IO WebSocket, written by hand.

The python-socketio client refuses to send what an attacker would (``emit("disconnect")``,
malformed packets), so these tests speak the wire format themselves with aiohttp, as any
script could: ``40/visitor,{auth}`` to join a namespace, ``42/visitor,7["event",{...}]`` for
an event with ack id 7, ``43/visitor,7[{...}]`` for the server's answer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

TIMEOUT = 5.0


class RawSocket:
    """One Engine.IO WebSocket connection; answers the server's pings by itself."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws
        self.acks: dict[tuple[str, int], asyncio.Future[Any]] = {}
        self.received: list[str] = []
        self._next_id = 0

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> RawSocket:
        http = aiohttp.ClientSession(headers=headers)
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        socket = cls(http, ws)
        opening = await socket.receive()
        assert opening.startswith("0{"), opening
        return socket

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()

    async def send(self, text: str) -> None:
        await self.ws.send_str(text)

    async def receive(self) -> str:
        """The next packet (text frame) from the server; pings are answered, not returned."""
        while True:
            message = await asyncio.wait_for(self.ws.receive(), TIMEOUT)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {message.type!r}")
            if message.data == "2":
                await self.send("3")
                continue
            self.received.append(message.data)
            return str(message.data)

    async def join(self, namespace: str, auth: dict[str, Any] | None = None) -> None:
        await self.send(f"40{namespace},{json.dumps(auth or {})}")
        answer = await self.receive()
        assert answer.startswith(f"40{namespace},"), answer

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def emit(self, namespace: str, event: Any, *args: Any) -> int:
        """Send an event that asks for an ack; the ack id, for :meth:`answer`."""
        ack = self.next_id()
        await self.send(f"42{namespace},{ack}{json.dumps([event, *args])}")
        return ack

    async def call(self, namespace: str, event: Any, *args: Any) -> Any:
        return await self.answer(namespace, await self.emit(namespace, event, *args))

    async def answer(self, namespace: str, ack: int) -> Any:
        """The server's ack ``ack`` (None if it carries nothing), skipping the events that
        arrive before it."""
        prefix = f"43{namespace},{ack}["
        while True:
            packet = await self.receive()
            if packet.startswith(prefix):
                args = json.loads(packet[len(prefix) - 1 :])
                return args[0] if args else None

    async def closed(self) -> bool:
        """Wait until the server closes the connection; True once it has."""
        while True:
            try:
                await self.receive()
            except ConnectionError:
                return True


class RawPolling:
    """One Engine.IO long-polling session: a GET for the handshake, then POSTs of payloads."""

    def __init__(self, http: aiohttp.ClientSession, url: str, sid: str) -> None:
        self.http = http
        self.url = url
        self.sid = sid

    @classmethod
    async def open(cls, url: str) -> RawPolling:
        http = aiohttp.ClientSession()
        async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as response:
            opening = await response.text()
        assert opening.startswith("0{"), opening
        return cls(http, f"{url}/socket.io/", json.loads(opening[1:])["sid"])

    async def close(self) -> None:
        await self.http.close()

    async def post(self, body: str | bytes, **headers: str) -> tuple[int, str]:
        """POST ``body`` to the session; the status and text of the answer."""
        query = {"EIO": "4", "transport": "polling", "sid": self.sid}
        async with asyncio.timeout(TIMEOUT):
            async with self.http.post(
                self.url, params=query, data=body, headers=headers
            ) as response:
                return response.status, await response.text()

    async def poll(self) -> str:
        """What the server has queued for the session (one GET)."""
        query = {"EIO": "4", "transport": "polling", "sid": self.sid}
        async with asyncio.timeout(TIMEOUT), self.http.get(self.url, params=query) as response:
            return await response.text()
