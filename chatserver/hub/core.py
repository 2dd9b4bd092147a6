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
import heapq
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from chatserver import i18n
from chatserver.backends.base import AuditEntry, StatsDelta, Store
from chatserver.clock import Clock, iso
from chatserver.errors import (
    ConversationEnded,
    Forbidden,
    Forgotten,
    InvalidPayload,
    LineClosed,
    TooLong,
    UnknownLine,
)
from chatserver.hub import lines as opening
from chatserver.hub.events import (
    Assigned,
    EventBus,
    HandoverDeclined,
    HandoverWithdrawn,
    MessagePosted,
    Observed,
    OperatorStatus,
    QueueUpdate,
    Released,
    StatsRecorded,
    TypingChanged,
)
from chatserver.hub.floor import Presence, VisitorLink, staffing
from chatserver.hub.locks import KeyedLocks
from chatserver.hub.model import (
    Conversation,
    ConversationState,
    Message,
    Risk,
    Role,
)
from chatserver.hub.queue import LineQueue, Staffing, Waiting, estimate_wait
from chatserver.hub.routing import plan_assignments, shuns
from chatserver.hub.typing_gate import TypingGate
from chatserver.privacy.redaction import redact
from chatserver.privacy.sanitize import to_html
from chatserver.settings import LineSettings, Settings

REDACTED_ROLES = frozenset({Role.VISITOR, Role.OPERATOR, Role.NOTE, Role.WHISPER})
OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)
LEAVE_REASONS = frozenset({"left", "quick_exit"})


@dataclass
class Offer:
    """A warm handover waiting for the colleague's answer; the chat stays with the sender."""

    conversation_id: str
    sender: str
    receiver: str
    note: str
    expires_at: float


@dataclass
class BackupRequest:
    """A volunteer asked for a backup colleague (achterwacht) and nobody has joined yet."""

    conversation_id: str
    requester: str
    reason: str
    at: float
    escalated: bool = False


class HubCore:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.bus = EventBus()
        # the one road from visitor text to HTML, once per message; app.py wraps it in a timer
        # for /metrics
        self.sanitize: Callable[[str], str] = to_html
        self._lock = asyncio.Lock()
        self._open: dict[str, Conversation] = {}
        self._by_token: dict[str, str] = {}
        self._queues: dict[str, LineQueue] = {line.id: LineQueue() for line in settings.lines}
        self._presences: dict[str, Presence] = {}
        self._visitors: dict[str, VisitorLink] = {}
        self._conversation_locks = KeyedLocks()
        self._typing = TypingGate()  # who types, told on change and a few times a second
        self._durations: dict[str, deque[float]] = {
            line.id: deque(maxlen=settings.routing.estimate_window) for line in settings.lines
        }
        self._next_rank = 0
        self._purged_at = float("-inf")
        self._front_rank = 0
        self._dirty: set[str] = set()
        # conversation id -> {operator id: "backup" | "observer"}: read along, invisible
        self._watchers: dict[str, dict[str, str]] = {}
        self._offers: dict[str, Offer] = {}  # open handover offers, by conversation
        self._backup_requests: dict[str, BackupRequest] = {}
        self._handover_notes: dict[str, str] = {}  # for whoever takes it from the queue
        self._triaged: set[str] = set()  # conversations whose first message was looked at

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
                    conversation, presence.id, presence.account.alias, messages, note, to_visitor
                )
            )
        await self._tell_watchers(conversation, presence.id)

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
    def held(self, operator_id: str) -> list[Conversation]:
        presence = self._presences.get(operator_id)
        if presence is None:
            return []
        return [self._open[c] for c in sorted(presence.held) if c in self._open]

    def presence(self, operator_id: str) -> Presence | None:
        return self._presences.get(operator_id)

    def alias(self, operator_id: str) -> str | None:
        presence = self._presences.get(operator_id)
        return presence.account.alias if presence else None

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
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: valid JSON, not text anyone can store
            raise InvalidPayload("The message contains characters that are not text.") from None
        return text

    async def _visitor_conversation(self, conversation_id: str) -> Conversation:
        conversation = self._open.get(conversation_id)
        if conversation is None:
            raise ConversationEnded()
        if conversation.forgotten:
            raise Forgotten()
        if conversation.state not in OPEN_STATES:
            raise ConversationEnded()
        return conversation

    def _operators(self, conversation: Conversation) -> tuple[str, ...]:
        """Who on the operator side hears about this conversation: holder, backup, observers."""
        holder = (conversation.operator_id,) if conversation.operator_id else ()
        return holder + tuple(
            w for w in self._watchers.get(conversation.id, {}) if w != conversation.operator_id
        )

    async def _post(
        self,
        conversation: Conversation,
        role: Role,
        text: str,
        *,
        to_visitor: bool,
        operators: tuple[str, ...] | None = None,
        author: str | None = None,
        code: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Message:
        """Store, then tell: a message is durable before anyone, sender included, hears of it.

        Its HTML is made here, once (linear in the text, so a few milliseconds at most), and
        travels and is stored with it: no transcript sent again is parsed again.

        ``operators=None`` means everyone on the operator side at the moment of sending,
        decided under the conversation's lock: a handover that happens meanwhile cannot make
        a message go to the old volunteer only. A volunteer's message that arrives after the
        conversation passed to a colleague is refused instead of slipping through, and so is
        anything for a conversation the visitor erased: the erase waits for this lock, so what
        is stored is erased with the rest, and what comes later is never stored.
        """
        async with self._conversation_locks[conversation.id]:
            if conversation.forgotten:
                raise Forgotten()
            if role is Role.OPERATOR and conversation.operator_id != author:
                raise Forbidden("This conversation is no longer yours.")
            if operators is None:
                operators = self._operators(conversation)
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
                author_alias=self.alias(author) if author else None,
                html=self.sanitize(text),
                code=code,
                params=dict(params or {}),
            )
            await self.store.append_message(self._as_stored(conversation, message))
            if role in (Role.VISITOR, Role.OPERATOR):  # a message ends its author's typing
                self._typing.sent((conversation.id, role is Role.OPERATOR))
            await self.bus.publish(MessagePosted(message, to_visitor, operators))
            return message

    async def _say(
        self,
        conversation: Conversation,
        code: str,
        *,
        to_visitor: bool = True,
        operators: tuple[str, ...] | None = None,
        **params: str,
    ) -> Message:
        """A system line (``system.<code>``): its text in the visitor's language, as the
        visitor reads it, stored with the code and parameters, so a volunteer's console or a
        transcript can word it in the reader's own language instead."""
        text = i18n.t(conversation.lang, f"system.{code}", **params)
        return await self._post(
            conversation, Role.SYSTEM, text, to_visitor=to_visitor, operators=operators,
            code=code, params=params,
        )  # fmt: skip

    def _as_stored(self, conversation: Conversation, message: Message) -> Message:
        """What goes into the transcript: redacted where the line asks for it.

        The live conversation is unchanged (the volunteer may need the phone number now);
        only the copy that is kept loses phone numbers, e-mail, IBANs and postal codes.
        """
        line = self.settings.line(conversation.line)
        if line is None or not line.redact or message.role not in REDACTED_ROLES:
            return message
        text = redact(message.text)
        return replace(message, text=text, html=self.sanitize(text))

    async def _typed(self, conversation: Conversation, by_volunteer: bool, active: bool) -> None:
        """Someone types (or stopped): the other side hears of a change, a few times a second
        at most; a change held back is told by the sweep (:meth:`_tell_typing_due`)."""
        side = (conversation.id, by_volunteer)
        if self._typing.offer(side, active, self.clock.now()):
            await self._publish_typing(conversation, by_volunteer, active)

    async def _tell_typing_due(self) -> None:
        for (conversation_id, by_volunteer), active in self._typing.due(self.clock.now()):
            conversation = self._open.get(conversation_id)
            if conversation is not None and conversation.state is ConversationState.ACTIVE:
                await self._publish_typing(conversation, by_volunteer, active)

    async def _publish_typing(
        self, conversation: Conversation, by_volunteer: bool, active: bool
    ) -> None:
        operators = () if by_volunteer else self._operators(conversation)
        await self.bus.publish(
            TypingChanged(
                conversation.id, active, by_volunteer, operators, after_seq=conversation.last_seq
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
                Assigned(conversation, to.id, to.account.alias, messages, note, to_visitor=True)
            )
        await self._tell_watchers(conversation, to.id)
        if previous is not None:
            await self.bus.publish(Released(conversation.id, previous.id, reason))
            await self._publish_status(previous)
        await self._publish_status(to)
        await self._say(conversation, "colleague_takes_over", alias=to.account.alias)

    def _remember(self, conversation: Conversation) -> None:
        self._open[conversation.id] = conversation
        self._by_token[conversation.token_hash] = conversation.id

    async def _stop_all_watching(self, conversation: Conversation, reason: str = "ended") -> None:
        """Reading along ends (chat over, or back in the queue); the holder hears it too."""
        holder = (conversation.operator_id,) if conversation.operator_id else ()
        for operator_id, kind in self._watchers.pop(conversation.id, {}).items():
            await self.bus.publish(
                Observed(conversation.id, holder, self.alias(operator_id) or "", kind, False)
            )
            await self.bus.publish(Released(conversation.id, operator_id, reason))

    def _forget_open(self, conversation: Conversation) -> None:
        self._triaged.discard(conversation.id)
        self._typing.forget(conversation.id)
        self._handover_notes.pop(conversation.id, None)
        self._watchers.pop(conversation.id, None)
        self._backup_requests.pop(conversation.id, None)
        self._open.pop(conversation.id, None)
        self._by_token.pop(conversation.token_hash, None)
        self._visitors.pop(conversation.id, None)

    @staticmethod
    def _close(conversation: Conversation, now: float, by: str, reason: str) -> None:
        if conversation.ended_at is None:
            conversation.ended_at = now
            conversation.ended_by = by
            conversation.end_reason = reason

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
