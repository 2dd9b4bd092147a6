"""Issue 13: "SIGKILL of one of three nodes during 50 live chats — every client continues on a
survivor, no acknowledged message lost or doubled, nobody assigned twice."

Three ``chatserver serve --redis`` processes behind the documented nginx or HAProxy, 50
visitors (widgets) and 10 volunteers (consoles), some of each long-polling only, all through
the load balancer. The chats are busy when one node is killed (SIGKILL: it says goodbye to
nobody). What the people notice, and what is checked:

* every page and console that was on the dead node reconnects by itself, through the load
  balancer, to a survivor: visitors resume with their token and the newest seq they saw,
  volunteers are told their chats again;
* a message whose answer was lost is sent again (same client id) and kept once; every
  acknowledged message is in the transcript once and shows once on the other side;
* nobody's chat ends, nobody is told of another volunteer, no chat is given to two volunteers;
* once the dead node's lease lapsed and the leader reaped it (the grace periods would start
  now for whoever did not come back), the chats go on.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatserver.backends.redis_store import RedisStore
from chatserver.hub.model import Role
from tests.distributed.cluster import Node, cluster
from tests.distributed.crowd import (
    POLLING,
    WEBSOCKET,
    Person,
    Visitor,
    Volunteer,
    closing_time,
    volunteer_accounts,
)
from tests.distributed.inprocess import until
from tests.redis_server import RedisServer

NODES = 3
CAPACITY = 5  # chats per volunteer
POLLING_EVERY = 4  # every fourth page and console can only long-poll


@dataclass
class Chat:
    visitor: Visitor
    volunteer: Volunteer
    sent_by_visitor: dict[str, str]  # text -> message id from the acknowledgement
    sent_by_volunteer: dict[str, str]

    @property
    def id(self) -> str:
        return self.visitor.conversation_id

    def on_the_console(self) -> bool:
        return self.id in self.volunteer.assigned

    def visitor_saw_all(self) -> bool:
        return set(self.sent_by_volunteer.values()) <= set(self.visitor.seen)

    def volunteer_saw_all(self) -> bool:
        return set(self.sent_by_visitor.values()) <= set(self.volunteer.chats.get(self.id, {}))


def on_a_survivor(person: Person, dead: str) -> bool:
    return person.up.is_set() and person.node != dead


def transports(n: int) -> tuple[str, ...]:
    return POLLING if n % POLLING_EVERY == POLLING_EVERY - 1 else WEBSOCKET


async def exchange(chat: Chat, words: str) -> None:
    """One turn each, as in a chat: the visitor writes, the volunteer answers."""
    text = f"{chat.id} bezoeker {words}"
    chat.sent_by_visitor[text] = (await chat.visitor.send(text))["id"]
    text = f"{chat.id} vrijwilliger {words}"
    chat.sent_by_volunteer[text] = (await chat.volunteer.send(chat.id, text))["id"]


class Progress:
    """Counts acknowledged messages; ``reached`` is set at ``mark``."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.count = 0
        self.reached = asyncio.Event()

    def one(self) -> None:
        self.count += 1
        if self.count >= self.mark:
            self.reached.set()


async def talk(chat: Chat, answered: Progress, turns: int = 5) -> None:
    """A busy chat: ``turns`` turns each, one after the other."""
    for turn in range(turns):
        await exchange(chat, f"tijdens {turn}")
        answered.one()
        answered.one()


async def reaped(url: str, node: str) -> None:
    """The dead node's lease lapsed and the leader took its connections off the floor."""
    client = aioredis.Redis.from_url(url)
    try:

        async def gone() -> bool:
            return not await client.sismember("chat:nodes", node)

        await until(gone, f"node {node} is reaped")
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("proxy", "visitors", "kill"),
    [("nginx", 50, "the leader"), ("haproxy", 50, "another node")],
)
async def test_a_node_killed_during_busy_chats_loses_nobody_and_no_message(
    redis_server: RedisServer, tmp_path: Path, proxy: str, visitors: int, kill: str
) -> None:
    volunteers = visitors // CAPACITY
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        config = nodes.config.read_text().replace("queue_limit = 5", f"queue_limit = {visitors}")
        nodes.config.write_text(config)
        names = [f"vrijwilliger{n}" for n in range(volunteers)]
        await volunteer_accounts(redis_server.url, names, CAPACITY)
        started = await asyncio.gather(*(nodes.start(f"chat{n}") for n in range(1, NODES + 1)))
        alive: list[Node] = sorted(started, key=lambda node: node.name)
        async with nodes.behind(proxy, *alive) as balancer:
            staff = [Volunteer(name, transports(n)) for n, name in enumerate(names)]
            pages = [Visitor(f"bezoeker{n}", transports(n)) for n in range(visitors)]
            try:
                await asyncio.gather(*(person.connect(balancer.url) for person in staff))
                await asyncio.gather(*(page.connect(balancer.url) for page in pages))
                await asyncio.gather(*(page.start() for page in pages))
                chats = await assigned(pages, staff)

                await asyncio.gather(*(exchange(chat, "voor") for chat in chats))
                before = {person.name: person.node for person in [*pages, *staff]}
                victim = await pick(redis_server.url, alive, kill)
                answered = Progress(len(chats) * 2)  # a fifth of the messages below
                busy = [asyncio.ensure_future(talk(chat, answered)) for chat in chats]
                await answered.reached.wait()
                await victim.kill()  # while the other messages are on their way
                await asyncio.gather(*busy)
                await reaped(redis_server.url, victim.name)
                await asyncio.gather(*(exchange(chat, "na") for chat in chats))

                hit = [p for p in [*pages, *staff] if before[p.name] == victim.name]
                assert hit, f"nobody was on {victim.name}: the kill tested nothing"
                for person in [*pages, *staff]:
                    await person.until(
                        partial(on_a_survivor, person, victim.name),
                        f"connected to a node that lives (not {victim.name})",
                    )
                await everything_arrived(chats)
                check_nobody_assigned_twice(chats, staff)
                await check_transcripts(redis_server.url, chats)
            finally:
                await closing_time(alive, [*pages, *staff])


async def assigned(pages: list[Visitor], staff: list[Volunteer]) -> list[Chat]:
    """Every visitor is told a volunteer, and that volunteer's console has the chat."""
    by_alias = {person.alias: person for person in staff}
    chats = []
    for page in pages:
        await page.until(page.answered, "a volunteer answers")
        volunteer = by_alias[page.assigned[0]]
        chat = Chat(page, volunteer, {}, {})
        await volunteer.until(chat.on_the_console, f"the console shows {page.name}'s chat")
        chats.append(chat)
    return chats


async def pick(url: str, alive: list[Node], kill: str) -> Node:
    """The node holding the leader lease (the sweep's, so reaping waits for a new leader
    too), or one that does not."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    leader: list[str] = []
    try:

        async def led() -> bool:
            leader[:] = [str(await client.get("chat:leader") or "")]
            return bool(leader[0])

        await until(led, "a node leads the sweep")  # from its first sweep on
    finally:
        await client.aclose()
    return next(n for n in alive if (n.name == leader[0]) == (kill == "the leader"))


async def everything_arrived(chats: list[Chat]) -> None:
    """Every acknowledged message reaches the other side (live, or in the replay after a
    resume), under the id it was acknowledged with."""
    for chat in chats:
        await chat.visitor.until(
            chat.visitor_saw_all, f"every message of {chat.volunteer.name} in {chat.id} shows"
        )
        await chat.volunteer.until(
            chat.volunteer_saw_all,
            f"every message of {chat.visitor.name} shows on {chat.volunteer.name}'s console",
        )
    for chat in chats:
        shown_to_visitor, shown_to_volunteer = chat.visitor.texts(), chat.volunteer.texts(chat.id)
        for text in chat.sent_by_volunteer:
            assert shown_to_visitor[text] == 1, (chat.visitor.name, text, shown_to_visitor)
        for text in chat.sent_by_visitor:
            assert shown_to_volunteer[text] == 1, (chat.volunteer.name, text, shown_to_volunteer)
        foreign = [
            m for m in chat.visitor.seen.values() if not m["text"].startswith(chat.id)
        ]  # another chat's message would start with another id
        assert all(m["role"] == Role.SYSTEM.value for m in foreign), foreign


def check_nobody_assigned_twice(chats: list[Chat], staff: list[Volunteer]) -> None:
    """Each chat on exactly one console, the one its visitor was told of, and never ended."""
    holders = {
        conversation: [person.name for person in staff if conversation in person.assigned]
        for conversation in itertools.chain.from_iterable(person.assigned for person in staff)
    }
    for chat in chats:
        assert holders.pop(chat.id) == [chat.volunteer.name], chat.id
        assert set(chat.visitor.assigned) == {chat.volunteer.alias}, chat.visitor.assigned
        assert chat.visitor.ended == [], (chat.visitor.name, chat.visitor.ended)
    assert holders == {}, f"chats nobody started: {holders}"


async def check_transcripts(url: str, chats: list[Chat]) -> None:
    """The records keep each acknowledged message once, under its acknowledged id."""
    store = RedisStore(url, scrub_delay=None)
    await store.open()
    try:
        for chat in chats:
            kept = await store.messages(chat.id)
            seqs = [m.seq for m in kept]
            assert seqs == sorted(set(seqs)), (chat.id, seqs)
            by_text = {m.text: m.id for m in kept if m.role is not Role.SYSTEM}
            assert len(by_text) == len([m for m in kept if m.role is not Role.SYSTEM]), kept
            assert by_text == chat.sent_by_visitor | chat.sent_by_volunteer, chat.id
    finally:
        await store.close()
