"""The floor in Redis: every node of the distributed mode sees and changes the same floor.

Each operation is one Lua script (``floor_lua/<operation>.lua``) that checks its
preconditions and commits in one step. Redis runs scripts one at a time, so that is the whole
concurrency story: no MULTI/WATCH (bursts turn into retry storms), no lock with a TTL (it does
not fence a paused holder); the script's own checks are the fence, and a stale plan is
refused. Reads are scripts too, so a snapshot is consistent across its keys.

Every key starts with the configured prefix, so several floors can share one Redis in tests
and a prefix with a hash tag (``chat:{floor}:``) keeps all keys in one cluster slot. The
scripts compute keys from the prefix rather than declaring them: the floor needs one Redis
instance (or that one slot), which is what docs/deployment.md will ask for anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.resources import files
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from chatserver.backends import redis_client
from chatserver.backends import redis_floor_codec as codec
from chatserver.errors import NodeLapsed
from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import (
    Arrival,
    BackupCall,
    Claimed,
    Draft,
    FloorRefused,
    HandoverOffer,
    Left,
    LiveConversation,
    Lost,
    Notice,
    Posted,
    Profile,
    Reaped,
    Refusal,
    Released,
    Requeued,
    Transfer,
    message_of,
)
from chatserver.hub.floor_state import FloorState, PostFeed
from chatserver.hub.model import ConversationState, Message, OperatorState, Risk
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Waiting

LUA = files("chatserver.backends") / "floor_lua"
LAPSED = "lapsed"  # the scripts' refusal of a lapsed node's connection (``lapsed`` in _prelude)


def _script_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".lua")
        for entry in LUA.iterdir()
        if entry.name.endswith(".lua") and not entry.name.startswith("_")
    )


def _source(name: str) -> str:
    return (LUA / "_prelude.lua").read_text() + (LUA / f"{name}.lua").read_text()


class SubscriptionLost(RedisConnectionError):
    """The floor's channel was subscribed again after its connection dropped: what was
    published in between is gone for this node (realtime/relay.py repairs)."""


class RedisPostFeed:
    """Posted messages from the floor's channel. Pub/sub is at-most-once: a node that lost
    its subscription must have its clients resume from their last seq (the floor keeps the
    messages for that).

    redis-py reconnects a dropped subscription by itself, silently; the only trace is a
    second ``subscribe`` confirmation. So the feed raises :class:`SubscriptionLost` on it,
    rather than carry on as if nothing had been missed."""

    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def next(self) -> Posted | Notice:
        while True:
            event = await self._pubsub.get_message(timeout=None)
            if event is None:
                continue
            if event["type"] == "subscribe":
                raise SubscriptionLost("the floor's channel was subscribed again")
            if event["type"] == "message":
                if event["data"].startswith(codec.NOTICE):
                    return codec.notice(event["data"])
                audience, record = event["data"].split("\n", 1)
                return codec.posted(record, audience)


class RedisFloor:
    """One node's handle on the shared floor.

    The connection pool blocks when all ``max_connections`` are busy: a burst of operations
    waits its turn instead of failing ("Too many connections"), and one node can never
    exhaust Redis's clients.
    """

    def __init__(
        self,
        url: str,
        prefix: str = "chat:",
        max_connections: int = 32,
        socket_timeout: float = redis_client.COMMAND_TIMEOUT,
    ) -> None:
        # Redis unreachable or too slow: RedisUnavailable, answered ``unavailable``
        self._pool = redis_client.pool(url, max_connections, socket_timeout)
        self._redis = redis_client.GuardedRedis(connection_pool=self._pool)
        self._prefix = prefix
        self._scripts = {
            name: self._redis.register_script(_source(name)) for name in _script_names()
        }

    async def close(self) -> None:
        await self._redis.aclose()
        await self._pool.aclose()

    async def _run(self, name: str, *args: str | int | float) -> list[Any]:
        """Run one operation's script; its first answer is ``ok``, ``dup`` or ``refused``.
        A connection of a node whose lease lapsed is no plan to make again but this node's
        end of serving: :class:`NodeLapsed`, answered ``unavailable``."""
        reply: list[Any] = await self._scripts[name](keys=[], args=[self._prefix, *args])
        if reply[0] == "refused":
            if reply[1] == LAPSED:
                raise NodeLapsed()
            raise FloorRefused(Refusal(reply[1]))
        return reply

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    # ------------------------------------------------------------------ reads
    async def conversation(self, conversation_id: str) -> LiveConversation | None:
        rows = (await self._run("read_conversations", conversation_id))[1]
        return codec.conversation(rows[0])

    async def conversation_for_token(self, token_hash: str) -> str | None:
        found = await self._redis.hget(self._key("tokens"), token_hash)
        return str(found) if found is not None else None

    async def open_conversations(self) -> list[LiveConversation]:
        rows = (await self._run("read_conversations", ""))[1]
        return [c for c in map(codec.conversation, rows) if c is not None]

    async def visitors_gone(self, since: float) -> list[LiveConversation]:
        """Read whole and filtered here: a sorted set of gone times would make this cost
        what is gone, not what is open (not yet needed: the leader alone reads it)."""
        return [
            c
            for c in await self.open_conversations()
            if c.visitor_gone_since is not None
            and c.visitor_gone_since <= since
            and not c.visitor_connections
        ]

    async def waiting(self, limit: int | None = None) -> list[Waiting]:
        entries = await self._heads(-1 if limit is None else limit - 1)
        return entries if limit is None else entries[:limit]

    async def line_heads(self, count: int) -> list[Waiting]:
        return await self._heads(count - 1) if count > 0 else []

    async def _heads(self, last: int) -> list[Waiting]:
        """Every line's entries up to index ``last`` (-1: all), merged in helping order."""
        rows = (await self._run("read_waiting", last))[1]
        return sorted(map(codec.waiting, rows), key=lambda e: e.key)

    async def queue_length(self, line: str) -> int:
        length: int = await self._redis.zcard(self._key("q", line))
        return length

    async def position(self, conversation_id: str) -> int | None:
        found = (await self._run("read_position", conversation_id))[1]
        return int(found) if found else None

    async def presences(self) -> list[Presence]:
        rows = (await self._run("read_presences", ""))[1]
        return [p for p in map(codec.presence, rows) if p is not None]

    async def presence(self, operator_id: str) -> Presence | None:
        rows = (await self._run("read_presences", operator_id))[1]
        return codec.presence(rows[0])

    async def watchers(self, conversation_id: str) -> dict[str, str]:
        found = await self._redis.hgetall(self._key("w", conversation_id))
        return {str(operator): str(kind) for operator, kind in found.items()}

    async def offers(self) -> list[HandoverOffer]:
        rows = (await self._run("read_teamwork"))[1]
        return [o for row in rows if (o := codec.offer(row[0], row[1:])) is not None]

    async def backup_requests(self) -> list[BackupCall]:
        rows = (await self._run("read_teamwork"))[2]
        return [b for row in rows if (b := codec.backup_call(row[0], row[1:])) is not None]

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        key = self._key("m", conversation_id)
        records = await self._redis.zrangebyscore(key, f"({after_seq}", "+inf")
        return [codec.message(str(record)) for record in records]

    # ------------------------------------------------------------------ visitors and the queue
    @staticmethod
    def _arrival(arrival: Arrival) -> tuple[str | int, ...]:
        """An arrival as the scripts' ``put_on_floor`` reads it (ARGV[2..10])."""
        return (
            arrival.conversation_id,
            arrival.line,
            arrival.lang,
            arrival.token_hash,
            arrival.priority,
            arrival.last_seq,
            repr(arrival.created_at),
            codec.compact(arrival.intake),
            arrival.shared_connection,
        )

    async def enqueue(self, arrival: Arrival, node: str, now: float, queue_limit: int) -> Waiting:
        reply = await self._run("enqueue", *self._arrival(arrival), node, repr(now), queue_limit)
        return codec.waiting(reply[1])

    async def arrive_agreed(
        self, arrival: Arrival, node: str, now: float, pinned: Pinned
    ) -> Claimed | Waiting:
        has_note = bool(pinned.note.strip())
        reply = await self._run(
            "arrive_agreed",
            *self._arrival(arrival),
            node,
            repr(now),
            codec.pinned_json(pinned),
            pinned.operator_id,
            "1" if has_note else "0",
            pinned.note,
        )
        if reply[1] == "waiting":
            return codec.waiting(reply[2])
        return Claimed(arrival.conversation_id, pinned.operator_id, True, None, int(reply[2]))

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
        holder: tuple[str | int, ...] = ("",)
        if held_by is not None:
            holder = (
                held_by.id,
                held_by.alias,
                held_by.role,
                codec.joined(held_by.lines),
                codec.joined(held_by.languages),
                held_by.capacity,
                "1" if held_by.backup else "0",
            )
        reply = await self._run(
            "restore",
            *self._arrival(arrival),
            repr(now),
            state.value,
            "1" if answered else "0",
            "" if assigned_at is None else repr(assigned_at),
            risk.value,
            *holder,
        )
        restored = codec.conversation(reply[1])
        if restored is None:  # cannot happen: the script just wrote it
            raise FloorRefused(Refusal.UNKNOWN)
        return restored

    async def claim(self, conversation_id: str, operator_id: str, now: float) -> Claimed:
        _, first, has_note, note, load = await self._run(
            "claim", conversation_id, operator_id, repr(now)
        )
        return Claimed(
            conversation_id, operator_id, first == "1", note if has_note == "1" else None, int(load)
        )

    async def requeue(
        self, conversation_id: str, operator_id: str, now: float, avoid_until: float, note: str
    ) -> Requeued:
        _, rank, watchers = await self._run(
            "requeue", conversation_id, operator_id, repr(now), repr(avoid_until), note
        )
        return Requeued(conversation_id, operator_id, int(rank), codec.pairs(watchers))

    async def first_look(self, conversation_id: str) -> bool:
        return bool((await self._run("first_look", conversation_id))[1] == "1")

    async def move_up(self, conversation_id: str, boost: int) -> Waiting:
        return codec.waiting((await self._run("move_up", conversation_id, boost))[1])

    async def visitor_connected(self, conversation_id: str, node: str) -> int:
        return int((await self._run("visitor_connected", conversation_id, node))[1])

    async def visitor_disconnected(self, conversation_id: str, node: str, now: float) -> int:
        reply = await self._run("visitor_disconnected", conversation_id, node, repr(now))
        return int(reply[1])

    async def leave(
        self,
        conversation_id: str,
        now: float,
        gone_before: float | None = None,
        forgotten: bool = False,
    ) -> Left:
        _, was, operator_id, offer = await self._run(
            "leave",
            conversation_id,
            repr(now),
            "" if gone_before is None else repr(gone_before),
            "1" if forgotten else "0",
        )
        return Left(
            conversation_id,
            ConversationState(was),
            operator_id or None,
            codec.offer(conversation_id, offer),
        )

    async def raise_risk(self, conversation_id: str, risk: Risk) -> Risk | None:
        raised = (await self._run("raise_risk", conversation_id, risk.value))[1]
        return Risk(raised) if raised else None

    async def release(
        self,
        conversation_id: str,
        operator_id: str,
        now: float,
        cooldown_until: float,
        pause: bool,
    ) -> Released:
        _, offer, watchers = await self._run(
            "release",
            conversation_id,
            operator_id,
            repr(now),
            repr(cooldown_until),
            "1" if pause else "0",
        )
        return Released(
            conversation_id,
            operator_id,
            codec.pairs(watchers),
            codec.offer(conversation_id, offer),
        )

    async def erase_messages(self, conversation_id: str) -> int:
        return int((await self._run("erase_messages", conversation_id))[1])

    # ------------------------------------------------------------------ volunteers
    @staticmethod
    def _presence_of(reply: list[Any]) -> Presence:
        found = codec.presence(reply[1])
        if found is None:  # cannot happen: the script just wrote it
            raise FloorRefused(Refusal.OFFLINE)
        return found

    async def connect(self, profile: Profile, node: str, now: float) -> Presence:
        reply = await self._run(
            "connect",
            profile.id,
            node,
            repr(now),
            profile.alias,
            profile.role,
            codec.joined(profile.lines),
            codec.joined(profile.languages),
            profile.capacity,
            "1" if profile.backup else "0",
        )
        return self._presence_of(reply)

    async def disconnect(self, operator_id: str, node: str, now: float) -> Presence:
        return self._presence_of(await self._run("disconnect", operator_id, node, repr(now)))

    async def set_state(self, operator_id: str, state: OperatorState, now: float) -> Presence:
        return self._presence_of(await self._run("set_state", operator_id, state.value, repr(now)))

    async def lose_volunteer(self, operator_id: str, now: float, gone_before: float) -> Lost:
        _, requeued, closed, voided, unwatched = await self._run(
            "lose_volunteer", operator_id, repr(now), repr(gone_before)
        )
        offers = [codec.offer(row[0], row[1:]) for row in voided]
        return Lost(
            operator_id,
            tuple(
                Requeued(cid, operator_id, int(rank), codec.pairs(watchers))
                for cid, rank, watchers in requeued
            ),
            tuple(closed),
            tuple(sorted((o for o in offers if o), key=lambda o: o.conversation_id)),
            tuple(sorted(unwatched)),
        )

    # ------------------------------------------------------------------ handover
    async def offer(
        self,
        conversation_id: str,
        sender: str,
        receiver: str,
        note: str,
        expires_at: float,
    ) -> HandoverOffer:
        await self._run("offer", conversation_id, sender, receiver, note, repr(expires_at))
        return HandoverOffer(conversation_id, sender, receiver, note, expires_at)

    async def accept(self, conversation_id: str, receiver: str, now: float) -> Transfer:
        _, previous, note = await self._run("accept", conversation_id, receiver, repr(now))
        return Transfer(conversation_id, previous or None, receiver, note)

    async def _voided(self, name: str, conversation_id: str, *args: str) -> HandoverOffer:
        offer = codec.offer(conversation_id, (await self._run(name, conversation_id, *args))[1])
        if offer is None:  # cannot happen: the script refuses when there is none
            raise FloorRefused(Refusal.NO_OFFER)
        return offer

    async def decline(self, conversation_id: str, receiver: str) -> HandoverOffer:
        return await self._voided("decline", conversation_id, receiver)

    async def expire_offer(self, conversation_id: str, now: float) -> HandoverOffer:
        return await self._voided("expire_offer", conversation_id, repr(now))

    async def take_over(self, conversation_id: str, operator_id: str, now: float) -> Transfer:
        _, previous, offer = await self._run("take_over", conversation_id, operator_id, repr(now))
        voided = codec.offer(conversation_id, offer)
        return Transfer(conversation_id, previous or None, operator_id, None, voided)

    # ------------------------------------------------------------------ backup and reading along
    async def request_backup(
        self, conversation_id: str, operator_id: str, reason: str, now: float
    ) -> BackupCall:
        await self._run("request_backup", conversation_id, operator_id, reason, repr(now))
        return BackupCall(conversation_id, operator_id, reason, now)

    async def watch(self, conversation_id: str, operator_id: str, kind: str) -> BackupCall | None:
        reply = await self._run("watch", conversation_id, operator_id, kind)
        return codec.backup_call(conversation_id, reply[1])

    async def unwatch(self, conversation_id: str, operator_id: str) -> str:
        kind: str = (await self._run("unwatch", conversation_id, operator_id))[1]
        return kind

    async def escalate_backup(self, conversation_id: str, due_before: float) -> BackupCall:
        reply = await self._run("escalate_backup", conversation_id, repr(due_before))
        call = codec.backup_call(conversation_id, reply[1])
        if call is None:  # cannot happen: the script refuses when there is none
            raise FloorRefused(Refusal.NOT_ASKED)
        return call

    # ------------------------------------------------------------------ messages
    async def post(
        self, conversation_id: str, draft: Draft, client_id: str | None = None
    ) -> Posted:
        reply = await self._run(
            "post",
            conversation_id,
            draft.role.value,
            draft.author or "",
            codec.record_tail(conversation_id, draft),
            client_id or "",
            "1" if draft.to_visitor else "0",
            codec.AUDIENCE_NOW if draft.operators is None else codec.SEP.join(draft.operators),
            draft.holder or "",
        )
        status, seq, record = reply[0], reply[1], reply[2]
        if status == "dup" and not record:  # the first copy was erased meanwhile
            return Posted(message_of(conversation_id, int(seq), draft), duplicate=True)
        if status == "dup":
            return Posted(codec.message(record), duplicate=True)
        return codec.posted(record, f"{reply[3]}{codec.SEP}{reply[4]}")

    @asynccontextmanager
    async def _subscribed(self) -> AsyncIterator[PostFeed]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._key("posts"))
        try:
            # the confirmation: from here on nothing published is missed by this feed
            while (await pubsub.get_message(timeout=None) or {}).get("type") != "subscribe":
                pass
            yield RedisPostFeed(pubsub)
        finally:
            # typed through a variable: redis-py annotates aclose from 8.2 on, not before
            close: Callable[[], Awaitable[None]] = pubsub.aclose
            await close()

    def feed(self) -> AbstractAsyncContextManager[PostFeed]:
        return self._subscribed()

    async def notify(self, notice: Notice) -> None:
        """On the posts channel, so that one subscription per node hears both; a notice
        starts with a character no post's envelope starts with."""
        await self._redis.publish(self._key("posts"), codec.notice_text(notice))

    # ------------------------------------------------------------------ nodes and leases
    async def join(self, node: str, ttl: float) -> bool:
        return bool((await self._run("join", node, int(ttl * 1000)))[1] == "1")

    async def heartbeat(self, node: str, ttl: float) -> bool:
        return bool((await self._run("heartbeat", node, int(ttl * 1000)))[1] == "1")

    async def lead(self, node: str, ttl: float) -> bool:
        return bool((await self._run("lead", node, int(ttl * 1000)))[1] == "1")

    async def resign(self, node: str) -> None:
        await self._run("resign", node)

    async def dead_nodes(self) -> list[str]:
        return sorted((await self._run("dead_nodes"))[1])

    async def reap(self, node: str, now: float) -> Reaped:
        _, operators, visitors = await self._run("reap", node, repr(now))
        return Reaped(node, tuple(sorted(operators)), tuple(sorted(visitors)))


def _conforms(url: str) -> FloorState:
    """Let mypy hold the Redis floor to the protocol."""
    return RedisFloor(url)
