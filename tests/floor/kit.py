"""What the floor tests share: the kit of three node handles, people, and the invariants."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from chatserver.clock import ManualClock
from chatserver.hub.floor import Presence
from chatserver.hub.floor_memory import MemoryFloor
from chatserver.hub.floor_records import Arrival, FloorRefused, Profile, Refusal
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import OperatorState

NOW = 1_800_000_000.0
LIMIT = 10_000


@dataclass
class FloorKit:
    """Three handles on one floor, and a way to let the floor's own clock pass."""

    name: str
    nodes: Sequence[FloorState]
    clock: ManualClock | None  # the memory floor's lease clock; Redis keeps its own

    async def lapse(self, seconds: float) -> None:
        """Let leases of ``seconds`` run out. The Redis floor's leases expire by Redis's
        clock, which no test can move: there the test waits that long, and only there."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)


def memory_kit() -> FloorKit:
    clock = ManualClock(NOW)
    floor = MemoryFloor(clock)
    return FloorKit("memory", (floor, floor, floor), clock)


def redis_kit(floors: Sequence[FloorState]) -> FloorKit:
    return FloorKit("redis", tuple(floors), None)


def volunteer(
    name: str,
    *,
    capacity: int = 1,
    lines: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("nl", "en"),
    role: str = "volunteer",
    backup: bool = False,
) -> Profile:
    return Profile(name, name.title(), role, lines, languages, capacity, backup)


def supervisor(name: str) -> Profile:
    return volunteer(name, role="supervisor", capacity=2)


def visitor(cid: str, line: str = "chat", lang: str = "nl", priority: int = 0) -> Arrival:
    return Arrival(cid, line, lang, f"token-{cid}", priority)


async def on_duty(
    floor: FloorState, profile: Profile, node: str = "n1", now: float = NOW
) -> Presence:
    """Connected and available: a volunteer routing may give visitors to."""
    await floor.connect(profile, node, now)
    return await floor.set_state(profile.id, OperatorState.AVAILABLE, now)


async def arrive(floor: FloorState, *arrivals: Arrival, now: float = NOW) -> None:
    for arrival in arrivals:
        await floor.enqueue(arrival, "n1", now, LIMIT)


async def refusal(operation: Awaitable[Any]) -> Refusal:
    """The reason the floor refused ``operation``; fails the test if it committed."""
    with pytest.raises(FloorRefused) as refused:
        await operation
    return refused.value.reason


async def assert_consistent(floor: FloorState) -> None:
    """The floor's promises, checked on a snapshot: nobody held twice, nobody over capacity,
    holders and conversations agree, waiting means queued, offers reserve a slot."""
    presences = await floor.presences()
    conversations = {c.id: c for c in await floor.open_conversations()}
    queued = {w.conversation_id for w in await floor.waiting()}
    holders: dict[str, str] = {}
    for p in presences:
        routed = len(p.held - p.taken_over)
        assert routed + len(p.reserved) <= p.account.capacity, f"{p.id} over capacity"
        for cid in p.held:
            assert cid not in holders, f"{cid} held twice"
            holders[cid] = p.id
    for c in conversations.values():
        if c.state.value == "waiting":
            assert c.id in queued and c.id not in holders, f"{c.id} waiting, not queued"
        else:
            assert c.id not in queued, f"{c.id} queued while held"
            assert holders.get(c.id) == c.operator_id, f"{c.id} holder mismatch"
    by_id = {p.id: p for p in presences}
    for offer in await floor.offers():
        assert holders.get(offer.conversation_id) == offer.sender, "offered chat left sender"
        assert offer.conversation_id in by_id[offer.receiver].reserved, "slot not reserved"
