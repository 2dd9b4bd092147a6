"""The queue on the floor: arrivals, the claim routing commits, hand-backs, leaving, ending.

Run on both floors: what a visitor experiences in the queue must not depend on whether the
helpline runs one process or many nodes on Redis.
"""

from __future__ import annotations

from dataclasses import replace

from chatserver.hub.floor_records import Refusal
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import ConversationState, OperatorState
from chatserver.hub.routing import plan_assignments
from tests.floor.kit import (
    NOW,
    arrive,
    assert_consistent,
    on_duty,
    refusal,
    supervisor,
    visitor,
    volunteer,
)


async def test_waiting_order_is_priority_then_arrival_across_lines(floor: FloorState) -> None:
    """Visitors are helped in order: higher priority first, then whoever came first, on
    every line; each hears its place within its own line."""
    await arrive(floor, visitor("a"), visitor("b", line="jongeren"), visitor("c", priority=1))
    order = [w.conversation_id for w in await floor.waiting()]
    assert order == ["c", "a", "b"]
    assert [w.conversation_id for w in await floor.waiting(limit=2)] == ["c", "a"]
    await arrive(floor, visitor("d", line="jongeren"))
    heads = [w.conversation_id for w in await floor.line_heads(1)]
    assert heads == ["c", "b"]  # the first of each line, still in the order of helping
    assert await floor.position("c") == 1
    assert await floor.position("a") == 2
    assert await floor.position("b") == 1
    assert await floor.queue_length("chat") == 2
    assert await floor.position("nobody") is None


async def test_an_arrival_is_on_the_floor_with_its_token(floor: FloorState) -> None:
    """A visitor who reloads finds the conversation again by its token."""
    entry = await floor.enqueue(visitor("c1", lang="en"), "n1", NOW, 10)
    assert (entry.conversation_id, entry.lang, entry.since) == ("c1", "en", NOW)
    assert await floor.conversation_for_token("token-c1") == "c1"
    live = await floor.conversation("c1")
    assert live is not None
    assert live.state is ConversationState.WAITING and live.visitor_connections == 1
    assert live.visitor_gone_since is None and not live.answered


async def test_enqueue_refuses_an_id_in_use_and_a_full_queue(floor: FloorState) -> None:
    """One conversation per id, and a line's queue limit holds whichever node takes the
    start."""
    await floor.enqueue(visitor("c1"), "n1", NOW, 2)
    assert await refusal(floor.enqueue(visitor("c1"), "n1", NOW, 2)) is Refusal.IN_USE
    await floor.enqueue(visitor("c2"), "n1", NOW, 2)
    assert await refusal(floor.enqueue(visitor("c3"), "n1", NOW, 2)) is Refusal.QUEUE_FULL
    await floor.enqueue(visitor("c4", line="jongeren"), "n1", NOW, 2)


async def test_a_restored_visitor_has_no_connection_and_keeps_its_seq(floor: FloorState) -> None:
    """After a restart a waiting visitor is back in line, its grace period running, and its
    next message follows the stored ones."""
    await floor.enqueue(replace(visitor("c1"), last_seq=7), "", NOW, 10)
    live = await floor.conversation("c1")
    assert live is not None
    assert (live.visitor_connections, live.visitor_gone_since, live.last_seq) == (0, NOW, 7)


async def test_claim_gives_the_visitor_to_the_volunteer(floor: FloorState) -> None:
    """Routing's plan, committed: the visitor leaves the queue and is the volunteer's."""
    await on_duty(floor, volunteer("ann", capacity=2))
    await arrive(floor, visitor("c1"), visitor("c2"))
    claimed = await floor.claim("c1", "ann", NOW + 5)
    assert (claimed.first, claimed.note, claimed.load) == (True, None, 1)
    live = await floor.conversation("c1")
    assert live is not None and live.state is ConversationState.ACTIVE
    assert live.operator_id == "ann" and live.answered
    ann = await floor.presence("ann")
    assert ann is not None and ann.held == {"c1"} and ann.idle_since == NOW + 5
    assert [w.conversation_id for w in await floor.waiting()] == ["c2"]
    assert (await floor.claim("c2", "ann", NOW)).load == 2
    await assert_consistent(floor)


async def test_claim_refuses_a_stale_plan_of_every_kind(floor: FloorState) -> None:
    """A plan made a moment ago may be stale; the floor refuses it, naming why, and changes
    nothing: no visitor reaches two volunteers, no volunteer exceeds capacity."""
    await arrive(floor, visitor("c1"), visitor("c2", lang="en"), visitor("c3"))
    assert await refusal(floor.claim("c1", "ann", NOW)) is Refusal.OFFLINE
    await floor.connect(volunteer("ann", languages=("nl",)), "n1", NOW)
    assert await refusal(floor.claim("c1", "ann", NOW)) is Refusal.NOT_AVAILABLE
    await floor.set_state("ann", OperatorState.AVAILABLE, NOW)
    assert await refusal(floor.claim("c2", "ann", NOW)) is Refusal.NOT_SERVING
    await floor.claim("c1", "ann", NOW)
    assert await refusal(floor.claim("c1", "ann", NOW)) is Refusal.NOT_WAITING
    assert await refusal(floor.claim("c3", "ann", NOW)) is Refusal.FULL
    await floor.release("c1", "ann", NOW, cooldown_until=NOW + 30, pause=False)
    assert await refusal(floor.claim("c3", "ann", NOW + 29)) is Refusal.COOLING_DOWN
    await floor.claim("c3", "ann", NOW + 30)
    assert await refusal(floor.claim("gone", "ann", NOW)) is Refusal.NOT_WAITING
    await floor.disconnect("ann", "n1", NOW)
    assert await refusal(floor.claim("c2", "ann", NOW)) is Refusal.OFFLINE
    await assert_consistent(floor)


async def test_routing_plans_over_a_snapshot_of_either_floor(floor: FloorState) -> None:
    """The hub's routing rule (fewest chats, then longest idle) plans unchanged over the
    floor's snapshot, and every pair of the plan commits."""
    await on_duty(floor, volunteer("ann", capacity=2), now=NOW)
    await on_duty(floor, volunteer("bob"), now=NOW - 10)
    await arrive(floor, visitor("c1"), visitor("c2"), visitor("c3"), visitor("c4"))
    plan = plan_assignments(await floor.waiting(), await floor.presences(), NOW)
    assert [(w.conversation_id, p.id) for w, p in plan] == [
        ("c1", "bob"),
        ("c2", "ann"),
        ("c3", "ann"),
    ]
    for entry, presence in plan:
        await floor.claim(entry.conversation_id, presence.id, NOW)
    assert [w.conversation_id for w in await floor.waiting()] == ["c4"]
    await assert_consistent(floor)


async def test_requeue_puts_the_visitor_first_and_avoids_the_sender(floor: FloorState) -> None:
    """Back to the queue: the visitor goes first in line with the note, is not given
    straight back to the same volunteer while a colleague could help, and the wish lapses."""
    await on_duty(floor, volunteer("ann"))
    await arrive(floor, visitor("c1"), visitor("c2"))
    await floor.claim("c1", "ann", NOW)
    requeued = await floor.requeue("c1", "ann", NOW + 1, avoid_until=NOW + 61, note="angst")
    assert requeued.previous == "ann"
    assert [w.conversation_id for w in await floor.waiting()] == ["c1", "c2"]
    entry = (await floor.waiting())[0]
    assert entry.avoid == frozenset({"ann"}) and entry.avoid_until == NOW + 61
    await on_duty(floor, volunteer("bob"))
    await floor.set_state("bob", OperatorState.PAUSED, NOW)
    # nobody else on duty: the wish lapses at once, nobody waits for nobody
    claimed = await floor.claim("c1", "ann", NOW + 2)
    assert claimed.note == "angst" and not claimed.first
    await floor.requeue("c1", "ann", NOW + 3, avoid_until=NOW + 63, note="")
    await floor.set_state("bob", OperatorState.AVAILABLE, NOW + 3)
    await floor.claim("c2", "bob", NOW + 3)  # bob is on duty, though full
    assert await refusal(floor.claim("c1", "ann", NOW + 4)) is Refusal.AVOIDED
    assert (await floor.claim("c1", "ann", NOW + 63)).note == ""
    await assert_consistent(floor)


async def test_requeue_refusals(floor: FloorState) -> None:
    """Only the holder hands back, only an active chat, and never past an open offer."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob"))
    await arrive(floor, visitor("c1"), visitor("c2"))
    assert await refusal(floor.requeue("c1", "ann", NOW, NOW, "")) is Refusal.NOT_HOLDER
    await floor.claim("c1", "ann", NOW)
    assert await refusal(floor.requeue("c1", "bob", NOW, NOW, "")) is Refusal.NOT_HOLDER
    await floor.offer("c1", "ann", "bob", "", NOW + 60)
    assert await refusal(floor.requeue("c1", "ann", NOW, NOW, "")) is Refusal.OFFER_PENDING
    await floor.decline("c1", "bob")
    await floor.leave("c1", NOW)
    assert await refusal(floor.requeue("c1", "ann", NOW, NOW, "")) is Refusal.NOT_ACTIVE


async def test_requeue_stops_readers_along_and_the_backup_request(floor: FloorState) -> None:
    """Back in the queue nobody reads along any more, and the backup call lapses."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(volunteer("cas", backup=True), "n2", NOW)
    await arrive(floor, visitor("c1"))
    await floor.claim("c1", "ann", NOW)
    await floor.request_backup("c1", "ann", "zwaar", NOW)
    await floor.watch("c1", "cas", "backup")
    await floor.request_backup("c1", "ann", "nog eens", NOW)
    requeued = await floor.requeue("c1", "ann", NOW, NOW, "")
    assert requeued.watchers == {"cas": "backup"}
    assert await floor.watchers("c1") == {}
    assert await floor.backup_requests() == []


async def test_triage_looks_once_and_moves_a_waiting_visitor_up(floor: FloorState) -> None:
    """Keyword triage counts the first message only, and moves the visitor before equals."""
    await arrive(floor, visitor("c1"), visitor("c2"))
    assert await floor.first_look("c2") is True
    assert await floor.first_look("c2") is False
    moved = await floor.move_up("c2", 2)
    assert moved.priority == 2
    assert [w.conversation_id for w in await floor.waiting()] == ["c2", "c1"]
    live = await floor.conversation("c2")
    assert live is not None and live.priority == 2
    assert await refusal(floor.first_look("nobody")) is Refusal.UNKNOWN
    await on_duty(floor, volunteer("ann"))
    await floor.claim("c1", "ann", NOW)
    assert await refusal(floor.move_up("c1", 1)) is Refusal.NOT_WAITING


async def test_visitor_connections_count_per_node(floor: FloorState) -> None:
    """A visitor with two tabs on two nodes is gone only when both are: the grace period
    starts at the last one."""
    await arrive(floor, visitor("c1"))
    assert await floor.visitor_connected("c1", "n2") == 2
    assert await floor.visitor_disconnected("c1", "n1", NOW + 1) == 1
    assert await refusal(floor.visitor_disconnected("c1", "n1", NOW)) is Refusal.OFFLINE
    assert await floor.visitor_disconnected("c1", "n2", NOW + 2) == 0
    live = await floor.conversation("c1")
    assert live is not None and live.visitor_gone_since == NOW + 2
    assert await floor.visitor_connected("c1", "n3") == 1
    live = await floor.conversation("c1")
    assert live is not None and live.visitor_gone_since is None
    assert await refusal(floor.visitor_connected("nobody", "n1")) is Refusal.UNKNOWN
    assert await refusal(floor.visitor_disconnected("nobody", "n1", NOW)) is Refusal.UNKNOWN


async def test_a_waiting_visitor_who_leaves_is_off_the_floor(floor: FloorState) -> None:
    """Leaving the queue frees the place for everyone behind; nothing of it stays."""
    await arrive(floor, visitor("c1"), visitor("c2"))
    left = await floor.leave("c1", NOW)
    assert (left.was, left.operator_id, left.voided) == (ConversationState.WAITING, None, None)
    assert await floor.conversation("c1") is None
    assert await floor.conversation_for_token("token-c1") is None
    assert await floor.position("c2") == 1
    assert await refusal(floor.leave("c1", NOW)) is Refusal.UNKNOWN


async def test_an_active_visitor_who_leaves_puts_the_chat_in_wrapup(floor: FloorState) -> None:
    """The volunteer keeps the chat for the wrap-up; an open offer and a backup call end
    with it."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob"))
    await arrive(floor, visitor("c1"))
    await floor.claim("c1", "ann", NOW)
    await floor.request_backup("c1", "ann", "", NOW)
    await floor.offer("c1", "ann", "bob", "", NOW + 60)
    left = await floor.leave("c1", NOW + 1)
    assert (left.was, left.operator_id) == (ConversationState.ACTIVE, "ann")
    assert left.voided is not None and left.voided.receiver == "bob"
    live = await floor.conversation("c1")
    assert live is not None and live.state is ConversationState.WRAPUP
    assert await floor.offers() == [] and await floor.backup_requests() == []
    bob = await floor.presence("bob")
    assert bob is not None and bob.reserved == set()
    assert await refusal(floor.leave("c1", NOW)) is Refusal.NOT_ACTIVE
    await assert_consistent(floor)


async def test_release_ends_the_chat_and_frees_the_slot(floor: FloorState) -> None:
    """After the wrap-up the slot is free again, after the cool-down; a heavy chat pauses
    the volunteer for a debrief. Only the holder can end it."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await arrive(floor, visitor("c1"))
    await floor.claim("c1", "ann", NOW)
    await floor.watch("c1", "sue", "observer")
    assert await refusal(floor.release("c1", "sue", NOW, NOW, False)) is Refusal.NOT_HOLDER
    released = await floor.release("c1", "ann", NOW + 9, cooldown_until=NOW + 39, pause=True)
    assert released.watchers == {"sue": "observer"} and released.voided is None
    ann = await floor.presence("ann")
    assert ann is not None and ann.held == set() and ann.cooldown_until == NOW + 39
    assert ann.state is OperatorState.PAUSED and ann.idle_since == NOW + 9
    assert await floor.conversation("c1") is None and await floor.watchers("c1") == {}
    assert await refusal(floor.release("c1", "ann", NOW, NOW, False)) is Refusal.NOT_HOLDER
