"""The WebSocket session (``realtime/ws_session.py``): what Engine.IO's own loop promised.

A bare ``GuardedServer`` with pings a fifth of a second apart, so that "silent too long" takes
a second, not 45: a client that stops answering pings is let go (and the namespace hears
it), one that answers stays however long it is quiet otherwise, a long-polling client still
upgrades, and a client's events are handled one after the other, in the order sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from chatserver.realtime.server import GuardedServer
from tests.serving import serving

PING_INTERVAL = 0.2
PING_TIMEOUT = 0.3
TIMEOUT = 5.0


@dataclass
class Echo:
    """The server side: who is connected, who left, and every event in the order handled."""

    url: str = ""
    connected: set[str] = field(default_factory=set)
    left: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    handled: list[int] = field(default_factory=list)


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    state = Echo()
    sio = GuardedServer(
        async_mode="aiohttp", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )

    @sio.on("connect", namespace="/echo")  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        state.connected.add(sid)

    @sio.on("disconnect", namespace="/echo")  # type: ignore[untyped-decorator]
    async def disconnect(sid: str, reason: Any = None) -> None:
        await state.left.put(sid)

    @sio.on("say", namespace="/echo")  # type: ignore[untyped-decorator]
    async def say(sid: str, n: int) -> dict[str, int]:
        for _ in range(n * 7 % 5):  # waits of differing length: events handled side by
            await asyncio.sleep(0)  # side would finish out of order
        state.handled.append(n)
        await sio.emit("said", n, to=sid, namespace="/echo")
        return {"n": n}

    app = web.Application()
    sio.attach(app)
    async with serving(app) as state.url:
        yield state


async def _raw(url: str, http: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """A WebSocket that has joined ``/echo``, the opening and the join read."""
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    opening = await ws.receive_str(timeout=TIMEOUT)
    assert opening.startswith("0{")
    await ws.send_str("40/echo,{}")
    joined = await ws.receive_str(timeout=TIMEOUT)
    assert joined.startswith("40/echo,{"), joined
    return ws


async def test_a_client_that_stops_answering_pings_is_let_go(echo: Echo) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await _raw(echo.url, http)
        (sid,) = echo.connected
        # never answer: the server's pings go unanswered and the client sends nothing else
        assert await asyncio.wait_for(echo.left.get(), TIMEOUT) == sid
        while True:  # and the server closes the WebSocket itself
            message = await ws.receive(timeout=TIMEOUT)
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
        assert ws.closed


async def test_a_client_that_answers_its_pings_stays_connected(echo: Echo) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await _raw(echo.url, http)
        pings = 0
        while pings < 8:  # 1.6 s, several times "silent too long" but for the pongs
            frame = await ws.receive_str(timeout=TIMEOUT)
            assert frame == "2", frame
            pings += 1
            await ws.send_str("3")
        assert echo.left.empty()
        await ws.send_str('42/echo,1["say",7]')
        while (frame := await ws.receive_str(timeout=TIMEOUT)) == "2":
            await ws.send_str("3")
        assert frame in ('42/echo,["said",7]', '43/echo,1[{"n":7}]')
        await ws.close()
    assert len(echo.connected) == 1


async def test_a_long_polling_client_upgrades_and_its_events_keep_their_order(
    echo: Echo,
) -> None:
    client = socketio.AsyncClient(reconnection=False)
    heard: asyncio.Queue[int] = asyncio.Queue()
    client.on("said", heard.put, namespace="/echo")
    await client.connect(echo.url, namespaces=["/echo"], transports=["polling", "websocket"])
    try:
        for _ in range(100):  # the upgrade follows the connect; wait for it, briefly
            if client.transport() == "websocket":
                break
            await asyncio.sleep(0.02)
        assert client.transport() == "websocket"
        for n in range(50):  # all on the wire before the first is answered
            await client.emit("say", n, namespace="/echo")
        told = [await asyncio.wait_for(heard.get(), TIMEOUT) for _ in range(50)]
    finally:
        await client.disconnect()
    assert echo.handled == list(range(50))
    assert told == list(range(50))
