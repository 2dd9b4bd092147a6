"""What the hub keeps itself, and the plain look-ups and checks it makes.

:class:`HubState` is the bottom of the hub's class stack. The floor (who waits, who holds
which chat, offers, readers-along) is not here: it lives in ``self.floor``, a
:class:`~chatserver.hub.floor_state.FloorState`, in this process's memory or in Redis. What
stays here is what belongs to this node only: the typing gate, what this node last told its
own waiting visitors (position updates are coalesced per node), the wait estimate's recent
durations, and a lock that lets one action at a time change the floor from this node (across
nodes every floor operation is atomic on its own). It changes nothing on its own and publishes
nothing; the message path (``messages.py``) and the floor's mechanics (``core.py``) build on it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

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
from chatserver.hub.floor import Presence
from chatserver.hub.floor_memory import MemoryFloor
from chatserver.hub.floor_records import LiveConversation
from chatserver.hub.floor_state import FloorState
from chatserver.hub.locks import KeyedLocks
from chatserver.hub.model import Conversation, ConversationState
from chatserver.hub.queue import Owed, Waiting
from chatserver.hub.typing_gate import TypingGate
from chatserver.privacy.retention import SpacePurge
from chatserver.privacy.sanitize import to_html
from chatserver.settings import LineSettings, Settings

Told = tuple[int, int | None, bool]  # the (position, estimate, alternatives) a visitor heard

OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)
LEAVE_REASONS = frozenset({"left", "quick_exit"})


class HubState:
    """The node's own state, the floor it works on, and the look-ups that only read."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        floor: FloorState | None = None,
        node: str = "",
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.floor: FloorState = floor if floor is not None else MemoryFloor(clock)
        # connections are counted per node on the floor ("" there means nobody connected)
        self.node = node or "embedded"
        self.bus = EventBus()
        # the one road from visitor text to HTML, once per message; app.py wraps it in a timer
        # for /metrics
        self.sanitize: Callable[[str], str] = to_html
        self._lock = asyncio.Lock()  # one floor-changing action at a time from this node
        self._conversation_locks = KeyedLocks()  # "store, then tell" in order, on this node
        # a chat being announced to its new volunteer here (transcript, then `assigned`): the
        # relay holds back the chat's next messages until the volunteer knows the chat
        self._announcing = KeyedLocks()
        self._typing = TypingGate()  # who types, told on change and a few times a second
        self._durations: dict[str, deque[float]] = {
            line.id: deque(maxlen=settings.routing.estimate_window) for line in settings.lines
        }
        self._purged_at = float("-inf")
        self._durations_read_at = float("-inf")
        self._dirty: set[str] = set()  # lines whose waiting visitors here must hear again
        self._newcomers: dict[str, Waiting] = {}  # joined the back of a line: tell only them
        self._flushing = False  # a flush of positions is running (``core._flush_positions``)
        self._generation = 0  # counts assignments here, so a flush knows what it read before
        self._taken: dict[str, int] = {}  # conversation id -> the assignment's generation
        self._told: dict[str, Told] = {}  # conversation id -> what its visitor last heard here
        # lines whose visitors behind the first TOLD_AT_ONCE were not looked at since a move
        # (the sweep's); when each line's whole queue was last looked at; and which of its
        # languages had someone on duty then (a change is told to everyone at once)
        self._owed: set[str] = set()
        self._whole_at: dict[str, float] = {}
        self._on_duty_seen: dict[str, frozenset[str]] = {}
        # far-back places found by a whole look, told at a pace (``places.tell_far_back``)
        self._far_back: dict[str, Owed] = {}  # conversation id -> what it is owed, in order
        self._far_back_read_at: int | None = None  # the oldest read in the outbox
        self.far_back_owed = asyncio.Event()  # set while the outbox holds something
        self._here: dict[str, int] = {}  # conversation id -> its visitor's sockets on this node
        self._aliases: dict[str, str] = {}  # operator id -> alias, as last seen on the floor
        # the follow-up's part of the retention purge (spaces behind links), set by app.py
        self.space_purge: SpacePurge | None = None
        # the follow-up's part of the sweep (appointments past their time), set by app.py
        self.followup_sweep: Callable[[float], Awaitable[None]] | None = None

    async def held(self, operator_id: str) -> list[Conversation]:
        """The chats a volunteer holds (active or in wrap-up), as records."""
        presence = await self.floor.presence(operator_id)
        if presence is None:
            return []
        found = [await self.floor.conversation(c) for c in sorted(presence.held)]
        return [live.record() for live in found if live is not None]

    async def presence(self, operator_id: str) -> Presence | None:
        presence = await self.floor.presence(operator_id)
        if presence is not None:
            self._aliases[presence.id] = presence.account.alias
        return presence

    def alias(self, operator_id: str) -> str | None:
        """The alias of an operator this node has seen on the floor (names on the wire);
        no floor read, so it may be called for every message."""
        return self._aliases.get(operator_id)

    async def alias_of(self, operator_id: str) -> str | None:
        """The alias, from the floor when this node has not seen the operator yet (one who
        connected on another node a moment ago)."""
        known = self._aliases.get(operator_id)
        if known is None:
            presence = await self.presence(operator_id)
            known = presence.account.alias if presence is not None else None
        return known

    def _learn(self, presences: Iterable[Presence]) -> None:
        for presence in presences:
            self._aliases[presence.id] = presence.account.alias

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

    async def _visitor_conversation(self, conversation_id: str) -> LiveConversation:
        """The visitor's open conversation, or why they cannot act in it."""
        live = await self.floor.conversation(conversation_id)
        if live is None:
            raise ConversationEnded()
        if live.forgotten:
            raise Forgotten()
        if live.state not in OPEN_STATES:
            raise ConversationEnded()
        return live

    @staticmethod
    def _close(conversation: Conversation, now: float, by: str, reason: str) -> None:
        if conversation.ended_at is None:
            conversation.ended_at = now
            conversation.ended_by = by
            conversation.end_reason = reason

    def _off_floor(self, conversation_id: str) -> None:
        """The conversation left the floor: this node forgets what it kept about it."""
        self._typing.forget(conversation_id)
        self._told.pop(conversation_id, None)
        self._far_back.pop(conversation_id, None)
        self._here.pop(conversation_id, None)

    @property
    def floor_shared(self) -> bool:
        """Other nodes change this floor too (the Redis mode): what this node told its
        visitors may be outdated without any action here."""
        return not isinstance(self.floor, MemoryFloor)
