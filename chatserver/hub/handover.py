"""Handing a conversation over: warm to a named colleague, or back to the front of the queue.

A handover to a colleague is an offer. Until it is accepted the conversation stays with the
sender, so no visitor is ever parked with nobody; a decline, no answer in time or the
colleague dropping out leaves it where it was and tells the sender why.
"""

from __future__ import annotations

from chatserver.errors import (
    ChatError,
    Forbidden,
    HandoverPending,
    InvalidPayload,
    InvalidState,
    NotOnLine,
    OperatorFull,
    OperatorUnavailable,
)
from chatserver.hub.access import ensure_holder
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import HandoverOffered, Released
from chatserver.hub.floor_records import FloorRefused, LiveConversation, Refusal
from chatserver.hub.messages import Messages
from chatserver.hub.model import ConversationState, Role
from chatserver.hub.state import Node, OnNode

MAX_NOTE = 2000
NO_OFFER = "There is no open offer of this conversation to you."


class Handovers(OnNode):
    """Offers to a colleague, their answers, and handing back to the queue."""

    def __init__(self, node: Node, messages: Messages, mechanics: FloorMechanics) -> None:
        super().__init__(node)
        self.messages = messages
        self.mechanics = mechanics

    async def hand_over(self, operator_id: str, conversation_id: str, to: str, note: str) -> None:
        """Offer the conversation to colleague ``to``, or give it back to the queue (``queue``)."""
        if len(note) > MAX_NOTE:
            raise InvalidPayload(f"A handover note may be at most {MAX_NOTE} characters.")
        async with self.mechanics.changing_floor():
            live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
            if live.state is not ConversationState.ACTIVE:
                raise InvalidState("Only an active conversation can be handed over.")
            if to == "queue":
                await self._hand_to_queue(live, operator_id, note)
            else:
                await self._offer(live, operator_id, to, note)
            await self.mechanics.route()

    async def _offer(self, live: LiveConversation, sender: str, to: str, note: str) -> None:
        if to == sender:
            raise InvalidPayload("Hand over to a colleague, not to yourself.")
        timeout = self.settings.routing.handover_timeout_seconds
        try:
            await self.floor.offer(live.id, sender, to, note, self.clock.now() + timeout)
        except FloorRefused as refused:
            raise await self._offer_refused(refused.reason, to) from None
        await self.mechanics.audit(sender, "handover_offer", live.id, detail=to)
        await self.bus.publish(
            HandoverOffered(
                live.id,
                to,
                sender,
                self.node.alias(sender) or "",
                note,
                live.line,
                dict(live.intake),
            )
        )

    async def _offer_refused(self, reason: Refusal, to: str) -> ChatError:
        """Why the colleague cannot take the offer, as the volunteer hears it."""
        if reason is Refusal.OFFER_PENDING:
            return HandoverPending()
        if reason is Refusal.OFFLINE:
            return OperatorUnavailable(reason="offline")
        if reason is Refusal.NOT_AVAILABLE:
            receiver = await self.floor.presence(to)
            return OperatorUnavailable(reason=receiver.state.value if receiver else "offline")
        if reason is Refusal.FULL:
            return OperatorFull()
        if reason is Refusal.NOT_SERVING:
            return NotOnLine()
        if reason is Refusal.NOT_ACTIVE:
            return InvalidState("Only an active conversation can be handed over.")
        return Forbidden()

    async def _hand_to_queue(self, live: LiveConversation, sender: str, note: str) -> None:
        """Front of the queue, priority kept; the note travels with the transcript."""
        if note.strip():
            await self.messages.post(live, Role.NOTE, note, to_visitor=False, author=sender)
        now = self.clock.now()
        avoid_until = now + self.settings.routing.handback_avoid_seconds
        try:
            requeued = await self.floor.requeue(live.id, sender, now, avoid_until, note)
        except FloorRefused as refused:
            if refused.reason is Refusal.OFFER_PENDING:
                raise HandoverPending() from None
            if refused.reason is Refusal.NOT_ACTIVE:  # the visitor left (on another node)
                raise InvalidState("Only an active conversation can be handed over.") from None
            raise Forbidden() from None
        await self.mechanics.stopped_watching(live.id, sender, requeued.watchers, "handed_over")
        waiting = await self.floor.conversation(live.id)
        if waiting is not None:
            await self.store.save_conversation(waiting.record())
        await self.mechanics.audit(sender, "handover_queue", live.id)
        await self.bus.publish(Released(live.id, sender, "handed_over"))
        await self.mechanics.publish_status_of(sender)
        await self.messages.say(live, "handed_to_queue", operators=())
        self.node.dirty.add(live.line)

    async def offers_to(self, operator_id: str) -> list[str]:
        """Conversations offered to this volunteer and not yet answered."""
        return [o.conversation_id for o in await self.floor.offers() if o.receiver == operator_id]

    async def accept_handover(self, operator_id: str, conversation_id: str) -> None:
        async with self.mechanics.changing_floor():
            now = self.clock.now()
            try:
                transfer = await self.mechanics.transfer(
                    conversation_id,
                    lambda: self.floor.accept(conversation_id, operator_id, now),
                    "handed_over",
                )
            except FloorRefused:
                raise Forbidden(NO_OFFER) from None
            await self.mechanics.audit(
                operator_id, "handover_accept", conversation_id, detail=transfer.previous
            )
            await self.mechanics.route()

    async def decline_handover(self, operator_id: str, conversation_id: str) -> None:
        async with self.mechanics.changing_floor():
            try:
                offer = await self.floor.decline(conversation_id, operator_id)
            except FloorRefused:
                raise Forbidden(NO_OFFER) from None
            await self.mechanics.voided(offer, "declined")
            # the slot the offer held is free again: someone waiting may take it now
            await self.mechanics.route()

    async def expire_offers(self) -> None:
        """Sweep: an offer nobody answered in time counts as declined."""
        now = self.clock.now()
        for offer in await self.floor.offers():
            if offer.expires_at <= now:
                try:
                    expired = await self.floor.expire_offer(offer.conversation_id, now)
                except FloorRefused:  # answered meanwhile
                    continue
                await self.mechanics.voided(expired, "timeout")
