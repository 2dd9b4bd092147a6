"""Races on one floor from three nodes: a busy evening's promises hold without any lock.

Routers on three nodes plan from snapshots that are stale the moment they are read, and
commit with ``claim``; visitors keep arriving and volunteers keep finishing on other nodes
meanwhile. Handover offers are answered, timed out, taken over and ended from different
nodes at the same time. Whatever the interleaving: nobody is assigned twice, nobody exceeds
capacity, and every offer has exactly one outcome.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from chatserver.hub.floor_records import FloorRefused
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import OperatorState
from chatserver.hub.routing import plan_assignments
from tests.floor.kit import (
    LIMIT,
    NOW,
    FloorKit,
    assert_consistent,
    on_duty,
    supervisor,
    visitor,
    volunteer,
)

VISITORS = 2_400
VOLUNTEERS = 30
CAPACITY = 2


async def test_a_rush_of_visitors_on_three_nodes_is_never_double_assigned(kit: FloorKit) -> None:
    """A few thousand visitors arrive on three nodes while tens of volunteers take and finish
    chats: each visitor is assigned exactly once, no claim ever takes a volunteer past
    capacity, stale plans are refused rather than applied, and the floor ends consistent."""
    nodes = kit.nodes
    for i in range(VOLUNTEERS):
        languages = ("nl", "en") if i % 3 else ("nl",)
        await on_duty(nodes[i % 3], volunteer(f"v{i:02}", capacity=CAPACITY, languages=languages))
    claims: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    finishing: set[asyncio.Task[None]] = set()

    async def arrive(node: FloorState, start: int) -> None:
        for i in range(start, VISITORS, 3):
            await node.enqueue(visitor(f"c{i:05}", lang="en" if i % 4 else "nl"), "n", NOW, LIMIT)
            if i % 7 == 0:
                await asyncio.sleep(0)

    async def finish(node: FloorState, cid: str, operator_id: str) -> None:
        await asyncio.sleep(0)
        await node.release(cid, operator_id, NOW, cooldown_until=NOW, pause=False)

    async def route(node: FloorState, other: FloorState) -> None:
        while sum(claims.values()) < VISITORS:
            plan = plan_assignments(await node.waiting(limit=100), await node.presences(), NOW)
            for entry, presence in plan:
                await asyncio.sleep(0)  # let the others move: the plan goes stale
                try:
                    claimed = await node.claim(entry.conversation_id, presence.id, NOW)
                except FloorRefused as refused:
                    refusals[refused.reason.value] += 1
                    continue
                assert claimed.load <= CAPACITY, f"{presence.id} past capacity"
                claims[claimed.conversation_id] += 1
                task = asyncio.create_task(finish(other, claimed.conversation_id, presence.id))
                finishing.add(task)
                task.add_done_callback(finishing.discard)
            await asyncio.sleep(0)

    await asyncio.wait_for(
        asyncio.gather(
            *(arrive(node, start) for start, node in enumerate(nodes)),
            *(route(node, nodes[(i + 1) % 3]) for i, node in enumerate(nodes)),
        ),
        timeout=240,
    )
    await asyncio.gather(*finishing)
    assert len(claims) == VISITORS and set(claims.values()) == {1}, "assigned twice"
    assert sum(refusals.values()) > 0, "no plan went stale: the race did not race"
    assert set(refusals) <= {"not_waiting", "full"}
    assert await nodes[0].waiting() == [] and await nodes[1].open_conversations() == []
    for presence in await nodes[2].presences():
        assert presence.held == set() and presence.reserved == set()
    await assert_consistent(nodes[0])


def _contenders(
    one: FloorState, two: FloorState, three: FloorState, cid: str, sender: str, receiver: str
) -> list[Callable[[], Awaitable[Any]]]:
    """The five ways an offer can end, each from some node, to be raced in a random order."""
    taker = "sue" if cid[-1] in "02468" else "sam"

    async def accept() -> Any:
        return await one.accept(cid, receiver, NOW)

    async def decline() -> Any:
        return await two.decline(cid, receiver)

    async def expire() -> Any:
        return await three.expire_offer(cid, NOW + 60)

    async def take_over() -> Any:
        return await one.take_over(cid, taker, NOW)

    async def release() -> Any:
        return await two.release(cid, sender, NOW, NOW, False)

    return [accept, decline, expire, take_over, release]


async def _race(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Start every call at once; a refusal is an answer too."""
    return await asyncio.gather(*(call() for call in calls), return_exceptions=True)


def _outcomes(kinds: list[str], results: list[Any]) -> list[str]:
    """Which of the racing calls ended the offer: the successful answers, and a takeover
    or an ending that voided it."""
    ended = []
    for kind, result in zip(kinds, results, strict=True):
        if isinstance(result, FloorRefused):
            continue
        if isinstance(result, BaseException):
            raise result
        if kind in ("accept", "decline", "expire") or getattr(result, "voided", None) is not None:
            ended.append(kind)
    return ended


async def test_every_offer_has_exactly_one_outcome(kit: FloorKit) -> None:
    """Accept, decline, timeout, takeover and the chat ending race from three nodes for
    each offer: exactly one of them ends it, and the floor stays consistent."""
    one, two, three = kit.nodes
    people = 12
    for i in range(people):
        await on_duty(kit.nodes[i % 3], volunteer(f"v{i:02}", capacity=2))
    for name in ("sue", "sam"):
        await one.connect(supervisor(name), "n1", NOW)
    shuffle = random.Random(13)
    outcomes: Counter[str] = Counter()
    offers = 0
    for round_ in range(12):
        for i in range(people):
            cid = f"r{round_:02}-{i:02}"
            await one.enqueue(visitor(cid), "n1", NOW, LIMIT)
            await two.claim(cid, f"v{i:02}", NOW)
        races = []
        for i in range(people):
            cid, sender, receiver = f"r{round_:02}-{i:02}", f"v{i:02}", f"v{(i + 1) % people:02}"
            await three.offer(cid, sender, receiver, "", NOW + 60)
            offers += 1
            kinds = ["accept", "decline", "expire", "take_over", "release"]
            calls = _contenders(one, two, three, cid, sender, receiver)
            order = list(range(len(kinds)))
            shuffle.shuffle(order)
            races.append(([kinds[j] for j in order], [calls[j] for j in order]))
        answers = await asyncio.gather(*(_race(calls) for _, calls in races))
        for (kinds, _), results in zip(races, answers, strict=True):
            ended = _outcomes(kinds, results)
            assert len(ended) == 1, f"offer ended {ended}"
            outcomes[ended[0]] += 1
        await assert_consistent(one)
        assert await two.offers() == []
        for live in await three.open_conversations():
            assert live.operator_id is not None
            await one.release(live.id, live.operator_id, NOW, NOW, False)
        for presence in await two.presences():
            assert presence.held == set() and presence.reserved == set()
            if presence.state is not OperatorState.AVAILABLE and not presence.is_supervisor:
                await one.set_state(presence.id, OperatorState.AVAILABLE, NOW)
    assert sum(outcomes.values()) == offers
    assert len(outcomes) >= 3, f"the race barely raced: {outcomes}"
