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

from chatserver.hub.model import Conversation, Message
from chatserver.settings import Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueUpdate:
    """A waiting visitor's place in line changed (or they just entered it)."""

    conversation_id: str
    lang: str
    position: int
    estimated_wait_seconds: int | None
    alternatives: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Assigned:
    """A volunteer holds the conversation now (also re-sent when a volunteer reconnects)."""

    conversation: Conversation
    operator_id: str
    alias: str
    messages: tuple[Message, ...]
    handover_note: str | None = None
    to_visitor: bool = True


@dataclass(frozen=True)
class MessagePosted:
    message: Message
    to_visitor: bool
    operators: tuple[str, ...]


@dataclass(frozen=True)
class TypingChanged:
    conversation_id: str
    active: bool
    to_visitor: bool
    operators: tuple[str, ...] = ()


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
