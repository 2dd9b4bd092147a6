"""Handing a conversation over: warm to a named colleague, or back to the front of the queue.

A handover to a colleague is an offer. Until it is accepted the conversation stays with the
sender, so no visitor is ever parked with nobody; a decline, no answer in time or the
colleague dropping out leaves it where it was and tells the sender why.
"""

from __future__ import annotations

from chatserver.errors import (
    HandoverPending,
    InvalidPayload,
    InvalidState,
    NotOnLine,
    OperatorFull,
    OperatorUnavailable,
)
from chatserver.hub.access import ensure_holder, ensure_offered_to
from chatserver.hub.core import HubCore
from chatserver.hub.events import HandoverOffered, Released
from chatserver.hub.model import Conversation, ConversationState, OperatorState, Role
from chatserver.hub.state import Offer

MAX_NOTE = 2000


class HandoverActions(HubCore):
    async def hand_over(self, operator_id: str, conversation_id: str, to: str, note: str) -> None:
        """Offer the conversation to colleague ``to``, or give it back to the queue (``queue``)."""
        if len(note) > MAX_NOTE:
            raise InvalidPayload(f"A handover note may be at most {MAX_NOTE} characters.")
        async with self._lock:
            conversation = ensure_holder(self._open.get(conversation_id), operator_id)
            if conversation.state is not ConversationState.ACTIVE:
                raise InvalidState("Only an active conversation can be handed over.")
            if conversation.id in self._offers:
                raise HandoverPending()
            if to == "queue":
                await self._hand_to_queue(conversation, operator_id, note)
            else:
                await self._offer(conversation, operator_id, to, note)
            await self._route()
            await self._flush_positions()

    async def _offer(self, conversation: Conversation, sender: str, to: str, note: str) -> None:
        receiver = self._presences.get(to)
        if to == sender:
            raise InvalidPayload("Hand over to a colleague, not to yourself.")
        if receiver is None or not receiver.online:
            raise OperatorUnavailable(reason="offline")
        if receiver.state is not OperatorState.AVAILABLE:
            raise OperatorUnavailable(reason=receiver.state.value)
        if receiver.load + len(receiver.reserved) >= receiver.account.capacity:
            raise OperatorFull()
        if not receiver.account.serves(conversation.line, conversation.lang):
            raise NotOnLine()
        timeout = self.settings.routing.handover_timeout_seconds
        self._offers[conversation.id] = Offer(
            conversation.id, sender, to, note, self.clock.now() + timeout
        )
        receiver.reserved.add(conversation.id)  # routing keeps the slot free meanwhile
        await self._audit(sender, "handover_offer", conversation.id, detail=to)
        await self.bus.publish(
            HandoverOffered(
                conversation.id,
                to,
                sender,
                self.alias(sender) or "",
                note,
                conversation.line,
                dict(conversation.intake),
            )
        )

    async def _hand_to_queue(self, conversation: Conversation, sender: str, note: str) -> None:
        """Front of the queue, priority kept; the note travels with the transcript."""
        if note.strip():
            await self._post(conversation, Role.NOTE, note, to_visitor=False, author=sender)
        await self._stop_all_watching(conversation, "handed_over")
        self._backup_requests.pop(conversation.id, None)
        presence = self._presences[sender]
        presence.held.discard(conversation.id)
        presence.taken_over.discard(conversation.id)
        presence.idle_since = self.clock.now()
        conversation.state = ConversationState.WAITING
        conversation.operator_id = None
        await self.store.save_conversation(conversation)
        self._handover_notes[conversation.id] = note
        await self._audit(sender, "handover_queue", conversation.id)
        await self.bus.publish(Released(conversation.id, sender, "handed_over"))
        await self._publish_status(presence)
        await self._say(conversation, "handed_to_queue", operators=())
        self._enqueue(conversation, front=True, avoid=frozenset({sender}))

    def offers_to(self, operator_id: str) -> list[str]:
        """Conversations offered to this volunteer and not yet answered."""
        return [o.conversation_id for o in self._offers.values() if o.receiver == operator_id]

    async def accept_handover(self, operator_id: str, conversation_id: str) -> None:
        async with self._lock:
            offer = ensure_offered_to(self._offers.get(conversation_id), operator_id)
            del self._offers[conversation_id]
            receiver = self._presences[operator_id]
            receiver.reserved.discard(conversation_id)
            conversation = self._open[conversation_id]
            await self._audit(operator_id, "handover_accept", conversation_id, detail=offer.sender)
            await self._transfer(conversation, receiver, "handed_over", offer.note)
            await self._route()
            await self._flush_positions()

    async def decline_handover(self, operator_id: str, conversation_id: str) -> None:
        async with self._lock:
            offer = ensure_offered_to(self._offers.get(conversation_id), operator_id)
            await self._void_offer(offer, "declined")
            # the slot the offer held is free again: someone waiting may take it now
            await self._route()
            await self._flush_positions()

    async def _expire_offers(self) -> None:
        """Sweep: an offer nobody answered in time counts as declined."""
        now = self.clock.now()
        for offer in list(self._offers.values()):
            if offer.expires_at <= now:
                await self._void_offer(offer, "timeout")
