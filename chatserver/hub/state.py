"""What belongs to this node, and the plain look-ups and checks the hub's services make.

:class:`Node` is the one object every service of the hub (``messages.py``, ``places.py``,
``core.py`` and the actions over them) receives in its constructor. The floor (who waits, who
holds which chat, offers, readers-along) is not kept here: it lives in ``node.floor``, a
:class:`~chatserver.hub.floor_state.FloorState`, in this process's memory or in Redis. What
is kept here belongs to this node only: the typing gate, what this node last told its own
waiting visitors (position updates are coalesced per node), the wait estimate's recent
durations, the aliases it has seen, and a lock that lets one action at a time change the floor
from this node (across nodes every floor operation is atomic on its own). Its attributes are
public on purpose: they are the state the services share, named, instead of private dicts
reached through a common ``self``. It changes nothing on the floor and publishes nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable

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
from chatserver.privacy.sanitize import to_html
from chatserver.settings import LineSettings, Settings

Told = tuple[int, int | None, bool]  # the (position, estimate, alternatives) a visitor heard

OPEN_STATES = (ConversationState.WAITING, ConversationState.ACTIVE)
LEAVE_REASONS = frozenset({"left", "quick_exit"})


class Node:
    """This node's own state, the floor, store, clock and bus it works with, and the look-ups
    that only read."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        floor: FloorState | None = None,
        name: str = "",
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.floor: FloorState = floor if floor is not None else MemoryFloor(clock)
        # connections are counted per node on the floor ("" there means nobody connected)
        self.name = name or "embedded"
        self.bus = EventBus()
        # the one road from visitor text to HTML, once per message; app.py wraps it in a timer
        # for /metrics
        self.sanitize: Callable[[str], str] = to_html
        self.lock = asyncio.Lock()  # one floor-changing action at a time from this node
        self.conversation_locks = KeyedLocks()  # "store, then tell" in order, on this node
        # a chat being announced to its new volunteer here (transcript, then `assigned`): the
        # relay holds back the chat's next messages until the volunteer knows the chat
        self.announcing = KeyedLocks()
        self.typing = TypingGate()  # who types, told on change and a few times a second
        self.durations: dict[str, deque[float]] = {
            line.id: deque(maxlen=settings.routing.estimate_window) for line in settings.lines
        }
        self.dirty: set[str] = set()  # lines whose waiting visitors here must hear again
        self.newcomers: dict[str, Waiting] = {}  # joined the back of a line: tell only them
        self.told: dict[str, Told] = {}  # conversation id -> what its visitor last heard here
        # lines whose visitors behind the first TOLD_AT_ONCE were not looked at since a move
        # (told once the line is due, from the sweep)
        self.owed: set[str] = set()
        # far-back places found by a whole look, told at a pace (``places.tell_far_back``)
        self.far_back: dict[str, Owed] = {}  # conversation id -> what it is owed, in order
        self.far_back_owed = asyncio.Event()  # set while the outbox holds something
        self.here: dict[str, int] = {}  # conversation id -> its visitor's sockets on this node
        self.aliases: dict[str, str] = {}  # operator id -> alias, as last seen on the floor

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
            self.aliases[presence.id] = presence.account.alias
        return presence

    def alias(self, operator_id: str) -> str | None:
        """The alias of an operator this node has seen on the floor (names on the wire);
        no floor read, so it may be called for every message."""
        return self.aliases.get(operator_id)

    async def alias_of(self, operator_id: str) -> str | None:
        """The alias, from the floor when this node has not seen the operator yet (one who
        connected on another node a moment ago)."""
        known = self.aliases.get(operator_id)
        if known is None:
            presence = await self.presence(operator_id)
            known = presence.account.alias if presence is not None else None
        return known

    def learn(self, presences: Iterable[Presence]) -> None:
        for presence in presences:
            self.aliases[presence.id] = presence.account.alias

    def line(self, line_id: str) -> LineSettings:
        line = self.settings.line(line_id)
        if line is None:
            raise UnknownLine()
        return line

    def check_open(self, line: LineSettings, now: float) -> None:
        if not opening.is_open(line, now):
            next_open = opening.next_open(line, now)
            raise LineClosed(next_open=iso(next_open) if next_open is not None else None)

    def valid_intake(self, intake: dict[str, str]) -> dict[str, str]:
        topics = {t.id for t in self.settings.intake_topics}
        if "topic" in intake and intake["topic"] not in topics:
            raise InvalidPayload(f"intake.topic must be one of {sorted(topics)}")
        if "age_band" in intake and intake["age_band"] not in self.settings.age_bands:
            raise InvalidPayload(f"intake.age_band must be one of {list(self.settings.age_bands)}")
        return {k: v for k, v in intake.items() if k in ("topic", "age_band")}

    def valid_topics(self, topics: Iterable[str]) -> tuple[str, ...]:
        known = {t.id for t in self.settings.wrapup_topics}
        chosen = tuple(dict.fromkeys(topics))
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise InvalidPayload(f"unknown wrap-up topics {unknown}; known: {sorted(known)}")
        return chosen

    def valid_text(self, text: str) -> str:
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

    async def visitor_conversation(self, conversation_id: str) -> LiveConversation:
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
    def close(conversation: Conversation, now: float, by: str, reason: str) -> None:
        if conversation.ended_at is None:
            conversation.ended_at = now
            conversation.ended_by = by
            conversation.end_reason = reason

    def off_floor(self, conversation_id: str) -> None:
        """The conversation left the floor: this node forgets what it kept about it."""
        self.typing.forget(conversation_id)
        self.told.pop(conversation_id, None)
        self.far_back.pop(conversation_id, None)
        self.here.pop(conversation_id, None)

    @property
    def floor_shared(self) -> bool:
        """Other nodes change this floor too (the Redis mode): what this node told its
        visitors may be outdated without any action here."""
        return not isinstance(self.floor, MemoryFloor)

    def mark_all_dirty(self) -> None:
        """Every line's waiting visitors here hear their place again (someone came on duty,
        left, or the queue moved in a way no single line describes)."""
        self.dirty.update(line.id for line in self.settings.lines)


class OnNode:
    """What every service of the hub works with, under short names: its node, and the node's
    settings, store, clock, floor and bus (the same objects for every service)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.settings = node.settings
        self.store = node.store
        self.clock = node.clock
        self.floor = node.floor
        self.bus = node.bus
