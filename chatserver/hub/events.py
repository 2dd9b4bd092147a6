"""Domain events: what happened on the floor, addressed to whoever must hear of it.

The hub publishes these on one :class:`EventBus`; the realtime layer subscribes and turns them
into socket.io emits. The hub never calls socket.io, so a second node (Redis) or a test can
subscribe to the very same events. Each event names its audience explicitly (the visitor of a
conversation and/or operator ids) so that privacy rules live in the hub, not in the transport:
a whisper or a private note simply never has the visitor in its audience.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chatserver.backends.base import StatsDelta
from chatserver.hub.model import Conversation, Message
from chatserver.hub.pinned import Pinned
from chatserver.settings import Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueUpdate:
    """A waiting visitor's place in line changed (or they just entered it)."""

    conversation_id: str
    lang: str
    position: int
    estimated_wait_seconds: int | None  # 0: now (a slot is free); None: nobody on duty
    alternatives: tuple[Contact, ...] = ()
    nobody_on_duty: bool = False  # an open line with no volunteer online for this visitor
    # when this stay in the queue began: a place from a stay that ended in ``assigned`` is
    # out of date, whichever node sent it (a hand-back starts a new stay, later)
    entered: float = 0.0


@dataclass(frozen=True)
class Assigned:
    """A volunteer holds the conversation now (also re-sent when a volunteer reconnects)."""

    conversation: Conversation
    operator_id: str
    alias: str
    messages: tuple[Message, ...]
    handover_note: str | None = None
    to_visitor: bool = True
    # an agreed chat (``pinned.py``): its time and note; ``earlier`` only for the agreed one
    appointment: Pinned | None = None
    # the stay in the queue this assignment ended (``QueueUpdate.entered``), when it did
    entered: float | None = None


@dataclass(frozen=True)
class MessagePosted:
    message: Message
    to_visitor: bool
    operators: tuple[str, ...]
    # from the shared floor's feed, which every node reads: tell this node's sockets only
    relayed: bool = False


@dataclass(frozen=True)
class TypingChanged:
    """Somebody started or stopped typing. ``after_seq``: the conversation's last message
    then. A visitor's message with a higher seq was written after this typing, so it ends it;
    one with this seq or lower was already out, and the visitor is typing again."""

    conversation_id: str
    active: bool
    to_visitor: bool
    operators: tuple[str, ...] = ()
    after_seq: int = 0


@dataclass(frozen=True)
class VisitorLeft:
    """The visitor is gone; ``reason``: left, quick_exit, disconnected or forgot."""

    conversation_id: str
    operators: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class VisitorConnection:
    """The visitor's connection dropped or came back within the grace period."""

    conversation_id: str
    operators: tuple[str, ...]
    connected: bool


@dataclass(frozen=True)
class OperatorConnection:
    """A volunteer's last console connection dropped, or the first came back."""

    operator_id: str
    connected: bool


@dataclass(frozen=True)
class Ended:
    """Told to the visitor: the conversation is over."""

    conversation_id: str
    by: str  # visitor | operator | system
    reason: str


@dataclass(frozen=True)
class Released:
    """Told to an operator: this conversation is no longer yours."""

    conversation_id: str
    operator_id: str
    reason: str


@dataclass(frozen=True)
class OperatorStatus:
    """An operator's availability changed; all of that operator's sessions learn it."""

    operator_id: str
    state: str
    load: int
    capacity: int
    reason: str | None = None  # e.g. "debrief": paused by the hub after a heavy chat


@dataclass(frozen=True)
class HandoverOffered:
    conversation_id: str
    receiver: str
    sender: str
    sender_alias: str
    note: str
    line: str
    intake: dict[str, str]


@dataclass(frozen=True)
class HandoverDeclined:
    """Told to the sender: the colleague said no, did not answer, or could not take it."""

    conversation_id: str
    sender: str
    by_alias: str
    reason: str  # declined | timeout | unavailable


@dataclass(frozen=True)
class HandoverWithdrawn:
    """Told to the receiver: the offer is void (answered elsewhere, expired, chat ended)."""

    conversation_id: str
    receiver: str
    reason: str


@dataclass(frozen=True)
class Observed:
    """Told to the volunteer: someone reads along now (or stopped). Never to the visitor."""

    conversation_id: str
    operators: tuple[str, ...]
    by_alias: str
    kind: str  # backup | observer
    active: bool


@dataclass(frozen=True)
class BackupRequested:
    conversation_id: str
    operators: tuple[str, ...]
    requester_alias: str
    reason: str
    line: str
    escalated: bool = False


@dataclass(frozen=True)
class BackupAnswered:
    """Told to everyone alerted: a colleague joined, the alert can go."""

    conversation_id: str
    operators: tuple[str, ...]
    by_alias: str


@dataclass(frozen=True)
class RiskRaised:
    """The risk went up. Supervisors are alerted when it is acute; the holder and whoever
    reads along learn the new level at once, so nobody works from a stale one."""

    conversation_id: str
    operators: tuple[str, ...]  # supervisors to alert
    risk: str
    by_alias: str
    line: str
    participants: tuple[str, ...] = ()  # the holder and the readers-along


@dataclass(frozen=True)
class EmergencyProcedure:
    conversation_id: str
    operators: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Broadcast:
    text: str
    from_alias: str


@dataclass(frozen=True)
class AccountChanged:
    """An administrator changed an operator's account; its live consoles must let go.

    ``change``: created, edited, password, two_factor, deactivated or reactivated
    (``hub/account_changes.py``).
    """

    operator_id: str
    change: str


@dataclass(frozen=True)
class StatsRecorded:
    """Numbers went into the statistics: a start, an answer and its wait, a duration, an
    abandoned chat, a wrap-up. Told on the bus as well as stored, so whoever measures the floor
    (``/metrics``) counts exactly what the statistics count, without the hub knowing of it."""

    delta: StatsDelta


@dataclass(frozen=True)
class Purged:
    """The scheduled retention purge ran (also when it found nothing). Counts only."""

    conversations: int
    messages: int
    notes: int
    audit_entries: int


@dataclass(frozen=True)
class LettersChanged:
    """A line's letters changed (one came in, was taken, answered or handed on): the
    consoles of the volunteers on that line refresh their list. No text, no ids."""

    line: str


@dataclass(frozen=True)
class AppointmentOffered:
    """A volunteer offers the visitor a next chat at ``at`` (``followup/appointments.py``)."""

    conversation_id: str
    at: float
    alias: str


@dataclass(frozen=True)
class AppointmentAnswered:
    """The visitor accepted (``booked``) or declined the offer; told to the volunteer."""

    conversation_id: str
    operator_id: str
    at: float
    booked: bool


@dataclass(frozen=True)
class AppointmentChanged:
    """A booked appointment was cancelled, moved, kept or missed: the agreed volunteer's
    list of appointments is out of date. No text, no link."""

    operator_id: str
    appointment_id: str
    state: str
    at: float


@dataclass(frozen=True)
class SessionEnded:
    """A login session ended: logged out, or idle longer than the session may be. The
    consoles that connected with it must close, or a socket would outlive its login.

    ``session`` is the stored hash of the session's token (never the token itself);
    ``reason``: ``logout`` or ``expired``.
    """

    session: str
    reason: str


Event = (
    QueueUpdate
    | Assigned
    | MessagePosted
    | TypingChanged
    | VisitorLeft
    | VisitorConnection
    | OperatorConnection
    | Ended
    | Released
    | OperatorStatus
    | HandoverOffered
    | HandoverDeclined
    | HandoverWithdrawn
    | Observed
    | BackupRequested
    | BackupAnswered
    | RiskRaised
    | EmergencyProcedure
    | Broadcast
    | AccountChanged
    | StatsRecorded
    | Purged
    | SessionEnded
    | LettersChanged
    | AppointmentOffered
    | AppointmentAnswered
    | AppointmentChanged
)
Subscriber = Callable[[Event], Awaitable[None]]


@dataclass
class EventBus:
    """In-order, in-process fan-out. A failing subscriber is logged and never breaks the hub."""

    subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    async def publish(self, event: Event) -> None:
        for subscriber in self.subscribers:
            try:
                await subscriber(event)
            except Exception:  # a broken listener must not undo a domain change
                log.exception("event subscriber failed on %s", type(event).__name__)
