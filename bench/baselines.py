"""The two baselines the server is measured against, each a tiny server of its own.

* ``raw``: an aiohttp WebSocket relay, the ceiling of this stack. It speaks only as much of
  Engine.IO/Socket.IO as the load generator's thin clients need (the open packet, a namespace
  connect, events and acks), with none of python-socketio's machinery: each event is decoded,
  given the sender's role and written to every socket in its room.
* ``sio``: a bare python-socketio relay with default settings: rooms, emit to the room, no
  logic. It also answers ``start`` the way the server's wire does (an acknowledgement with a
  conversation id, then one ``queue`` event with a place), so the capacity scenario can time
  10,000 joins on the bare stack beside the server's.

Both relay the way the server under test does, so the same clients and scenarios run against
all three: a visitor connects to ``/visitor`` and a volunteer to ``/operator`` with
``auth = {"room": ...}`` (their conversation); a ``message`` from either side goes, with
``"role"`` set to ``visitor`` or ``operator``, to everyone in the room in both namespaces (the
server echoes a message to the sender's room too) and is acknowledged ``{"ok": true}``.

    .venv/bin/python -m bench.baselines raw|sio [--host 127.0.0.1] [--port 0]

prints ``Baseline running at http://HOST:PORT`` once it listens, and runs until SIGTERM or
Ctrl-C. ``bench/suite.py`` starts them as processes of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
from collections import defaultdict
from typing import Any

import socketio
from aiohttp import web

from bench.wire import ACK, CONNECT, EVENT, decode, dumps, encode

NAMESPACES = {"/visitor": "visitor", "/operator": "operator"}
OPEN = {"upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 10**6}


def raw_relay() -> web.Application:
    """aiohttp and the JSON module, nothing else: no heartbeat, no sessions, no queues."""
    rooms: defaultdict[str, list[tuple[web.WebSocketResponse, str]]] = defaultdict(list)

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=2**20)
        await ws.prepare(request)
        await ws.send_str("0" + dumps({"sid": secrets.token_urlsafe(12), **OPEN}))
        joined: dict[str, tuple[str, str]] = {}  # namespace -> (room, role)
        try:
            async for message in ws:
                packet = decode(message.data) if isinstance(message.data, str) else None
                if packet is None:
                    continue  # "3" (pong) and anything else that is no Socket.IO packet
                if packet.kind == CONNECT and packet.namespace in NAMESPACES:
                    room = str(json.loads(packet.payload)["room"])
                    joined[packet.namespace] = (room, NAMESPACES[packet.namespace])
                    rooms[room].append((ws, packet.namespace))
                    sid = dumps({"sid": secrets.token_urlsafe(12)})
                    await ws.send_str(encode(CONNECT, packet.namespace, sid))
                elif packet.kind == EVENT and packet.namespace in joined:
                    event, data = json.loads(packet.payload)
                    room, role = joined[packet.namespace]
                    out = dumps([event, {**data, "role": role}])
                    for peer, namespace in list(rooms[room]):
                        await peer.send_str(encode(EVENT, namespace, out))
                    if packet.ack is not None:
                        answer = encode(ACK, packet.namespace, '[{"ok":true}]', packet.ack)
                        await ws.send_str(answer)
        finally:
            for room, _ in joined.values():
                members = rooms[room]
                members[:] = [m for m in members if m[0] is not ws]
                if not members:
                    del rooms[room]
        return ws

    app = web.Application()
    app.router.add_get("/socket.io/", socket)
    return app


def sio_relay() -> web.Application:
    """python-socketio with its default settings: rooms, emit to the room, no logic."""
    sio = socketio.AsyncServer(async_mode="aiohttp")
    rooms: dict[tuple[str, str], str] = {}  # (namespace, sid) -> room
    joined: list[str] = []  # who started, in order: their places

    def handlers(namespace: str, role: str) -> None:
        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any]) -> None:
            rooms[namespace, sid] = str(auth.get("room") or sid)  # a visitor who will start
            await sio.enter_room(sid, rooms[namespace, sid], namespace=namespace)

        async def start(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            joined.append(sid)
            place = {"position": len(joined), "estimated_wait_seconds": None}
            await sio.emit("queue", place, to=sid, namespace=namespace)
            return {"ok": True, "conversation_id": sid}

        async def message(sid: str, data: dict[str, Any]) -> dict[str, bool]:
            room = rooms[namespace, sid]
            out = {**data, "role": role}
            for to in NAMESPACES:
                await sio.emit("message", out, room=room, namespace=to)
            return {"ok": True}

        def disconnect(sid: str, reason: Any = None) -> None:
            rooms.pop((namespace, sid), None)

        sio.on("connect", connect, namespace=namespace)
        sio.on("start", start, namespace=namespace)
        sio.on("message", message, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)

    for namespace, role in NAMESPACES.items():
        handlers(namespace, role)
    app = web.Application()
    sio.attach(app)
    return app


KINDS = {"raw": raw_relay, "sio": sio_relay}


async def serve(kind: str, host: str, port: int) -> None:
    runner = web.AppRunner(KINDS[kind](), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"Baseline {kind} running at http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sign in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sign, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.kind, args.host, args.port))


if __name__ == "__main__":
    main()
