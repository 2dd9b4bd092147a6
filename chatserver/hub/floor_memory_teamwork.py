"""Teamwork on the memory floor: handovers, takeovers, backup requests, reading along.

Each operation checks and commits without awaiting in between (see ``floor_memory``).
"""

from __future__ import annotations

from dataclasses import replace

from chatserver.hub.floor import Presence
from chatserver.hub.floor_memory_parts import MemoryFloorData, OpenConversation
from chatserver.hub.floor_records import (
    BackupCall,
    FloorRefused,
    HandoverOffer,
    Refusal,
    Transfer,
)
from chatserver.hub.model import ConversationState

OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)


class MemoryTeamwork(MemoryFloorData):
    # ------------------------------------------------------------------ handover
    async def offer(
        self,
        conversation_id: str,
        sender: str,
        receiver: str,
        note: str,
        expires_at: float,
    ) -> HandoverOffer:
        found = self._held_by(conversation_id, sender)
        if found.state is not ConversationState.ACTIVE:
            raise FloorRefused(Refusal.NOT_ACTIVE)
        if conversation_id in self._offers:
            raise FloorRefused(Refusal.OFFER_PENDING)
        if receiver == sender:
            raise FloorRefused(Refusal.SELF)
        presence = self._online(receiver)
        self._has_room(presence, found.line, found.lang, None)
        offer = HandoverOffer(conversation_id, sender, receiver, note, expires_at)
        self._offers[conversation_id] = offer
        presence.reserved.add(conversation_id)
        return offer

    def _answer(self, conversation_id: str, receiver: str) -> HandoverOffer:
        offer = self._offers.get(conversation_id)
        if offer is None or offer.receiver != receiver:
            raise FloorRefused(Refusal.NO_OFFER)
        self._void_offer(conversation_id)
        return offer

    def _transfer(self, found: OpenConversation, to: Presence, now: float) -> str | None:
        """The conversation changes hands in one step: holder, loads, a reader-along's seat."""
        previous = found.operator_id
        found.operator_id = to.id
        to.held.add(found.id)
        self._watchers.get(found.id, {}).pop(to.id, None)
        before = self._presences.get(previous or "")
        if before is not None and before is not to:
            before.held.discard(found.id)
            before.taken_over.discard(found.id)
            before.idle_since = now
        return previous

    async def accept(self, conversation_id: str, receiver: str, now: float) -> Transfer:
        presence = self._presences.get(receiver)
        offer = self._offers.get(conversation_id)
        if presence is None or offer is None or offer.receiver != receiver:
            raise FloorRefused(Refusal.NO_OFFER)
        self._answer(conversation_id, receiver)
        previous = self._transfer(self._open[conversation_id], presence, now)
        return Transfer(conversation_id, previous, receiver, offer.note)

    async def decline(self, conversation_id: str, receiver: str) -> HandoverOffer:
        return self._answer(conversation_id, receiver)

    async def expire_offer(self, conversation_id: str, now: float) -> HandoverOffer:
        offer = self._offers.get(conversation_id)
        if offer is None:
            raise FloorRefused(Refusal.NO_OFFER)
        if offer.expires_at > now:
            raise FloorRefused(Refusal.NOT_DUE)
        self._void_offer(conversation_id)
        return offer

    async def take_over(self, conversation_id: str, operator_id: str, now: float) -> Transfer:
        found = self._conversation(conversation_id)
        presence = self._presences.get(operator_id)
        if presence is None:
            raise FloorRefused(Refusal.OFFLINE)
        reading = operator_id in self._watchers.get(conversation_id, {})
        if found.operator_id == operator_id or not (reading or presence.is_supervisor):
            raise FloorRefused(Refusal.NOT_ALLOWED)
        if found.state is not ConversationState.ACTIVE:
            raise FloorRefused(Refusal.NOT_ACTIVE)
        voided = self._void_offer(conversation_id)
        presence.taken_over.add(conversation_id)
        previous = self._transfer(found, presence, now)
        return Transfer(conversation_id, previous, operator_id, None, voided)

    # ------------------------------------------------------------------ backup and reading along
    async def request_backup(
        self, conversation_id: str, operator_id: str, reason: str, now: float
    ) -> BackupCall:
        self._held_by(conversation_id, operator_id)
        call = BackupCall(conversation_id, operator_id, reason, now)
        self._backups[conversation_id] = call
        return call

    async def watch(self, conversation_id: str, operator_id: str, kind: str) -> BackupCall | None:
        found = self._conversation(conversation_id)
        presence = self._presences.get(operator_id)
        if presence is None:
            raise FloorRefused(Refusal.OFFLINE)
        if found.operator_id == operator_id:
            raise FloorRefused(Refusal.NOT_ALLOWED)
        call = None
        if kind == "observer":
            if not presence.is_supervisor:
                raise FloorRefused(Refusal.NOT_ALLOWED)
        else:
            if not presence.may_back_up:
                raise FloorRefused(Refusal.NOT_ALLOWED)
            if found.state not in OPEN_STATES:
                raise FloorRefused(Refusal.NOT_ACTIVE)
            call = self._backups.pop(conversation_id, None)
            if call is None and not presence.is_supervisor:
                taken = "backup" in self._watchers.get(conversation_id, {}).values()
                raise FloorRefused(Refusal.BACKUP_TAKEN if taken else Refusal.NOT_ASKED)
        self._watchers.setdefault(conversation_id, {})[operator_id] = kind
        return call

    async def unwatch(self, conversation_id: str, operator_id: str) -> str:
        watching = self._watchers.get(conversation_id, {})
        if operator_id not in watching:
            raise FloorRefused(Refusal.NOT_WATCHING)
        return watching.pop(operator_id)

    async def escalate_backup(self, conversation_id: str, due_before: float) -> BackupCall:
        call = self._backups.get(conversation_id)
        if call is None:
            raise FloorRefused(Refusal.NOT_ASKED)
        if call.escalated or call.at > due_before:
            raise FloorRefused(Refusal.NOT_DUE)
        self._backups[conversation_id] = replace(call, escalated=True)
        return self._backups[conversation_id]
