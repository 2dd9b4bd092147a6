"""What the floor's operations take and give back: plain values, the same for every floor.

Why values and not live objects: in the distributed mode the floor lives in Redis, so what an
operation returns is a copy of the moment it committed. The in-memory floor returns copies too,
so that no caller can come to rely on mutating what it was handed: one contract, two floors.

Waiting visitors come back as :class:`chatserver.hub.queue.Waiting` and volunteers as
:class:`chatserver.hub.floor.Presence`, the types routing already plans with, so
``routing.plan_assignments`` works unchanged over a snapshot of either floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from chatserver.hub.model import Account, Conversation, ConversationState, Message, Risk, Role
from chatserver.hub.pinned import Pinned

SUPERVISOR_ROLES = ("supervisor", "admin")


class Refusal(StrEnum):
    """Why the floor did not commit. The hub turns these into what people hear."""

    UNKNOWN = "unknown"  # the conversation is not on the floor (ended, or never was)
    IN_USE = "in_use"  # a conversation with this id is already on the floor
    QUEUE_FULL = "queue_full"
    NOT_WAITING = "not_waiting"  # the visitor is no longer in the queue: re-plan
    NOT_ACTIVE = "not_active"  # the conversation is not (or no longer) active
    NOT_HOLDER = "not_holder"  # the caller does not hold the conversation
    OFFLINE = "offline"  # no presence, or not connected (from that node)
    NOT_AVAILABLE = "not_available"  # paused or away
    FULL = "full"  # no free slot
    COOLING_DOWN = "cooling_down"
    NOT_SERVING = "not_serving"  # the line or the language is not the volunteer's
    AVOIDED = "avoided"  # handed this visitor back a moment ago while a colleague can help
    SELF = "self"  # a handover to oneself
    OFFER_PENDING = "offer_pending"  # an open handover offer must be answered first
    NO_OFFER = "no_offer"  # no open offer (to this caller): answered, voided or expired
    NOT_DUE = "not_due"  # too early for the sweep's check-and-set (offer, escalation)
    NOT_ALLOWED = "not_allowed"  # the role or the relation to the conversation does not allow
    NOT_ASKED = "not_asked"  # backup nobody asked for
    BACKUP_TAKEN = "backup_taken"  # another colleague answered the backup request first
    NOT_WATCHING = "not_watching"
    NODE_ALIVE = "node_alive"  # a node's lease still runs: its connections are not reaped
    FORGOTTEN = "forgotten"  # the visitor erased the conversation: nothing more is kept


class FloorRefused(Exception):
    """The floor did not commit because a precondition no longer holds.

    Not a ``ChatError`` on purpose: a refused claim is routine (another node was faster) and
    is re-planned; a refused accept becomes ``Forbidden``. The hub decides what anyone hears.
    """

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Profile:
    """What routing needs of an operator's account, copied onto the floor at connect.

    Never a credential, a password hash or a username: the floor may live in a shared Redis.
    """

    id: str
    alias: str
    role: str
    lines: tuple[str, ...] = ()  # empty: every line
    languages: tuple[str, ...] = ("nl", "en")
    capacity: int = 1
    backup: bool = False

    @classmethod
    def of(cls, account: Account) -> Profile:
        return cls(
            account.id,
            account.alias,
            account.role,
            account.lines,
            account.languages,
            account.capacity,
            account.backup,
        )

    def as_account(self) -> Account:
        """The routing-relevant account a snapshot's ``Presence`` carries: no secrets in it."""
        return Account(
            id=self.id,
            username="",
            alias=self.alias,
            role=self.role,
            password_hash="",
            lines=self.lines,
            languages=self.languages,
            capacity=self.capacity,
            backup=self.backup,
        )

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES

    def serves(self, line: str, lang: str) -> bool:
        return (not self.lines or line in self.lines) and lang in self.languages


@dataclass(frozen=True)
class Arrival:
    """A visitor who asks for help, as the floor needs to know it."""

    conversation_id: str
    line: str
    lang: str
    token_hash: str  # resume by token; the token itself is never on the floor
    priority: int = 0
    last_seq: int = 0  # after a restart: the stored transcript's last sequence number
    created_at: float = 0.0
    intake: dict[str, str] = field(default_factory=dict)  # topic and age band, no text
    shared_connection: int = 0  # see ``Conversation.shared_connection``: a hint, live only

    @classmethod
    def of(cls, conversation: Conversation) -> Arrival:
        return cls(
            conversation.id,
            conversation.line,
            conversation.lang,
            conversation.token_hash,
            conversation.priority,
            conversation.last_seq,
            conversation.created_at,
            dict(conversation.intake),
            conversation.shared_connection,
        )


@dataclass(frozen=True)
class LiveConversation:
    """An open conversation as the floor sees it (the store keeps the record)."""

    id: str
    line: str
    lang: str
    state: ConversationState  # waiting, active or wrap-up; ended ones leave the floor
    operator_id: str | None
    priority: int
    token_hash: str
    last_seq: int
    answered: bool  # has been assigned at least once (statistics: answered, not abandoned)
    visitor_connections: int
    visitor_gone_since: float | None  # the visitor's grace period runs from here
    created_at: float = 0.0
    intake: dict[str, str] = field(default_factory=dict)
    shared_connection: int = 0
    risk: Risk = Risk.NONE  # raised by flags, never lowered while the chat is open
    assigned_at: float | None = None  # the first assignment (the wait figure)
    pinned: Pinned | None = None  # an agreed chat: whom it was promised to (issue 12)
    forgotten: bool = False  # the visitor erased it: nothing more may be posted

    def record(self) -> Conversation:
        """The store's record of this conversation as the floor has it now (not yet ended:
        the caller sets the ``ended_*`` fields when it ends)."""
        return Conversation(
            id=self.id,
            line=self.line,
            lang=self.lang,
            state=self.state,
            token_hash=self.token_hash,
            created_at=self.created_at,
            intake=dict(self.intake),
            priority=self.priority,
            operator_id=self.operator_id,
            assigned_at=self.assigned_at,
            risk=self.risk,
            last_seq=self.last_seq,
            answered=self.answered,
            shared_connection=self.shared_connection,
            forgotten=self.forgotten,
        )


@dataclass(frozen=True)
class Claimed:
    """Routing's plan committed: the visitor is the volunteer's now."""

    conversation_id: str
    operator_id: str
    first: bool  # never assigned before: count it as answered, with its wait
    note: str | None  # a hand-back's note for the new volunteer
    load: int  # the volunteer's chats after this one; never above capacity


@dataclass(frozen=True)
class HandoverOffer:
    """A warm handover waiting for the colleague's answer; the chat stays with the sender."""

    conversation_id: str
    sender: str
    receiver: str
    note: str
    expires_at: float


@dataclass(frozen=True)
class Transfer:
    """An accepted handover or a takeover: the conversation changed hands in one step."""

    conversation_id: str
    previous: str | None
    to: str
    note: str | None  # the accepted offer's note
    voided: HandoverOffer | None = None  # the offer a takeover cut short (its outcome)


@dataclass(frozen=True)
class Requeued:
    """A conversation the holder gave back to the front of the queue."""

    conversation_id: str
    previous: str
    rank: int
    watchers: dict[str, str] = field(default_factory=dict)  # who stopped reading along


@dataclass(frozen=True)
class Left:
    """The visitor went. Waiting: off the floor. Active: in wrap-up, still with its holder."""

    conversation_id: str
    was: ConversationState
    operator_id: str | None
    voided: HandoverOffer | None = None  # an open offer about it ended with the chat


@dataclass(frozen=True)
class Released:
    """The volunteer ended the conversation: it left the floor and the slot is free."""

    conversation_id: str
    operator_id: str
    watchers: dict[str, str] = field(default_factory=dict)  # who stopped reading along
    voided: HandoverOffer | None = None


@dataclass(frozen=True)
class Lost:
    """A volunteer past the grace period, taken off the floor with everything they held.

    Every tuple is in conversation id order (the front ranks were given in that order), so
    both floors answer alike."""

    operator_id: str
    requeued: tuple[Requeued, ...]  # active chats, now at the front of their queues
    closed: tuple[str, ...]  # wrap-ups that never finished: off the floor without one
    voided: tuple[HandoverOffer, ...]  # offers to or from them (to: ``unavailable``)
    unwatched: tuple[str, ...]  # conversations they read along in


@dataclass(frozen=True)
class BackupCall:
    """A volunteer asked for a backup colleague (achterwacht) and nobody has joined yet."""

    conversation_id: str
    requester: str
    reason: str
    at: float
    escalated: bool = False


@dataclass(frozen=True)
class Draft:
    """A message before the floor gives it its sequence number, and who is to hear it.

    ``operators=None``: everyone on the operator side when the floor commits it (holder and
    readers-along), decided in the same step as the sequence number, so a handover cannot
    make a message miss the new volunteer or reach the old one only.
    """

    role: Role
    text: str
    at: float
    author: str | None = None
    author_alias: str | None = None
    html: str | None = None  # the sanitized text, made once by the hub
    code: str | None = None  # a system line's code (``system.<code>``) and its parameters
    params: dict[str, str] = field(default_factory=dict)
    to_visitor: bool = True
    operators: tuple[str, ...] | None = None
    # only while this volunteer holds the chat (``not_holder`` otherwise): a line about a
    # handover or takeover must not come after a later one made on another node
    holder: str | None = None


@dataclass(frozen=True)
class Posted:
    """A message with its sequence number and its audience as committed; ``duplicate`` when
    the client id was seen before (the first copy is returned, nothing new is stored or
    published). What every node's feed receives, in seq order per conversation."""

    message: Message
    duplicate: bool = False
    to_visitor: bool = True
    operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """Something every node must act on that is not a message: an account changed or a login
    session ended, so every node closes that operator's sockets. Told, never kept."""

    kind: str  # "account" or "session"
    subject: str  # the operator id, or the session's token hash
    detail: str  # what changed, or why the session ended


@dataclass(frozen=True)
class Reaped:
    """A dead node's connections, taken off the floor: whose last connection went with it."""

    node: str
    operators: tuple[str, ...]  # their grace period runs from now
    visitors: tuple[str, ...]  # conversation ids whose visitor has no connection left


def message_of(conversation_id: str, seq: int, draft: Draft) -> Message:
    """The one way a draft becomes a message: ids are ``<conversation>-<seq>`` everywhere."""
    return Message(
        id=f"{conversation_id}-{seq}",
        conversation_id=conversation_id,
        seq=seq,
        role=draft.role,
        text=draft.text,
        at=draft.at,
        author=draft.author,
        author_alias=draft.author_alias,
        html=draft.html,
        code=draft.code,
        params=dict(draft.params),
    )
