"""The floor's mechanics: the queue, routing, positions, offers, watchers and transfers.

:class:`HubCore` is the part every helpline action stands on; the actions themselves live in
``visitors.py`` and ``volunteers.py`` (and later ``handover.py``, ``backup.py``), each a
mixin over this core, and :class:`chatserver.hub.hub.Hub` puts them together. The state it
moves is kept in ``state.py`` (:class:`~chatserver.hub.state.HubState`) and the message path it
speaks through in ``messages.py`` (:class:`~chatserver.hub.messages.MessagePath`), one class
stack: ``HubState`` <- ``MessagePath`` <- ``HubCore`` <- the mixins.

Concurrency: every change to the floor (queue, assignments, presence) happens under one
``asyncio.Lock``, so an assignment is atomic: no visitor reaches two volunteers and no
volunteer exceeds capacity. Messages only take their conversation's own lock, which keeps them
in order without making one chat wait for another. Lock order is always floor, then
conversation.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import replace

from chatserver.backends.base import AuditEntry, StatsDelta
from chatserver.hub.events import (
    Assigned,
    BackupRequested,
    HandoverDeclined,
    HandoverWithdrawn,
    Observed,
    OperatorStatus,
    QueueUpdate,
    Released,
    StatsRecorded,
)
from chatserver.hub.floor import Presence, staffing
from chatserver.hub.messages import MessagePath
from chatserver.hub.model import Conversation, ConversationState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Staffing, Waiting, estimate_wait
from chatserver.hub.routing import plan_assignments, shuns
from chatserver.hub.state import Offer


class HubCore(MessagePath):
    # ------------------------------------------------------------------ queue and routing
    def _enqueue(
        self, conversation: Conversation, front: bool, avoid: frozenset[str] = frozenset()
    ) -> None:
        if front:
            self._front_rank -= 1
            rank = self._front_rank
        else:
            self._next_rank += 1
            rank = self._next_rank
        entry = Waiting(
            conversation.id,
            conversation.line,
            conversation.lang,
            conversation.priority,
            rank,
            since=self.clock.now(),
            avoid=avoid,
            avoid_until=self.clock.now() + self.settings.routing.handback_avoid_seconds,
        )
        self._queues[conversation.line].add(entry)
        self._dirty.add(conversation.line)

    def waiting(self) -> Iterable[Waiting]:
        """Everyone waiting, on every line, in the order they are to be helped."""
        return heapq.merge(*self._queues.values(), key=lambda e: e.key)

    async def _route(self) -> None:
        """Give waiting visitors to free volunteers; must run under the floor lock."""
        now = self.clock.now()
        presences = list(self._presences.values())
        for entry, presence in plan_assignments(self.waiting(), presences, now):
            conversation = self._open[entry.conversation_id]
            self._queues[entry.line].remove(entry.conversation_id)
            self._dirty.add(entry.line)
            presence.held.add(conversation.id)
            presence.idle_since = now
            if not conversation.answered:
                conversation.answered = True
                conversation.assigned_at = now
                await self._record(
                    StatsDelta(entry.line, now, answered=1, wait=now - conversation.created_at)
                )
            await self._announce_assignment(
                conversation,
                presence,
                to_visitor=True,
                note=self._handover_notes.pop(conversation.id, None),
                switch=True,
            )
            await self._publish_status(presence)
            await self._say(conversation, "assigned", alias=presence.account.alias)

    async def _announce_assignment(
        self,
        conversation: Conversation,
        presence: Presence,
        to_visitor: bool,
        note: str | None = None,
        switch: bool = False,
    ) -> None:
        """Send the volunteer the conversation with its transcript.

        With ``switch``, the conversation becomes the volunteer's in the same step, under the
        conversation's lock: a message is either in the transcript or reaches the volunteer
        live, never neither (a visitor may be typing while they are assigned).
        """
        async with self._conversation_locks[conversation.id]:
            if switch:
                conversation.state = ConversationState.ACTIVE
                conversation.operator_id = presence.id
                self._typing.forget(conversation.id)
                await self.store.save_conversation(conversation)
            messages = tuple(await self.store.messages(conversation.id))
            await self.bus.publish(
                Assigned(
                    conversation,
                    presence.id,
                    presence.account.alias,
                    messages,
                    note,
                    to_visitor,
                    self._appointment_for(conversation.id, presence.id),
                )
            )
        await self._tell_watchers(conversation, presence.id)

    def _appointment_for(self, conversation_id: str, operator_id: str) -> Pinned | None:
        """What a volunteer who gets an agreed chat sees of the agreement: its time and note
        for anyone; the earlier chat only for the volunteer the visitor allowed to reread it."""
        pinned = self._pinned.get(conversation_id)
        if pinned is None or pinned.operator_id == operator_id:
            return pinned
        return replace(pinned, earlier=())

    async def _tell_watchers(self, conversation: Conversation, holder: str) -> None:
        """The volunteer always knows who reads along, also after a handover or reconnect."""
        for watcher, kind in self._watchers.get(conversation.id, {}).items():
            if watcher != holder:
                await self.bus.publish(
                    Observed(conversation.id, (holder,), self.alias(watcher) or "", kind, True)
                )

    async def _flush_positions(self) -> None:
        """Tell waiting visitors of changed places or estimates, and nobody else."""
        now = self.clock.now()
        dirty, self._dirty = self._dirty, set()
        for line_id in sorted(dirty):
            line = self._line(line_id)
            durations = list(self._durations[line_id])
            by_lang: dict[str, Staffing] = {}
            for position, entry in enumerate(self._queues[line_id], start=1):
                if entry.lang not in by_lang:
                    by_lang[entry.lang] = staffing(self._presences.values(), line_id, entry.lang)
                on_duty = by_lang[entry.lang]
                estimate = estimate_wait(
                    position, on_duty, durations, self.settings.routing.assumed_chat_seconds
                )
                # nobody on duty: say so and show where else to turn at once, not after a wait
                show_alternatives = bool(line.alternatives) and (
                    on_duty.nobody_on_duty or now - entry.since >= line.alternatives_after_seconds
                )
                told = (position, estimate, show_alternatives)
                if entry.told == told:
                    continue
                entry.told = told
                await self.bus.publish(
                    QueueUpdate(
                        entry.conversation_id,
                        entry.lang,
                        position,
                        estimate,
                        line.alternatives if show_alternatives else (),
                        nobody_on_duty=on_duty.nobody_on_duty,
                    )
                )

    def _mark_all_dirty(self) -> None:
        self._dirty.update(self._queues)

    def position(self, conversation_id: str) -> int | None:
        conversation = self._open.get(conversation_id)
        if conversation is None:
            return None
        return self._queues[conversation.line].position(conversation_id)

    # ------------------------------------------------------------------ helpers
    async def _void_offer(self, offer: Offer, reason: str) -> None:
        """The offer is off; the sender keeps the conversation and hears why."""
        self._offers.pop(offer.conversation_id, None)
        receiver = self._presences.get(offer.receiver)
        if receiver is not None:
            receiver.reserved.discard(offer.conversation_id)
        await self._audit(offer.receiver, f"handover_{reason}", offer.conversation_id)
        if reason != "declined":
            await self.bus.publish(HandoverWithdrawn(offer.conversation_id, offer.receiver, reason))
        if reason in ("declined", "timeout", "unavailable"):
            await self.bus.publish(
                HandoverDeclined(
                    offer.conversation_id, offer.sender, self.alias(offer.receiver) or "", reason
                )
            )
        self._mark_all_dirty()

    async def _cancel_offers(self, conversation_id: str | None = None, operator: str = "") -> None:
        """The conversation ended, or the receiver dropped out: offers about it are void."""
        for offer in list(self._offers.values()):
            if offer.conversation_id == conversation_id:
                await self._void_offer(offer, "ended")
            elif operator and offer.receiver == operator:
                await self._void_offer(offer, "unavailable")
            elif operator and offer.sender == operator:
                await self._void_offer(offer, "ended")

    async def _tell_open_backup_requests(self, presence: Presence) -> None:
        """A colleague who comes on duty (or reloads the console) hears of every call for
        backup nobody has answered yet, as if they had been there when it was made: a
        volunteer asking for help must not depend on who happened to be connected then.
        Supervisors also hear of the calls already escalated to them."""
        for request in self._backup_requests.values():
            conversation = self._open.get(request.conversation_id)
            if conversation is None or request.requester == presence.id:
                continue
            if presence.may_back_up or (request.escalated and presence.is_supervisor):
                await self.bus.publish(
                    BackupRequested(
                        request.conversation_id,
                        (presence.id,),
                        self.alias(request.requester) or "",
                        request.reason,
                        conversation.line,
                        escalated=request.escalated and presence.is_supervisor,
                    )
                )

    async def _publish_status(self, presence: Presence, reason: str | None = None) -> None:
        await self.bus.publish(
            OperatorStatus(
                presence.id,
                presence.state.value,
                presence.load,
                presence.account.capacity,
                reason,
            )
        )

    async def _audit(
        self, actor: str, action: str, conversation_id: str | None, detail: str | None = None
    ) -> None:
        """Record who did what to which conversation; never any text of the conversation."""
        await self.store.add_audit(
            AuditEntry(self.clock.now(), actor, action, conversation_id, detail)
        )

    async def _transfer(
        self, conversation: Conversation, to: Presence, reason: str, note: str | None
    ) -> None:
        """Give an active conversation to another volunteer, losing and doubling nothing.

        Under the conversation's lock, so no message is published between the switch and the
        transcript the new volunteer receives: whatever came before is in the transcript,
        whatever comes after reaches the new volunteer live.
        """
        now = self.clock.now()
        previous = self._presences.get(conversation.operator_id or "")
        async with self._conversation_locks[conversation.id]:
            conversation.operator_id = to.id
            self._typing.forget(conversation.id)
            to.held.add(conversation.id)
            self._watchers.get(conversation.id, {}).pop(to.id, None)
            if previous is not None:
                previous.held.discard(conversation.id)
                previous.taken_over.discard(conversation.id)
                previous.idle_since = now
            await self.store.save_conversation(conversation)
            messages = tuple(await self.store.messages(conversation.id))
            await self.bus.publish(
                Assigned(
                    conversation,
                    to.id,
                    to.account.alias,
                    messages,
                    note,
                    to_visitor=True,
                    appointment=self._appointment_for(conversation.id, to.id),
                )
            )
        await self._tell_watchers(conversation, to.id)
        if previous is not None:
            await self.bus.publish(Released(conversation.id, previous.id, reason))
            await self._publish_status(previous)
        await self._publish_status(to)
        await self._say(conversation, "colleague_takes_over", alias=to.account.alias)

    async def _stop_all_watching(self, conversation: Conversation, reason: str = "ended") -> None:
        """Reading along ends (chat over, or back in the queue); the holder hears it too."""
        holder = (conversation.operator_id,) if conversation.operator_id else ()
        for operator_id, kind in self._watchers.pop(conversation.id, {}).items():
            await self.bus.publish(
                Observed(conversation.id, holder, self.alias(operator_id) or "", kind, False)
            )
            await self.bus.publish(Released(conversation.id, operator_id, reason))

    async def _record(self, delta: StatsDelta) -> None:
        """Statistics, numbers only: into the store, and on the bus for whoever measures."""
        await self.store.add_stats(delta)
        await self.bus.publish(StatsRecorded(delta))

    async def _count_duration(self, conversation: Conversation, now: float) -> None:
        if conversation.assigned_at is None:
            return
        duration = now - conversation.assigned_at
        self._durations[conversation.line].append(duration)
        await self._record(StatsDelta(conversation.line, now, duration=duration))
        self._dirty.add(conversation.line)

    def check_invariants(self) -> None:
        """Raise AssertionError if the floor is inconsistent; used by the property tests,
        between operations (so no conversation's lock may be held or waited for)."""
        assert len(self._conversation_locks) == 0, "a conversation lock was left behind"
        holders: dict[str, str] = {}
        for presence in self._presences.values():
            routed = len(presence.held - presence.taken_over)
            assert routed + len(presence.reserved) <= presence.account.capacity, "over capacity"
            for conversation_id in presence.held:
                assert conversation_id not in holders, "conversation held twice"
                holders[conversation_id] = presence.id
        for conversation in self._open.values():
            queued = conversation.id in self._queues[conversation.line]
            if conversation.state is ConversationState.WAITING:
                assert queued and conversation.id not in holders, "waiting but not queued"
            else:
                assert not queued, "queued while held"
                assert holders.get(conversation.id) == conversation.operator_id, "holder mismatch"
        for offer in self._offers.values():
            assert holders.get(offer.conversation_id) == offer.sender, "offered chat left sender"
            receiver = self._presences.get(offer.receiver)
            assert receiver and offer.conversation_id in receiver.reserved, "slot not reserved"
        now = self.clock.now()
        for entry in self.waiting():
            assert not any(
                p.can_take(entry.line, entry.lang, now)
                and not shuns(entry, p, self._presences.values(), now)
                for p in self._presences.values()
            ), "visitor waits while a matching volunteer has a free slot"


RISK_ORDER = {Risk.NONE: 0, Risk.LOW: 1, Risk.HIGH: 2, Risk.ACUTE: 3}


def risk_rank(risk: Risk) -> int:
    return RISK_ORDER[risk]
