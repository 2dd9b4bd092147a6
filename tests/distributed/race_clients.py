"""Many people at once on a cluster: thin visitors, volunteers who act on what they hear.

A race of thousands of visitors needs clients that cost little: a python-socketio client per
visitor brings its own HTTP session and background tasks, so :class:`ThinVisitor` speaks the
wire format itself over one shared aiohttp session (``40/visitor,{auth}`` to join,
``42/visitor,7["start",{...}]`` with ack id 7, ``43/visitor,7[{...}]`` for the answer), as
``tests/e2e/raw.py`` does, and records every event it is sent, in order.

:class:`Console` is a volunteer's or supervisor's console (a python-socketio client, logged
in by ``POST /api/session``), recording each event with the moment it arrived, so a test can
say what the person saw and when. Accounts for a crowd are written straight into the shared
records (:func:`add_accounts`): ``chatserver operator add`` is a process start per account,
and one password hash serves them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import socketio

from chatserver import accounts
from chatserver.backends.redis_floor import RedisFloor
from chatserver.backends.redis_store import RedisStore
from chatserver.clock import SystemClock
from chatserver.hub.hub import Hub
from chatserver.hub.model import Account
from chatserver.settings import load_settings
from tests.e2e.conftest import PASSWORD

TIMEOUT = 10.0  # one answer from a node, on a busy 2-core machine
VISITOR = "/visitor"
OPERATOR = "/operator"


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str, limit: float) -> None:
    """Wait for what other processes do (no event of ours says when), bounded."""
    deadline = time.monotonic() + limit
    while True:
        done = condition()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        assert time.monotonic() < deadline, f"not within {limit} s: {what}"
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------- accounts
@dataclass(frozen=True)
class Person:
    """An account to make: its alias is its username."""

    username: str
    role: str = "volunteer"
    capacity: int = 1
    backup: bool = False
    lines: tuple[str, ...] = ()


async def add_accounts(url: str, people: Iterable[Person]) -> list[Account]:
    """The accounts in the shared records (prefix ``chat:``); one password hash for all,
    ``PASSWORD`` as everywhere; supervisors get a TOTP secret of their own."""
    store = RedisStore(url, "chat:", scrub_delay=None)
    await store.open()
    try:
        made = []
        templates: dict[str, Account] = {}
        for person in people:
            if person.role not in templates:
                templates[person.role] = accounts.new_account(
                    "template", PASSWORD, person.role, None
                )
            template = templates[person.role]
            account = dataclasses.replace(
                template,
                id=f"{template.id[:8]}-{person.username}",
                username=person.username,
                alias=person.username,
                capacity=person.capacity,
                backup=person.backup,
                lines=person.lines,
                totp_secret=pyotp.random_base32() if template.totp_secret else None,
            )
            await store.add_account(account)
            made.append(account)
        return made
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def floor_hub(url: str, config: Path) -> AsyncIterator[Hub]:
    """A hub over the cluster's floor, on the real clock like the nodes, for
    ``Hub.check_invariants``: it reads the floor and changes nothing."""
    floor = RedisFloor(url, "chat:")
    store = RedisStore(url, "chat:", scrub_delay=None)
    await store.open()
    try:
        yield Hub(load_settings(config), store, SystemClock(), floor=floor, node="checker")
    finally:
        await floor.close()
        await store.close()


# ---------------------------------------------------------------------------- visitors
class ThinVisitor:
    """One visitor: one Engine.IO WebSocket, the ``/visitor`` namespace, every event kept.

    ``events`` holds ``(name, data)`` in arrival order; ``call`` sends an event and returns
    its acknowledgement. Pings are answered by the reader, so a visitor may wait for long.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.events: list[tuple[str, Any]] = []
        self.conversation_id = ""
        self.changed = asyncio.Event()  # set on every event: for waiting on one
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._joined: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._next_ack = 0
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, http: aiohttp.ClientSession, url: str, auth: dict[str, Any]) -> None:
        self._ws = await http.ws_connect(
            f"{url}/socket.io/?EIO=4&transport=websocket", timeout=aiohttp.ClientWSTimeout()
        )
        opening = await asyncio.wait_for(self._ws.receive_str(), TIMEOUT)
        assert opening.startswith("0{"), opening
        self._reader = asyncio.create_task(self._read())
        await self._ws.send_str(f"40{VISITOR},{json.dumps(auth)}")
        await asyncio.wait_for(asyncio.shield(self._joined), TIMEOUT)

    async def _read(self) -> None:
        assert self._ws is not None
        head = f"{VISITOR},"
        try:
            async for frame in self._ws:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    break
                packet: str = frame.data
                if packet == "2":
                    await self._ws.send_str("3")
                    continue
                if not packet.startswith(head, 2):
                    continue
                kind, body = packet[:2], packet[2 + len(head) :]
                if kind == "42":
                    name, *args = json.loads(body)
                    self.events.append((name, args[0] if args else None))
                    self.changed.set()
                elif kind == "43":
                    bracket = body.index("[")
                    future = self._acks.pop(int(body[:bracket]), None)
                    if future is not None and not future.done():
                        answer = json.loads(body[bracket:])
                        future.set_result(answer[0] if answer else None)
                elif kind == "40" and not self._joined.done():
                    self._joined.set_result(json.loads(body))
                elif kind == "44" and not self._joined.done():
                    self._joined.set_exception(ConnectionError(f"refused: {body}"))
                elif kind == "41":
                    break
        finally:
            self.events.append(("closed", None))
            self.changed.set()
            for future in [self._joined, *self._acks.values()]:
                if not future.done():
                    future.set_exception(ConnectionError(f"{self.name}: connection closed"))

    async def call(self, event: str, data: Any = None) -> Any:
        assert self._ws is not None
        self._next_ack += 1
        ack = self._next_ack
        future = self._acks[ack] = asyncio.get_running_loop().create_future()
        await self._ws.send_str(f"42{VISITOR},{ack}{json.dumps([event, data])}")
        return await asyncio.wait_for(future, TIMEOUT)

    def seen(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader


def crowd_session() -> aiohttp.ClientSession:
    """One HTTP session for a crowd of websockets: no cap on connections (each websocket
    holds one for its whole life)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


# ---------------------------------------------------------------------------- consoles
class Console:
    """A volunteer's or supervisor's console on one node: every event with its arrival
    time (``time.monotonic``), in order; ``on(event, handler)`` to act on one."""

    def __init__(self, account: Account, node: int) -> None:
        self.account = account
        self.node = node
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[float, str, Any]] = []
        self.changed = asyncio.Event()
        self.handlers: dict[str, Callable[[Any], Awaitable[None]]] = {}
        self.client.on("*", self._record, namespace=OPERATOR)

    @property
    def id(self) -> str:
        return self.account.id

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((time.monotonic(), event, data))
        self.changed.set()
        handler = self.handlers.get(event)
        if handler is not None:
            await handler(data)

    async def connect(self, url: str) -> None:
        body = {"username": self.account.username, "password": PASSWORD}
        if self.account.totp_secret:
            body["otp"] = pyotp.TOTP(self.account.totp_secret, interval=accounts.TOTP_STEP).now()
        async with aiohttp.ClientSession() as http:
            answer = await http.post(f"{url}/api/session", json=body)
            assert answer.status == 200, await answer.text()
            cookie = f"chat_session={answer.cookies['chat_session'].value}"
        await self.client.connect(
            url,
            namespaces=[OPERATOR],
            headers={"Cookie": cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = await self.client.call(
            event, data, namespace=OPERATOR, timeout=TIMEOUT
        )
        return answer

    async def must(self, event: str, data: Any = None) -> dict[str, Any]:
        answer = await self.call(event, data)
        assert answer.get("ok"), f"{self.account.username} {event} {data}: {answer}"
        return answer

    def seen(self, name: str) -> list[Any]:
        return [data for _, event, data in self.events if event == name]

    async def next_event(self, name: str, matches: Callable[[Any], bool], after: int = 0) -> Any:
        """The first ``name`` event from index ``after`` on that ``matches``, waiting for it."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for _, event, data in self.events[after:]:
                if event == name and matches(data):
                    return data
            self.changed.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"{self.account.username}: no {name} within {TIMEOUT} s"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def close(self) -> None:
        if self.client.connected:
            await self.client.eio.disconnect(abort=True)
