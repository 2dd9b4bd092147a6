"""A load-generator process: thin clients (``bench/wire.py``) driven by JSON lines.

``bench/suite.py`` starts one or more of these (``python -m bench.load``) and writes one JSON
command per line to its standard input; each is answered by one JSON line on standard output
(``{"error": traceback}`` when it failed). The clients of every target (a baseline or the
server) live side by side, each target's in a :class:`Fleet` of its own, so rounds can
alternate between targets on connections made once.

Commands (``op``), each for one ``target``:

* ``pairs``: baseline clients, a visitor and a volunteer per room;
* ``volunteers``: log in (``POST /api/session``), connect ``/operator``, go ``available``;
* ``visitors``: connect ``/visitor`` (each from an address of its own, in X-Forwarded-For),
  ``start``, optionally say something and wait for ``assigned``; reports when the first
  connect began and the last ``start`` was answered;
* ``closed``: the closed loop: every visitor sends, waits for the volunteer's answer, sends
  again; counts round trips that end between ``count_from`` and ``stop``;
* ``open``: the open loop: each visitor sends on a fixed clock whatever happens; the text
  carries the scheduled time, so whichever process holds the volunteer measures the latency
  from the schedule (no coordinated omission); ``delivered`` and ``collect`` read it back;
* ``leave``, ``end``, ``close``: the visitors leave, the volunteers end their chats, and
  every socket closes; ``quit`` ends the process.

Times are ``time.monotonic()``: on Linux one clock for every process on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sys
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.wire import Closed, Socket

PASSWORD = "benchmark-password"
WRAPUP = {"topics": [], "risk": "none"}
TIMEOUT = 60.0  # one answer from a busy server
SAY = "Ik weet niet zo goed waar ik moet beginnen."
REPLY = "Fijn dat je het vertelt. Wat speelt er vooral?"


def address(index: int) -> str:
    """Visitor ``index``'s own address (10.0.0.1 onwards), sent as X-Forwarded-For."""
    index += 1
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def raise_file_limit() -> None:
    """Thousands of sockets need thousands of descriptors: the soft limit up to the hard."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def new_session() -> aiohttp.ClientSession:
    # no cookie jar: each volunteer sends its own session cookie, visitors none
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


async def login(http: aiohttp.ClientSession, url: str, username: str) -> str:
    """A volunteer's session cookie, as the console gets it."""
    body = {"username": username, "password": PASSWORD}
    async with http.post(f"{url}/api/session", json=body) as response:
        if response.status != 200:
            raise RuntimeError(f"login of {username}: {response.status} {await response.text()}")
        return f"chat_session={response.cookies['chat_session'].value}"


async def bounded(limit: int, jobs: Iterable[Awaitable[None]]) -> None:
    """Run ``jobs``, at most ``limit`` at once."""
    gate = asyncio.Semaphore(max(1, limit))

    async def one(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


@dataclass
class Visitor:
    index: int
    sock: Socket
    conversation_id: str = ""
    assigned: asyncio.Event = field(default_factory=asyncio.Event)
    reply: asyncio.Future[None] | None = None


@dataclass
class Volunteer:
    sock: Socket
    room: str = ""  # a baseline's conversation
    conversations: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Fleet:
    """One target's clients in this process, and what they measured."""

    visitors: list[Visitor] = field(default_factory=list)
    volunteers: list[Volunteer] = field(default_factory=list)
    mode: str = "idle"  # "closed": volunteers answer; "open": they time what arrives
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    unanswered: int = 0  # acknowledgements still to come
    answered: asyncio.Event = field(default_factory=asyncio.Event)  # set: none to come
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)

    def expect(self) -> None:
        """One acknowledgement more to come (see :meth:`acked`)."""
        self.unanswered += 1
        self.answered.clear()

    def acked(self, answer: Any) -> None:
        self.unanswered -= 1
        if self.unanswered <= 0:
            self.answered.set()
        if not isinstance(answer, dict) or not answer.get("ok"):
            code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
            self.errors[str(code or answer)] += 1

    def volunteer_handlers(self, volunteer: Volunteer) -> dict[str, Callable[[Any], Any]]:
        async def message(data: dict[str, Any]) -> None:
            if data.get("role") != "visitor":
                return
            if self.mode == "closed":
                self.expect()
                conversation = data.get("conversation_id", volunteer.room)
                body = {"conversation_id": conversation, "text": REPLY}
                await volunteer.sock.send("message", body, ack=self.acked)
            elif self.mode == "open" and data["text"].startswith("o "):
                _, scheduled, counted = data["text"].split()
                self.delivered += 1
                if counted == "1":  # the sender decided: no rounding at the window's edge
                    self.latencies.append(time.monotonic() - float(scheduled))

        def assigned(data: dict[str, Any]) -> None:
            conversation = data["conversation"]["id"]
            if conversation not in volunteer.conversations:
                volunteer.conversations.append(conversation)

        def released(data: dict[str, Any]) -> None:
            with contextlib.suppress(ValueError):
                volunteer.conversations.remove(data["conversation_id"])

        return {
            "message": message,
            "assigned": assigned,
            "released": released,
            "status": lambda data: volunteer.ready.set(),
        }

    def visitor_handlers(self, visitor: Visitor) -> dict[str, Callable[[Any], Any]]:
        def message(data: dict[str, Any]) -> None:
            if data.get("role") == "operator" and visitor.reply and not visitor.reply.done():
                visitor.reply.set_result(None)

        return {"message": message, "assigned": lambda data: visitor.assigned.set()}


class Worker:
    def __init__(self) -> None:
        self.http = new_session()
        self.fleets: dict[str, Fleet] = {}

    async def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        op = command.pop("op")
        if op == "hello":
            return {"pid": os.getpid()}
        fleet = self.fleets.setdefault(command.pop("target"), Fleet())
        do: Callable[..., Awaitable[dict[str, Any]]] = getattr(self, f"do_{op}")
        return await do(fleet, **command)

    async def do_pairs(self, fleet: Fleet, url: str, first: int, count: int) -> dict[str, Any]:
        async def pair(index: int) -> None:
            visitor = Visitor(index, Socket("/visitor", TIMEOUT))
            volunteer = Volunteer(Socket("/operator", TIMEOUT), room=f"room{index}")
            for sock, handlers in (
                (visitor.sock, fleet.visitor_handlers(visitor)),
                (volunteer.sock, fleet.volunteer_handlers(volunteer)),
            ):
                for event, handler in handlers.items():
                    sock.on(event, handler)
            await volunteer.sock.connect(self.http, url, auth={"room": volunteer.room})
            await visitor.sock.connect(self.http, url, auth={"room": volunteer.room})
            fleet.visitors.append(visitor)
            fleet.volunteers.append(volunteer)

        await bounded(50, (pair(i) for i in range(first, first + count)))
        return {"pairs": count}

    async def do_volunteers(
        self, fleet: Fleet, urls: list[str], first: int, names: list[str], available: bool
    ) -> dict[str, Any]:
        async def one(index: int, name: str) -> None:
            url = urls[index % len(urls)]
            cookie = await login(self.http, url, name)
            volunteer = Volunteer(Socket("/operator", TIMEOUT))
            for event, handler in fleet.volunteer_handlers(volunteer).items():
                volunteer.sock.on(event, handler)
            await volunteer.sock.connect(self.http, url, headers={"Cookie": cookie})
            await asyncio.wait_for(volunteer.ready.wait(), TIMEOUT)  # the first ``status``
            if available:
                answer = await volunteer.sock.call("status", {"state": "available"})
                if not answer.get("ok"):
                    raise RuntimeError(f"{name} could not go available: {answer}")
            fleet.volunteers.append(volunteer)

        # argon2 takes tens of milliseconds and 64 MiB per login: a few at a time
        await bounded(4, (one(first + n, name) for n, name in enumerate(names)))
        return {"volunteers": len(names)}

    async def do_visitors(
        self,
        fleet: Fleet,
        urls: list[str],
        first: int,
        count: int,
        lines: list[str],
        concurrency: int = 50,
        say: str | None = None,
        assigned: bool = False,
    ) -> dict[str, Any]:
        began: list[float] = []
        answered: list[float] = []

        async def one(index: int) -> None:
            visitor = Visitor(index, Socket("/visitor", TIMEOUT))
            for event, handler in fleet.visitor_handlers(visitor).items():
                visitor.sock.on(event, handler)
            began.append(time.monotonic())
            auth = {"line": lines[index % len(lines)], "lang": "nl"}
            headers = {"X-Forwarded-For": address(index)}
            try:
                await visitor.sock.connect(self.http, urls[index % len(urls)], auth, headers)
                answer = await visitor.sock.call("start", {"consent": True})
            except (OSError, TimeoutError, aiohttp.ClientError) as error:
                fleet.errors[f"start: {type(error).__name__}"] += 1
                return
            answered.append(time.monotonic())
            if not answer.get("ok"):
                fleet.errors[f"start: {answer['error']['code']}"] += 1
                return
            visitor.conversation_id = answer["conversation_id"]
            fleet.visitors.append(visitor)
            if say is not None:
                said = await visitor.sock.call("message", {"text": say})
                if not said.get("ok"):
                    fleet.errors[f"message: {said['error']['code']}"] += 1
            if assigned:
                await asyncio.wait_for(visitor.assigned.wait(), TIMEOUT)

        await bounded(concurrency, (one(i) for i in range(first, first + count)))
        return {
            "started": len(answered),
            "began": min(began, default=None),
            "answered": max(answered, default=None),
            "errors": dict(fleet.errors),
        }

    async def do_closed(
        self, fleet: Fleet, start: float, count_from: float, stop: float
    ) -> dict[str, Any]:
        fleet.mode, fleet.errors = "closed", Counter()
        loop = asyncio.get_running_loop()
        rtts: list[float] = []

        async def talk(visitor: Visitor) -> None:
            await asyncio.sleep(max(0.0, start - time.monotonic()))
            n = 0
            while (begun := time.monotonic()) < stop:
                visitor.reply = loop.create_future()
                fleet.expect()
                body = {"text": f"bericht {n}"}
                try:
                    await visitor.sock.send("message", body, ack=fleet.acked)
                    await asyncio.wait_for(visitor.reply, TIMEOUT)
                except (Closed, TimeoutError) as error:
                    fleet.errors[type(error).__name__] += 1
                    return
                done = time.monotonic()
                if done >= count_from and done <= stop:
                    rtts.append(round(done - begun, 6))
                n += 1

        await asyncio.gather(*(talk(v) for v in fleet.visitors))
        await self.answers(fleet)
        return {"round_trips": len(rtts), "rtts": rtts, "errors": dict(fleet.errors)}

    async def do_open(
        self, fleet: Fleet, start: float, count_from: float, stop: float, rate: float, total: int
    ) -> dict[str, Any]:
        """Each visitor sends ``rate`` messages a second on its own clock, the visitors'
        clocks spread evenly over one period (``total`` visitors in all processes)."""
        fleet.mode, fleet.errors = "open", Counter()
        fleet.sent = fleet.delivered = 0
        fleet.latencies = []
        period = 1 / rate
        sent_in_window = 0
        late = 0.0

        async def talk(visitor: Visitor) -> None:
            nonlocal sent_in_window, late
            at = start + period * visitor.index / total
            while at < stop:
                delay = at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    late = max(late, -delay)
                counted = at >= count_from
                fleet.expect()
                text = f"o {at:.6f} {int(counted)}"  # the schedule, so no process waits for it
                try:
                    await visitor.sock.send("message", {"text": text}, ack=fleet.acked)
                except Closed:
                    fleet.errors["Closed"] += 1
                    return
                fleet.sent += 1
                sent_in_window += counted
                at += period

        await asyncio.gather(*(talk(v) for v in fleet.visitors))
        await self.answers(fleet)
        return {
            "sent": fleet.sent,
            "sent_in_window": sent_in_window,
            "late_max": round(late, 6),  # how far the generator itself fell behind its clock
            "errors": dict(fleet.errors),
        }

    async def do_delivered(self, fleet: Fleet) -> dict[str, Any]:
        return {"delivered": fleet.delivered}

    async def do_collect(self, fleet: Fleet) -> dict[str, Any]:
        latencies = [round(x, 6) for x in fleet.latencies]
        fleet.latencies, fleet.mode = [], "idle"
        return {"delivered": fleet.delivered, "latencies": latencies}

    async def answers(self, fleet: Fleet) -> None:
        """Wait until every acknowledgement this process waits for has come."""
        if fleet.unanswered > 0:
            try:
                await asyncio.wait_for(fleet.answered.wait(), TIMEOUT)
            except TimeoutError:
                fleet.errors["unanswered"] += fleet.unanswered
                fleet.unanswered = 0

    async def do_leave(self, fleet: Fleet) -> dict[str, Any]:
        fleet.mode = "idle"

        async def leave(visitor: Visitor) -> None:
            with contextlib.suppress(Closed, TimeoutError):
                await visitor.sock.call("leave", {})

        await bounded(50, (leave(v) for v in fleet.visitors if v.conversation_id))
        return {}

    async def do_end(self, fleet: Fleet) -> dict[str, Any]:
        async def end(volunteer: Volunteer) -> None:
            for conversation in list(volunteer.conversations):
                body = {"conversation_id": conversation, "wrapup": WRAPUP}
                with contextlib.suppress(Closed, TimeoutError):
                    await volunteer.sock.call("end", body)

        await bounded(50, (end(v) for v in fleet.volunteers if not v.room))
        return {}

    async def do_close(self, fleet: Fleet) -> dict[str, Any]:
        socks = [v.sock for v in fleet.visitors] + [v.sock for v in fleet.volunteers]
        await bounded(200, (sock.close() for sock in socks))
        fleet.visitors, fleet.volunteers = [], []
        return {}

    async def close(self) -> None:
        for fleet in self.fleets.values():
            await self.do_close(fleet)
        await self.http.close()


async def serve_commands() -> None:
    raise_file_limit()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    worker = Worker()
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if command.get("op") == "quit":
                break
            try:
                answer = await worker.handle(command)
            except Exception:
                answer = {"error": traceback.format_exc()}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        await worker.close()


if __name__ == "__main__":
    asyncio.run(serve_commands())
