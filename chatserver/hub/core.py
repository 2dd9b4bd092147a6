"""The floor the hub keeps: its state, the queue mechanics, routing and the message path.

:class:`HubCore` is the part every helpline action stands on; the actions themselves live in
``visitors.py`` and ``volunteers.py`` (and later ``handover.py``, ``backup.py``), each a
mixin over this core, and :class:`chatserver.hub.hub.Hub` puts them together.

Concurrency: every change to the floor (queue, assignments, presence) happens under one
``asyncio.Lock``, so an assignment is atomic: no visitor reaches two volunteers and no
volunteer exceeds capacity. Messages only take their conversation's own lock, which keeps them
in order without making one chat wait for another. Lock order is always floor, then
conversation.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
from collections import defaultdict, deque
from collections.abc import Iterable

from chatserver import i18n
from chatserver.backends.base import StatsDelta, Store
from chatserver.clock import Clock, iso
from chatserver.errors import (
    ConversationEnded,
    InvalidPayload,
    LineClosed,
    TooLong,
    UnknownLine,
)
from chatserver.hub import lines as opening
from chatserver.hub.events import (
    Assigned,
    EventBus,
    MessagePosted,
    OperatorStatus,
    QueueUpdate,
)
from chatserver.hub.floor import Presence, VisitorLink
from chatserver.hub.model import (
    Conversation,
    ConversationState,
    Message,
    Risk,
    Role,
)
from chatserver.hub.queue import LineQueue, Waiting, estimate_wait
from chatserver.hub.routing import plan_assignments
from chatserver.settings import LineSettings, Settings

OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)
LEAVE_REASONS = frozenset({"left", "quick_exit"})


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot resume anyone's chat."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class HubCore:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.bus = EventBus()
        self._lock = asyncio.Lock()
        self._open: dict[str, Conversation] = {}
        self._by_token: dict[str, str] = {}
        self._queues: dict[str, LineQueue] = {line.id: LineQueue() for line in settings.lines}
        self._presences: dict[str, Presence] = {}
        self._visitors: dict[str, VisitorLink] = {}
        self._conversation_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._durations: dict[str, deque[float]] = {
            line.id: deque(maxlen=settings.routing.estimate_window) for line in settings.lines
        }
        self._next_rank = 0
        self._front_rank = 0
        self._dirty: set[str] = set()

    # ------------------------------------------------------------------ queue and routing
    def _enqueue(self, conversation: Conversation, front: bool) -> None:
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
            conversation.state = ConversationState.ACTIVE
            conversation.operator_id = presence.id
            presence.held.add(conversation.id)
            presence.idle_since = now
            if not conversation.answered:
                conversation.answered = True
                conversation.assigned_at = now
                await self.store.add_stats(
                    StatsDelta(entry.line, now, answered=1, wait=now - conversation.created_at)
                )
            await self.store.save_conversation(conversation)
            await self._announce_assignment(conversation, presence, to_visitor=True)
            await self._publish_status(presence)
            await self._post(
                conversation,
                Role.SYSTEM,
                i18n.t(conversation.lang, "system.assigned", alias=presence.account.alias),
                to_visitor=True,
                operators=(presence.id,),
            )

    async def _announce_assignment(
        self, conversation: Conversation, presence: Presence, to_visitor: bool
    ) -> None:
        messages = tuple(await self.store.messages(conversation.id))
        await self.bus.publish(
            Assigned(conversation, presence.id, presence.account.alias, messages, None, to_visitor)
        )

    async def _flush_positions(self) -> None:
        """Tell waiting visitors of changed places or estimates, and nobody else."""
        now = self.clock.now()
        dirty, self._dirty = self._dirty, set()
        for line_id in sorted(dirty):
            line = self._line(line_id)
            slots = sum(
                p.account.capacity for p in self._presences.values() if p.on_duty_for(line_id)
            )
            durations = list(self._durations[line_id])
            for position, entry in enumerate(self._queues[line_id], start=1):
                estimate = estimate_wait(
                    position, slots, durations, self.settings.routing.assumed_chat_seconds
                )
                show_alternatives = bool(line.alternatives) and (
                    now - entry.since >= line.alternatives_after_seconds
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
    def _line(self, line_id: str) -> LineSettings:
        line = self.settings.line(line_id)
        if line is None:
            raise UnknownLine()
        return line

    def _check_open(self, line: LineSettings, now: float) -> None:
        if not opening.is_open(line, now):
            next_open = opening.next_open(line, now)
            raise LineClosed(next_open=iso(next_open) if next_open is not None else None)

    def _valid_intake(self, intake: dict[str, str]) -> dict[str, str]:
        topics = {t.id for t in self.settings.intake_topics}
        if "topic" in intake and intake["topic"] not in topics:
            raise InvalidPayload(f"intake.topic must be one of {sorted(topics)}")
        if "age_band" in intake and intake["age_band"] not in self.settings.age_bands:
            raise InvalidPayload(f"intake.age_band must be one of {list(self.settings.age_bands)}")
        return {k: v for k, v in intake.items() if k in ("topic", "age_band")}

    def _valid_topics(self, topics: Iterable[str]) -> tuple[str, ...]:
        known = {t.id for t in self.settings.wrapup_topics}
        chosen = tuple(dict.fromkeys(topics))
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise InvalidPayload(f"unknown wrap-up topics {unknown}; known: {sorted(known)}")
        return chosen

    def _valid_text(self, text: str) -> str:
        limit = self.settings.server.max_message_length
        if len(text) > limit:
            raise TooLong(f"A message may be at most {limit} characters.", limit=limit)
        if not text.strip():
            raise InvalidPayload("The message is empty.")
        return text

    async def _visitor_conversation(self, conversation_id: str) -> Conversation:
        conversation = self._open.get(conversation_id)
        if conversation is None:
            raise ConversationEnded()
        if conversation.state not in OPEN_STATES:
            raise ConversationEnded()
        return conversation

    def _operators(self, conversation: Conversation) -> tuple[str, ...]:
        """Who on the operator side hears about this conversation."""
        return (conversation.operator_id,) if conversation.operator_id else ()

    async def _post(
        self,
        conversation: Conversation,
        role: Role,
        text: str,
        *,
        to_visitor: bool,
        operators: tuple[str, ...],
        author: str | None = None,
    ) -> Message:
        """Store, then tell: a message is durable before anyone, sender included, hears of it."""
        async with self._conversation_locks[conversation.id]:
            conversation.last_seq += 1
            seq = conversation.last_seq
            message = Message(
                id=f"{conversation.id}-{seq}",
                conversation_id=conversation.id,
                seq=seq,
                role=role,
                text=text,
                at=self.clock.now(),
                author=author,
            )
            await self.store.append_message(message)
            await self.bus.publish(MessagePosted(message, to_visitor, operators))
            return message

    async def _publish_status(self, presence: Presence) -> None:
        await self.bus.publish(
            OperatorStatus(
                presence.id, presence.state.value, presence.load, presence.account.capacity
            )
        )

    def _remember(self, conversation: Conversation) -> None:
        self._open[conversation.id] = conversation
        self._by_token[conversation.token_hash] = conversation.id

    def _forget_open(self, conversation: Conversation) -> None:
        self._open.pop(conversation.id, None)
        self._by_token.pop(conversation.token_hash, None)
        self._visitors.pop(conversation.id, None)
        self._conversation_locks.pop(conversation.id, None)

    @staticmethod
    def _close(conversation: Conversation, now: float, by: str, reason: str) -> None:
        if conversation.ended_at is None:
            conversation.ended_at = now
            conversation.ended_by = by
            conversation.end_reason = reason

    async def _count_duration(self, conversation: Conversation, now: float) -> None:
        if conversation.assigned_at is None:
            return
        duration = now - conversation.assigned_at
        self._durations[conversation.line].append(duration)
        await self.store.add_stats(StatsDelta(conversation.line, now, duration=duration))
        self._dirty.add(conversation.line)

    def check_invariants(self) -> None:
        """Raise AssertionError if the floor is inconsistent; used by the property tests."""
        holders: dict[str, str] = {}
        for presence in self._presences.values():
            assert presence.load <= presence.account.capacity, "capacity exceeded"
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
        now = self.clock.now()
        for entry in self.waiting():
            assert not any(
                p.can_take(entry.line, entry.lang, now) for p in self._presences.values()
            ), "visitor waits while a matching volunteer has a free slot"


RISK_ORDER = {Risk.NONE: 0, Risk.LOW: 1, Risk.HIGH: 2, Risk.ACUTE: 3}


def risk_rank(risk: Risk) -> int:
    return RISK_ORDER[risk]
