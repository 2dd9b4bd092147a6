"""The less common arrivals: an agreed chat, conversations restored after a restart, and
the record fields the live conversation carries (created, intake, risk, first assignment,
the agreed chat with its earlier messages), kept exactly on both floors.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chatserver.hub.floor_records import Claimed, FloorRefused, LiveConversation, Profile, Refusal
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import ConversationState, Message, OperatorState, Risk, Role
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Waiting
from tests.floor.kit import (
    NOW,
    FloorKit,
    arrive,
    assert_consistent,
    on_duty,
    refusal,
    visitor,
    volunteer,
)

EARLIER = (
    Message("old-1", "old", 1, Role.VISITOR, "ik slaap slecht 😔", NOW - 86_400.25),
    Message(
        "old-2", "old", 2, Role.OPERATOR, "Dat <b>klinkt</b> zwaar", NOW - 86_399.5,
        author="ann", author_alias="Anna", html="Dat &lt;b&gt;klinkt&lt;/b&gt; zwaar",
    ),
    Message(
        "old-3", "old", 3, Role.SYSTEM, "Anna is er", NOW - 86_399.0,
        code="joined", params={"alias": "Anna", "n": "1"},
    ),
)  # fmt: skip


def agreed(operator_id: str, note: str = "") -> Pinned:
    return Pinned("app-1", operator_id, NOW - 3_600.5, note, EARLIER)


async def test_an_agreed_chat_goes_to_its_volunteer_even_when_full(floor: FloorState) -> None:
    """Promised is promised: a volunteer on duty gets the agreed chat at once, beyond
    capacity like a takeover; paused still counts as on duty."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(volunteer("bob"), "n1", NOW)  # paused
    await arrive(floor, visitor("c0"))
    await floor.claim("c0", "ann", NOW)
    claimed = await floor.arrive_agreed(visitor("c1"), "n1", NOW + 5, agreed("ann", "zie mij"))
    assert claimed == Claimed("c1", "ann", True, None, 2)
    ann = await floor.presence("ann")
    assert ann is not None and ann.held == {"c0", "c1"} and ann.taken_over == {"c1"}
    assert ann.idle_since == NOW + 5
    live = await floor.conversation("c1")
    assert live is not None and live.state is ConversationState.ACTIVE
    assert (live.operator_id, live.answered, live.assigned_at) == ("ann", True, NOW + 5)
    assert live.pinned == agreed("ann", "zie mij")
    assert isinstance(await floor.arrive_agreed(visitor("c2"), "n1", NOW, agreed("bob")), Claimed)
    bob = await floor.presence("bob")
    assert bob is not None and bob.taken_over == set()  # a free slot: an ordinary chat
    assert await refusal(floor.arrive_agreed(visitor("c1"), "n1", NOW, agreed("ann"))) is (
        Refusal.IN_USE
    )
    await assert_consistent(floor)


async def test_an_agreed_chat_waits_first_when_its_volunteer_is_not_on_duty(
    floor: FloorState,
) -> None:
    """Away or offline: the visitor waits at the front of the line (even a full one), and
    whoever takes them reads the volunteer's note; a blank note is no note."""
    await arrive(floor, visitor("c0"))
    await floor.connect(volunteer("ann"), "n1", NOW)
    await floor.set_state("ann", OperatorState.AWAY, NOW)
    waiting = await floor.arrive_agreed(visitor("c1"), "n1", NOW + 1, agreed("ann", "angst"))
    assert isinstance(waiting, Waiting) and waiting.since == NOW + 1
    assert isinstance(
        await floor.arrive_agreed(visitor("c2"), "", NOW, agreed("bob", " ")), Waiting
    )
    assert [w.conversation_id for w in await floor.waiting()] == ["c2", "c1", "c0"]
    live = await floor.conversation("c1")
    assert live is not None and live.operator_id is None and not live.answered
    assert live.pinned == agreed("ann", "angst")
    await on_duty(floor, volunteer("cas", capacity=2))
    assert (await floor.claim("c2", "cas", NOW)).note is None
    assert (await floor.claim("c1", "cas", NOW)).note == "angst"
    await assert_consistent(floor)


async def put_back(
    floor: FloorState,
    cid: str,
    state: ConversationState,
    held_by: Profile | None = None,
    assigned_at: float | None = None,
    risk: Risk = Risk.NONE,
) -> LiveConversation:
    answered = assigned_at is not None
    return await floor.restore(visitor(cid), state, held_by, answered, assigned_at, risk, NOW)


async def test_restore_puts_back_what_the_store_kept_open(floor: FloorState) -> None:
    """After a restart: waiting visitors in the order restored, a held chat with its
    volunteer (a disconnected presence, the grace period running), and a chat whose holder
    is unknown first in line; nobody connected yet."""
    ann = volunteer("ann", capacity=2)
    await put_back(floor, "c1", ConversationState.WAITING)
    await put_back(floor, "c2", ConversationState.WAITING)
    live = await put_back(floor, "c3", ConversationState.WRAPUP, ann, NOW - 9, Risk.HIGH)
    assert (live.state, live.operator_id, live.assigned_at, live.answered) == (
        ConversationState.WRAPUP, "ann", NOW - 9, True,
    )  # fmt: skip
    assert (live.risk, live.visitor_connections, live.visitor_gone_since) == (Risk.HIGH, 0, NOW)
    await put_back(floor, "c4", ConversationState.ACTIVE, None, NOW - 5)
    await put_back(floor, "c5", ConversationState.ACTIVE, ann, NOW - 1)
    assert [w.conversation_id for w in await floor.waiting()] == ["c4", "c1", "c2"]
    presence = await floor.presence("ann")
    assert presence is not None and presence.held == {"c3", "c5"}
    assert (presence.connections, presence.disconnected_at) == (0, NOW)
    assert (presence.state, presence.account.alias) == (OperatorState.PAUSED, "Ann")
    await assert_consistent(floor)


async def test_nodes_restoring_at_once_restore_each_conversation_once(kit: FloorKit) -> None:
    """Two nodes starting together both find the conversation open in the store: one
    puts it back, the other is refused."""
    results = await asyncio.gather(
        *(put_back(node, "c1", ConversationState.WAITING) for node in kit.nodes[:2]),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, FloorRefused)]
    assert len(refused) == 1 and refused[0].reason is Refusal.IN_USE
    assert [w.conversation_id for w in await kit.nodes[2].waiting()] == ["c1"]


async def test_the_record_fields_come_back_exactly(floor: FloorState) -> None:
    """What the hub writes to the store comes from the floor: created, intake, the shared
    connection hint, and the first assignment (a second claim does not move it)."""
    arrival = replace(
        visitor("c1"),
        created_at=NOW - 0.123456789,
        intake={"topic": "eenzaamheid", "age": "18-23"},
        shared_connection=3,
    )
    await floor.enqueue(arrival, "n1", NOW, 10)
    live = await floor.conversation("c1")
    assert live is not None and live.created_at == NOW - 0.123456789
    assert (live.intake, live.shared_connection) == ({"topic": "eenzaamheid", "age": "18-23"}, 3)
    assert (live.risk, live.assigned_at, live.pinned, live.forgotten) == (
        Risk.NONE, None, None, False,
    )  # fmt: skip
    await on_duty(floor, volunteer("ann"))
    await floor.claim("c1", "ann", NOW + 7.25)
    await floor.requeue("c1", "ann", NOW + 8, NOW + 8, "")
    await floor.claim("c1", "ann", NOW + 9)
    [live] = await floor.open_conversations()
    assert live.assigned_at == NOW + 7.25
    record = live.record()
    assert (record.created_at, record.intake, record.assigned_at, record.operator_id) == (
        NOW - 0.123456789, {"topic": "eenzaamheid", "age": "18-23"}, NOW + 7.25, "ann",
    )  # fmt: skip
