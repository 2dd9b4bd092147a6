"""Relay speed: our server (store, sanitize, authorize) against a bare python-socketio relay.

Both run in this process on an ephemeral port; PAIRS visitor/volunteer pairs each send
MESSAGES acknowledged messages, one after the other, and the volunteer side must receive every
one. The baseline is the least a relay can do with python-socketio: receive, emit to the
partner's room, acknowledge. Each side is measured ROUNDS times, alternating, and the report
gives the medians and their ratio. Timing never goes into a pass/fail test; this is for people.

    .venv/bin/python -m bench.relay [--pairs 20] [--messages 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import socketio
from aiohttp import web

from chatserver import accounts
from chatserver.app import build_server
from chatserver.backends.embedded import SqliteStore
from chatserver.clock import SystemClock
from chatserver.privacy.abuse import Limits
from chatserver.settings import DEFAULT_CONFIG, load_settings

PASSWORD = "benchmark-password"
UNLIMITED = Limits(
    messages_per_minute=10**9, burst=10**9, conversations_per_source=10**6,
    conversations_ceiling=10**6,
)  # fmt: skip


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def bare_relay() -> web.Application:
    """A minimal relay: the visitor and volunteer of pair N share room N."""
    sio = socketio.AsyncServer(async_mode="aiohttp", logger=False, engineio_logger=False)

    @sio.event
    async def connect(sid: str, environ: dict, auth: dict) -> None:
        await sio.enter_room(sid, str(auth["pair"]))
        await sio.save_session(sid, {"pair": str(auth["pair"])})

    @sio.event
    async def message(sid: str, data: dict) -> dict:
        session = await sio.get_session(sid)
        await sio.emit("message", data, room=session["pair"], skip_sid=sid)
        return {"ok": True}

    app = web.Application()
    sio.attach(app)
    return app


async def pair_traffic(
    send: Callable[[int], Awaitable[None]], received: asyncio.Queue[None], messages: int
) -> None:
    for n in range(messages):
        await send(n)
    for _ in range(messages):
        await received.get()


async def run_bare(pairs: int, messages: int) -> float:
    runner, url = await serve(bare_relay())
    clients = []
    try:
        jobs = []
        for pair in range(pairs):
            visitor = socketio.AsyncClient()
            volunteer = socketio.AsyncClient()
            inbox: asyncio.Queue[None] = asyncio.Queue()
            volunteer.on("message", lambda data, q=inbox: q.put_nowait(None))
            await volunteer.connect(url, auth={"pair": pair}, transports=["websocket"])
            await visitor.connect(url, auth={"pair": pair}, transports=["websocket"])
            clients += [visitor, volunteer]

            async def send(n: int, v: socketio.AsyncClient = visitor) -> None:
                await v.call("message", {"text": f"bericht {n}"})

            jobs.append((send, inbox))
        started = time.perf_counter()
        await asyncio.gather(*(pair_traffic(s, q, messages) for s, q in jobs))
        return time.perf_counter() - started
    finally:
        for client in clients:
            await client.disconnect()
        await runner.cleanup()


async def run_ours(pairs: int, messages: int, folder: Path) -> float:
    settings = load_settings(DEFAULT_CONFIG)
    lines = tuple(dataclasses.replace(line, queue_limit=pairs + 1) for line in settings.lines)
    settings = dataclasses.replace(settings, lines=lines)
    store = SqliteStore(folder / f"bench-{time.monotonic_ns()}.db")
    server = build_server(settings, store, SystemClock(), sweep_interval=None, limits=UNLIMITED)
    runner, url = await serve(server.app)
    clients: list[socketio.AsyncClient] = []
    try:
        jobs = []
        async with aiohttp.ClientSession() as http:
            for pair in range(pairs):
                account = accounts.new_account(f"vrijwilliger{pair}", PASSWORD, "volunteer", None)
                await store.add_account(account)
                login = await http.post(
                    f"{url}/api/session", json={"username": account.username, "password": PASSWORD}
                )
                cookie = f"chat_session={login.cookies['chat_session'].value}"
                volunteer = socketio.AsyncClient()
                inbox: asyncio.Queue[None] = asyncio.Queue()
                assigned: asyncio.Queue[str] = asyncio.Queue()

                def on_message(data: dict, q: asyncio.Queue[None] = inbox) -> None:
                    if data["role"] == "visitor":
                        q.put_nowait(None)

                volunteer.on("message", on_message, namespace="/operator")
                volunteer.on(
                    "assigned",
                    lambda data, q=assigned: q.put_nowait(data["conversation"]["id"]),
                    namespace="/operator",
                )
                await volunteer.connect(
                    url,
                    namespaces=["/operator"],
                    headers={"Cookie": cookie},
                    transports=["websocket"],
                )
                await volunteer.call("status", {"state": "available"}, namespace="/operator")
                visitor = socketio.AsyncClient()
                await visitor.connect(
                    url,
                    namespaces=["/visitor"],
                    auth={"line": "chat", "lang": "nl"},
                    transports=["websocket"],
                )
                await visitor.call("start", {"consent": True}, namespace="/visitor")
                await assigned.get()
                while not inbox.empty():
                    inbox.get_nowait()
                clients += [visitor, volunteer]

                async def send(n: int, v: socketio.AsyncClient = visitor) -> None:
                    ack = await v.call("message", {"text": f"bericht {n}"}, namespace="/visitor")
                    assert ack["ok"], ack

                jobs.append((send, inbox))
        started = time.perf_counter()
        await asyncio.gather(*(pair_traffic(s, q, messages) for s, q in jobs))
        return time.perf_counter() - started
    finally:
        for client in clients:
            await client.disconnect()
        await runner.cleanup()


async def main(pairs: int, messages: int, rounds: int) -> None:
    bare: list[float] = []
    ours: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):  # alternate, so drift in the machine hits both alike
            bare.append(await run_bare(pairs, messages))
            ours.append(await run_ours(pairs, messages, Path(folder)))
    total = pairs * messages
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"{pairs} pairs x {messages} acknowledged messages, {rounds} rounds each (medians)")
    print(f"  bare python-socketio relay: {total / b:8.0f} msg/s  ({b * 1000:.0f} ms)")
    print(f"  chatserver (store+sanitize): {total / o:8.0f} msg/s  ({o * 1000:.0f} ms)")
    print(f"  ratio chatserver/bare: {b / o:.2f}  (1.0 = as fast as the bare relay)")
    print(f"  runs bare ms: {[round(x * 1000) for x in bare]}")
    print(f"  runs ours ms: {[round(x * 1000) for x in ours]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.pairs, args.messages, args.rounds))
