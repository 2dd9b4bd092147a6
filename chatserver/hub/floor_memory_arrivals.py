"""The memory floor's less common arrivals and departures: an agreed chat, a conversation
restored after a restart, a volunteer lost past the grace period, and raised risk.

Kept apart from ``floor_memory`` (the everyday queue and messages) so each file stays short;
the same rule holds here: check and commit without awaiting in between.
"""

from __future__ import annotations

from chatserver.hub.floor import Presence
from chatserver.hub.floor_memory_parts import OpenConversation
from chatserver.hub.floor_memory_teamwork import MemoryTeamwork
from chatserver.hub.floor_records import (
    Arrival,
    Claimed,
    FloorRefused,
    HandoverOffer,
    LiveConversation,
    Lost,
    Profile,
    Refusal,
    Requeued,
)
from chatserver.hub.model import ConversationState, OperatorState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Waiting

RISK_ORDER = (Risk.NONE, Risk.LOW, Risk.HIGH, Risk.ACUTE)


class MemoryArrivals(MemoryTeamwork):
    def _put_on_floor(self, arrival: Arrival, node: str, now: float) -> OpenConversation:
        if arrival.conversation_id in self._open:
            raise FloorRefused(Refusal.IN_USE)
        found = OpenConversation.of(arrival)
        if node:
            found.links[node] = 1
        else:
            found.gone_since = now
        self._open[arrival.conversation_id] = found
        self._by_token[arrival.token_hash] = arrival.conversation_id
        return found

    def _queue_up(
        self,
        found: OpenConversation,
        now: float,
        front: bool,
        avoid: frozenset[str] = frozenset(),
        avoid_until: float = 0.0,
    ) -> Waiting:
        """Into its line's queue: at the back, or before everyone (a hand-back, a lost
        volunteer's chat, an agreed chat whose volunteer is away)."""
        if front:
            self._front_rank -= 1
            rank = self._front_rank
        else:
            self._next_rank += 1
            rank = self._next_rank
        found.state = ConversationState.WAITING
        found.operator_id = None
        entry = Waiting(
            found.id, found.line, found.lang, found.priority, rank, since=now,
            avoid=avoid, avoid_until=avoid_until,
        )  # fmt: skip
        self._queues[found.line].add(entry)
        return entry

    @staticmethod
    def _hold(found: OpenConversation, presence: Presence, now: float, beyond: bool) -> None:
        found.state = ConversationState.ACTIVE
        found.operator_id = presence.id
        presence.held.add(found.id)
        if beyond:
            presence.taken_over.add(found.id)
        presence.idle_since = now

    async def arrive_agreed(
        self, arrival: Arrival, node: str, now: float, pinned: Pinned
    ) -> Claimed | Waiting:
        found = self._put_on_floor(arrival, node, now)
        found.pinned = pinned
        presence = self._presences.get(pinned.operator_id)
        if presence is None or not presence.online or presence.state is OperatorState.AWAY:
            found.note = pinned.note if pinned.note.strip() else None
            return self._queue_up(found, now, front=True)
        full = presence.load + len(presence.reserved) >= presence.account.capacity
        self._hold(found, presence, now, beyond=full)
        found.answered = True
        found.assigned_at = now
        return Claimed(found.id, presence.id, True, None, presence.load)

    async def restore(
        self,
        arrival: Arrival,
        state: ConversationState,
        held_by: Profile | None,
        answered: bool,
        assigned_at: float | None,
        risk: Risk,
        now: float,
    ) -> LiveConversation:
        found = self._put_on_floor(arrival, "", now)
        found.answered, found.assigned_at, found.risk = answered, assigned_at, risk
        if state is ConversationState.WAITING:
            self._queue_up(found, now, front=False)
        elif held_by is None:
            self._queue_up(found, now, front=True)
        else:
            presence = self._presences.get(held_by.id)
            if presence is None:
                presence = Presence(held_by.as_account(), disconnected_at=now, idle_since=now)
                self._presences[held_by.id] = presence
            self._hold(found, presence, now, beyond=False)
            found.state = state
        return found.live()

    async def raise_risk(self, conversation_id: str, risk: Risk) -> Risk | None:
        found = self._conversation(conversation_id)
        if RISK_ORDER.index(risk) <= RISK_ORDER.index(found.risk):
            return None
        found.risk = risk
        return risk

    async def lose_volunteer(self, operator_id: str, now: float, gone_before: float) -> Lost:
        presence = self._presences.get(operator_id)
        if presence is None:
            raise FloorRefused(Refusal.UNKNOWN)
        gone = presence.disconnected_at
        if presence.online or gone is None or gone > gone_before:
            raise FloorRefused(Refusal.NOT_DUE)
        voided: list[HandoverOffer] = []  # by conversation id, as every tuple of ``Lost``
        for offer in sorted(self._offers.values(), key=lambda o: o.conversation_id):
            if operator_id in (offer.receiver, offer.sender):
                voided.append(offer)
                self._void_offer(offer.conversation_id)
        unwatched = []
        for conversation_id, watching in self._watchers.items():
            if watching.pop(operator_id, None) is not None:
                unwatched.append(conversation_id)
        requeued, closed = [], []
        for conversation_id in sorted(presence.held):
            found = self._open.get(conversation_id)
            if found is None:
                continue
            if found.state is ConversationState.ACTIVE:
                watchers = self._watchers.pop(conversation_id, {})
                self._backups.pop(conversation_id, None)
                entry = self._queue_up(found, now, front=True)
                requeued.append(Requeued(conversation_id, operator_id, entry.rank, watchers))
            else:  # a wrap-up that never finished: it leaves the floor without one
                self._drop(found)
                closed.append(conversation_id)
        del self._presences[operator_id]
        self._links.pop(operator_id, None)
        return Lost(
            operator_id, tuple(requeued), tuple(closed), tuple(voided), tuple(sorted(unwatched))
        )

    def _drop(self, found: OpenConversation) -> None:
        """The conversation leaves the floor with everything the floor kept about it."""
        self._open.pop(found.id, None)
        self._by_token.pop(found.token_hash, None)
        self._watchers.pop(found.id, None)
        self._backups.pop(found.id, None)
