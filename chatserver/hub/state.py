"""What the hub keeps about the floor, and the plain look-ups and checks on it.

:class:`HubState` is the bottom of the hub's class stack: the state every action reads or
changes (conversations, queues, presences, watchers, offers), the small look-ups on it, and the
checks a request passes before anything changes. It changes nothing on its own and publishes
nothing; the message path (``messages.py``) and the floor's mechanics (``core.py``) build on it.
Kept apart so that the list of live state can be read in one place (docs/architecture-floor.md
counts it) without the code that moves it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from chatserver.backends.base import Store
from chatserver.clock import Clock, iso
from chatserver.errors import (
    ConversationEnded,
    Forgotten,
    InvalidPayload,
    LineClosed,
    TooLong,
    UnknownLine,
)
from chatserver.hub import lines as opening
from chatserver.hub.events import EventBus
from chatserver.hub.floor import Presence, VisitorLink
from chatserver.hub.locks import KeyedLocks
from chatserver.hub.model import Conversation, ConversationState
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import LineQueue
from chatserver.hub.typing_gate import TypingGate
from chatserver.privacy.retention import SpacePurge
from chatserver.privacy.sanitize import to_html
from chatserver.settings import LineSettings, Settings

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


class HubState:
    """The floor's live state, and the look-ups and checks that only read it (see ``core.py``
    for which lock guards what)."""

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
        self._pinned: dict[str, Pinned] = {}  # chats opened by an appointment link
        # the follow-up's part of the retention purge (spaces behind links), set by app.py
        self.space_purge: SpacePurge | None = None
        # the follow-up's part of the sweep (appointments past their time), set by app.py
        self.followup_sweep: Callable[[float], Awaitable[None]] | None = None

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

    def _remember(self, conversation: Conversation) -> None:
        self._open[conversation.id] = conversation
        self._by_token[conversation.token_hash] = conversation.id

    def _forget_open(self, conversation: Conversation) -> None:
        self._triaged.discard(conversation.id)
        self._typing.forget(conversation.id)
        self._handover_notes.pop(conversation.id, None)
        self._pinned.pop(conversation.id, None)
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
