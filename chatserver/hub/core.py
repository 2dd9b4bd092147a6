"""The floor's mechanics: routing, offers, watchers and transfers.

:class:`FloorMechanics` is the service every helpline action stands on; the actions themselves
are services in ``visitors.py``, ``volunteers.py``, ``handover.py``, ``backup.py`` and
``supervision.py``, each given this one in its constructor, and :class:`chatserver.hub.hub.Hub`
builds them all. The floor's state lives in ``node.floor`` and what only this node keeps in
the :class:`~chatserver.hub.state.Node`; the message path is ``messages.py``
(:class:`~chatserver.hub.messages.Messages`), what waiting visitors are told of their place
``places.py`` (:class:`~chatserver.hub.places.QueuePlaces`). Who depends on whom: ``Node`` <-
``Messages``, ``QueuePlaces`` <- ``FloorMechanics`` <- the actions.

Concurrency: every change to the floor is one floor operation that checks its preconditions
and commits atomically, or is refused (``FloorRefused``) and changes nothing. Routing plans
from a snapshot of the floor and commits each pair with ``claim``; a pair another node took
first is refused and routing plans again. On this node one action at a time changes the
floor (``node.lock``, taken by :meth:`FloorMechanics.changing_floor`), which keeps the order
of what people hear the order of what happened. A conversation changes hands under its own
lock, so no message of this node falls between the switch and the transcript the new
volunteer receives.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from chatserver.backends.base import AuditEntry, StatsDelta
from chatserver.errors import Forbidden
from chatserver.hub.events import (
    Assigned,
    BackupRequested,
    HandoverDeclined,
    HandoverWithdrawn,
    Observed,
    OperatorStatus,
    Released,
    StatsRecorded,
)
from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import (
    Claimed,
    FloorRefused,
    HandoverOffer,
    LiveConversation,
    Transfer,
)
from chatserver.hub.messages import Messages
from chatserver.hub.model import Conversation, ConversationState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.places import QueuePlaces
from chatserver.hub.queue import Waiting
from chatserver.hub.routing import plan_assignments, shuns
from chatserver.hub.state import Node, OnNode

# how often routing plans again in one go when other nodes took its planned pairs first; the
# next action or the sweep (every second) routes again anyway
REPLANS = 5
# routing first plans over this many waiting visitors (plus one per free slot): with thousands
# waiting, a free slot does not cost a read of the whole queue
ROUTE_WINDOW = 200


class FloorMechanics(OnNode):
    """Routing, assignment, transfers and what every action tells after changing the floor."""

    def __init__(self, node: Node, messages: Messages, places: QueuePlaces) -> None:
        super().__init__(node)
        self.messages = messages
        self.places = places

    # ------------------------------------------------------------------ queue and routing
    async def waiting(self) -> list[Waiting]:
        """Everyone waiting, on every line, in the order they are to be helped."""
        return await self.floor.waiting()

    async def route(self) -> None:
        """Give waiting visitors to free volunteers: plan from a snapshot, commit each pair
        with one ``claim``, and plan again when another node was faster."""
        for _ in range(REPLANS):
            now = self.clock.now()
            presences = await self.floor.presences()
            self.node.learn(presences)
            free = sum(p.open_slots(now) for p in presences)
            if not free:
                return  # nobody has room: a long queue costs nothing
            plan = await self._plan(presences, free, now)
            refused = False
            for entry, presence in plan:
                if not await self._assign(entry, presence, now):
                    refused = True
            if not refused:
                return

    async def _plan(
        self, presences: list[Presence], free: int, now: float
    ) -> list[tuple[Waiting, Presence]]:
        """Plan over the front of the queue first; only when slots stay free and the queue
        goes on (visitors nobody on duty can serve, say, in a language) over all of it."""
        window = ROUTE_WINDOW + free
        front = await self.floor.waiting(window)
        plan = plan_assignments(front, presences, now)
        if len(plan) < free and len(front) == window:
            plan = plan_assignments(await self.floor.waiting(), presences, now)
        return plan

    async def _assign(self, entry: Waiting, presence: Presence, now: float) -> bool:
        """Commit one planned pair; ``False`` when the floor refused it (plan again)."""
        async with self.node.conversation_locks[entry.conversation_id]:
            try:
                claimed = await self.floor.claim(entry.conversation_id, presence.id, now)
            except FloorRefused:
                return False
            live = await self.floor.conversation(entry.conversation_id)
            if live is None:  # cannot happen: it was just claimed
                return True
            self.node.dirty.add(entry.line)
            self.places.mark_taken(live.id)
            self.node.told.pop(live.id, None)  # back in the queue later, it hears its place anew
            self.node.typing.forget(live.id)
            await self.announce_assignment(
                live, presence.id, True, claimed.note, switch=True, entered=entry.since
            )
        await self._assigned(live, presence.id, claimed)
        return True

    async def _assigned(self, live: LiveConversation, operator_id: str, claimed: Claimed) -> None:
        """What follows an assignment: statistics, the volunteer's status, the system line."""
        now = self.clock.now()
        if claimed.first:
            await self.record(StatsDelta(live.line, now, answered=1, wait=now - live.created_at))
        await self.tell_watchers(live.id, operator_id)
        await self.publish_status_of(operator_id)
        # not after a takeover or hand-back made meanwhile (on another node)
        with contextlib.suppress(Forbidden):
            alias = self.node.alias(operator_id) or ""
            await self.messages.say(live, "assigned", holder=operator_id, alias=alias)

    async def announce_assignment(
        self,
        live: LiveConversation,
        operator_id: str,
        to_visitor: bool,
        note: str | None = None,
        switch: bool = False,
        entered: float | None = None,
    ) -> None:
        """Send the volunteer the conversation with its transcript (``switch``: it just
        became theirs, so the record is saved with its new holder first). The caller holds
        the conversation's lock when the holder changed: a message is either in the
        transcript or reaches the volunteer live, never neither."""
        conversation = live.record()
        if switch:
            await self.store.save_conversation(conversation)
        # on a shared floor another node may number a message for the new volunteer right
        # after the transcript is read: relayed before `assigned`, a console would drop it
        # (a chat it does not know yet), so the relay waits (``relay_posts``)
        async with self.node.announcing[live.id]:
            messages = tuple(await self.messages.transcript(live.id))
            await self.bus.publish(
                Assigned(
                    conversation,
                    operator_id,
                    self.node.alias(operator_id) or "",
                    messages,
                    note,
                    to_visitor,
                    self._appointment_for(live.pinned, operator_id),
                    entered,
                )
            )
        if switch:
            # a takeover on another node right after this switch sends its `released` from
            # there, and it may reach the volunteer before this `assigned` did (the console
            # would then show a chat that is no longer theirs): if so, say it again, after
            current = await self.floor.conversation(live.id)
            if current is None or current.operator_id != operator_id:
                reason = "ended" if current is None else "taken_over"
                await self.bus.publish(Released(live.id, operator_id, reason))

    @staticmethod
    def _appointment_for(pinned: Pinned | None, operator_id: str) -> Pinned | None:
        """What a volunteer who gets an agreed chat sees of the agreement: its time and note
        for anyone; the earlier chat only for the volunteer the visitor allowed to reread it."""
        if pinned is None or pinned.operator_id == operator_id:
            return pinned
        return replace(pinned, earlier=())

    async def tell_watchers(self, conversation_id: str, holder: str) -> None:
        """The volunteer always knows who reads along, also after a handover or reconnect."""
        for watcher, kind in (await self.floor.watchers(conversation_id)).items():
            if watcher != holder:
                await self.bus.publish(
                    Observed(conversation_id, (holder,), self.node.alias(watcher) or "", kind, True)
                )

    @asynccontextmanager
    async def changing_floor(self) -> AsyncIterator[None]:
        """One action at a time changes the floor from this node (the node's lock). Who
        waits hears their new place after the lock is let go: with thousands waiting, every
        assignment moves everyone up one, and the next volunteer's free slot must not wait
        for those thousands of updates (a flush already running takes in what changed)."""
        async with self.node.lock:
            yield
        await self.places.flush_positions()

    # ------------------------------------------------------------------ helpers
    async def voided(self, offer: HandoverOffer, reason: str) -> None:
        """The floor ended an offer (``reason``); the sender keeps the chat and hears why."""
        await self.audit(offer.receiver, f"handover_{reason}", offer.conversation_id)
        if reason != "declined":
            await self.bus.publish(HandoverWithdrawn(offer.conversation_id, offer.receiver, reason))
        if reason in ("declined", "timeout", "unavailable"):
            await self.bus.publish(
                HandoverDeclined(
                    offer.conversation_id,
                    offer.sender,
                    self.node.alias(offer.receiver) or "",
                    reason,
                )
            )
        self.node.mark_all_dirty()

    async def tell_open_backup_requests(self, presence: Presence) -> None:
        """A colleague who comes on duty (or reloads the console) hears of every call for
        backup nobody has answered yet, as if they had been there when it was made: a
        volunteer asking for help must not depend on who happened to be connected then.
        Supervisors also hear of the calls already escalated to them."""
        for request in await self.floor.backup_requests():
            conversation = await self.floor.conversation(request.conversation_id)
            if conversation is None or request.requester == presence.id:
                continue
            if presence.may_back_up or (request.escalated and presence.is_supervisor):
                await self.bus.publish(
                    BackupRequested(
                        request.conversation_id,
                        (presence.id,),
                        self.node.alias(request.requester) or "",
                        request.reason,
                        conversation.line,
                        escalated=request.escalated and presence.is_supervisor,
                    )
                )

    async def publish_status(self, presence: Presence, reason: str | None = None) -> None:
        await self.bus.publish(
            OperatorStatus(
                presence.id,
                presence.state.value,
                presence.load,
                presence.account.capacity,
                reason,
            )
        )

    async def publish_status_of(self, operator_id: str) -> None:
        presence = await self.node.presence(operator_id)
        if presence is not None:
            await self.publish_status(presence)

    async def audit(
        self, actor: str, action: str, conversation_id: str | None, detail: str | None = None
    ) -> None:
        """Record who did what to which conversation; never any text of the conversation."""
        await self.store.add_audit(
            AuditEntry(self.clock.now(), actor, action, conversation_id, detail)
        )

    async def transfer(
        self, conversation_id: str, commit: Callable[[], Awaitable[Transfer]], reason: str
    ) -> Transfer:
        """Let the floor give an active conversation to another volunteer (``commit``: an
        accepted offer or a takeover), losing and doubling nothing, and tell everyone.

        The floor switches the holder under the conversation's lock, and the new volunteer's
        transcript is read under it too: whatever this node stored before is in the
        transcript, whatever comes after reaches the new volunteer live.
        """
        async with self.node.conversation_locks[conversation_id]:
            transfer = await commit()  # FloorRefused goes to the caller, nothing changed
            live = await self.floor.conversation(conversation_id)
            self.node.typing.forget(conversation_id)
            if live is not None:
                await self.announce_assignment(live, transfer.to, True, transfer.note, True)
        if live is None:
            return transfer
        await self.tell_watchers(live.id, transfer.to)
        if transfer.previous is not None and transfer.previous != transfer.to:
            await self.bus.publish(Released(live.id, transfer.previous, reason))
            await self.publish_status_of(transfer.previous)
        await self.publish_status_of(transfer.to)
        # not after a later takeover (another node's), which tells the visitor itself
        with contextlib.suppress(Forbidden):
            alias = self.node.alias(transfer.to) or ""
            await self.messages.say(live, "colleague_takes_over", holder=transfer.to, alias=alias)
        return transfer

    async def stopped_watching(
        self, conversation_id: str, holder: str | None, watchers: dict[str, str], reason: str
    ) -> None:
        """Reading along ended (chat over, or back in the queue); the holder hears it too."""
        holders = (holder,) if holder else ()
        for operator_id, kind in watchers.items():
            await self.bus.publish(
                Observed(conversation_id, holders, self.node.alias(operator_id) or "", kind, False)
            )
            await self.bus.publish(Released(conversation_id, operator_id, reason))

    async def record(self, delta: StatsDelta) -> None:
        """Statistics, numbers only: into the store, and on the bus for whoever measures."""
        await self.store.add_stats(delta)
        await self.bus.publish(StatsRecorded(delta))

    async def count_duration(self, conversation: Conversation, now: float) -> None:
        if conversation.assigned_at is None:
            return
        duration = now - conversation.assigned_at
        self.node.durations[conversation.line].append(duration)
        await self.record(StatsDelta(conversation.line, now, duration=duration))
        self.node.dirty.add(conversation.line)

    async def check_invariants(self) -> None:
        """Raise AssertionError if the floor is inconsistent; used by the property tests,
        between operations (so no conversation's lock may be held or waited for)."""
        assert len(self.node.conversation_locks) == 0, "a conversation lock was left behind"
        presences = await self.floor.presences()
        holders: dict[str, str] = {}
        for presence in presences:
            routed = len(presence.held - presence.taken_over)
            assert routed + len(presence.reserved) <= presence.account.capacity, "over capacity"
            for conversation_id in presence.held:
                assert conversation_id not in holders, "conversation held twice"
                holders[conversation_id] = presence.id
        waiting = await self.floor.waiting()
        queued = {e.conversation_id for e in waiting}
        for conversation in await self.floor.open_conversations():
            if conversation.state is ConversationState.WAITING:
                assert conversation.id in queued, "waiting but not queued"
                assert conversation.id not in holders, "waiting but held"
            else:
                assert conversation.id not in queued, "queued while held"
                assert holders.get(conversation.id) == conversation.operator_id, "holder mismatch"
        by_id = {p.id: p for p in presences}
        for offer in await self.floor.offers():
            assert holders.get(offer.conversation_id) == offer.sender, "offered chat left sender"
            receiver = by_id.get(offer.receiver)
            assert receiver and offer.conversation_id in receiver.reserved, "slot not reserved"
        now = self.clock.now()
        for entry in waiting:
            assert not any(
                p.can_take(entry.line, entry.lang, now) and not shuns(entry, p, presences, now)
                for p in presences
            ), "visitor waits while a matching volunteer has a free slot"


RISK_ORDER = {Risk.NONE: 0, Risk.LOW: 1, Risk.HIGH: 2, Risk.ACUTE: 3}


def risk_rank(risk: Risk) -> int:
    return RISK_ORDER[risk]
