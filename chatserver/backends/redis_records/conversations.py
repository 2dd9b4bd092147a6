"""Conversations, their messages and wrap-ups, safeguarding holds and the audit log in the
Redis store (a mixin of :class:`~chatserver.backends.redis_records.store.RedisStore`).

Erasing removes the text from Redis's memory at once and schedules the append-only rewrite
that removes it from the disk (``core.RecordsBase._schedule_scrub``). "Delete my
conversation" also leaves ``erased:{id}`` (no text), which refuses any message that arrives
after the erase: several nodes write here, and one node's conversation lock cannot order
another node's message that was numbered just before the erase.
"""

from __future__ import annotations

import json

from chatserver.backends.base import AuditEntry, ConversationErased, Hold
from chatserver.backends.redis_records.codec import decode, decode_json, encode, encode_json, flat
from chatserver.backends.redis_records.core import RecordsBase
from chatserver.hub.model import Conversation, ConversationState, Message, Role, Wrapup

ROLES = tuple(role.value for role in Role)


class ConversationRecords(RecordsBase):
    # conversations --------------------------------------------------------------------
    async def save_conversation(self, conversation: Conversation) -> None:
        """The record and its indexes in one MULTI/EXEC: open or ended, by token, and the
        answered chats with a duration (the wait estimate)."""
        c = conversation
        cid = c.id
        ended = c.state == ConversationState.ENDED
        timed = c.answered and c.assigned_at is not None and c.ended_at is not None
        pipe = self._multi()
        pipe.delete(self._key("conv", cid))
        pipe.hset(self._key("conv", cid), mapping=encode(c))
        pipe.hset(self._key("tokens"), c.token_hash, cid)
        if ended:
            pipe.zrem(self._key("open"), cid)
        else:
            pipe.zadd(self._key("open"), {cid: c.created_at})
        if ended and c.ended_at is not None:
            pipe.zadd(self._key("ended"), {cid: c.ended_at})
        else:
            pipe.zrem(self._key("ended"), cid)
        if ended and timed and c.ended_at is not None:
            pipe.zadd(self._key("done", c.line), {cid: c.ended_at})
        else:
            pipe.zrem(self._key("done", c.line), cid)
        await self._commit(pipe.execute())

    async def conversation(self, conversation_id: str) -> Conversation | None:
        return decode(Conversation, await self._client.hgetall(self._key("conv", conversation_id)))

    async def _conversations(self, ids: list[str]) -> list[Conversation]:
        found = await self._hashes([self._key("conv", cid) for cid in ids])
        return [c for c in (decode(Conversation, f) for f in found) if c is not None]

    async def conversation_by_token(self, token_hash: str) -> Conversation | None:
        cid = await self._client.hget(self._key("tokens"), token_hash)
        found = await self.conversation(str(cid)) if cid is not None else None
        return found if found is not None and found.token_hash == token_hash else None

    async def open_conversations(self) -> list[Conversation]:
        ids = [str(i) for i in await self._client.zrange(self._key("open"), 0, -1)]
        found = await self._conversations(ids)
        pipe = self._client.pipeline(transaction=False)
        for conversation in found:
            pipe.hkeys(self._key("msg", conversation.id))
        for conversation, seqs in zip(found, await pipe.execute(), strict=True):
            conversation.last_seq = max([conversation.last_seq, *(int(s) for s in seqs)])
        return found

    async def ended_conversations(
        self, before: float, line: str | None = None, with_roles: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        """With ``with_roles``, only the conversations still holding such text are looked at
        (the ``holding`` sets, bounded by the retention terms), not every chat ever held."""
        if with_roles is not None:
            if not with_roles:
                return []
            holding = await self._client.sunion([self._key("holding", r) for r in with_roles])
            ids = sorted(str(cid) for cid in holding)
            scores = await self._client.zmscore(self._key("ended"), ids) if ids else []
            ids = [
                cid for cid, at in zip(ids, scores, strict=True) if at is not None and at < before
            ]
        else:
            ids = [
                str(i)
                for i in await self._client.zrangebyscore(
                    self._key("ended"), "-inf", f"({before!r}"
                )
            ]
        found = [
            c
            for c in await self._conversations(ids)
            if c.state == ConversationState.ENDED and (line is None or c.line == line)
        ]
        return sorted(found, key=lambda c: (c.ended_at or 0.0, c.id))

    # messages ---------------------------------------------------------------------------
    async def append_message(self, message: Message) -> None:
        """Durable when this returns; ``ValueError`` if the seq is taken or the chat unknown,
        ``ConversationErased`` if its messages were erased (the mark ``erase_messages`` left,
        checked in the same script as the write)."""
        m = message
        found = await self._write(
            "APPEND_MESSAGE",
            [
                self._key("conv", m.conversation_id),
                self._key("erased", m.conversation_id),
                self._key("msg", m.conversation_id),
                self._key("holding", m.role.value),
            ],
            [str(m.seq), encode_json(m), m.conversation_id],
        )
        if found == "erased":
            raise ConversationErased(f"Message {m.id} is not kept: its conversation was erased.")
        if found != "ok":
            raise ValueError(f"Message {m.id} cannot be stored: {found}")

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        stored = await self._client.hgetall(self._key("msg", conversation_id))
        found = [decode_json(Message, text) for seq, text in stored.items() if int(seq) > after_seq]
        return sorted(found, key=lambda m: m.seq)

    async def erase_messages(self, conversation_id: str) -> int:
        return await self.erase_transcript(conversation_id)

    async def erase_transcript(
        self, conversation_id: str, roles: tuple[str, ...] | None = None
    ) -> int:
        """Gone from memory when this returns; from the disk after the scrub. Every role
        (``roles=None``, "delete my conversation") also marks the conversation erased, in the
        same script: a message still on its way from another node is refused, not kept; and
        a next chat offered in it goes too."""
        erase = ROLES if roles is None else tuple(str(r) for r in roles)
        if not erase:
            return 0
        cid = conversation_id
        erased = int(
            await self._write(
                "ERASE_MESSAGES",
                [
                    self._key("conv", cid),
                    self._key("erased", cid),
                    self._key("msg", cid),
                    *(self._key("holding", r) for r in ROLES),
                    self._key("offer", cid),
                    self._key("offers"),
                ],
                [cid, "1" if roles is None else "0", len(ROLES), *ROLES, *erase],
            )
        )
        if erased:
            self._schedule_scrub()
        return erased

    # wrap-ups ---------------------------------------------------------------------------
    async def save_wrapup(self, wrapup: Wrapup) -> None:
        pipe = self._multi()
        pipe.delete(self._key("wrap", wrapup.conversation_id))
        pipe.hset(self._key("wrap", wrapup.conversation_id), mapping=encode(wrapup))
        await self._commit(pipe.execute())

    async def wrapup(self, conversation_id: str) -> Wrapup | None:
        return decode(Wrapup, await self._client.hgetall(self._key("wrap", conversation_id)))

    # audit log --------------------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None:
        payload = json.dumps(encode(entry), separators=(",", ":"))
        await self._write(
            "ADD_AUDIT", [self._key("audit"), self._key("audit_n")], [repr(entry.at), payload]
        )

    async def audit_entries(
        self, since: float, until: float, limit: int = 1000
    ) -> list[AuditEntry]:
        if limit <= 0:
            return []
        found = await self._client.zrangebyscore(
            self._key("audit"), repr(since), repr(until), start=0, num=limit
        )
        return [decode_json(AuditEntry, str(member).split("|", 1)[1]) for member in found]

    async def purge_audit(self, before: float) -> int:
        purged = await self._commit(
            self._client.zremrangebyscore(self._key("audit"), "-inf", f"({before!r}")
        )
        return int(purged)

    # safeguarding holds -----------------------------------------------------------------
    async def add_hold(self, hold: Hold) -> None:
        h = hold
        found = await self._write(
            "ADD_HOLD",
            [self._key("conv", h.conversation_id), self._key("hold", h.conversation_id),
             self._key("holds")],
            [h.conversation_id, repr(h.expires_at), *flat(encode(h))],
        )  # fmt: skip
        if found != "ok":
            raise ValueError(f"No conversation {h.conversation_id} to hold.")

    async def hold(self, conversation_id: str) -> Hold | None:
        return decode(Hold, await self._client.hgetall(self._key("hold", conversation_id)))

    async def holds(self) -> list[Hold]:
        ids = await self._client.zrange(self._key("holds"), 0, -1)
        found = await self._hashes([self._key("hold", str(i)) for i in ids])
        return [h for h in (decode(Hold, f) for f in found) if h is not None]

    async def release_hold(self, conversation_id: str) -> bool:
        """The reason may describe the visitor's situation: erased as thoroughly as text."""
        pipe = self._multi()
        pipe.delete(self._key("hold", conversation_id))
        pipe.zrem(self._key("holds"), conversation_id)
        deleted, _ = await self._commit(pipe.execute())
        if deleted:
            self._schedule_scrub()
        return bool(deleted)
