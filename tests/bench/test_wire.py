"""The load generator's thin client (``bench/wire.py``) against a real python-socketio server
and against the raw baseline: it must speak the framing as the real client does, or every
figure of the suite measures something else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from bench.baselines import raw_relay
from bench.wire import Closed, Packet, Refused, Socket, decode, encode, event_name
from tests.serving import serving

PING = 0.1  # the server pings every 0.1 s and drops a client that does not answer in 0.3 s


def test_packets_are_framed_as_socket_io_v5_over_engine_io_v4() -> None:
    assert encode("0", "/visitor", '{"line":"chat"}') == '40/visitor,{"line":"chat"}'
    assert encode("2", "/visitor", '["start",{}]', 7) == '42/visitor,7["start",{}]'
    assert encode("2", "/", '["x"]') == '42["x"]'
    assert decode('43/visitor,7[{"ok":true}]') == Packet("3", "/visitor", 7, '[{"ok":true}]')
    assert decode('42["queue",{"position":3}]') == Packet(
        "2", "/", None, '["queue",{"position":3}]'
    )
    assert decode("41/operator,") == Packet("1", "/operator", None, "")
    assert decode("41/operator") == Packet("1", "/operator", None, "")
    assert decode("2") is None and decode("3") is None and decode("") is None
    assert event_name('["message",{"text":"a"}]') == "message"
    assert event_name("[1]") is None


@pytest.fixture
async def sio_url() -> AsyncIterator[tuple[str, socketio.AsyncServer, list[Any]]]:
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=PING, ping_timeout=0.2)
    seen: list[Any] = []

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        if auth.get("line") == "nope":
            raise socketio.exceptions.ConnectionRefusedError("unknown_line")
        seen.append(("auth", auth, environ.get("HTTP_X_FORWARDED_FOR")))

    async def start(sid: str, data: Any) -> dict[str, Any]:
        await sio.emit("queue", {"position": 1}, to=sid, namespace="/visitor")
        await sio.emit("noise", {"ignored": True}, to=sid, namespace="/visitor")
        return {"ok": True, "echo": data}

    async def typing(sid: str, data: Any) -> None:
        seen.append(("typing", data))

    async def bye(sid: str, data: Any) -> None:
        await sio.disconnect(sid, namespace="/visitor")

    async def ping_me(sid: str, data: Any) -> str:
        return "pong"

    for name, handler in (("connect", connect), ("start", start), ("typing", typing), ("bye", bye)):
        sio.on(name, handler, namespace="/visitor")
    sio.on("ping_me", ping_me)  # the default namespace

    app = web.Application()
    sio.attach(app)
    async with serving(app) as url:
        yield url, sio, seen


async def test_a_socket_connects_calls_receives_and_answers_pings(
    sio_url: tuple[str, socketio.AsyncServer, list[Any]],
) -> None:
    url, _, seen = sio_url
    async with aiohttp.ClientSession() as http:
        sock = Socket("/visitor")
        queue: asyncio.Queue[Any] = asyncio.Queue()
        sock.on("queue", queue.put_nowait)
        await sock.connect(http, url, {"line": "chat"}, {"X-Forwarded-For": "10.0.0.7"})
        assert sock.sid and seen == [("auth", {"line": "chat"}, "10.0.0.7")]

        assert await sock.call("start", {"consent": True}) == {
            "ok": True,
            "echo": {"consent": True},
        }
        assert await asyncio.wait_for(queue.get(), 5) == {"position": 1}
        await sock.send("typing", {"active": True})  # no ack asked, none waited for
        answers: list[Any] = []
        await sock.send("start", {}, ack=answers.append)
        await asyncio.sleep(1.0)  # ten ping intervals: unanswered pings would drop us
        assert not sock.closed.is_set()
        assert ("typing", {"active": True}) in seen and answers == [{"ok": True, "echo": {}}]

        plain = Socket("/")
        await plain.connect(http, url)
        assert await plain.call("ping_me", {}) == "pong"
        await plain.close()
        await sock.close()
        assert sock.closed.is_set()


async def test_a_refusal_and_a_server_side_disconnect_are_told(
    sio_url: tuple[str, socketio.AsyncServer, list[Any]],
) -> None:
    url, _, _ = sio_url
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Refused) as refused:
            await Socket("/visitor").connect(http, url, {"line": "nope"})
        assert refused.value.data == {"message": "unknown_line"}

        sock = Socket("/visitor", timeout=5)
        await sock.connect(http, url, {"line": "chat"})
        with pytest.raises(Closed):  # the server left before answering: the call fails, no hang
            await sock.call("bye", {})
        await asyncio.wait_for(sock.closed.wait(), 5)
        with pytest.raises(Closed):
            await sock.send("start", {})


async def test_the_raw_baseline_relays_to_the_room_in_both_namespaces() -> None:
    async with serving(raw_relay()) as url, aiohttp.ClientSession() as http:
        visitor, volunteer, other = Socket("/visitor"), Socket("/operator"), Socket("/operator")
        got: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        visitor.on("message", lambda data: got.put_nowait(("visitor", data)))
        volunteer.on("message", lambda data: got.put_nowait(("volunteer", data)))
        other.on("message", lambda data: got.put_nowait(("other room", data)))
        await visitor.connect(http, url, {"room": "r1"})
        await volunteer.connect(http, url, {"room": "r1"})
        await other.connect(http, url, {"room": "r2"})

        assert await visitor.call("message", {"text": "hoi"}) == {"ok": True}
        received = sorted([await asyncio.wait_for(got.get(), 5) for _ in range(2)])
        sent = {"text": "hoi", "role": "visitor"}  # the sender's role, told by the relay
        assert received == [("visitor", sent), ("volunteer", sent)]
        assert await volunteer.call("message", {"text": "dag"}) == {"ok": True}
        received = sorted([await asyncio.wait_for(got.get(), 5) for _ in range(2)])
        sent = {"text": "dag", "role": "operator"}
        assert received == [("visitor", sent), ("volunteer", sent)]
        assert got.empty()  # and nothing reached the other room
        for sock in (visitor, volunteer, other):
            await sock.close()
