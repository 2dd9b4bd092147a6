"""Issue 13, item 3: races across nodes, judged by what the people involved notice.

Three real ``chatserver serve --redis`` nodes (``cluster.py``) on one Redis with the
production persistence, clients spread over them. Each test checks what visitors and
volunteers were told (every event they received, in order) and, at the end, the floor itself
(``Hub.check_invariants`` on a hub over the same Redis).

Sizes. Real processes, not nodes in this process: the work is CPU (about 8 ms of a node's
time per start, most of it Redis round trips parsed in Python), and three processes use both
cores where one event loop would use one. ``VISITORS = 2000`` (the issue's "a few thousand")
takes about 20 s on a 2-core machine when it is quiet, 25 to 35 s while other tests run on it
(1,000: 13 s). Tests 2 and 3 share one cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatserver.hub.hub import Hub
from chatserver.hub.model import VISITOR_ROLES, Message
from tests.distributed.cluster import Cluster, cluster
from tests.distributed.race_clients import (
    Console,
    Person,
    ThinVisitor,
    add_accounts,
    crowd_session,
    floor_hub,
    until,
)
from tests.redis_server import PRODUCTION, RedisServer

# a line of its own for the crowds: always open, a queue long enough for thousands
RACE_LINE = """
[[lines]]
id = "race"
name = "Race"
languages = ["nl", "en"]
timezone = "Europe/Amsterdam"
always_open = true
queue_limit = 5000
emergency = [{ label = "112", phone = "112" }]
"""
WRAPUP = {"topics": ["other"], "risk": "none"}
AVAILABLE = {"state": "available"}


async def three_nodes(nodes: Cluster) -> list[str]:
    started = await asyncio.gather(*(nodes.start(f"n{n}") for n in (1, 2, 3)))
    return [node.url for node in started]


# ------------------------------------------------------------------------- 1: the big race
VISITORS = 2000
VOLUNTEERS = 30
ACTIONS = 3  # what each volunteer does with the chats routed to them before holding on


@dataclass
class Racer:
    """A volunteer in the race: ends chats, hands some back, pauses now and then, and keeps
    account of what its console was told."""

    console: Console
    rng: random.Random
    budget: int = ACTIONS
    held: dict[str, float] = field(default_factory=dict)  # conversation -> assigned at
    spans: list[tuple[str, float, float]] = field(default_factory=list)  # held from, to
    assigned: Counter[str] = field(default_factory=Counter)
    over: list[tuple[str, list[str]]] = field(default_factory=list)
    left: set[str] = field(default_factory=set)  # visitor_left heard
    work: list[asyncio.Task[None]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    acting: bool = True

    def __post_init__(self) -> None:
        self.console.handlers["assigned"] = self.on_assigned
        self.console.handlers["released"] = self.on_released
        self.console.handlers["visitor_left"] = self.on_left

    @property
    def capacity(self) -> int:
        return self.console.account.capacity

    async def on_assigned(self, data: Any) -> None:
        chat = data["conversation"]["id"]
        self.assigned[chat] += 1
        if chat in self.held:
            self.over.append((chat, ["assigned again while held"]))
        self.held[chat] = time.monotonic()
        if len(self.held) > self.capacity:
            self.over.append((chat, sorted(self.held)))
        if self.acting and self.budget > 0:
            self.budget -= 1
            self.work.append(asyncio.create_task(self.act(chat)))

    def let_go(self, chat: str) -> None:
        """From the moment the volunteer asks (or hears it was taken), the slot may be
        given again: the floor frees it only after the request."""
        since = self.held.pop(chat, None)
        if since is not None:
            self.spans.append((chat, since, time.monotonic()))

    async def on_released(self, data: Any) -> None:
        self.let_go(data["conversation_id"])

    async def on_left(self, data: Any) -> None:
        self.left.add(data["conversation_id"])

    async def act(self, chat: str) -> None:
        choice = self.rng.choices(["end", "queue", "pause", "keep"], [55, 20, 15, 10])[0]
        async with self.lock:
            if choice == "keep":
                self.budget = 0  # holds on to it: the slot stays taken
                return
            if choice == "pause":
                await self.console.must("status", {"state": "paused"})
            if choice == "queue" and chat not in self.left:
                self.let_go(chat)
                answer = await self.console.call(
                    "handover", {"conversation_id": chat, "to": "queue"}
                )
                if answer.get("ok"):
                    return
                assert answer["error"]["code"] == "invalid_state", answer  # visitor left
                self.held.setdefault(chat, time.monotonic())
            self.let_go(chat)
            await self.console.must("end", {"conversation_id": chat, "wrapup": WRAPUP})
            if choice == "pause":
                await self.console.must("status", {"state": "available"})

    def raise_failure(self) -> None:
        for task in self.work:
            if task.done() and task.exception() is not None:
                task.result()

    async def settled(self) -> None:
        while self.work:
            await self.work.pop()


def check_consoles(racers: list[Racer]) -> None:
    """What the volunteers' consoles showed: never more chats than their capacity, never a
    chat assigned twice, and no chat shown to two volunteers at the same moment."""
    assert not [(r.console.account.username, r.over) for r in racers if r.over]
    holders: defaultdict[str, list[tuple[float, float, str]]] = defaultdict(list)
    now = time.monotonic()
    for racer in racers:
        for chat, since, to in racer.spans + [(c, t, now) for c, t in racer.held.items()]:
            holders[chat].append((since, to, racer.console.account.username))
    for chat, spans in holders.items():
        spans.sort()
        for (_, to, one), (since, _, other) in itertools.pairwise(spans):
            assert since >= to, f"{chat} shown to {one} and {other} at once"


async def check_visitors_told(racers: list[Racer], by_chat: dict[str, ThinVisitor]) -> None:
    """Each assignment a volunteer was told of, its visitor was told of once: nobody was
    assigned twice, or told of an assignment that did not happen."""
    routed: Counter[str] = Counter()
    for racer in racers:
        routed.update(racer.assigned)

    def heard(chat: str) -> int:
        return len(by_chat[chat].seen("assigned"))

    def all_heard() -> bool:
        return all(heard(chat) >= n for chat, n in routed.items())

    await until(all_heard, "every visitor hears of their assignment", 10)
    told = {chat: n for chat in by_chat if (n := heard(chat))}
    assert told == dict(routed), {c: (told.get(c), routed[c]) for c in told.keys() ^ routed.keys()}


def screen(visitor: ThinVisitor) -> int | str | None:
    """What the widget shows: the place in the queue or the chat, whichever came last."""
    for event, data in reversed(visitor.events):
        if event == "queue":
            return int(data["position"])
        if event == "assigned":
            return "chat"
    return None


async def check_screens(hub: Hub, by_chat: dict[str, ThinVisitor]) -> None:
    """Every visitor still waiting sees their place in the queue, as the floor has it (each
    node tells its own visitors again every second, so within a second of the end).

    Not checked: that every visitor in a chat sees the chat. A node that read the queue just
    before another node's routing took its visitor can tell them their old place after
    `assigned` reached them, and the widget then shows the queue above the running chat
    (seen once in about ten runs under load; reported, not fixed: it needs an order between
    what different nodes tell one visitor)."""
    queue = [e.conversation_id for e in await hub.floor.waiting() if e.line == "race"]
    wanted = {chat: n for n, chat in enumerate(queue, 1)}

    def wrong() -> dict[str, tuple[Any, int]]:
        return {c: (screen(by_chat[c]), n) for c, n in wanted.items() if screen(by_chat[c]) != n}

    def right() -> bool:
        return not wrong()

    with contextlib.suppress(AssertionError):
        await until(right, "every waiting visitor sees their place", 10)
    assert not wrong(), dict(list(wrong().items())[:5])  # conversation: (shown, true place)
    assert len(queue) > VISITORS // 2  # most still wait: a crowd to the end


async def test_a_race_of_starts_and_volunteers_on_three_nodes_keeps_the_floor_whole(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """VISITORS visitors start at once through three nodes while VOLUNTEERS volunteers spread
    over the nodes end chats, hand some back, pause and come back; some visitors leave.
    At the end nobody was assigned twice, no console held more than its capacity or a chat
    another held, every waiting visitor sees their true place, and the floor's invariants
    hold (``Hub.check_invariants`` on a hub over the same Redis)."""
    async with cluster(redis_server, tmp_path / "nodes", RACE_LINE) as nodes:
        people = [Person(f"v{n:02}", capacity=1 + n % 2) for n in range(VOLUNTEERS)]
        made, urls = await asyncio.gather(
            add_accounts(redis_server.url, people), three_nodes(nodes)
        )
        racers = [Racer(Console(a, n % 3), random.Random(n)) for n, a in enumerate(made)]
        visitors = [ThinVisitor(f"visitor {n}") for n in range(VISITORS)]
        gate = asyncio.Semaphore(90)  # starts in flight at once, over the three nodes
        async with crowd_session() as http:

            async def arrive(n: int, visitor: ThinVisitor) -> None:
                async with gate:
                    await visitor.connect(http, urls[n % 3], {"line": "race", "lang": "nl"})
                    answer = await visitor.call("start", {"consent": True})
                assert answer.get("ok"), answer
                visitor.conversation_id = answer["conversation_id"]
                if n % 40 == 7:  # changed their mind: gone while waiting (or just assigned)
                    left = await visitor.call("leave", {})
                    # or the volunteer ended the chat first
                    assert left["ok"] or left["error"]["code"] == "ended", left

            try:
                await asyncio.gather(*(r.console.connect(urls[r.console.node]) for r in racers))
                await asyncio.gather(*(r.console.must("status", AVAILABLE) for r in racers))
                await asyncio.gather(*(arrive(n, v) for n, v in enumerate(visitors)))

                def all_acted() -> bool:
                    for racer in racers:  # a volunteer's action that failed fails the test
                        racer.raise_failure()
                    return all(r.budget == 0 for r in racers)

                await until(all_acted, "every volunteer acted on their chats", 20)
                for racer in racers:
                    racer.acting = False
                for racer in racers:
                    await racer.settled()

                def all_full() -> bool:  # plenty wait: every free slot is filled again
                    return all(len(r.held) >= r.capacity for r in racers)

                await until(all_full, "every volunteer's slots are taken again", 10)
                check_consoles(racers)
                by_chat = {v.conversation_id: v for v in visitors}
                await check_visitors_told(racers, by_chat)
                async with floor_hub(redis_server.url, nodes.config) as hub:
                    await hub.check_invariants()
                    await check_screens(hub, by_chat)
            finally:
                # how the nodes drain is not this test's business, and 1,000 goodbyes cost
                # seconds: the nodes go first, then the clients find their sockets closed
                await asyncio.gather(*(node.kill() for node in nodes.nodes))
                await asyncio.gather(*(v.close() for v in visitors))
                await asyncio.gather(*(r.console.close() for r in racers))


# ------------------------------------------------------------ 2 and 3: one cluster for both
HANDOVER_TIMEOUT = 1  # seconds: a handover nobody answers times out within the test
LANES = 6  # handovers run side by side, each lane on a line of its own
TALK = "talk"
SHARED_LINES = "".join(
    RACE_LINE.replace('"race"', f'"{line}"').replace('"Race"', f'"{line}"')
    for line in [f"lane{n}" for n in range(LANES)] + [TALK]
)


@dataclass
class Shared:
    redis: RedisServer
    nodes: Cluster
    urls: list[str]


@pytest.fixture(scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    """Three nodes on one Redis (production persistence) for the handover and message races,
    with handovers timing out after ``HANDOVER_TIMEOUT``."""
    folder = tmp_path_factory.mktemp("races")
    (folder / "redis").mkdir()
    redis = RedisServer.start(folder / "redis", PRODUCTION)
    try:
        async with cluster(redis, folder / "nodes", SHARED_LINES) as nodes:
            text = nodes.config.read_text()
            assert "handover_timeout_seconds = 60" in text
            nodes.config.write_text(
                text.replace(
                    "handover_timeout_seconds = 60",
                    f"handover_timeout_seconds = {HANDOVER_TIMEOUT}",
                )
            )
            yield Shared(redis, nodes, await three_nodes(nodes))
            # how the nodes drain is not these tests' business: no time spent on it
            await asyncio.gather(*(node.kill() for node in nodes.nodes))
    finally:
        redis.stop()


# ------------------------------------------------------------------ 2: handover and takeover
ROUNDS = 5
TAKES_OVER = re.compile(r"Een collega, (.+), neemt het gesprek over\.")
FIRST = re.compile(r"(.+) is er om met je te praten\.")


def holds(console: Console, chat: str) -> bool:
    """What the console shows: the chat is theirs (assigned, and not released since)."""
    mine = False
    for _, event, data in console.events:
        if event == "assigned" and data["conversation"]["id"] == chat:
            mine = True
        elif event == "released" and data["conversation_id"] == chat:
            mine = False
    return mine


def about_chat(console: Console, chat: str) -> list[tuple[str, Any]]:
    """What the console heard of the chat besides its messages."""
    found = []
    for _, event, data in console.events:
        if not isinstance(data, dict) or event == "message":
            continue
        if (
            data.get("conversation_id") == chat
            or (data.get("conversation") or {}).get("id") == chat
        ):
            found.append((event, data.get("reason", "")))
    return found


def about(console: Console, event: str, chat: str) -> list[Any]:
    return [d for d in console.seen(event) if d.get("conversation_id") == chat]


@dataclass
class Round:
    """One offer in one lane, and what each person did and was answered."""

    lane: int
    chat: str
    plan: str  # what the receiver does with the offer: accept, decline, ignore, late
    takeover: bool  # a supervisor on n3 steps in at the same moment
    leave: bool  # the visitor on n1 leaves at the same moment
    offer: dict[str, Any] = field(default_factory=dict)  # the sender's ack
    answer: dict[str, Any] = field(default_factory=dict)  # the receiver's ack, if any
    taken: dict[str, Any] = field(default_factory=dict)  # the supervisor's ack, if any
    holder: str = ""  # the floor's holder once the round settled
    visitor: ThinVisitor | None = None


async def talk(who: Console | ThinVisitor, chat: str, stop: asyncio.Event, n: int) -> None:
    """Write into the chat, one message at a time, until refused (the chat is no longer
    theirs, or over) or told to stop."""
    for i in range(n):
        if stop.is_set():
            return
        if isinstance(who, ThinVisitor):
            answer = await who.call("message", {"text": f"visitor {i}"})
        else:
            name = who.account.username
            answer = await who.call("message", {"conversation_id": chat, "text": f"{name} {i}"})
        if not answer.get("ok"):
            assert answer["error"]["code"] in ("forbidden", "ended"), answer
            return


async def handover_round(
    shared: Shared,
    hub: Hub,
    http: aiohttp.ClientSession,
    lane: int,
    trio: tuple[Console, Console, Console],
    rng: random.Random,
) -> Round:
    sender, receiver, boss = trio
    await receiver.must("status", {"state": "paused"})  # the visitor goes to the sender
    visitor = ThinVisitor(f"lane {lane}")
    await visitor.connect(http, shared.urls[0], {"line": f"lane{lane}", "lang": "nl"})
    started = await visitor.call("start", {"consent": True})
    assert started["ok"], started
    chat = started["conversation_id"]
    await sender.next_event("assigned", lambda d: d["conversation"]["id"] == chat)
    await receiver.must("status", {"state": "available"})
    played = Round(
        lane,
        chat,
        rng.choice(["accept", "decline", "ignore", "late"]),
        rng.random() < 0.4,
        rng.random() < 0.25,
        visitor=visitor,
    )
    stop = asyncio.Event()
    talking = [asyncio.create_task(talk(sender, chat, stop, 8))]
    talking.append(asyncio.create_task(talk(visitor, chat, stop, 8)))

    async def offer() -> None:
        played.offer = await sender.call("handover", {"conversation_id": chat, "to": receiver.id})
        if not played.offer.get("ok") or played.plan == "ignore":
            return
        await receiver.next_event("handover_offered", lambda d: d["conversation_id"] == chat)
        if played.plan == "late":  # about when the offer times out
            await asyncio.sleep(HANDOVER_TIMEOUT * rng.uniform(0.7, 1.6))
        act = "handover_decline" if played.plan == "decline" else "handover_accept"
        played.answer = await receiver.call(act, {"conversation_id": chat})
        if played.answer.get("ok") and act == "handover_accept":
            talking.append(asyncio.create_task(talk(receiver, chat, stop, 8)))

    async def take_over() -> None:
        await asyncio.sleep(rng.uniform(0, 0.05))
        played.taken = await boss.call("takeover", {"conversation_id": chat})
        if played.taken.get("ok"):
            talking.append(asyncio.create_task(talk(boss, chat, stop, 8)))

    async def leave() -> None:
        await asyncio.sleep(rng.uniform(0, 0.05))
        assert (await visitor.call("leave", {}))["ok"]

    racing = [offer()]
    if played.takeover:
        racing.append(take_over())
    if played.leave:
        racing.append(leave())
    await asyncio.gather(*racing)
    if played.offer.get("ok"):  # the offer's outcome reaches the receiver, whatever it was

        def answered() -> bool:
            return bool(played.answer.get("ok") or about(receiver, "handover_withdrawn", chat))

        await until(answered, f"{chat}: the offer's outcome reaches the receiver", 10)
    stop.set()
    for task in talking:
        await task
    # one holder, and each console shows what the floor says
    live = await hub.floor.conversation(chat)
    assert live is not None and live.operator_id
    played.holder = live.operator_id

    def one_holder() -> bool:
        return [c.id for c in trio if holds(c, chat)] == [played.holder]

    with contextlib.suppress(AssertionError):
        await until(one_holder, "one console holds it", 10)
    shown = {c.account.username: about_chat(c, chat) for c in trio if holds(c, chat)}
    assert one_holder(), f"{played}: the floor says {played.holder}, consoles show {shown}"
    owner = next(c for c in trio if c.id == played.holder)
    await owner.must("end", {"conversation_id": chat, "wrapup": WRAPUP})
    return played


def check_offer(played: Round, sender: Console, receiver: Console) -> str:
    """Exactly one outcome, seen alike by sender and receiver; which one."""
    chat = played.chat
    offered = about(receiver, "handover_offered", chat)
    if not played.offer.get("ok"):  # stepped in or left first: no offer at all
        assert played.offer["error"]["code"] in ("forbidden", "invalid_state"), played
        assert not offered, played
        return "no offer"
    assert len(offered) == 1, (played, offered)
    heard = [w["reason"] for w in about(receiver, "handover_withdrawn", chat)]
    answered = ["accepted" if played.plan != "decline" else "declined"] * bool(
        played.answer.get("ok")
    )
    outcomes = answered + heard
    assert len(outcomes) == 1, (played, outcomes)
    declined = [d["reason"] for d in about(sender, "handover_declined", chat)]
    handed = [r for r in about(sender, "released", chat) if r["reason"] == "handed_over"]
    outcome = outcomes[0]
    if outcome == "accepted":
        assert (len(handed), declined) == (1, []), (played, declined)
    elif outcome in ("declined", "timeout"):
        assert (handed, declined) == ([], [outcome]), (played, declined)
    else:  # ended: the supervisor took over, or the visitor left
        assert outcome == "ended" and (played.takeover or played.leave), (played, outcome)
        assert (handed, declined) == ([], []), (played, declined)
    return str(outcome)


def check_messages(played: Round, trio: tuple[Console, ...], stored: list[Message]) -> None:
    """Everyone got the conversation in seq order, nothing twice, nothing missing; the
    visitor never saw the earlier volunteer write after the switch."""
    chat = played.chat
    assert played.visitor is not None
    seen = [m for m in played.visitor.seen("message")]
    visible = [m.seq for m in stored if m.role in VISITOR_ROLES and m.code != "visitor_left"]
    assert [m["seq"] for m in seen] == visible, (played, [m["seq"] for m in seen], visible)
    writing = ""
    for message in seen:
        if message["role"] == "system":
            switched = TAKES_OVER.fullmatch(message["text"]) or FIRST.fullmatch(message["text"])
            writing = switched[1] if switched else writing
        elif message["role"] == "operator":
            assert message["author"] == writing, (played, message, writing)
    for console in trio:
        shown = console_view(console, chat)
        name = console.account.username
        assert shown == list(range(1, len(shown) + 1)), f"{played}\n{name}: {shown}"


def console_view(console: Console, chat: str) -> list[int]:
    """The seqs of a chat as its console shows them, in the order they appeared. As
    console.js does: `assigned` brings the chat and its transcript; a live message of a chat
    the console does not hold yet is kept until the chat comes (with several nodes it can
    overtake `assigned`), one after `released` is not shown, one shown already is skipped
    (by id). Live messages must come in seq order; a lost one shows as a gap."""
    shown: list[int] = []
    early: list[int] = []
    mine = False
    name = console.account.username
    for _, event, data in console.events:
        if event == "assigned" and data["conversation"]["id"] == chat:
            mine = True
            transcript = [m["seq"] for m in data["conversation"]["messages"]]
            for seq in transcript + early:
                if seq not in shown:
                    shown.append(seq)
            early = []
        elif event == "released" and data["conversation_id"] == chat:
            mine = False
        elif event == "message" and data["conversation_id"] == chat:
            if not mine:
                early.append(data["seq"])
            elif data["seq"] not in shown:
                assert not shown or data["seq"] > shown[-1], f"{name}: {data} after {shown}"
                shown.append(data["seq"])
    return shown


async def test_handovers_and_takeovers_from_three_nodes_have_one_outcome_each(
    shared: Shared,
) -> None:
    supervisor = Person("boss", "supervisor", capacity=1)
    lanes = [
        (Person(f"s{n}", lines=(f"lane{n}",)), Person(f"r{n}", lines=(f"lane{n}",)))
        for n in range(LANES)
    ]
    made = await add_accounts(shared.redis.url, [supervisor, *(p for ps in lanes for p in ps)])
    boss = Console(made[0], 2)
    trios = [(Console(made[1 + 2 * n], 0), Console(made[2 + 2 * n], 1), boss) for n in range(LANES)]
    consoles = [boss, *(c for trio in trios for c in trio[:2])]
    rounds: list[Round] = []
    async with crowd_session() as http, floor_hub(shared.redis.url, shared.nodes.config) as hub:
        try:
            await asyncio.gather(*(c.connect(shared.urls[c.node]) for c in consoles))
            # the supervisor supervises: paused, so routing gives them no chat of their own
            await asyncio.gather(
                *(c.must("status", {"state": "available"}) for c in consoles if c is not boss)
            )

            async def lane(n: int) -> None:
                rng = random.Random(n)
                for _ in range(ROUNDS):
                    rounds.append(await handover_round(shared, hub, http, n, trios[n], rng))

            await asyncio.gather(*(lane(n) for n in range(LANES)))
            await hub.check_invariants()
            outcomes: Counter[str] = Counter()
            for played in rounds:
                sender, receiver, _ = trios[played.lane]
                outcomes[check_offer(played, sender, receiver)] += 1
                check_messages(played, trios[played.lane], await hub.store.messages(played.chat))
            print(f"offers: {sorted(outcomes.items())}")
        finally:
            await asyncio.gather(*(r.visitor.close() for r in rounds if r.visitor))
            await asyncio.gather(*(c.close() for c in consoles))


# ------------------------------------------------------------------ 3: messages in flight
IN_FLIGHT = 16
BURSTS = 5


def received(
    transcript: list[dict[str, Any]], events: list[tuple[str, Any]], chat: str
) -> list[int]:
    """The seqs one person got: a transcript, then every live `message` of the chat, in the
    order they came (each must come once)."""
    got = [m["seq"] for m in transcript]
    got += [
        d["seq"] for e, d in events if e == "message" and d.get("conversation_id", chat) == chat
    ]
    return got


async def test_messages_in_flight_from_three_nodes_arrive_once_and_in_order(
    shared: Shared,
) -> None:
    """A visitor on n1, its volunteer on n2 and a backup colleague reading along on n3 each
    have 16 messages in flight at once, several times: everyone gets every message meant
    for them exactly once, in seq order, relayed from the floor's feed on their own node."""
    volunteer, backup = await add_accounts(
        shared.redis.url,
        [Person("tv", lines=(TALK,)), Person("tb", backup=True, lines=(TALK,))],
    )
    holder, reader = Console(volunteer, 1), Console(backup, 2)
    visitor = ThinVisitor("talk")
    async with crowd_session() as http, floor_hub(shared.redis.url, shared.nodes.config) as hub:
        try:
            await asyncio.gather(holder.connect(shared.urls[1]), reader.connect(shared.urls[2]))
            await holder.must("status", {"state": "available"})
            await visitor.connect(http, shared.urls[0], {"line": TALK, "lang": "nl"})
            started = await visitor.call("start", {"consent": True})
            chat = started["conversation_id"]
            assigned = await holder.next_event(
                "assigned", lambda d: d["conversation"]["id"] == chat
            )
            await holder.must("backup_request", {"conversation_id": chat, "reason": "mee"})
            await reader.next_event("backup_requested", lambda d: d["conversation_id"] == chat)
            joined = await reader.must("backup_join", {"conversation_id": chat})

            sent: list[int] = []
            for burst in range(BURSTS):
                answers = await asyncio.gather(
                    *(visitor.call("message", {"text": f"v{burst}.{n}"}) for n in range(IN_FLIGHT)),
                    *(
                        holder.call("message", {"conversation_id": chat, "text": f"o{burst}.{n}"})
                        for n in range(IN_FLIGHT)
                    ),
                    *(
                        reader.call("whisper", {"conversation_id": chat, "text": f"w{burst}.{n}"})
                        for n in range(IN_FLIGHT)
                    ),
                )
                assert all(a["ok"] for a in answers), [a for a in answers if not a["ok"]]
                sent += [a["seq"] for a in answers]
            assert len(set(sent)) == len(sent) == 3 * IN_FLIGHT * BURSTS
            last = max(sent)
            stored = await hub.floor.messages(chat)
            assert [m.seq for m in stored] == list(range(1, last + 1))
            for_visitor = [m.seq for m in stored if m.role in VISITOR_ROLES]
            everything = list(range(1, last + 1))
            for_visitor = [m.seq for m in stored if m.role in VISITOR_ROLES]

            def visitor_got() -> list[int]:
                return received([], visitor.events, chat)

            def volunteer_got() -> list[int]:
                live = [(e, d) for _, e, d in holder.events]
                return received(assigned["conversation"]["messages"], live, chat)

            def backup_got() -> list[int]:
                live = [(e, d) for _, e, d in reader.events]
                return received(joined["conversation"]["messages"], live, chat)

            for who, got, wanted in (
                ("visitor", visitor_got, for_visitor),
                ("volunteer", volunteer_got, everything),
                ("backup", backup_got, everything),
            ):

                def complete(got: Callable[[], list[int]] = got, n: int = len(wanted)) -> bool:
                    return len(got()) >= n

                await until(complete, f"the {who} receives every message", 10)
                assert got() == wanted, f"{who}: {got()}"
        finally:
            await visitor.close()
            await asyncio.gather(holder.close(), reader.close())
