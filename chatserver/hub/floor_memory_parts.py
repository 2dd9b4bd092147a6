"""The in-memory floor's parts: an open conversation's record, the feed of posted messages,
the leases, and the state with its reads and checks that the operations share.

Leases in one process look like ceremony, but they keep the embedded server on the same code
path as the distributed one: the sweep asks for the leader lease either way, and the tests of
the contract run the same on both floors.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

from chatserver.clock import Clock
from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import (
    Arrival,
    BackupCall,
    FloorRefused,
    HandoverOffer,
    LiveConversation,
    Notice,
    Posted,
    Refusal,
)
from chatserver.hub.model import ConversationState, Message, OperatorState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import LineQueue, Waiting


@dataclass
class OpenConversation:
    """The memory floor's own record of an open conversation (mutable, never handed out)."""

    id: str
    line: str
    lang: str
    token_hash: str
    priority: int
    last_seq: int
    state: ConversationState = ConversationState.WAITING
    operator_id: str | None = None
    answered: bool = False
    links: dict[str, int] = field(default_factory=dict)  # node -> the visitor's connections
    gone_since: float | None = None
    note: str | None = None  # a hand-back's note for whoever takes the visitor next
    triaged: bool = False
    created_at: float = 0.0
    intake: dict[str, str] = field(default_factory=dict)
    shared_connection: int = 0
    risk: Risk = Risk.NONE
    assigned_at: float | None = None
    pinned: Pinned | None = None
    forgotten: bool = False
    log: list[Message] = field(default_factory=list)
    client_ids: dict[str, int] = field(default_factory=dict)  # client message id -> seq

    @classmethod
    def of(cls, arrival: Arrival) -> OpenConversation:
        return cls(
            arrival.conversation_id,
            arrival.line,
            arrival.lang,
            arrival.token_hash,
            arrival.priority,
            arrival.last_seq,
            created_at=arrival.created_at,
            intake=dict(arrival.intake),
            shared_connection=arrival.shared_connection,
        )

    @property
    def connections(self) -> int:
        return sum(self.links.values())

    def live(self) -> LiveConversation:
        return LiveConversation(
            self.id,
            self.line,
            self.lang,
            self.state,
            self.operator_id,
            self.priority,
            self.token_hash,
            self.last_seq,
            self.answered,
            self.connections,
            self.gone_since,
            self.created_at,
            dict(self.intake),
            self.shared_connection,
            self.risk,
            self.assigned_at,
            self.pinned,
            self.forgotten,
        )


class MemoryPostFeed:
    """One subscriber's queue of posted messages."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Posted | Notice] = asyncio.Queue()

    async def next(self) -> Posted | Notice:
        return await self.queue.get()


class MemoryFeeds:
    """Fan-out of posted messages to every subscriber, in post order (which is seq order)."""

    def __init__(self) -> None:
        self._subscribers: list[MemoryPostFeed] = []

    def publish(self, posted: Posted | Notice) -> None:
        for subscriber in self._subscribers:
            subscriber.queue.put_nowait(posted)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[MemoryPostFeed]:
        feed = MemoryPostFeed()
        self._subscribers.append(feed)
        try:
            yield feed
        finally:
            self._subscribers.remove(feed)


class MemoryLeases:
    """Node heartbeats and the leader lease, expiring by the clock the floor was given."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._leases: dict[str, tuple[str, float]] = {}  # lease name -> (holder, expires at)
        self._nodes: set[str] = set()  # joined and not yet reaped

    def _holder(self, name: str) -> str | None:
        lease = self._leases.get(name)
        if lease is None or lease[1] <= self._clock.now():
            return None
        return lease[0]

    def _grant(self, name: str, holder: str, ttl: float) -> None:
        self._leases[name] = (holder, self._clock.now() + ttl)

    async def join(self, node: str, ttl: float) -> bool:
        if self._holder(f"node:{node}") is not None:
            return False
        self._grant(f"node:{node}", node, ttl)
        self._nodes.add(node)
        return True

    async def heartbeat(self, node: str, ttl: float) -> bool:
        if self._holder(f"node:{node}") is None:
            return False
        self._grant(f"node:{node}", node, ttl)
        return True

    async def lead(self, node: str, ttl: float) -> bool:
        if self._holder("leader") not in (None, node):
            return False
        self._grant("leader", node, ttl)
        return True

    async def resign(self, node: str) -> None:
        if self._holder("leader") == node:
            del self._leases["leader"]

    async def dead_nodes(self) -> list[str]:
        return sorted(n for n in self._nodes if self._holder(f"node:{n}") is None)

    def _check_dead(self, node: str) -> None:
        if self._holder(f"node:{node}") is not None:
            raise FloorRefused(Refusal.NODE_ALIVE)

    def _forget_node(self, node: str) -> None:
        self._nodes.discard(node)
        self._leases.pop(f"node:{node}", None)


def copy_presence(presence: Presence) -> Presence:
    return replace(
        presence,
        held=set(presence.held),
        reserved=set(presence.reserved),
        taken_over=set(presence.taken_over),
    )


class MemoryFloorData(MemoryLeases):
    """The memory floor's state, its snapshots (copies) and the checks operations share."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._queues: defaultdict[str, LineQueue] = defaultdict(LineQueue)
        self._open: dict[str, OpenConversation] = {}
        self._by_token: dict[str, str] = {}
        self._presences: dict[str, Presence] = {}
        self._links: dict[str, dict[str, int]] = {}  # operator id -> node -> connections
        self._offers: dict[str, HandoverOffer] = {}
        self._backups: dict[str, BackupCall] = {}
        self._watchers: dict[str, dict[str, str]] = {}
        self._next_rank = 0
        self._front_rank = 0
        self._feeds = MemoryFeeds()

    # ------------------------------------------------------------------ reads
    async def conversation(self, conversation_id: str) -> LiveConversation | None:
        found = self._open.get(conversation_id)
        return found.live() if found else None

    async def conversation_for_token(self, token_hash: str) -> str | None:
        return self._by_token.get(token_hash)

    async def open_conversations(self) -> list[LiveConversation]:
        return [c.live() for c in self._open.values()]

    async def visitors_gone(self, since: float) -> list[LiveConversation]:
        return [
            c.live()
            for c in self._open.values()
            if c.gone_since is not None and c.gone_since <= since and not c.connections
        ]

    async def waiting(self, limit: int | None = None) -> list[Waiting]:
        merged = heapq.merge(*self._queues.values(), key=lambda e: e.key)
        return list(merged if limit is None else itertools.islice(merged, limit))

    async def line_heads(self, count: int) -> list[Waiting]:
        heads = (itertools.islice(queue, count) for queue in self._queues.values())
        return list(heapq.merge(*heads, key=lambda e: e.key))

    async def queue_length(self, line: str) -> int:
        return len(self._queues[line])

    async def position(self, conversation_id: str) -> int | None:
        found = self._open.get(conversation_id)
        return self._queues[found.line].position(conversation_id) if found else None

    async def presences(self) -> list[Presence]:
        return [copy_presence(p) for p in self._presences.values()]

    async def presence(self, operator_id: str) -> Presence | None:
        found = self._presences.get(operator_id)
        return copy_presence(found) if found else None

    async def watchers(self, conversation_id: str) -> dict[str, str]:
        return dict(self._watchers.get(conversation_id, {}))

    async def offers(self) -> list[HandoverOffer]:
        return list(self._offers.values())

    async def backup_requests(self) -> list[BackupCall]:
        return list(self._backups.values())

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        found = self._open.get(conversation_id)
        return [m for m in found.log if m.seq > after_seq] if found else []

    # ------------------------------------------------------------------ checks
    def _conversation(self, conversation_id: str) -> OpenConversation:
        found = self._open.get(conversation_id)
        if found is None:
            raise FloorRefused(Refusal.UNKNOWN)
        return found

    def _held_by(self, conversation_id: str, operator_id: str) -> OpenConversation:
        found = self._open.get(conversation_id)
        if found is None or found.operator_id != operator_id:
            raise FloorRefused(Refusal.NOT_HOLDER)
        return found

    def _online(self, operator_id: str) -> Presence:
        presence = self._presences.get(operator_id)
        if presence is None or presence.connections == 0:
            raise FloorRefused(Refusal.OFFLINE)
        return presence

    @staticmethod
    def _has_room(presence: Presence, line: str, lang: str, now: float | None) -> None:
        """The receiving volunteer's side of a claim or an offer, each refusal by name."""
        if presence.state is not OperatorState.AVAILABLE:
            raise FloorRefused(Refusal.NOT_AVAILABLE)
        if presence.load + len(presence.reserved) >= presence.account.capacity:
            raise FloorRefused(Refusal.FULL)
        if now is not None and presence.cooldown_until > now:
            raise FloorRefused(Refusal.COOLING_DOWN)
        if not presence.account.serves(line, lang):
            raise FloorRefused(Refusal.NOT_SERVING)

    def _void_offer(self, conversation_id: str) -> HandoverOffer | None:
        offer = self._offers.pop(conversation_id, None)
        receiver = self._presences.get(offer.receiver) if offer else None
        if receiver is not None:
            receiver.reserved.discard(conversation_id)
        return offer
