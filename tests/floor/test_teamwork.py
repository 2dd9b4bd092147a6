"""Nobody alone, on either floor: warm handover, takeover, backup and reading along.

A handover offer has exactly one outcome (accepted, declined, timed out, ended with the chat,
or cut short by a takeover); whichever comes first is the only one the floor commits.
"""

from __future__ import annotations

from chatserver.hub.floor_records import Refusal
from chatserver.hub.floor_state import FloorState
from chatserver.hub.model import OperatorState
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


async def _chat(floor: FloorState, holder: str = "ann", cid: str = "c1") -> None:
    """A visitor in an active chat with ``holder``."""
    await arrive(floor, visitor(cid))
    await floor.claim(cid, holder, NOW)


async def test_an_offer_reserves_the_colleagues_slot(floor: FloorState) -> None:
    """While an offer waits for an answer the chat stays with the sender and routing keeps
    the colleague's slot free for it."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob"))
    await _chat(floor)
    offer = await floor.offer("c1", "ann", "bob", "zij is bang", NOW + 60)
    assert (offer.sender, offer.receiver, offer.note, offer.expires_at) == (
        "ann",
        "bob",
        "zij is bang",
        NOW + 60,
    )
    assert await floor.offers() == [offer]
    bob = await floor.presence("bob")
    assert bob is not None and bob.reserved == {"c1"} and bob.held == set()
    await arrive(floor, visitor("c2"))
    assert await refusal(floor.claim("c2", "bob", NOW)) is Refusal.FULL
    await assert_consistent(floor)


async def test_offer_refusals_name_the_reason(floor: FloorState) -> None:
    """The sender hears why a colleague cannot take the chat: offline, paused, full, not on
    this line; and nobody offers a chat that is not theirs, twice, or to themselves."""
    await on_duty(floor, volunteer("ann"))
    await _chat(floor)
    assert await refusal(floor.offer("c1", "bob", "ann", "", NOW)) is Refusal.NOT_HOLDER
    assert await refusal(floor.offer("c1", "ann", "ann", "", NOW)) is Refusal.SELF
    assert await refusal(floor.offer("c1", "ann", "bob", "", NOW)) is Refusal.OFFLINE
    await floor.connect(volunteer("bob", lines=("jongeren",)), "n1", NOW)
    assert await refusal(floor.offer("c1", "ann", "bob", "", NOW)) is Refusal.NOT_AVAILABLE
    await floor.set_state("bob", OperatorState.AVAILABLE, NOW)
    assert await refusal(floor.offer("c1", "ann", "bob", "", NOW)) is Refusal.NOT_SERVING
    await on_duty(floor, volunteer("cas"))
    await _chat(floor, "cas", "c2")
    assert await refusal(floor.offer("c1", "ann", "cas", "", NOW)) is Refusal.FULL
    await on_duty(floor, volunteer("dirk"))
    await floor.offer("c1", "ann", "dirk", "", NOW + 60)
    assert await refusal(floor.offer("c1", "ann", "dirk", "", NOW)) is Refusal.OFFER_PENDING
    await floor.leave("c1", NOW)
    assert await refusal(floor.offer("c1", "ann", "dirk", "", NOW)) is Refusal.NOT_ACTIVE


async def test_accept_moves_the_chat_with_its_note(floor: FloorState) -> None:
    """Accepted: the colleague holds the chat with the note, the sender's slot is free, and
    a colleague who read along becomes the holder instead of a reader."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob", backup=True))
    await _chat(floor)
    await floor.request_backup("c1", "ann", "", NOW)
    await floor.watch("c1", "bob", "backup")
    await floor.offer("c1", "ann", "bob", "over to you", NOW + 60)
    assert await refusal(floor.accept("c1", "ann", NOW)) is Refusal.NO_OFFER
    transfer = await floor.accept("c1", "bob", NOW + 5)
    assert (transfer.previous, transfer.to, transfer.note) == ("ann", "bob", "over to you")
    live = await floor.conversation("c1")
    assert live is not None and live.operator_id == "bob"
    ann, bob = await floor.presence("ann"), await floor.presence("bob")
    assert ann is not None and ann.held == set() and ann.idle_since == NOW + 5
    assert bob is not None and bob.held == {"c1"} and bob.reserved == set()
    assert await floor.watchers("c1") == {}
    assert await floor.offers() == []
    await assert_consistent(floor)


async def test_decline_and_timeout_leave_the_chat_with_the_sender(floor: FloorState) -> None:
    """Declined, or not answered in time: the sender keeps the chat, the slot is free, and
    an offer is answered only once."""
    await on_duty(floor, volunteer("ann", capacity=2))
    await on_duty(floor, volunteer("bob"))
    await _chat(floor, cid="c1")
    await _chat(floor, cid="c2")
    await floor.offer("c1", "ann", "bob", "", NOW + 60)
    assert await refusal(floor.decline("c1", "ann")) is Refusal.NO_OFFER
    declined = await floor.decline("c1", "bob")
    assert declined.receiver == "bob"
    assert await refusal(floor.decline("c1", "bob")) is Refusal.NO_OFFER
    assert await refusal(floor.accept("c1", "bob", NOW)) is Refusal.NO_OFFER
    await floor.offer("c2", "ann", "bob", "", NOW + 60)
    assert await refusal(floor.expire_offer("c2", NOW + 59)) is Refusal.NOT_DUE
    expired = await floor.expire_offer("c2", NOW + 60)
    assert expired.conversation_id == "c2"
    assert await refusal(floor.expire_offer("c2", NOW + 61)) is Refusal.NO_OFFER
    ann, bob = await floor.presence("ann"), await floor.presence("bob")
    assert ann is not None and ann.held == {"c1", "c2"}
    assert bob is not None and bob.reserved == set()
    await assert_consistent(floor)


async def test_a_takeover_cuts_an_offer_short_and_may_exceed_capacity(floor: FloorState) -> None:
    """A supervisor steps in at once, even when full; an open offer's outcome is the
    takeover, and the volunteer who read along may take over too."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob", backup=True))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await _chat(floor)
    assert await refusal(floor.take_over("c1", "bob", NOW)) is Refusal.NOT_ALLOWED
    assert await refusal(floor.take_over("c1", "ann", NOW)) is Refusal.NOT_ALLOWED
    assert await refusal(floor.take_over("c1", "zed", NOW)) is Refusal.OFFLINE
    await floor.offer("c1", "ann", "bob", "", NOW + 60)
    transfer = await floor.take_over("c1", "sue", NOW + 1)
    assert (transfer.previous, transfer.to) == ("ann", "sue")
    assert transfer.voided is not None and transfer.voided.receiver == "bob"
    assert await refusal(floor.accept("c1", "bob", NOW)) is Refusal.NO_OFFER
    sue = await floor.presence("sue")
    assert sue is not None and sue.held == {"c1"} and sue.taken_over == {"c1"}
    await _chat(floor, "ann", "c2")
    await floor.request_backup("c2", "ann", "", NOW)
    await floor.watch("c2", "bob", "backup")
    again = await floor.take_over("c2", "bob", NOW + 2)
    assert again.previous == "ann" and again.voided is None
    assert await floor.watchers("c2") == {}
    await floor.leave("c2", NOW + 3)
    await floor.watch("c2", "sue", "observer")
    assert await refusal(floor.take_over("c2", "sue", NOW)) is Refusal.NOT_ACTIVE
    assert await refusal(floor.take_over("nobody", "sue", NOW)) is Refusal.UNKNOWN
    await assert_consistent(floor)


async def test_release_ends_an_open_offer(floor: FloorState) -> None:
    """A chat that ends while offered takes its offer along: the colleague's slot is free."""
    await on_duty(floor, volunteer("ann"))
    await on_duty(floor, volunteer("bob"))
    await _chat(floor)
    await floor.offer("c1", "ann", "bob", "", NOW + 60)
    released = await floor.release("c1", "ann", NOW, NOW, False)
    assert released.voided is not None and released.voided.receiver == "bob"
    bob = await floor.presence("bob")
    assert bob is not None and bob.reserved == set()
    assert await floor.offers() == []


async def test_backup_goes_to_the_first_colleague_who_answers(floor: FloorState) -> None:
    """A backup request is answered once: the first colleague reads along, a second hears
    the backup is taken; supervisors may always step in, and nobody unasked may."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(volunteer("bob", backup=True), "n1", NOW)
    await floor.connect(volunteer("cas", backup=True), "n1", NOW)
    await floor.connect(volunteer("dirk"), "n1", NOW)
    await floor.connect(supervisor("sue"), "n1", NOW)
    await _chat(floor)
    assert await refusal(floor.request_backup("c1", "bob", "", NOW)) is Refusal.NOT_HOLDER
    assert await refusal(floor.watch("c1", "bob", "backup")) is Refusal.NOT_ASKED
    call = await floor.request_backup("c1", "ann", "suïcidaal", NOW)
    assert await floor.backup_requests() == [call]
    assert await refusal(floor.watch("c1", "dirk", "backup")) is Refusal.NOT_ALLOWED
    assert await refusal(floor.watch("c1", "ann", "backup")) is Refusal.NOT_ALLOWED
    answered = await floor.watch("c1", "bob", "backup")
    assert answered is not None and answered.reason == "suïcidaal"
    assert await refusal(floor.watch("c1", "cas", "backup")) is Refusal.BACKUP_TAKEN
    assert await floor.watch("c1", "sue", "backup") is None
    assert await floor.watchers("c1") == {"bob": "backup", "sue": "backup"}
    assert await floor.backup_requests() == []
    assert await refusal(floor.watch("c1", "zed", "backup")) is Refusal.OFFLINE
    assert await refusal(floor.watch("nobody", "bob", "backup")) is Refusal.UNKNOWN


async def test_observing_is_for_supervisors_and_ends_on_request(floor: FloorState) -> None:
    """Supervisors observe any open chat but their own; anyone reading along can stop."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(volunteer("bob", backup=True), "n1", NOW)
    await floor.connect(supervisor("sue"), "n1", NOW)
    await _chat(floor)
    assert await refusal(floor.watch("c1", "bob", "observer")) is Refusal.NOT_ALLOWED
    assert await floor.watch("c1", "sue", "observer") is None
    assert await floor.watchers("c1") == {"sue": "observer"}
    assert await floor.unwatch("c1", "sue") == "observer"
    assert await refusal(floor.unwatch("c1", "sue")) is Refusal.NOT_WATCHING
    await floor.leave("c1", NOW)
    assert await floor.watch("c1", "sue", "observer") is None, "wrap-up may be observed"
    assert await refusal(floor.watch("c1", "bob", "backup")) is Refusal.NOT_ACTIVE


async def test_an_unanswered_backup_request_escalates_once(floor: FloorState) -> None:
    """Nobody joined in time: the request goes to supervisors, once, whichever node leads."""
    await on_duty(floor, volunteer("ann"))
    await _chat(floor)
    assert await refusal(floor.escalate_backup("c1", NOW)) is Refusal.NOT_ASKED
    await floor.request_backup("c1", "ann", "", NOW + 10)
    assert await refusal(floor.escalate_backup("c1", NOW + 9)) is Refusal.NOT_DUE
    call = await floor.escalate_backup("c1", NOW + 10)
    assert call.escalated and call.requester == "ann"
    assert await refusal(floor.escalate_backup("c1", NOW + 99)) is Refusal.NOT_DUE
    assert [c.escalated for c in await floor.backup_requests()] == [True]
