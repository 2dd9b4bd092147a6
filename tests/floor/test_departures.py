"""The sweep's departures as check-and-sets, erasure, and raise-only risk.

A volunteer lost past the grace period and a visitor gone past theirs are decided by
whichever node leads the sweep, from a snapshot; the floor commits only if the person is
still gone, so a reconnect on another node meanwhile wins.
"""

from __future__ import annotations

import asyncio

from chatserver.hub.floor_records import Draft, FloorRefused, HandoverOffer, Lost, Refusal, Requeued
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import ConversationState, Risk, Role
from tests.floor.kit import (
    NOW,
    FloorKit,
    arrive,
    assert_consistent,
    on_duty,
    refusal,
    supervisor,
    visitor,
    volunteer,
)


async def test_a_volunteer_is_lost_only_while_still_gone(kit: FloorKit) -> None:
    """Not while reconnected (on any node), not before the grace period, never unknown."""
    one, two = kit.nodes[0], kit.nodes[1]
    assert await refusal(one.lose_volunteer("ann", NOW, NOW)) is Refusal.UNKNOWN
    await on_duty(one, volunteer("ann"))
    assert await refusal(one.lose_volunteer("ann", NOW + 99, NOW + 50)) is Refusal.NOT_DUE
    await one.disconnect("ann", "n1", NOW + 10)
    await two.connect(volunteer("ann"), "n2", NOW + 20)
    assert await refusal(one.lose_volunteer("ann", NOW + 99, NOW + 50)) is Refusal.NOT_DUE
    await two.disconnect("ann", "n2", NOW + 60)
    assert await refusal(one.lose_volunteer("ann", NOW + 99, NOW + 50)) is Refusal.NOT_DUE
    lost = await one.lose_volunteer("ann", NOW + 99, NOW + 60)
    assert lost == Lost("ann", (), (), (), ())
    assert await one.presence("ann") is None and await one.presences() == []


async def test_a_lost_volunteer_leaves_nothing_behind(floor: FloorState) -> None:
    """Active chats to the front (readers-along and the backup call end), the wrap-up
    closed, offers to and from them void (the colleague's slot freed), no reading along."""
    await on_duty(floor, volunteer("ann", capacity=4, backup=True))
    await on_duty(floor, volunteer("bob", capacity=3))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await arrive(floor, *(visitor(f"c{i}") for i in range(1, 7)))
    for cid, operator_id in (("c1", "ann"), ("c2", "ann"), ("c3", "ann"), ("c4", "bob")):
        await floor.claim(cid, operator_id, NOW)
    await floor.claim("c5", "bob", NOW)
    await floor.watch("c1", "sue", "observer")
    await floor.request_backup("c1", "ann", "", NOW)
    await floor.leave("c2", NOW)
    await floor.offer("c3", "ann", "bob", "", NOW + 60)
    await floor.request_backup("c4", "bob", "", NOW)
    await floor.watch("c4", "ann", "backup")
    await floor.offer("c5", "bob", "ann", "", NOW + 30)
    await floor.disconnect("ann", "n1", NOW + 1)
    lost = await floor.lose_volunteer("ann", NOW + 99, NOW + 9)
    assert lost.requeued == (
        Requeued("c1", "ann", -1, {"sue": "observer"}),
        Requeued("c3", "ann", -2, {}),
    )
    assert lost.closed == ("c2",) and lost.unwatched == ("c4",)
    assert lost.voided == (
        HandoverOffer("c3", "ann", "bob", "", NOW + 60),
        HandoverOffer("c5", "bob", "ann", "", NOW + 30),
    )
    assert [w.conversation_id for w in await floor.waiting()] == ["c3", "c1", "c6"]
    assert (await floor.waiting())[0].since == NOW + 99
    assert {p.id for p in await floor.presences()} == {"bob", "sue"}
    bob = await floor.presence("bob")
    assert bob is not None and bob.reserved == set() and bob.held == {"c4", "c5"}
    assert await floor.offers() == [] and await floor.backup_requests() == []
    assert await floor.watchers("c1") == {} and await floor.watchers("c4") == {}
    assert await floor.conversation("c2") is None
    assert await floor.conversation_for_token("token-c2") is None
    await assert_consistent(floor)


async def test_three_nodes_losing_one_volunteer_lose_them_once(kit: FloorKit) -> None:
    """A stale leader and a new one sweep at once: the chats are requeued exactly once."""
    await on_duty(kit.nodes[0], volunteer("ann"))
    await arrive(kit.nodes[0], visitor("c1"))
    await kit.nodes[1].claim("c1", "ann", NOW)
    await kit.nodes[2].disconnect("ann", "n1", NOW)
    results = await asyncio.gather(
        *(node.lose_volunteer("ann", NOW + 99, NOW + 1) for node in kit.nodes),
        return_exceptions=True,
    )
    lost = [r for r in results if isinstance(r, Lost)]
    assert len(lost) == 1 and [r.conversation_id for r in lost[0].requeued] == ["c1"]
    assert all(isinstance(r, FloorRefused) for r in results if r not in lost)
    assert [w.conversation_id for w in await kit.nodes[0].waiting()] == ["c1"]
    await assert_consistent(kit.nodes[0])


async def test_a_gone_visitor_leaves_only_while_still_gone(kit: FloorKit) -> None:
    """The sweep's visitor-gone: refused once the visitor came back on another node, or
    before the grace period; committed when still gone."""
    one, two = kit.nodes[0], kit.nodes[1]
    await arrive(one, visitor("c1"), visitor("c2"))
    assert await refusal(one.leave("c1", NOW + 99, gone_before=NOW + 50)) is Refusal.NOT_DUE
    await one.visitor_disconnected("c1", "n1", NOW + 1)
    assert [c.id for c in await two.visitors_gone(NOW + 1)] == ["c1"]  # what the sweep reads
    await two.visitor_connected("c1", "n2")
    assert await two.visitors_gone(NOW + 1) == []
    assert await refusal(one.leave("c1", NOW + 99, gone_before=NOW + 50)) is Refusal.NOT_DUE
    await two.visitor_disconnected("c1", "n2", NOW + 60)
    assert await one.visitors_gone(NOW + 50) == []  # gone, but not long enough
    assert await refusal(one.leave("c1", NOW + 99, gone_before=NOW + 50)) is Refusal.NOT_DUE
    assert [c.id for c in await one.visitors_gone(NOW + 60)] == ["c1"]
    left = await one.leave("c1", NOW + 99, gone_before=NOW + 60)
    assert left.was is ConversationState.WAITING and await two.conversation("c1") is None


async def test_a_forgotten_conversation_takes_no_more_messages(floor: FloorState) -> None:
    """Erased by the visitor, in the chat or in the wrap-up: nobody posts in it again."""
    await on_duty(floor, volunteer("ann", capacity=2))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await arrive(floor, visitor("c1"), visitor("c2"))
    await floor.claim("c1", "ann", NOW)
    await floor.claim("c2", "ann", NOW)
    await floor.watch("c1", "sue", "observer")
    left = await floor.leave("c1", NOW, forgotten=True)
    assert (left.was, left.operator_id) == (ConversationState.ACTIVE, "ann")
    await floor.leave("c2", NOW)
    await floor.post("c2", Draft(Role.NOTE, "ok", NOW, "ann"))
    assert await refusal(floor.leave("c2", NOW)) is Refusal.NOT_ACTIVE
    left = await floor.leave("c2", NOW, forgotten=True)
    assert (left.was, left.operator_id) == (ConversationState.WRAPUP, "ann")
    for cid in ("c1", "c2"):
        live = await floor.conversation(cid)
        assert live is not None and live.forgotten and live.state is ConversationState.WRAPUP
        for role, author in (
            (Role.VISITOR, None), (Role.OPERATOR, "ann"), (Role.NOTE, "ann"),
            (Role.WHISPER, "sue"), (Role.SYSTEM, None),
        ):  # fmt: skip
            draft = Draft(role, "x", NOW, author)
            assert await refusal(floor.post(cid, draft)) is Refusal.FORGOTTEN
    assert [m.text for m in await floor.messages("c2")] == ["ok"]


async def test_risk_is_raised_never_lowered(floor: FloorState) -> None:
    await arrive(floor, visitor("c1"))
    assert await floor.raise_risk("c1", Risk.LOW) is Risk.LOW
    assert await floor.raise_risk("c1", Risk.LOW) is None
    assert await floor.raise_risk("c1", Risk.ACUTE) is Risk.ACUTE
    assert await floor.raise_risk("c1", Risk.HIGH) is None
    live = await floor.conversation("c1")
    assert live is not None and live.risk is Risk.ACUTE
    assert await refusal(floor.raise_risk("nobody", Risk.HIGH)) is Refusal.UNKNOWN
