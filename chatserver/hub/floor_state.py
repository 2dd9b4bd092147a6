"""The floor as one object: the live state of an evening, changed only by named operations.

Why: today the hub keeps the floor in process dicts under one ``asyncio.Lock`` (see
docs/architecture-floor.md). Several nodes on one Redis cannot share a lock, and a lock with a
TTL does not fence a paused holder. So every operation here is one check-and-commit: it
checks its preconditions and commits in one atomic step, or refuses with
:class:`~chatserver.hub.floor_records.FloorRefused` and changes nothing. A caller that planned
from a snapshot (routing) simply re-plans after a refusal.

Two implementations keep this contract, tested by one suite (``tests/floor/``):
``floor_memory.MemoryFloor`` (plain dicts, the embedded default; atomic because asyncio runs
one coroutine at a time and no operation awaits halfway) and
``chatserver.backends.redis_floor.RedisFloor`` (one Lua script per operation).

Time: operations that depend on time take ``now`` from the hub's clock, so tests with a manual
clock see the same behaviour on both floors. Only the leases run on the floor's own clock
(Redis key expiry, or the clock given to the memory floor): a lease must lapse even while its
holder is paused, which is the point of a lease.

``node`` names one server process. Connections are counted per node, so the connections of a
node that died can be taken off the floor (:meth:`FloorState.reap`) by whichever node leads.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import (
    Arrival,
    BackupCall,
    Claimed,
    Draft,
    HandoverOffer,
    Left,
    LiveConversation,
    Lost,
    Notice,
    Posted,
    Profile,
    Reaped,
    Released,
    Requeued,
    Transfer,
)
from chatserver.hub.model import ConversationState, Message, OperatorState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Waiting


class PostFeed(Protocol):
    """Messages as the floor commits them, on every node, in each conversation's seq order,
    each with its audience."""

    async def next(self) -> Posted | Notice:
        """The next posted message or notice, waiting for it (bound the wait with
        ``asyncio.timeout``)."""
        ...


class FloorState(Protocol):
    # ------------------------------------------------------------------ reads (snapshots)
    async def conversation(self, conversation_id: str) -> LiveConversation | None: ...

    async def conversation_for_token(self, token_hash: str) -> str | None:
        """The open conversation a resume token belongs to."""
        ...

    async def open_conversations(self) -> list[LiveConversation]: ...

    async def visitors_gone(self, since: float) -> list[LiveConversation]:
        """Open conversations whose visitor has had no connection since ``since`` or
        earlier: what the sweep ends when the grace period is over, read every second
        without a snapshot of every open conversation."""
        ...

    async def waiting(self, limit: int | None = None) -> list[Waiting]:
        """Everyone waiting, every line, in the order they are to be helped (the first
        ``limit``): what routing plans over."""
        ...

    async def line_heads(self, count: int) -> list[Waiting]:
        """The first ``count`` of every line, in the order they are to be helped: the places
        told at once after each move, without a read of the whole queue."""
        ...

    async def queue_length(self, line: str) -> int: ...

    async def position(self, conversation_id: str) -> int | None:
        """1 for the first in its line; ``None`` when not waiting."""
        ...

    async def presences(self) -> list[Presence]:
        """Every volunteer on the floor, as copies routing can plan with."""
        ...

    async def presence(self, operator_id: str) -> Presence | None: ...

    async def watchers(self, conversation_id: str) -> dict[str, str]:
        """Who reads along: operator id -> ``backup`` or ``observer``."""
        ...

    async def offers(self) -> list[HandoverOffer]: ...

    async def backup_requests(self) -> list[BackupCall]: ...

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        """The floor's copy of an open conversation's messages after ``after_seq``."""
        ...

    # ------------------------------------------------------------------ visitors and the queue
    async def enqueue(self, arrival: Arrival, node: str, now: float, queue_limit: int) -> Waiting:
        """A visitor joins the back of its line's queue (and the floor: open, by token).

        ``node`` is where the visitor is connected ("" after a restart: nobody yet, and the
        grace period runs from ``now``). Refuses ``in_use`` and ``queue_full``.
        """
        ...

    async def arrive_agreed(
        self, arrival: Arrival, node: str, now: float, pinned: Pinned
    ) -> Claimed | Waiting:
        """A chat agreed by an appointment link: promised, so neither a full queue nor the
        volunteer's capacity refuses it. If ``pinned.operator_id`` is connected and not away
        (paused counts as on duty), it is theirs at once, beyond capacity like a takeover
        (``Claimed``); else the visitor waits at the front of the line with the volunteer's
        note for whoever takes them (``Waiting``). Refuses ``in_use``."""
        ...

    async def restore(
        self,
        arrival: Arrival,
        state: ConversationState,
        held_by: Profile | None,
        answered: bool,
        assigned_at: float | None,
        risk: Risk,
        now: float,
    ) -> LiveConversation:
        """Put a conversation the store kept open back on the floor (start-up after a crash
        or a restart), nobody connected yet: the grace periods run from ``now``. Waiting:
        the back of its line, in the order restored. Active or wrap-up: held by ``held_by``
        (a presence is made for them, disconnected, if they have none), or, with nobody to
        hold it, the front of the queue. Refuses ``in_use``, so that several nodes starting
        at once restore each conversation once."""
        ...

    async def claim(self, conversation_id: str, operator_id: str, now: float) -> Claimed:
        """Commit routing's plan: give this waiting visitor to this volunteer.

        Checked in the same step: the visitor still waits (``not_waiting``); the volunteer is
        connected (``offline``), available (``not_available``), has a free slot counting
        reserved handovers (``full``), is not cooling down (``cooling_down``), serves the
        line and language (``not_serving``), and did not just hand this visitor back while a
        colleague on duty could take them (``avoided``).
        """
        ...

    async def requeue(
        self, conversation_id: str, operator_id: str, now: float, avoid_until: float, note: str
    ) -> Requeued:
        """The holder hands the visitor back: front of the queue, priority kept, not offered
        straight back to the same volunteer until ``avoid_until``. Readers-along stop and a
        backup request lapses. Refuses ``not_holder``, ``not_active``, ``offer_pending``."""
        ...

    async def first_look(self, conversation_id: str) -> bool:
        """Keyword triage looks at a visitor's first message only: ``True`` the first time."""
        ...

    async def move_up(self, conversation_id: str, boost: int) -> Waiting:
        """Raise a waiting visitor's priority (triage). Refuses ``not_waiting``."""
        ...

    async def visitor_connected(self, conversation_id: str, node: str) -> int:
        """One more connection of the visitor (on ``node``); returns how many it has now."""
        ...

    async def visitor_disconnected(self, conversation_id: str, node: str, now: float) -> int:
        """One fewer; at none the grace period starts. Refuses ``offline`` when that node had
        no connection of this visitor left (already reaped)."""
        ...

    async def leave(
        self,
        conversation_id: str,
        now: float,
        gone_before: float | None = None,
        forgotten: bool = False,
    ) -> Left:
        """The visitor is gone. Waiting: out of the queue and off the floor. Active: wrap-up,
        with its open offer voided (outcome ``ended``) and a backup request dropped. Refuses
        ``unknown`` and, in wrap-up already, ``not_active``.

        ``gone_before`` is the sweep's check-and-set: only if the visitor still has no
        connection and has had none since ``gone_before`` (else ``not_due``: they came back
        on some node meanwhile). ``forgotten``: the visitor erased the conversation; from
        this step on nothing more is posted in it (``forgotten``)."""
        ...

    async def raise_risk(self, conversation_id: str, risk: Risk) -> Risk | None:
        """Raise the conversation's risk level, never lower it: the new level, or ``None``
        when it was already as high. Refuses ``unknown``."""
        ...

    async def release(
        self,
        conversation_id: str,
        operator_id: str,
        now: float,
        cooldown_until: float,
        pause: bool,
    ) -> Released:
        """The holder ends the conversation (after the wrap-up): it leaves the floor, the
        slot is free after ``cooldown_until``; ``pause`` for a debrief after a heavy chat.
        An open offer about it ends (``ended``). Refuses ``not_holder``."""
        ...

    async def erase_messages(self, conversation_id: str) -> int:
        """The visitor asked to delete the conversation: the floor's copy of its messages goes
        now; returns how many there were."""
        ...

    # ------------------------------------------------------------------ volunteers
    async def connect(self, profile: Profile, node: str, now: float) -> Presence:
        """A console connects (on ``node``): presence created (paused) or refreshed."""
        ...

    async def disconnect(self, operator_id: str, node: str, now: float) -> Presence:
        """A console goes; at none the grace period starts. Refuses ``offline``."""
        ...

    async def set_state(self, operator_id: str, state: OperatorState, now: float) -> Presence:
        """Available, paused or away. Refuses ``offline``."""
        ...

    async def lose_volunteer(self, operator_id: str, now: float, gone_before: float) -> Lost:
        """The sweep's check-and-set for a volunteer past the grace period: only if they
        still have no connection and have had none since ``gone_before`` (else ``not_due``).
        Their active chats go to the front of the queue (readers-along stop, backup requests
        lapse), unfinished wrap-ups leave the floor, offers to them (``unavailable``) and from
        them (``ended``) are void, they stop reading along anywhere, and their presence goes.
        Refuses ``unknown`` when there is no presence."""
        ...

    # ------------------------------------------------------------------ handover
    async def offer(
        self,
        conversation_id: str,
        sender: str,
        receiver: str,
        note: str,
        expires_at: float,
    ) -> HandoverOffer:
        """Offer an active conversation to a colleague, reserving a slot of theirs.

        Refuses ``not_holder``, ``not_active``, ``offer_pending``, ``self``, and for the
        receiver ``offline``, ``not_available``, ``full``, ``not_serving``.
        """
        ...

    async def accept(self, conversation_id: str, receiver: str, now: float) -> Transfer:
        """The offer's one outcome ``accepted``: the conversation is the receiver's now."""
        ...

    async def decline(self, conversation_id: str, receiver: str) -> HandoverOffer:
        """The offer's one outcome ``declined``; the sender keeps the conversation."""
        ...

    async def expire_offer(self, conversation_id: str, now: float) -> HandoverOffer:
        """The sweep's check-and-set: the offer's one outcome ``timeout`` if it is due.
        Refuses ``no_offer`` (answered meanwhile) and ``not_due``."""
        ...

    async def take_over(self, conversation_id: str, operator_id: str, now: float) -> Transfer:
        """A reader-along or a supervisor becomes the holder at once, beyond capacity if need
        be; an open offer's one outcome is ``takeover``. Refuses ``unknown``, ``offline``,
        ``not_allowed``, ``not_active``."""
        ...

    # ------------------------------------------------------------------ backup and reading along
    async def request_backup(
        self, conversation_id: str, operator_id: str, reason: str, now: float
    ) -> BackupCall:
        """The holder asks for achterwacht. Refuses ``not_holder``."""
        ...

    async def watch(self, conversation_id: str, operator_id: str, kind: str) -> BackupCall | None:
        """Read along as ``backup`` (answering the request, which is returned and closed) or
        ``observer`` (supervisors). The first backup wins: a second hears ``backup_taken``.
        Refuses ``unknown``, ``offline``, ``not_allowed``, ``not_active``, ``not_asked``."""
        ...

    async def unwatch(self, conversation_id: str, operator_id: str) -> str:
        """Stop reading along; returns the kind. Refuses ``not_watching``."""
        ...

    async def escalate_backup(self, conversation_id: str, due_before: float) -> BackupCall:
        """The sweep's check-and-set: a request made at or before ``due_before`` and not yet
        escalated goes to supervisors. Refuses ``not_asked`` and ``not_due``."""
        ...

    # ------------------------------------------------------------------ messages
    async def post(
        self, conversation_id: str, draft: Draft, client_id: str | None = None
    ) -> Posted:
        """Give the message the conversation's next sequence number, keep it and publish it
        to every node's feed, in one step: unique, increasing, and delivered in that order.

        With ``client_id`` a message sent again (after a lost acknowledgement) is kept once:
        the first copy comes back with ``duplicate``. Who may post: visitors while waiting or
        active (``not_active``); the holder's own messages while active (``not_holder``,
        ``not_active``); notes by the holder; whispers by the holder or a reader-along
        (``not_allowed``); system messages always. Refuses ``unknown``.
        """
        ...

    def feed(self) -> AbstractAsyncContextManager[PostFeed]:
        """Subscribe to posted messages; subscribed once the context is entered."""
        ...

    async def notify(self, notice: Notice) -> None:
        """Tell every node's feed (this one's too) of ``notice``; nothing is kept."""
        ...

    # ------------------------------------------------------------------ nodes and leases
    async def join(self, node: str, ttl: float) -> bool:
        """Take this node's heartbeat lease; ``False`` if a live node has that name."""
        ...

    async def heartbeat(self, node: str, ttl: float) -> bool:
        """Extend this node's lease; ``False`` when it lapsed: the node must then drop its
        sockets and write nothing more (others may already have reaped it)."""
        ...

    async def lead(self, node: str, ttl: float) -> bool:
        """Take or extend the leader lease (sweep work); ``False`` while another holds it."""
        ...

    async def resign(self, node: str) -> None:
        """Give the leader lease up, if this node holds it."""
        ...

    async def dead_nodes(self) -> list[str]:
        """Nodes that joined and whose lease lapsed without being reaped."""
        ...

    async def reap(self, node: str, now: float) -> Reaped:
        """Take a dead node's connections off the floor; whoever lost their last connection
        starts the ordinary grace period now. Refuses ``node_alive`` while its lease runs."""
        ...
