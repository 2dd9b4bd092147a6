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
* once the dead node's lease lapsed and the leader reaped it, the chats go on;
* and the ordinary grace periods start then for whoever does not come back: a volunteer is
  told their visitor left, a visitor whose volunteer is gone is taken by a colleague.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.distributed.busy import Chat, Progress, evening, everything_arrived, exchange, talk
from tests.distributed.cluster import Node, cluster
from tests.distributed.crowd import Person, Visitor, Volunteer, closing_time, volunteer_accounts
from tests.distributed.inprocess import until
from tests.redis_server import RedisServer

NODES = 3


def on_a_survivor(person: Person, dead: str) -> bool:
    return person.up.is_set() and person.node != dead


@pytest.mark.parametrize(
    ("proxy", "visitors", "kill"),
    [("nginx", 50, "the leader"), ("haproxy", 50, "another node")],
)
async def test_a_node_killed_during_busy_chats_loses_nobody_and_no_message(
    redis_server: RedisServer, tmp_path: Path, proxy: str, visitors: int, kill: str
) -> None:
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        config = nodes.config.read_text().replace("queue_limit = 5", f"queue_limit = {visitors}")
        nodes.config.write_text(config)
        started = await asyncio.gather(*(nodes.start(f"chat{n}") for n in range(1, NODES + 1)))
        alive: list[Node] = sorted(started, key=lambda node: node.name)
        async with nodes.behind(proxy, *alive) as balancer:
            met = await evening(redis_server.url, balancer.url, visitors)
            try:
                await asyncio.gather(*(exchange(chat, "voor") for chat in met.chats))
                before = {person.name: person.node for person in met.people}
                victim = await pick(redis_server.url, alive, kill)
                answered = Progress(len(met.chats) * 2)  # a fifth of the messages below
                busy = [asyncio.ensure_future(talk(chat, answered)) for chat in met.chats]
                await answered.reached.wait()
                await victim.kill()  # while the other messages are on their way
                await asyncio.gather(*busy)
                await reaped(redis_server.url, victim.name)
                await asyncio.gather(*(exchange(chat, "na") for chat in met.chats))

                hit = [person for person in met.people if before[person.name] == victim.name]
                assert hit, f"nobody was on {victim.name}: the kill tested nothing"
                for person in met.people:
                    await person.until(
                        partial(on_a_survivor, person, victim.name),
                        f"connected to a node that lives (not {victim.name})",
                    )
                await met.check(redis_server.url)
            finally:
                await closing_time(alive, met.people)


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


async def reaped(url: str, node: str) -> None:
    """The dead node's lease lapsed and the leader took its connections off the floor."""
    client = aioredis.Redis.from_url(url)
    try:

        async def gone() -> bool:
            return not await client.sismember("chat:nodes", node)

        await until(gone, f"node {node} is reaped")
    finally:
        await client.aclose()


async def test_whoever_does_not_come_back_from_a_killed_node_is_let_go_after_the_grace(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """Two nodes, two chats across them, both grace periods 3 s. Node chat2 is killed with a
    volunteer and a visitor on it who do not come back (their pages went with it). Once the
    node is reaped and the grace periods passed: the volunteer on chat1 is told their visitor
    left, and the visitor on chat1, whose volunteer is gone, is back in line and taken by the
    colleague on chat1 (capacity 2), with whom the chat goes on."""
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        config = nodes.config.read_text()
        for grace in ("visitor_grace_seconds = 120", "operator_grace_seconds = 60"):
            config = config.replace(grace, grace.split("=")[0] + "= 3")
        nodes.config.write_text(config)
        await volunteer_accounts(redis_server.url, ["weg"], capacity=1)
        await volunteer_accounts(redis_server.url, ["blijft"], capacity=2)
        one, two = await asyncio.gather(nodes.start("chat1"), nodes.start("chat2"))
        leaving, staying = Volunteer("weg"), Volunteer("blijft")
        waiting, gone = Visitor("blijft"), Visitor("weg")
        try:
            await leaving.connect(two.url)
            await waiting.connect(one.url)
            await waiting.start()
            await waiting.until(waiting.answered, "a volunteer answers")
            assert waiting.assigned == [leaving.alias]  # the only one on duty
            await staying.connect(one.url)
            await gone.connect(two.url)
            await gone.start()
            await gone.until(gone.answered, "a volunteer answers")
            assert gone.assigned == [staying.alias]  # the other one is full

            for person in (leaving, gone):
                person.client.reconnection = False  # their pages go with the node
            await two.kill()
            await staying.until(
                lambda: gone.conversation_id in staying.left, "told that the visitor left"
            )
            await waiting.until(
                lambda: waiting.assigned[-1] == staying.alias, "a colleague takes the chat"
            )
            chat = Chat(waiting, staying)
            await staying.until(chat.on_the_console, "the console shows the chat")
            await exchange(chat, "verder")
            await everything_arrived([chat])
            assert waiting.ended == []
        finally:
            await closing_time((one,), [leaving, staying, waiting, gone])
