"""What a waiting visitor is told, and that nobody is overtaken for ever.

A handed-back visitor is not given straight back to the volunteer who handed them back while a
colleague could take them, but that wish lapses: at once when nobody else is on duty, and after
``routing.handback_avoid_seconds`` otherwise. The wait estimate counts free volunteers (an idle
volunteer means "now", not a made-up quarter of an hour), and an open line with nobody on duty
says so and shows where else to turn at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from chatserver import accounts
from chatserver.clock import ManualClock
from chatserver.hub import core, places
from chatserver.hub import events as ev
from chatserver.hub.hub import Hub
from chatserver.hub.model import Account, OperatorState
from chatserver.hub.queue import Waiting
from chatserver.settings import Settings, load_settings
from tests.backends.factories import Backend
from tests.floors import FloorKind, relaying

SETTINGS = load_settings(Path(__file__).parent.parent / "e2e" / "test.toml")
START = 1_795_662_000.0  # a Wednesday, 20:00 in Amsterdam
AVOID = SETTINGS.routing.handback_avoid_seconds


@dataclass
class Floor:
    hub: Hub
    clock: ManualClock
    assigned: dict[str, str] = field(default_factory=dict)  # conversation -> volunteer
    told: dict[str, ev.QueueUpdate] = field(default_factory=dict)  # last queue event

    async def on_duty(self, account: Account) -> None:
        await self.hub.store.add_account(account)
        await self.hub.operator_connected(account)
        await self.hub.set_status(account.id, OperatorState.AVAILABLE)

    async def arrive(self, name: str) -> str:
        conversation, _ = await self.hub.start_conversation(name, "chat", "nl", True)
        return conversation.id


# a line that takes a long queue
LONG_QUEUE = replace(
    SETTINGS, lines=tuple(replace(line, queue_limit=100) for line in SETTINGS.lines)
)


@asynccontextmanager
async def floor_of(
    settings: Settings, backend: Backend, floor_kind: FloorKind
) -> AsyncIterator[Floor]:
    store = backend.scratch()
    await store.open()
    clock = ManualClock(START)
    async with floor_kind.made(clock) as made:
        result = Floor(Hub(settings, store, clock, made), clock)

        async def record(event: ev.Event) -> None:
            if isinstance(event, ev.Assigned) and event.to_visitor:
                result.assigned[event.conversation.id] = event.operator_id
            if isinstance(event, ev.QueueUpdate):
                result.told[event.conversation_id] = event

        result.hub.bus.subscribe(record)
        async with relaying(result.hub):  # a shared floor's messages come through its feed
            yield result
    await store.close()


@pytest.fixture
async def floor(backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Floor]:
    async with floor_of(SETTINGS, backend, floor_kind) as made:
        yield made


@pytest.fixture
async def long_floor(backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Floor]:
    async with floor_of(LONG_QUEUE, backend, floor_kind) as made:
        yield made


def volunteer(name: str, capacity: int = 1) -> Account:
    return accounts.new_account(name, "x" * 12, "volunteer", None, capacity=capacity)


async def test_only_volunteer_gets_a_handed_back_visitor_before_later_ones(floor: Floor) -> None:
    """Alone on duty, a volunteer who hands a visitor back to the queue gets that visitor
    again before anyone who came later: nobody else could ever take them. (A volunteer who
    needs a break pauses first; the console says so.)"""
    ann = volunteer("ann")
    await floor.on_duty(ann)
    first = await floor.arrive("c1")
    assert floor.assigned[first] == ann.id
    del floor.assigned[first]
    await floor.hub.hand_over(ann.id, first, "queue", "")
    # nobody else could ever take them, so the hand-back lapses at once: back to ann
    assert floor.assigned[first] == ann.id
    later = await floor.arrive("c2")
    assert (await floor.hub.position(later)) == 1
    await floor.hub.end_conversation(ann.id, first, [], "none")
    assert floor.assigned[later] == ann.id


async def test_hand_back_lapses_after_the_configured_time(floor: Floor) -> None:
    """With a busy colleague on duty, later visitors may go to the volunteer who handed
    someone back, but only until ``handback_avoid_seconds`` have passed."""
    ann, bob = volunteer("ann"), volunteer("bob")
    await floor.on_duty(bob)
    assert floor.assigned[await floor.arrive("c1")] == bob.id  # bob is busy from now on
    await floor.on_duty(ann)
    handed_back = await floor.arrive("c2")
    assert floor.assigned.pop(handed_back) == ann.id
    await floor.hub.hand_over(ann.id, handed_back, "queue", "")
    # bob could take the visitor once free, so ann is not handed them straight back...
    assert (await floor.hub.position(handed_back)) == 1 and not (await floor.hub.held(ann.id))
    later = await floor.arrive("c3")
    assert floor.assigned[later] == ann.id  # ...and a later visitor may go first, for now
    floor.clock.advance(AVOID)
    latest = await floor.arrive("c4")
    await floor.hub.end_conversation(ann.id, later, [], "none")
    # the hand-back has lapsed: ann's free slot goes to the visitor who waited longest
    assert floor.assigned.get(handed_back) == ann.id
    assert (await floor.hub.position(latest)) == 1


async def test_an_idle_volunteer_means_help_now(floor: Floor) -> None:
    """With a volunteer free and nobody waiting, the line says "now", not 15 minutes."""
    await floor.on_duty(volunteer("ann", capacity=2))
    assert (await floor.hub.line_status("chat")).estimated_wait_seconds == 0
    await floor.arrive("c1")
    assert (await floor.hub.line_status("chat")).estimated_wait_seconds == 0  # one slot still free
    await floor.arrive("c2")
    busy = (await floor.hub.line_status("chat")).estimated_wait_seconds
    assert busy is not None and busy > 0


async def test_the_estimate_counts_only_visitors_no_free_slot_will_take(floor: Floor) -> None:
    """A waiting visitor's estimate grows with those ahead who must wait for a slot."""
    await floor.on_duty(volunteer("ann"))
    await floor.arrive("c1")
    second, third = await floor.arrive("c2"), await floor.arrive("c3")
    mean = SETTINGS.routing.assumed_chat_seconds
    assert floor.told[second].estimated_wait_seconds == mean  # needs one slot to free up
    assert floor.told[third].estimated_wait_seconds == 2 * mean
    assert not floor.told[second].nobody_on_duty


async def test_nobody_on_duty_is_said_plainly_with_alternatives_at_once(floor: Floor) -> None:
    """An open line with no volunteer online tells the visitor so, and where else to turn,
    at once rather than "not known yet" for ever."""
    waiting = await floor.arrive("c1")
    told = floor.told[waiting]
    assert told.nobody_on_duty and told.estimated_wait_seconds is None
    assert [c.phone for c in told.alternatives] == ["088 0767 000", "112"]
    # a volunteer logs on: the estimate becomes real and the plain warning goes
    ann = volunteer("ann")
    await floor.on_duty(ann)
    assert floor.assigned[waiting] == ann.id
    again = await floor.arrive("c2")
    assert not floor.told[again].nobody_on_duty


async def test_a_paused_volunteers_free_slot_costs_no_read_of_the_whole_queue(
    floor: Floor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routing reads the whole queue only for a slot it could fill but found nobody for in
    the front (a language, say). A paused (or cooling-down) volunteer's free slot is not
    one: counted as free, every start read every waiting visitor, thousands of them."""
    monkeypatch.setattr(core, "ROUTE_WINDOW", 1)  # a "long" queue of a few
    resting = volunteer("rust")
    await floor.hub.store.add_account(resting)
    await floor.hub.operator_connected(resting)  # connected, paused, a slot free
    for n in range(3):  # the line takes 5
        await floor.arrive(f"c{n}")
    reads: list[int | None] = []
    read = floor.hub.floor.waiting

    async def counted(limit: int | None = None) -> list[Waiting]:
        reads.append(limit)
        return await read(limit)

    monkeypatch.setattr(floor.hub.floor, "waiting", counted)
    await floor.arrive("late")
    assert None not in reads
    assert not floor.assigned


async def test_a_visitor_handed_back_hears_their_place_even_the_same_as_before(
    floor: Floor,
) -> None:
    """The widget shows the queue again on a `queue` event: a visitor handed back to the
    front hears their place, also when it is the place and the estimate they heard before
    the chat (first, help now), which the node remembered having told them."""
    await floor.on_duty(volunteer("ann"))
    await floor.on_duty(volunteer("bob"))
    first = await floor.arrive("c1")
    before = floor.told[first]
    await floor.arrive("c2")
    floor.told.clear()
    await floor.hub.hand_over(floor.assigned[first], first, "queue", "")
    assert (await floor.hub.position(first)) == 1
    again = floor.told[first]
    assert (again.position, again.estimated_wait_seconds) == (1, before.estimated_wait_seconds)


async def test_far_back_in_a_long_queue_a_move_is_told_with_the_sweep(long_floor: Floor) -> None:
    """With thousands waiting, a chat that ends must not cost thousands of updates: the
    first ``TOLD_AT_ONCE`` of a line hear their new place at once, those behind them with
    the sweep within ``FAR_BACK_SECONDS`` (told at the far-back pace, which the server
    drives and this test drives by hand). That nobody is on duty any more is looked at
    at once: it changes what they should do (the widget shows where else to turn)."""
    floor = long_floor
    ann = volunteer("ann")
    await floor.on_duty(ann)
    ids = [await floor.arrive(f"c{n}") for n in range(places.TOLD_AT_ONCE + 5)]
    queued = ids[1:]  # the first went to Ann
    assert {c: floor.told[c].position for c in queued} == {c: p for p, c in enumerate(queued, 1)}
    floor.told.clear()

    await floor.hub.end_conversation(ann.id, ids[0], ["other"], "none")
    assert floor.assigned[queued[0]] == ann.id
    queued = queued[1:]
    front, behind = queued[: places.TOLD_AT_ONCE], queued[places.TOLD_AT_ONCE :]
    assert {c: floor.told[c].position for c in front} == {c: p for p, c in enumerate(front, 1)}
    assert not any(c in floor.told for c in behind)
    floor.clock.advance(places.FAR_BACK_SECONDS - 1)
    await floor.hub.sweep()
    assert not await floor.hub.tell_far_back()
    assert not any(c in floor.told for c in behind)  # not yet
    floor.clock.advance(1)
    await floor.hub.sweep()
    assert floor.hub.far_back_owed.is_set()
    while await floor.hub.tell_far_back(batch=2):
        pass
    assert [floor.told[c].position for c in behind] == [
        p for p, _ in enumerate(behind, places.TOLD_AT_ONCE + 1)
    ]

    floor.told.clear()
    await floor.hub.set_status(ann.id, OperatorState.PAUSED)
    assert all(floor.told[c].nobody_on_duty for c in front)
    while await floor.hub.tell_far_back():
        pass
    assert all(floor.told[c].nobody_on_duty for c in behind)


async def test_a_visitor_who_leaves_while_far_back_places_are_told_hears_nothing_more(
    long_floor: Floor,
) -> None:
    """Far-back places go out in batches, each an event the server sends; a visitor further
    back who leaves while a batch is told is skipped, and the others still hear their place."""
    floor = long_floor
    ids = [await floor.arrive(f"c{n}") for n in range(places.TOLD_AT_ONCE + 4)]
    floor.told.clear()
    ann = volunteer("ann")
    await floor.on_duty(ann)  # somebody on duty: everyone hears a new estimate
    assert floor.assigned[ids[0]] == ann.id
    first, second, leaving = ids[places.TOLD_AT_ONCE + 1 :]  # places 21, 22 and 23
    assert not {first, second, leaving} & floor.told.keys()  # owed, not told yet

    async def leave_at_first_far_place(event: ev.Event) -> None:
        if isinstance(event, ev.QueueUpdate) and event.conversation_id == first:
            await floor.hub.visitor_leaves(leaving)

    floor.hub.bus.subscribe(leave_at_first_far_place)
    while await floor.hub.tell_far_back():
        pass
    assert leaving not in floor.told
    assert (floor.told[first].position, floor.told[second].position) == (21, 22)
