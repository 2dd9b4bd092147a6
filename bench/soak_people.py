"""The people of a soak run: volunteers, visitors and a supervisor, as real socket.io clients.

Each behaves like a person on a busy night, on every path a leak could hide in: visitors
write while waiting, give up when the wait is too long, drop and come back with their token,
leave, quick-exit, erase their chat or just vanish; volunteers answer, type, take a break,
lose their connection and come back within the grace period, hand a chat back to the queue
and end chats with a wrap-up; a supervisor watches the live floor and reads along now and
then. ``Pace.scale`` multiplies every human wait, so a test can run the same people in seconds.

A client's failure (a refused ack, a call during a reconnect) is counted, never fatal: the
soak is about the server's resources over time, and the tally says what the clients met.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pyotp
import socketio

from chatserver import accounts

PASSWORD = "soak-run-password"
WRITES = (
    "Hoi, ik weet niet zo goed waar ik moet beginnen.",
    "Het gaat eigenlijk al een tijdje niet goed met me.",
    "Ik slaap slecht en pieker veel.",
    "Mijn vrienden snappen het niet echt.",
    "I just need someone to talk to tonight.",
    "Op mijn werk gaat het ook mis, zie https://example.org/uitleg",
    "Dank je, dat helpt wel een beetje.",
    "Ik weet het niet...",
)
REPLIES = (
    "Fijn dat je het vertelt. Wat speelt er vooral?",
    "Dat klinkt zwaar. Hoe lang gaat dit al zo?",
    "Ik lees met je mee, neem de tijd.",
    "Wat heeft je eerder geholpen op zulke avonden?",
    "Is er iemand in je omgeving bij wie je terecht kunt?",
)


@dataclass(frozen=True)
class Pace:
    """How fast people act: 1.0 is a person; a test uses a small fraction."""

    scale: float = 1.0
    rng: random.Random = field(default_factory=random.Random)

    def wait(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high) * self.scale

    async def pause(self, low: float, high: float) -> None:
        await asyncio.sleep(self.wait(low, high))


@dataclass
class Tally:
    """What the clients did and met, for the report."""

    conversations: int = 0
    answered: int = 0
    gave_up: int = 0
    sent: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # exceptions by type


class Person:
    """One socket.io client at a time in one namespace, with calls that never raise."""

    namespace = ""

    def __init__(self, url: str, pace: Pace, tally: Tally) -> None:
        self.url = url
        self.pace = pace
        self.tally = tally
        self.client = socketio.AsyncClient(reconnection=False)
        self.ready = asyncio.Event()  # operators: the first ``status`` after connecting

    def fresh_client(self, handlers: dict[str, Callable[..., Any]]) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.ready = asyncio.Event()
        for event, handler in handlers.items():
            self.client.on(event, handler, namespace=self.namespace)

    async def call(self, event: str, data: Any = None) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = await self.client.call(
                event, data or {}, namespace=self.namespace, timeout=30
            )
        except Exception as error:  # a call while reconnecting, a timeout: counted, not fatal
            self.tally.failures[f"{event}: {type(error).__name__}"] += 1
            return None
        if not answer.get("ok"):
            self.tally.refused[f"{event}: {answer['error']['code']}"] += 1
        return answer

    async def hang_up(self) -> None:
        try:
            await self.client.disconnect()
        except Exception as error:
            self.tally.failures[f"disconnect: {type(error).__name__}"] += 1


async def login(url: str, username: str, otp_secret: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD}
    if otp_secret:
        body["otp"] = pyotp.TOTP(otp_secret, interval=accounts.TOTP_STEP).now()
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{url}/api/session", json=body)
        if response.status != 200:
            raise RuntimeError(f"login of {username} failed: {await response.text()}")
        return f"chat_session={response.cookies['chat_session'].value}"


class Volunteer(Person):
    namespace = "/operator"

    def __init__(self, url: str, username: str, pace: Pace, tally: Tally) -> None:
        super().__init__(url, pace, tally)
        self.username = username
        self.cookie = ""
        self.chats: dict[str, asyncio.Queue[str]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        self.cookie = await login(self.url, self.username)
        await self.connect()
        try:
            while (left := until - loop.time()) > 0:
                await asyncio.sleep(min(left, self.pace.wait(300, 900)))
                if loop.time() >= until:
                    break
                if self.pace.rng.random() < 0.5:  # the Wi-Fi drops; back within the grace
                    await self.hang_up()
                    await self.pace.pause(2, 10)
                    await self.connect()
                else:  # a cup of tea: no new chats meanwhile, the open ones go on
                    await self.call("status", {"state": "paused"})
                    await self.pace.pause(60, 180)
                    await self.call("status", {"state": "available"})
        finally:
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.hang_up()

    async def connect(self) -> None:
        self.fresh_client(
            {
                "assigned": self.on_assigned,
                "message": self.on_message,
                "visitor_left": lambda data: self.tell(data["conversation_id"], "left"),
                "released": lambda data: self.tell(data["conversation_id"], "released"),
                "status": self.on_status,
            }
        )
        await self.client.connect(
            self.url, namespaces=[self.namespace], headers={"Cookie": self.cookie}, wait_timeout=30
        )
        await asyncio.wait_for(self.ready.wait(), 30)  # the server knows us now, as a console
        await self.call("status", {"state": "available"})

    def later(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def tell(self, conversation_id: str, what: str) -> None:
        queue = self.chats.get(conversation_id)
        if queue is not None:
            queue.put_nowait(what)

    async def on_assigned(self, data: dict[str, Any]) -> None:
        conversation = data["conversation"]
        if conversation["id"] in self.chats:  # re-sent after a reconnect
            if conversation["state"] == "wrapup":  # the visitor left while we were away
                self.tell(conversation["id"], "left")
            return
        self.chats[conversation["id"]] = asyncio.Queue()
        self.later(self.chat(conversation["id"]))

    async def on_message(self, data: dict[str, Any]) -> None:
        if data.get("role") == "visitor":
            self.tell(data["conversation_id"], "message")

    async def on_status(self, data: dict[str, Any]) -> None:
        self.ready.set()
        if data.get("reason") == "debrief":  # after a heavy chat: a moment, then on again
            self.later(self.back_from_debrief())

    async def back_from_debrief(self) -> None:
        await self.pace.pause(30, 90)
        await self.call("status", {"state": "available"})

    async def chat(self, conversation_id: str) -> None:
        """Answer each message; end when the visitor goes, now and then hand it back."""
        inbox = self.chats[conversation_id]
        replies = 0
        try:
            while True:
                try:
                    what = await asyncio.wait_for(inbox.get(), self.pace.scale * 300)
                except TimeoutError:
                    what = "left"  # five quiet minutes: the visitor must have gone
                if what == "released":
                    return
                if what == "left":
                    await self.end(conversation_id)
                    return
                await self.pace.pause(2, 8)  # reading
                await self.call("typing", {"conversation_id": conversation_id, "active": True})
                await self.pace.pause(2, 6)
                reply = self.pace.rng.choice(REPLIES)
                sent = await self.call(
                    "message", {"conversation_id": conversation_id, "text": reply}
                )
                self.tally.sent += bool(sent and sent.get("ok"))
                replies += 1
                if replies >= 3 and self.pace.rng.random() < 0.03:
                    note = {
                        "conversation_id": conversation_id,
                        "to": "queue",
                        "note": "Graag een collega.",
                    }
                    await self.call("handover", note)
                    return
                if replies >= 8 and self.pace.rng.random() < 0.1:
                    await self.end(conversation_id)  # the volunteer closes the conversation
                    return
        finally:
            self.chats.pop(conversation_id, None)

    async def end(self, conversation_id: str) -> None:
        risk = self.pace.rng.choices(("none", "low", "high"), (80, 17, 3))[0]
        topics = [self.pace.rng.choice(("loneliness", "relationships", "other"))]
        await self.call(
            "end", {"conversation_id": conversation_id, "wrapup": {"topics": topics, "risk": risk}}
        )


class Visitor(Person):
    namespace = "/visitor"

    def __init__(self, url: str, pace: Pace, tally: Tally) -> None:
        super().__init__(url, pace, tally)
        self.assigned = asyncio.Event()
        self.ended = asyncio.Event()
        self.seq = 0

    async def run(self, until: float) -> None:
        """One visitor after another in this seat, until the run is over."""
        loop = asyncio.get_running_loop()
        while loop.time() < until:
            try:
                await self.one_conversation(until)
            finally:
                await self.hang_up()
            await self.pace.pause(1, 10)

    async def connect(self, auth: dict[str, Any]) -> None:
        self.fresh_client(
            {
                "assigned": lambda data: self.assigned.set(),
                "ended": lambda data: self.ended.set(),
                "message": self.on_message,
            }
        )
        await self.client.connect(self.url, namespaces=[self.namespace], auth=auth, wait_timeout=30)

    def on_message(self, data: dict[str, Any]) -> None:
        self.seq = max(self.seq, int(data.get("seq") or 0))

    async def one_conversation(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        rng = self.pace.rng
        self.assigned, self.ended, self.seq = asyncio.Event(), asyncio.Event(), 0
        lang = rng.choice(("nl", "nl", "nl", "en"))
        await self.connect({"line": "chat", "lang": lang})
        started = await self.call("start", {"consent": True, "intake": {}})
        if not started or not started.get("ok"):
            return
        self.tally.conversations += 1
        token = started["token"]
        if rng.random() < 0.3:  # writes straight away, while waiting
            await self.write()
        try:
            patience = min(self.pace.wait(60, 300), max(0.1, until - loop.time()))
            await asyncio.wait_for(self.assigned.wait(), patience)
        except TimeoutError:
            self.tally.gave_up += 1
            await self.call("leave", {})
            return
        self.tally.answered += 1
        for _ in range(rng.randint(4, 14)):
            if self.ended.is_set() or loop.time() >= until:
                break
            await self.pace.pause(3, 12)
            if rng.random() < 0.03:  # the train goes into a tunnel: back with the token
                await self.hang_up()
                await self.pace.pause(1, 5)
                await self.connect(
                    {"line": "chat", "lang": lang, "token": token, "since": self.seq}
                )
            await self.call("typing", {"active": True})
            await self.pace.pause(1, 4)
            await self.write()
        if self.ended.is_set():
            return
        goodbye = rng.choices(("leave", "quick_exit", "forget", "vanish"), (70, 10, 10, 10))[0]
        if goodbye == "leave":
            await self.call("leave", {})
        elif goodbye == "quick_exit":
            await self.call("leave", {"reason": "quick_exit"})
        elif goodbye == "forget":
            await self.call("forget", {})
        # "vanish": the tab is closed; the server's grace period ends the conversation

    async def write(self) -> None:
        sent = await self.call("message", {"text": self.pace.rng.choice(WRITES)})
        self.tally.sent += bool(sent and sent.get("ok"))


class Supervisor(Person):
    """Watches the live floor all night and now and then reads along in a chat."""

    namespace = "/operator"

    def __init__(self, url: str, username: str, otp_secret: str, pace: Pace, tally: Tally):
        super().__init__(url, pace, tally)
        self.username = username
        self.otp_secret = otp_secret
        self.open: list[str] = []
        self.dashboards = 0

    def on_dashboard(self, data: dict[str, Any]) -> None:
        self.dashboards += 1
        self.open = [c["id"] for c in data.get("conversations", []) if c.get("state") == "active"]

    async def run(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        cookie = await login(self.url, self.username, self.otp_secret)
        self.fresh_client({"dashboard": self.on_dashboard, "status": lambda _: self.ready.set()})
        await self.client.connect(
            self.url, namespaces=[self.namespace], headers={"Cookie": cookie}, wait_timeout=30
        )
        await asyncio.wait_for(self.ready.wait(), 30)
        try:
            await self.call("monitor", {})
            while (left := until - loop.time()) > 0:
                await asyncio.sleep(min(left, self.pace.wait(60, 240)))
                if self.open and loop.time() < until:
                    watched = {"conversation_id": self.pace.rng.choice(self.open)}
                    await self.call("observe", watched)
                    await self.pace.pause(30, 120)
                    await self.call("unobserve", watched)
        finally:
            await self.hang_up()
