"""The floor in this process's memory: the embedded default.

Atomic without a lock: asyncio runs one coroutine at a time, and no operation here awaits
before it has committed (the ``async`` is the contract's, shared with the Redis floor), so
every check-and-commit happens in one uninterrupted step. Nothing here may ever await in the
middle of an operation; the shared test suite races operations to hold us to that.

Built on the types the hub already uses (``LineQueue``, ``Waiting``, ``Presence``) and on
``routing.shuns``, so the embedded behaviour stays exactly today's. Everything handed out is a
copy, as the Redis floor's answers necessarily are.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import replace

from chatserver.clock import Clock
from chatserver.hub.floor import Presence
from chatserver.hub.floor_memory_arrivals import MemoryArrivals
from chatserver.hub.floor_memory_parts import OpenConversation, copy_presence
from chatserver.hub.floor_records import (
    Arrival,
    Claimed,
    Draft,
    FloorRefused,
    Left,
    Notice,
    Posted,
    Profile,
    Reaped,
    Refusal,
    Released,
    Requeued,
    message_of,
)
from chatserver.hub.floor_state import FloorState, PostFeed
from chatserver.hub.model import ConversationState, OperatorState, Role
from chatserver.hub.queue import Waiting
from chatserver.hub.routing import shuns

OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)


class MemoryFloor(MemoryArrivals):
    """The whole floor in one process; teamwork operations in ``floor_memory_teamwork``,
    agreed chats, restoring and losing volunteers in ``floor_memory_arrivals``."""

    # ------------------------------------------------------------------ visitors and the queue
    async def enqueue(self, arrival: Arrival, node: str, now: float, queue_limit: int) -> Waiting:
        if arrival.conversation_id in self._open:
            raise FloorRefused(Refusal.IN_USE)
        if len(self._queues[arrival.line]) >= queue_limit:
            raise FloorRefused(Refusal.QUEUE_FULL)
        return self._queue_up(self._put_on_floor(arrival, node, now), now, front=False)

    async def claim(self, conversation_id: str, operator_id: str, now: float) -> Claimed:
        found = self._open.get(conversation_id)
        entry = self._queues[found.line].get(conversation_id) if found else None
        if found is None or entry is None:
            raise FloorRefused(Refusal.NOT_WAITING)
        presence = self._online(operator_id)
        self._has_room(presence, found.line, found.lang, now)
        if shuns(entry, presence, self._presences.values(), now):
            raise FloorRefused(Refusal.AVOIDED)
        self._queues[found.line].remove(conversation_id)
        presence.held.add(conversation_id)
        presence.idle_since = now
        found.state = ConversationState.ACTIVE
        found.operator_id = operator_id
        first, found.answered = not found.answered, True
        if first:
            found.assigned_at = now
        note, found.note = found.note, None
        return Claimed(conversation_id, operator_id, first, note, presence.load)

    async def requeue(
        self, conversation_id: str, operator_id: str, now: float, avoid_until: float, note: str
    ) -> Requeued:
        found = self._held_by(conversation_id, operator_id)
        if found.state is not ConversationState.ACTIVE:
            raise FloorRefused(Refusal.NOT_ACTIVE)
        if conversation_id in self._offers:
            raise FloorRefused(Refusal.OFFER_PENDING)
        watchers = self._watchers.pop(conversation_id, {})
        self._backups.pop(conversation_id, None)
        presence = self._presences.get(operator_id)
        if presence is not None:
            presence.held.discard(conversation_id)
            presence.taken_over.discard(conversation_id)
            presence.idle_since = now
        found.note = note
        entry = self._queue_up(
            found, now, front=True, avoid=frozenset({operator_id}), avoid_until=avoid_until
        )
        return Requeued(conversation_id, operator_id, entry.rank, watchers)

    async def first_look(self, conversation_id: str) -> bool:
        found = self._conversation(conversation_id)
        first, found.triaged = not found.triaged, True
        return first

    async def move_up(self, conversation_id: str, boost: int) -> Waiting:
        found = self._open.get(conversation_id)
        queue = self._queues[found.line] if found else None
        entry = queue.remove(conversation_id) if found and queue is not None else None
        if found is None or queue is None or entry is None:
            raise FloorRefused(Refusal.NOT_WAITING)
        found.priority += boost
        entry = replace(entry, priority=found.priority)
        queue.add(entry)
        return entry

    async def visitor_connected(self, conversation_id: str, node: str) -> int:
        found = self._conversation(conversation_id)
        found.links[node] = found.links.get(node, 0) + 1
        found.gone_since = None
        return found.connections

    async def visitor_disconnected(self, conversation_id: str, node: str, now: float) -> int:
        found = self._conversation(conversation_id)
        if found.links.get(node, 0) == 0:
            raise FloorRefused(Refusal.OFFLINE)
        found.links[node] -= 1
        if found.links[node] == 0:
            del found.links[node]
        if found.connections == 0:
            found.gone_since = now
        return found.connections

    async def leave(
        self,
        conversation_id: str,
        now: float,
        gone_before: float | None = None,
        forgotten: bool = False,
    ) -> Left:
        found = self._conversation(conversation_id)
        if gone_before is not None:
            gone = found.gone_since
            if found.connections or gone is None or gone > gone_before:
                raise FloorRefused(Refusal.NOT_DUE)
        if found.state is ConversationState.WAITING:
            self._queues[found.line].remove(conversation_id)
            self._drop(found)
            return Left(conversation_id, ConversationState.WAITING, None)
        if found.state is not ConversationState.ACTIVE:
            if forgotten:  # erased in wrap-up: nothing more is kept
                found.forgotten = True
                return Left(conversation_id, found.state, found.operator_id)
            raise FloorRefused(Refusal.NOT_ACTIVE)
        voided = self._void_offer(conversation_id)
        self._backups.pop(conversation_id, None)
        found.state = ConversationState.WRAPUP
        found.forgotten = found.forgotten or forgotten
        return Left(conversation_id, ConversationState.ACTIVE, found.operator_id, voided)

    async def release(
        self,
        conversation_id: str,
        operator_id: str,
        now: float,
        cooldown_until: float,
        pause: bool,
    ) -> Released:
        found = self._held_by(conversation_id, operator_id)
        voided = self._void_offer(conversation_id)
        watchers = self._watchers.get(conversation_id, {})
        self._drop(found)
        presence = self._presences.get(operator_id)
        if presence is not None:
            presence.held.discard(conversation_id)
            presence.taken_over.discard(conversation_id)
            presence.idle_since = now
            presence.cooldown_until = cooldown_until
            if pause:
                presence.state = OperatorState.PAUSED
        return Released(conversation_id, operator_id, watchers, voided)

    async def erase_messages(self, conversation_id: str) -> int:
        found = self._open.get(conversation_id)
        if found is None:
            return 0
        erased = len(found.log)
        found.log.clear()
        found.client_ids.clear()
        return erased

    # ------------------------------------------------------------------ volunteers
    async def connect(self, profile: Profile, node: str, now: float) -> Presence:
        presence = self._presences.get(profile.id)
        if presence is None:
            presence = Presence(profile.as_account(), idle_since=now)
            self._presences[profile.id] = presence
        presence.account = profile.as_account()
        links = self._links.setdefault(profile.id, {})
        links[node] = links.get(node, 0) + 1
        presence.connections = sum(links.values())
        presence.disconnected_at = None
        return copy_presence(presence)

    async def disconnect(self, operator_id: str, node: str, now: float) -> Presence:
        presence = self._online(operator_id)
        links = self._links.setdefault(operator_id, {})
        if links.get(node, 0) == 0:
            raise FloorRefused(Refusal.OFFLINE)
        links[node] -= 1
        if links[node] == 0:
            del links[node]
        presence.connections = sum(links.values())
        if presence.connections == 0:
            presence.disconnected_at = now
        return copy_presence(presence)

    async def set_state(self, operator_id: str, state: OperatorState, now: float) -> Presence:
        presence = self._online(operator_id)
        if state is OperatorState.AVAILABLE and presence.state is not OperatorState.AVAILABLE:
            presence.idle_since = max(presence.idle_since, now)
        presence.state = state
        return copy_presence(presence)

    # ------------------------------------------------------------------ messages
    async def post(
        self, conversation_id: str, draft: Draft, client_id: str | None = None
    ) -> Posted:
        found = self._conversation(conversation_id)
        if client_id is not None and client_id in found.client_ids:
            seq = found.client_ids[client_id]
            first = next((m for m in found.log if m.seq == seq), None)
            return Posted(first or message_of(conversation_id, seq, draft), duplicate=True)
        self._may_post(found, draft)
        found.last_seq += 1
        message = message_of(conversation_id, found.last_seq, draft)
        found.log.append(message)
        if client_id is not None:
            found.client_ids[client_id] = message.seq
        operators = draft.operators
        if operators is None:  # everyone on the operator side, at this very step
            holder = (found.operator_id,) if found.operator_id else ()
            watching = self._watchers.get(conversation_id, {})
            operators = holder + tuple(w for w in watching if w != found.operator_id)
        posted = Posted(message, False, draft.to_visitor, operators)
        self._feeds.publish(posted)
        return posted

    def _may_post(self, found: OpenConversation, draft: Draft) -> None:
        role, author, state = draft.role, draft.author, found.state
        if found.forgotten:
            raise FloorRefused(Refusal.FORGOTTEN)
        if draft.holder is not None and found.operator_id != draft.holder:
            raise FloorRefused(Refusal.NOT_HOLDER)
        if role is Role.VISITOR and state not in OPEN_STATES:
            raise FloorRefused(Refusal.NOT_ACTIVE)
        if role in (Role.OPERATOR, Role.NOTE) and found.operator_id != author:
            raise FloorRefused(Refusal.NOT_HOLDER)
        if role is Role.OPERATOR and state is not ConversationState.ACTIVE:
            raise FloorRefused(Refusal.NOT_ACTIVE)
        reading = author in self._watchers.get(found.id, {})
        if role is Role.WHISPER and found.operator_id != author and not reading:
            raise FloorRefused(Refusal.NOT_ALLOWED)

    def feed(self) -> AbstractAsyncContextManager[PostFeed]:
        return self._feeds.subscribe()

    async def notify(self, notice: Notice) -> None:
        self._feeds.publish(notice)

    # ------------------------------------------------------------------ nodes
    async def reap(self, node: str, now: float) -> Reaped:
        self._check_dead(node)
        operators = []
        for operator_id, links in self._links.items():
            presence = self._presences.get(operator_id)
            if links.pop(node, 0) and presence is not None:
                presence.connections = sum(links.values())
                if presence.connections == 0:
                    presence.disconnected_at = now
                    operators.append(operator_id)
        visitors = []
        for found in self._open.values():
            if found.links.pop(node, 0) and found.connections == 0:
                found.gone_since = now
                visitors.append(found.id)
        self._forget_node(node)
        return Reaped(node, tuple(sorted(operators)), tuple(sorted(visitors)))


def _conforms(clock: Clock) -> FloorState:
    """Let mypy hold the memory floor to the protocol."""
    return MemoryFloor(clock)
