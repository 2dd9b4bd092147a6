"""The helpline's nouns as plain dataclasses: conversations, messages, volunteers.

Nothing here knows about transport or storage; the backends persist these shapes and the
realtime layer turns them into wire payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ConversationState(StrEnum):
    WAITING = "waiting"  # in the queue, no volunteer yet
    ACTIVE = "active"  # a volunteer holds it
    WRAPUP = "wrapup"  # the visitor is gone; the volunteer still has to end it with a wrap-up
    ENDED = "ended"


class Role(StrEnum):
    """Who wrote a message. ``note`` and ``whisper`` never reach the visitor."""

    VISITOR = "visitor"
    OPERATOR = "operator"
    SYSTEM = "system"
    NOTE = "note"
    WHISPER = "whisper"


# what a visitor may ever see of its own conversation, live or replayed: never a note or a whisper
VISITOR_ROLES = frozenset({Role.VISITOR, Role.OPERATOR, Role.SYSTEM})


class OperatorState(StrEnum):
    AVAILABLE = "available"
    PAUSED = "paused"
    AWAY = "away"


class Risk(StrEnum):
    NONE = "none"
    LOW = "low"
    HIGH = "high"
    ACUTE = "acute"


@dataclass
class Message:
    id: str  # "<conversation id>-<seq>": unique, and sortable within its conversation
    conversation_id: str
    seq: int
    role: Role
    text: str
    at: float  # epoch seconds, from the hub's clock
    author: str | None = None  # operator id for operator/note/whisper, None otherwise
    # the author's alias when it was posted: a transcript read later (a reconnect, a supervisor
    # observing, the stored transcript) still names "Anna" after Anna logged off or was renamed
    author_alias: str | None = None
    # ``text`` as sanitized HTML, made once when the message is posted and kept with it, so a
    # transcript sent again (a resume, a reconnect, a supervisor observing) costs no parsing;
    # None only for a message made elsewhere (the wire layer then makes it)
    html: str | None = None
    # a system line's code and parameters (``system.<code>`` in chatserver/locales): the text
    # is stored in the visitor's language, and every other reader words it in their own
    code: str | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversation:
    id: str
    line: str
    lang: str
    state: ConversationState
    token_hash: str  # sha256 of the visitor's resume token; the token itself is never stored
    created_at: float
    intake: dict[str, str] = field(default_factory=dict)
    priority: int = 0
    operator_id: str | None = None
    assigned_at: float | None = None  # first assignment, for the wait figure
    ended_at: float | None = None
    ended_by: str | None = None  # "visitor" | "operator" | "system"
    end_reason: str | None = None
    risk: Risk = Risk.NONE
    last_seq: int = 0
    answered: bool = False  # has ever been assigned (statistics: answered vs abandoned)
    # how many chats were open from the visitor's connection with this one when it started,
    # when more than ``abuse.conversations_per_source`` (a family, a shelter, a school ... or a
    # prank), else 0: a hint for the volunteer, never a refusal. Live only, never stored: it
    # is derived from the connection, of which nothing is kept.
    shared_connection: int = 0
    # the visitor erased it ("forget"): from that instant nothing more is stored for it. Known
    # to the live hub only (a message in flight holds this very object); not a stored field.
    forgotten: bool = field(default=False, compare=False)


@dataclass
class Wrapup:
    conversation_id: str
    operator_id: str
    topics: tuple[str, ...]
    risk: Risk
    at: float


@dataclass
class Account:
    """An operator account (volunteer, supervisor or admin). No visitor ever has one."""

    id: str
    username: str
    alias: str  # what a visitor sees; never the username
    role: str  # "volunteer" | "supervisor" | "admin"
    password_hash: str
    lines: tuple[str, ...] = ()  # empty: every line
    languages: tuple[str, ...] = ("nl", "en")
    capacity: int = 1
    backup: bool = False  # may be called in as achterwacht
    active: bool = True
    totp_secret: str | None = None
    created_at: float = 0.0

    def serves(self, line: str, lang: str) -> bool:
        return (not self.lines or line in self.lines) and lang in self.languages
