"""Visitors and volunteers that behave as the widget and the console do when a node goes away.

A page does not give up when its connection drops: socket.io reconnects by itself, through the
load balancer to whichever node answers. The widget resumes its chat with its token and the
newest seq it saw (``widget/static/socket.js``) and sends a message whose answer was lost again
with the same client id (``widget/static/actions.js``), so the server keeps it once. The
console reconnects with its session cookie and is told its chats again (``assigned``, with
their transcripts). These classes do the same with python-socketio's client, with its default
back-off (socket.io-client's too), and record what a person would see: every message by id (a
replay or a resend adds nothing, as on the page), every ``assigned`` and ``ended``, and the
node each connection reached (an Engine.IO session id starts with its node's name).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import aiohttp
import socketio

from chatserver import accounts
from chatserver.backends.redis_store import RedisStore
from tests.distributed.cluster import Node
from tests.e2e.conftest import PASSWORD

ACK_TIMEOUT = 10.0  # the widget's socket.timeout(10000) on a message
DEADLINE = 20.0  # for a message to be acknowledged, or a client to reach a state
WEBSOCKET = ("websocket",)
POLLING = ("polling",)  # a network that lets only long-polling through


async def volunteer_accounts(url: str, names: Iterable[str], capacity: int) -> None:
    """What ``chatserver operator add NAME --role volunteer --capacity N --redis URL`` stores,
    written at once for many (one password hash for all: hashing is the slow part)."""
    first = accounts.new_account("template", PASSWORD, "volunteer", None, capacity=capacity)
    store = RedisStore(url, scrub_delay=None)
    await store.open()
    try:
        for name in names:
            made = "o" + secrets.token_hex(6)
            await store.add_account(replace(first, id=made, username=name, alias=name.title()))
    finally:
        await store.close()


class BrowserClient(socketio.AsyncClient):  # type: ignore[misc]  # an untyped library
    """python-socketio's client, reconnecting as socket.io's JavaScript client does.

    When the server closes the Engine.IO connection (a draining node, a node letting its
    sockets go after a lapse or a broken feed), the JavaScript client reconnects ("transport
    close"); only a socket.io disconnect from the server ("io server disconnect") stops it.
    python-socketio's client does not reconnect in the first case (its Engine.IO client is
    already "disconnecting" when it decides), so the pages here would stay away where the
    widget and the console come back. This restores the browser's behaviour."""

    async def _handle_eio_disconnect(self, reason: Any) -> None:
        engine_closed = self.connected and reason == self.reason.SERVER_DISCONNECT
        await super()._handle_eio_disconnect(reason)
        if engine_closed and self.reconnection and not getattr(self, "_reconnect_task", None):
            self._reconnect_task = self.start_background_task(self._handle_reconnect)


class Person:
    """One socket.io client that reconnects by itself; see the module's docstring."""

    namespace = ""

    def __init__(self, name: str, transports: tuple[str, ...]) -> None:
        self.name = name
        self.transports = list(transports)
        self.client = self._client()
        self.nodes: list[str] = []  # the node of each connection, in order
        self.unavailable = 0  # answers "unavailable" (tried again, as a person would)
        self.up = asyncio.Event()
        self.down = asyncio.Event()
        self._change = asyncio.Event()
        self.http: aiohttp.ClientSession | None = None

    def _client(self, http: aiohttp.ClientSession | None = None) -> socketio.AsyncClient:
        """With socket.io's default back-off; ``http``: a session whose cookies every
        (re)connection sends, as a browser's would."""
        client = BrowserClient(reconnection=True, http_session=http)
        client.on("connect", self._connected, namespace=self.namespace)
        client.on("disconnect", self._disconnected, namespace=self.namespace)
        client.on("*", self._event, namespace=self.namespace)
        return client

    # ------------------------------------------------------------------ what happens
    def _changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    async def _connected(self) -> None:
        sid = self.client.eio.sid or ""
        self.nodes.append(sid.split(".", 1)[0])
        self.down.clear()
        self.up.set()
        self._changed()

    async def _disconnected(self, *_reason: Any) -> None:
        self.up.clear()
        self.down.set()
        self._changed()

    async def _event(self, event: str, data: Any = None) -> None:
        self.record(event, data)
        self._changed()

    def record(self, event: str, data: Any) -> None:
        raise NotImplementedError

    @property
    def node(self) -> str:
        """The node of the connection now (or of the last one)."""
        return self.nodes[-1] if self.nodes else ""

    async def until(self, check: Callable[[], bool], what: str) -> None:
        """Wait for what this client sees to make ``check`` true; fail naming ``what``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while True:
            change = self._change
            if check():
                return
            remaining = deadline - loop.time()
            try:
                await asyncio.wait_for(change.wait(), max(remaining, 0))
            except TimeoutError:
                raise AssertionError(
                    f"{self.name} (connections to {self.nodes}): not within {DEADLINE} s: {what}"
                ) from None

    # ------------------------------------------------------------------ what it does
    async def call(
        self, event: str, data: dict[str, Any], *, again_if_unavailable: bool = True
    ) -> dict[str, Any]:
        """Send and wait for the answer. A connection lost on the way, or no answer: send
        the same again once connected (a message keeps its ``client_id``). ``unavailable``:
        try again a moment later, unless ``again_if_unavailable`` is false. Any other answer
        is returned."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.name} (connections to {self.nodes}): {event} {data} was not "
                    f"acknowledged within {DEADLINE} s"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.up.wait(), remaining)
            if not self.up.is_set():
                continue
            sent = asyncio.ensure_future(
                self.client.call(event, data, namespace=self.namespace, timeout=ACK_TIMEOUT)
            )
            dropped = asyncio.ensure_future(self.down.wait())
            await asyncio.wait({sent, dropped}, return_when=asyncio.FIRST_COMPLETED)
            dropped.cancel()
            if not sent.done():  # the connection dropped: this answer will never come
                sent.cancel()
                with contextlib.suppress(asyncio.CancelledError, socketio.exceptions.SocketIOError):
                    await sent
                continue
            try:
                answer: dict[str, Any] = sent.result()
            except socketio.exceptions.SocketIOError:  # not connected, or no answer in time
                continue
            unavailable = not answer.get("ok") and answer["error"]["code"] == "unavailable"
            if unavailable and again_if_unavailable:
                self.unavailable += 1
                await asyncio.sleep(0.2)  # a person trying again: nothing to wait for
                continue
            return answer

    async def close(self) -> None:
        """Close the page, without waiting for a long poll (see :func:`closing_time`)."""
        self.client.reconnection = False
        if self.client.connected:
            await self.client.eio.disconnect(abort=True)
        else:
            await self.client.shutdown()  # ends a reconnection under way
        if self.http is not None:
            await self.http.close()


async def closing_time(nodes: Iterable[Node], people: Iterable[Person]) -> None:
    """The end of a test: nobody reconnects any more, the nodes stop as systemd stops them
    (each drains: tells its clients and closes their connections, long polls included), then
    the pages close. Closed the other way round, a long poll the load balancer keeps open
    would hold its node's shutdown for its whole bound."""
    people = list(people)
    for person in people:
        person.client.reconnection = False
    try:
        await asyncio.gather(*(node.stop() for node in nodes))
    finally:
        await asyncio.gather(*(person.close() for person in people))


class Visitor(Person):
    """The widget: starts a chat, resumes it with its token and newest seq on reconnect."""

    namespace = "/visitor"

    def __init__(self, name: str, transports: tuple[str, ...] = WEBSOCKET) -> None:
        super().__init__(name, transports)
        self.token: str | None = None
        self.conversation_id = ""
        self.max_seq = 0
        self.seen: dict[str, dict[str, Any]] = {}  # message id -> message, as the page shows
        self.assigned: list[str] = []  # the volunteer's alias, each time it is told
        self.ended: list[dict[str, Any]] = []

    def auth(self) -> dict[str, Any]:
        """Asked on every (re)connection, as the widget's auth function is."""
        if self.token is None:
            return {"line": "chat", "lang": "nl"}
        return {"line": "chat", "lang": "nl", "token": self.token, "since": self.max_seq}

    def record(self, event: str, data: Any) -> None:
        if event == "message" and data["id"] not in self.seen:
            self.seen[data["id"]] = data
            self.max_seq = max(self.max_seq, data["seq"])
        elif event == "assigned":
            self.assigned.append(data["operator"])
        elif event == "ended":
            self.ended.append(data)

    async def connect(self, url: str) -> None:
        await self.client.connect(
            url,
            namespaces=[self.namespace],
            auth=self.auth,
            transports=self.transports,
            wait_timeout=DEADLINE,
        )

    async def start(self) -> None:
        answer = await self.call("start", {"consent": True})
        assert answer["ok"], f"{self.name}: {answer}"
        self.token = answer["token"]
        self.conversation_id = answer["conversation_id"]

    async def send(self, text: str) -> dict[str, Any]:
        answer = await self.call("message", {"text": text, "client_id": secrets.token_hex(12)})
        assert answer["ok"], f"{self.name}: {answer}"
        return answer

    def answered(self) -> bool:
        return bool(self.assigned)

    def texts(self) -> Counter[str]:
        """How often each text shows on the page (each message once, by its id)."""
        return Counter(message["text"] for message in self.seen.values())


class Volunteer(Person):
    """The console: logs in, goes available, is told its chats again on every reconnect."""

    namespace = "/operator"

    def __init__(self, name: str, transports: tuple[str, ...] = WEBSOCKET) -> None:
        super().__init__(name, transports)
        self.alias = name.title()
        self.statuses: list[dict[str, Any]] = []
        self.assigned: Counter[str] = Counter()  # conversation id -> times told
        self.left: list[str] = []  # conversations whose visitor left
        self.chats: dict[str, dict[str, dict[str, Any]]] = {}  # conversation -> id -> message

    def record(self, event: str, data: Any) -> None:
        if event == "status":
            self.statuses.append(data)
        elif event == "assigned":
            conversation = data["conversation"]
            self.assigned[conversation["id"]] += 1
            for message in conversation["messages"]:
                self._keep(conversation["id"], message)
        elif event == "message":
            self._keep(data["conversation_id"], data)
        elif event == "visitor_left":
            self.left.append(data["conversation_id"])

    def _keep(self, conversation_id: str, message: dict[str, Any]) -> None:
        self.chats.setdefault(conversation_id, {}).setdefault(message["id"], message)

    async def connect(self, url: str) -> None:
        """Log in through the load balancer, connect the console, go available.

        The session cookie stays in the browser's cookie jar (``self.http``): a ``Cookie``
        header given to python-socketio's client is sent on the first connection only
        (python-engineio moves it into a cookie jar of its own, which it drops with the
        connection), so a console reconnecting that way would be refused ``unauthorized``."""
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # an IP
        login = await self.http.post(
            f"{url}/api/session", json={"username": self.name, "password": PASSWORD}
        )
        assert login.status == 200, await login.text()
        self.client = self._client(self.http)
        await self.client.connect(
            url, namespaces=[self.namespace], transports=self.transports, wait_timeout=DEADLINE
        )
        await self.until(lambda: bool(self.statuses), "its status is told")
        answer = await self.call("status", {"state": "available"})
        assert answer["ok"], f"{self.name}: {answer}"

    async def send(self, conversation_id: str, text: str) -> dict[str, Any]:
        body = {"conversation_id": conversation_id, "text": text}
        answer = await self.call("message", {**body, "client_id": secrets.token_hex(12)})
        assert answer["ok"], f"{self.name}: {answer}"
        return answer

    def texts(self, conversation_id: str) -> Counter[str]:
        return Counter(m["text"] for m in self.chats.get(conversation_id, {}).values())
