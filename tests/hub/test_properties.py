"""Random evenings on the floor: the hub's promises hold after every single step.

Hypothesis drives arrivals, departures, dropped connections, status changes, handovers
(offered, accepted, declined, timed out, back to the queue), chats ending and time passing
through the hub (on each store backend and each floor, with throwaway storage and a floor of
its own per example) and checks, after each step: nobody is assigned twice, no volunteer
exceeds capacity, nobody waits while a matching volunteer has a free slot, and nobody jumps
the queue past an equal visitor (the one exception: a visitor just handed back to the queue is
not given straight back to the volunteer who handed them back while a colleague could take
them, for a bounded time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

from chatserver import accounts
from chatserver.clock import ManualClock
from chatserver.errors import ChatError
from chatserver.hub import events as ev
from chatserver.hub.floor_state import FloorState
from chatserver.hub.hub import Hub
from chatserver.hub.model import OperatorState
from chatserver.hub.queue import Waiting
from chatserver.settings import load_settings
from tests.backends.factories import Backend
from tests.floors import FloorKind

CONFIG = Path(__file__).parent.parent / "e2e" / "test.toml"
SETTINGS = load_settings(CONFIG)
START = 1_795_662_000.0  # a Wednesday, 20:00 in Amsterdam: both lines open
ACCOUNTS = [
    accounts.new_account("ann", "x" * 12, "volunteer", None, capacity=1),
    accounts.new_account("bob", "x" * 12, "volunteer", None, lines=("chat",), capacity=2),
    accounts.new_account("cas", "x" * 12, "volunteer", None, languages=("en",), capacity=1),
]
# one step of an evening: its kind, then that kind's arguments (names, indexes, a state)
Action = tuple[Any, ...]

visitor = st.integers(min_value=0, max_value=11)
operator = st.integers(min_value=0, max_value=len(ACCOUNTS) - 1)
ARRIVE = st.tuples(
    st.just("arrive"), st.sampled_from(["chat", "evening"]), st.sampled_from(["nl", "en"])
)
OFFER = st.sampled_from([("offer", 0, 1), ("offer", 1, 0), ("offer", 0, 2), ("offer", 1, 2)])
ANSWER = st.tuples(st.sampled_from(["accept", "decline"]), st.sampled_from([0, 1]))
ACTIONS = st.one_of(
    ARRIVE,
    ARRIVE,  # listed twice: an evening has more arrivals than anything else
    st.tuples(st.just("leave"), visitor),
    st.tuples(st.just("drop"), visitor),
    st.tuples(st.just("back"), visitor),
    st.tuples(st.just("forget"), visitor),
    st.tuples(st.just("connect"), operator),
    st.tuples(st.just("disconnect"), operator),
    st.tuples(st.just("status"), operator, st.sampled_from(list(OperatorState))),
    st.tuples(st.just("end"), operator),
    st.tuples(st.just("tick"), st.sampled_from([1, 30, 61, 121])),
    OFFER,
    OFFER,
    ANSWER,  # answers are listed often, so offers are answered before they time out
    ANSWER,
    ANSWER,
    ANSWER,
    st.tuples(st.just("to_queue"), operator),
)


def note(label: str) -> None:
    """Count a kind of step in hypothesis' statistics (--hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(label)


async def waiting_order(hub: Hub) -> list[tuple[str, str, str]]:
    return [(w.conversation_id, w.line, w.lang) for w in (await hub.waiting())]


async def may_pass(hub: Hub, passed: Waiting, operator_id: str, now: float) -> bool:
    """A later visitor may go first only to a volunteer the earlier one was just handed back
    by, while the hand-back still counts (``routing.handback_avoid_seconds``) and another
    colleague on duty serves the earlier one's line and language. Stated here on its own,
    not through the hub's routing code, so a wrong rule there cannot excuse itself."""
    if operator_id not in passed.avoid:
        return False
    if now >= passed.since + SETTINGS.routing.handback_avoid_seconds:
        return False
    colleagues = [
        (await hub.presence(a.id))
        for a in ACCOUNTS
        if a.id not in passed.avoid and a.serves(passed.line, passed.lang)
    ]
    return any(
        p is not None and p.online and p.state is OperatorState.AVAILABLE for p in colleagues
    )


async def evening(actions: list[Action], backend: Backend, floor_kind: FloorKind) -> int:
    """Play ``actions``; return how many assignments happened (so examples are not vacuous)."""
    clock = ManualClock(START)
    async with floor_kind.made(clock) as floor:
        return await evening_on(actions, backend, clock, floor)


async def evening_on(
    actions: list[Action], backend: Backend, clock: ManualClock, floor: FloorState
) -> int:
    store = backend.scratch()
    await store.open()
    hub = Hub(SETTINGS, store, clock, floor)
    assigned: dict[str, str] = {}  # conversation -> volunteer, in this step
    total = 0

    async def record(event: ev.Event) -> None:
        if isinstance(event, ev.Assigned) and event.to_visitor:
            assigned[event.conversation.id] = event.operator_id

    hub.bus.subscribe(record)
    conversations: list[str] = []
    ids = (f"c{n:04d}" for n in itertools.count())
    for account in ACCOUNTS:
        await store.add_account(account)
    try:
        for action in actions:
            before = list(await hub.waiting())
            assigned.clear()
            # refusals (closed, full, not yours, ended) are part of an evening
            with contextlib.suppress(ChatError):
                await apply(hub, clock, action, conversations, ids)
            await hub.check_invariants()
            total += len(assigned)
            after = {c for c, _, _ in await waiting_order(hub)}
            now = clock.now()
            # nobody assigned in this step was behind an equal visitor who still waits, unless
            # that visitor was just handed back by the very volunteer who took the later one
            for index, entry in enumerate(before):
                operator_id = assigned.get(entry.conversation_id)
                if operator_id is None:
                    continue
                jumped = [
                    e.conversation_id
                    for e in before[:index]
                    if (e.line, e.lang) == (entry.line, entry.lang)
                    and e.conversation_id in after
                    and not await may_pass(hub, e, operator_id, now)
                ]
                assert not jumped, f"{entry.conversation_id} jumped the queue past {jumped}"
            # those still waiting keep their relative order
            kept = [e.conversation_id for e in before if e.conversation_id in after]
            order = [c for c, _, _ in await waiting_order(hub) if c in set(kept)]
            assert order == kept, "waiting visitors were reordered"
    finally:
        await store.close()
    return total


async def apply(
    hub: Hub, clock: ManualClock, action: Action, conversations: list[str], ids: Iterator[str]
) -> None:
    kind = action[0]
    if kind == "arrive":
        conversation, _ = await hub.start_conversation(next(ids), action[1], action[2], True)
        conversations.append(conversation.id)
    elif kind in ("leave", "drop", "back", "forget") and conversations:
        target = conversations[action[1] % len(conversations)]
        if kind == "leave":
            await hub.visitor_leaves(target)
        elif kind == "forget":
            await hub.forget(target)
        elif kind == "drop":
            await hub.visitor_disconnected(target)
        else:
            await hub.visitor_connected(target)
    elif kind == "connect":
        await hub.operator_connected(ACCOUNTS[action[1]])
    elif kind == "disconnect":
        await hub.operator_disconnected(ACCOUNTS[action[1]].id)
    elif kind == "status":
        await hub.set_status(ACCOUNTS[action[1]].id, action[2])
    elif kind == "end":
        held = await hub.held(ACCOUNTS[action[1]].id)
        if held:
            await hub.end_conversation(ACCOUNTS[action[1]].id, held[0].id, [], "none")
    elif kind in ("offer", "to_queue"):
        held = await hub.held(ACCOUNTS[action[1]].id)
        if held:
            target = "queue" if kind == "to_queue" else ACCOUNTS[action[2]].id
            await hub.hand_over(ACCOUNTS[action[1]].id, held[0].id, target, "")
            note(f"handover {kind} made")
    elif kind in ("accept", "decline"):
        me = ACCOUNTS[action[1]].id
        offered = await hub.offers_to(me)
        if offered:
            answer = hub.accept_handover if kind == "accept" else hub.decline_handover
            await answer(me, offered[0])
            note(f"handover {kind}ed")
    elif kind == "tick":
        clock.advance(action[1])
        await hub.sweep()


HANDED_BACK_BY_THE_ONLY_VOLUNTEER = [
    ("disconnect", 1), ("arrive", "chat", "nl"), ("to_queue", 0),
    ("arrive", "chat", "nl"), ("to_queue", 0),
]  # fmt: skip


# examples per floor: every step of an example is a few Redis round trips, so the Redis floor
# plays fewer evenings (the floor's own contract is tested on it in tests/floor/)
EXAMPLES = {"memory": 300, "redis": 60}


def test_floor_invariants_hold_after_every_step(backend: Backend, floor_kind: FloorKind) -> None:
    """However an evening goes, the floor stays consistent and fair."""
    # the shift starts with two volunteers in a chat each, so handovers have somewhere to go
    start: list[Action] = [("connect", 0), ("connect", 1)]
    start += [("status", n, OperatorState.AVAILABLE) for n in (0, 1)]
    start += [("arrive", "chat", "nl"), ("arrive", "chat", "nl")]

    # given inside the test, so each floor has its own number of examples; each example has
    # its own event loop, and so its own floor (a Redis floor's connections belong to a loop)
    @settings(
        max_examples=EXAMPLES[floor_kind.name],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(actions=st.lists(ACTIONS, min_size=1, max_size=40))
    # --hypothesis-seed=2 found it: bob is away, so ann is the only volunteer on duty; she
    # hands c0001 back to the queue twice and, while the hand-back never lapsed, c0003 went
    # first
    @example(actions=HANDED_BACK_BY_THE_ONLY_VOLUNTEER)
    # a declined offer freed bob's reserved slot, but nobody was routed to it until the next
    # tick
    @example(actions=[("offer", 0, 1), ("arrive", "chat", "nl"), ("decline", 1)])
    def an_evening(actions: list[Action]) -> None:
        asyncio.run(evening(start + actions, backend, floor_kind))

    an_evening()


def test_a_busy_evening_example(backend: Backend, floor_kind: FloorKind) -> None:
    """A fixed scenario that exercises every action, so the property is never vacuous."""
    actions = [
        ("connect", 0), ("status", 0, OperatorState.AVAILABLE),
        ("arrive", "chat", "nl"), ("arrive", "chat", "nl"), ("arrive", "chat", "en"),
        ("connect", 2), ("status", 2, OperatorState.AVAILABLE), ("end", 0), ("drop", 1),
        ("tick", 121), ("disconnect", 2), ("tick", 61), ("connect", 1),
        ("status", 1, OperatorState.AVAILABLE), ("leave", 0), ("back", 1),
    ]  # fmt: skip
    # ann takes two chats in turn, cas one in English; a dropped chat is handed on
    assert asyncio.run(evening(actions, backend, floor_kind)) >= 4


def test_handovers_example(backend: Backend, floor_kind: FloorKind) -> None:
    """Offers declined, timed out and accepted, and a chat handed back to the queue."""
    actions = [
        ("connect", 0), ("connect", 1),
        ("status", 0, OperatorState.AVAILABLE), ("status", 1, OperatorState.AVAILABLE),
        ("arrive", "chat", "nl"), ("arrive", "chat", "nl"),
        ("offer", 0, 1), ("decline", 1), ("offer", 0, 1), ("tick", 61),
        ("offer", 0, 1), ("accept", 1), ("to_queue", 1),
    ]  # fmt: skip
    # two first assignments, the accepted handover, and the re-queued chat going to ann
    assert asyncio.run(evening(actions, backend, floor_kind)) == 4
