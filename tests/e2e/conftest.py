"""A real server on an ephemeral port, real socket.io clients, a manual clock.

The server runs in the test's own event loop so a test can move the clock and let the hub
sweep (``await env.advance(seconds)``) instead of sleeping. ``env`` runs once per store backend
(``tests/backends/factories.py``) and floor (``tests/floors.py``), and so does every test that
uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pyotp
import pytest
import socketio
from aiohttp import web

from chatserver import accounts
from chatserver.app import ACCESS_LOG_FORMAT, Server, build_server
from chatserver.clock import ManualClock
from chatserver.edges import Edges
from chatserver.hub import events as ev
from chatserver.hub.hub import Hub
from chatserver.privacy.abuse import Limits
from chatserver.settings import Settings, load_settings
from tests.backends.factories import EMBEDDED, Backend
from tests.floors import MEMORY_FLOOR, FloorKind
from tests.floors import floor_kind as floor_kind  # both floors, parametrized

CONFIG = Path(__file__).with_name("test.toml")
# a Wednesday evening in Amsterdam: both test lines are open
WEDNESDAY_EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
PASSWORD = "correct horse battery"
# every test client comes from 127.0.0.1: lift the per-address limits except where tested
ONE_ADDRESS = Limits(
    messages_per_minute=100_000, burst=1000, conversations_per_source=1000,
    conversations_ceiling=1000,
)  # fmt: skip
TIMEOUT = 5.0


class Peer:
    """A socket.io client that records every event it receives, for awaiting in order."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.operator_id: str | None = None
        self.conversation_id: str | None = None
        self.client = socketio.AsyncClient(reconnection=False)
        self.inbox: defaultdict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.client.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        await self.inbox[event].put(data)

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.client.call(
            event, data, namespace=self.namespace, timeout=TIMEOUT
        )
        return result

    async def next(self, event: str) -> Any:
        return await asyncio.wait_for(self.inbox[event].get(), TIMEOUT)

    async def until(self, event: str, matches: Callable[[Any], bool]) -> Any:
        """The next ``event`` that ``matches``, skipping the ones before it."""
        while True:
            data = await self.next(event)
            if matches(data):
                return data

    def pending(self, event: str) -> list[Any]:
        """Everything received so far for ``event`` and not yet taken."""
        queue = self.inbox[event]
        items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def settle(self) -> None:
        """Round-trip once, so everything the server sent before now has arrived."""
        await self.call("__ping__")

    async def disconnect(self) -> None:
        await self.client.disconnect()


@dataclass
class Env:
    url: str
    server: Server
    clock: ManualClock
    peers: list[Peer] = field(default_factory=list)

    @property
    def hub(self) -> Hub:
        return self.server.hub

    async def advance(self, seconds: float) -> None:
        """Let time pass and apply what is due, as the server's sweeper would."""
        self.clock.advance(seconds)
        await self.hub.sweep()

    async def drop(self, peer: Peer) -> None:
        """Disconnect ``peer`` and wait until the server has noticed (no sleeping)."""
        noticed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def watch(event: ev.Event) -> None:
            if not isinstance(event, ev.VisitorConnection | ev.OperatorConnection):
                return  # not a connection change: says nothing about ``peer``
            mine = (
                isinstance(event, ev.VisitorConnection)
                and event.conversation_id == peer.conversation_id
            ) or (
                isinstance(event, ev.OperatorConnection) and event.operator_id == peer.operator_id
            )
            if mine and not event.connected and not noticed.done():
                noticed.set_result(None)

        self.hub.bus.subscribe(watch)
        try:
            await peer.disconnect()
            await asyncio.wait_for(noticed, TIMEOUT)
        finally:
            self.hub.bus.subscribers.remove(watch)

    async def visitor(self, line: str = "chat", lang: str = "nl", **auth: Any) -> Peer:
        peer = Peer("/visitor")
        await peer.client.connect(
            self.url,
            namespaces=["/visitor"],
            auth={"line": line, "lang": lang, **auth},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        self.peers.append(peer)
        return peer

    async def start(self, line: str = "chat", **intake: str) -> tuple[Peer, dict[str, Any]]:
        peer = await self.visitor(line)
        ack = await peer.call("start", {"consent": True, "intake": intake})
        assert ack["ok"], ack
        peer.conversation_id = ack["conversation_id"]
        return peer, ack

    async def account(self, username: str, **options: Any) -> str:
        account = accounts.new_account(
            username,
            PASSWORD,
            options.pop("role", "volunteer"),
            options.pop("alias", None),
            **options,
        )
        await self.hub.store.add_account(account)
        return account.id

    async def cookie(self, username: str) -> str:
        body = {"username": username, "password": PASSWORD}
        account = await self.hub.store.account_by_username(username)
        if account is not None and account.totp_secret:  # supervisors and admins: 2FA
            body["otp"] = self.otp(account.totp_secret)
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{self.url}/api/session", json=body)
            assert response.status == 200, await response.text()
            return f"chat_session={response.cookies['chat_session'].value}"

    def otp(self, secret: str) -> str:
        """The TOTP code at the server's (manual) time. A code is accepted only once: a test
        that logs the same account in twice moves the clock on by ``accounts.TOTP_STEP``."""
        return pyotp.TOTP(secret, interval=accounts.TOTP_STEP).at(self.clock.now())

    async def operator(
        self, username: str, status: str | None = "available", **options: Any
    ) -> Peer:
        existing = await self.hub.store.account_by_username(username)
        operator_id = existing.id if existing else await self.account(username, **options)
        peer = Peer("/operator")
        peer.operator_id = operator_id
        await peer.client.connect(
            self.url,
            namespaces=["/operator"],
            headers={"Cookie": await self.cookie(username)},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        await peer.next("status")
        self.peers.append(peer)
        if status:
            ack = await peer.call("status", {"state": status})
            assert ack["ok"], ack
        return peer


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    settings: Settings | None = None,
    limits: Limits = ONE_ADDRESS,
    backend: Backend = EMBEDDED,
    node: str = "",
    edges: Edges | None = None,
    clock: ManualClock | None = None,
    floor: FloorKind = MEMORY_FLOOR,
) -> AsyncIterator[Env]:
    """The chat server on an ephemeral port of 127.0.0.1, with a manual clock.

    End-to-end tests pass the ``backend`` and ``floor_kind`` fixtures, so they run on every
    store backend and on both floors; each server gets a floor of its own (a fresh prefix on
    Redis), closed after it, as a fresh process gets a fresh memory floor. The browser suites
    keep the embedded defaults: they check what a page shows, not what a store or a floor
    keeps, and a browser run per backend would double the slowest tests for nothing.
    ``edges`` and ``clock``: several servers sharing limits and blocks (tests/edges/).
    """
    clock = clock or ManualClock(WEDNESDAY_EVENING)
    async with floor.made(clock) as made:
        server = build_server(
            settings or load_settings(CONFIG),
            backend.store_at(tmp_path),
            clock,
            sweep_interval=None,
            limits=limits,
            node=node,
            edges=edges,
            floor=made,
        )
        runner = web.AppRunner(server.app, access_log_format=ACCESS_LOG_FORMAT)  # as in prod
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        environment = Env(f"http://127.0.0.1:{port_of(site)}", server, clock)
        try:
            yield environment
        finally:
            for peer in environment.peers:
                if peer.client.connected:
                    await peer.disconnect()
            await runner.cleanup()


def port_of(site: web.TCPSite) -> int:
    server = site._server  # aiohttp keeps the listening socket here
    assert isinstance(server, asyncio.Server)  # what create_server made: it has sockets
    port: int = server.sockets[0].getsockname()[1]
    return port


@pytest.fixture
async def env(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    async with running(tmp_path, backend=backend, floor=floor_kind) as environment:
        yield environment
