"""The follow-up's records in the Redis store: spaces, letter threads, appointments (a mixin
of :class:`~chatserver.backends.redis_records.store.RedisStore`).

Erasing a space or a thread is one script that finds and deletes everything in it; the
append-only rewrite that removes the text from the disk follows (the scrub). The steps that
read before they write (``FollowUpStore``'s conditional steps) are one script each that checks
what the caller read, so two nodes cannot both take one letter or keep one appointment.
"""

from __future__ import annotations

from chatserver.backends.redis_records.codec import decode, decode_json, encode, encode_json, flat
from chatserver.backends.redis_records.core import RecordsBase
from chatserver.hub.followup.model import (
    Appointment,
    AppointmentState,
    Letter,
    LetterThread,
    Offer,
    Space,
)
from chatserver.hub.model import Role


class FollowUpRecords(RecordsBase):
    # spaces -----------------------------------------------------------------------------
    async def save_space(self, space: Space) -> None:
        s = space
        found = await self._write(
            "SAVE_SPACE",
            [self._key("space", s.id), self._key("space_keys"), self._key("spaces")],
            [s.id, s.key_hash or "", repr(s.active_at), *flat(encode(s))],
        )
        if found == "taken":
            raise ValueError(f"Space {s.id} cannot be stored: its key hash is taken.")

    async def touch_space(self, space_id: str, at: float) -> None:
        await self._write(
            "TOUCH_SPACE", [self._key("space", space_id), self._key("spaces")], [space_id, repr(at)]
        )

    async def replace_space_key(
        self, space_id: str, old_hash: str, new_hash: str, at: float
    ) -> bool:
        found = await self._write(
            "REKEY_SPACE",
            [self._key("space", space_id), self._key("space_keys"), self._key("spaces")],
            [space_id, old_hash, new_hash, repr(at)],
        )
        if found == "taken":
            raise ValueError(f"Space {space_id} cannot be stored: its key hash is taken.")
        return bool(found == "ok")

    async def revoke_space(self, space_id: str, at: float) -> bool:
        found = await self._write(
            "REVOKE_SPACE", [self._key("space", space_id), self._key("space_keys")],
            [space_id, repr(at)],
        )  # fmt: skip
        return bool(found)

    async def space(self, space_id: str) -> Space | None:
        return decode(Space, await self._client.hgetall(self._key("space", space_id)))

    async def space_by_key(self, key_hash: str) -> Space | None:
        sid = await self._client.hget(self._key("space_keys"), key_hash)
        found = await self.space(str(sid)) if sid is not None else None
        return found if found is not None and found.key_hash == key_hash else None

    async def _spaces(self, ids: list[str]) -> list[Space]:
        found = await self._hashes([self._key("space", i) for i in ids])
        return [s for s in (decode(Space, f) for f in found) if s is not None]

    async def idle_spaces(self, before: float, line: str | None = None) -> list[Space]:
        ids = await self._client.zrangebyscore(self._key("spaces"), "-inf", f"({before!r}")
        found = await self._spaces([str(i) for i in ids])
        return [s for s in found if line is None or s.line == line]

    async def erase_space(self, space_id: str) -> int:
        erased = int(await self._write("ERASE_SPACE", args=[self._r, space_id]))
        self._schedule_scrub()
        return erased

    async def attach_conversation(self, space_id: str, conversation_id: str, kept: bool) -> None:
        await self._write(
            "ATTACH",
            [self._key("space_kept", space_id), self._key("space_convs", space_id)],
            [conversation_id, "1" if kept else "0"],
        )

    async def space_conversations(self, space_id: str) -> list[tuple[str, bool]]:
        pipe = self._client.pipeline(transaction=True)
        pipe.lrange(self._key("space_convs", space_id), 0, -1)
        pipe.hgetall(self._key("space_kept", space_id))
        order, kept = await pipe.execute()
        return [(str(cid), kept.get(cid) == "1") for cid in order]

    # letters ----------------------------------------------------------------------------
    async def save_thread(self, thread: LetterThread) -> None:
        t = thread
        waiting = repr(t.waiting_since) if t.waiting_since is not None else ""
        await self._write(
            "SAVE_THREAD",
            args=[self._r, t.id, t.space_id, t.owner or "", repr(t.active_at), waiting,
                  *flat(encode(t))],
        )  # fmt: skip

    async def thread(self, thread_id: str) -> LetterThread | None:
        return decode(LetterThread, await self._client.hgetall(self._key("thread", thread_id)))

    async def _threads(self, ids: list[str]) -> list[LetterThread]:
        found = await self._hashes([self._key("thread", i) for i in ids])
        return [t for t in (decode(LetterThread, f) for f in found) if t is not None]

    async def threads_of_space(self, space_id: str) -> list[LetterThread]:
        ids = await self._client.smembers(self._key("space_threads", space_id))
        found = await self._threads(sorted(str(i) for i in ids))
        return sorted(found, key=lambda t: (t.created_at, t.id))

    async def letter_queue(self) -> list[LetterThread]:
        ids = await self._client.zrange(self._key("letterq"), 0, -1)
        return await self._threads([str(i) for i in ids])

    async def threads_owned(self, operator_id: str) -> list[LetterThread]:
        ids = await self._client.smembers(self._key("owned", operator_id))
        found = [
            t for t in await self._threads(sorted(str(i) for i in ids)) if t.owner == operator_id
        ]
        return sorted(found, key=lambda t: t.active_at, reverse=True)

    async def idle_threads(self, before: float, line: str | None = None) -> list[LetterThread]:
        ids = await self._client.zrangebyscore(self._key("threads"), "-inf", f"({before!r}")
        found = await self._threads([str(i) for i in ids])
        return [t for t in found if line is None or t.line == line]

    async def erase_thread(self, thread_id: str) -> int:
        erased = int(await self._write("ERASE_THREAD", args=[self._r, thread_id]))
        self._schedule_scrub()
        return erased

    async def add_letter(self, letter: Letter) -> None:
        x = letter
        found = await self._write(
            "APPEND_ITEM",
            [self._key("thread", x.thread_id), self._key("let", x.thread_id)],
            [str(x.seq), encode_json(x)],
        )
        if found != "ok":
            raise ValueError(f"Letter {x.thread_id}-{x.seq} cannot be stored: {found}")

    async def set_thread_owner(
        self, thread_id: str, was: str | None, owner: str | None, note: str | None
    ) -> bool:
        found = await self._write(
            "SET_THREAD_OWNER",
            args=[self._r, thread_id, was or "", owner or "", "0" if note is None else "1",
                  note or ""],
        )  # fmt: skip
        return bool(found)

    async def post_letter(self, letter: Letter, due_at: float | None) -> None:
        x = letter
        found = await self._write(
            "POST_LETTER",
            [self._key("thread", x.thread_id), self._key("let", x.thread_id),
             self._key("threads"), self._key("letterq")],
            [x.thread_id, str(x.seq), encode_json(x), repr(x.at),
             "1" if x.role is Role.VISITOR else "0", "" if due_at is None else repr(due_at)],
        )  # fmt: skip
        if found != "ok":
            raise ValueError(f"Letter {x.thread_id}-{x.seq} cannot be stored: {found}")

    async def letters(self, thread_id: str) -> list[Letter]:
        stored = await self._client.hgetall(self._key("let", thread_id))
        return sorted((decode_json(Letter, text) for text in stored.values()), key=lambda x: x.seq)

    # appointments -----------------------------------------------------------------------
    async def save_appointment(self, appointment: Appointment) -> None:
        a = appointment
        pipe = self._multi()
        pipe.delete(self._key("appt", a.id))
        pipe.hset(self._key("appt", a.id), mapping=encode(a))
        pipe.zadd(self._key("appts"), {a.id: a.at})
        pipe.sadd(self._key("space_appts", a.space_id), a.id)
        await self._commit(pipe.execute())

    async def appointment(self, appointment_id: str) -> Appointment | None:
        return decode(Appointment, await self._client.hgetall(self._key("appt", appointment_id)))

    async def _appointments(self, ids: list[str]) -> list[Appointment]:
        found = await self._hashes([self._key("appt", i) for i in ids])
        return [a for a in (decode(Appointment, f) for f in found) if a is not None]

    async def appointments_of_space(self, space_id: str) -> list[Appointment]:
        ids = await self._client.smembers(self._key("space_appts", space_id))
        found = await self._appointments(sorted(str(i) for i in ids))
        return sorted(found, key=lambda a: (a.at, a.id))

    async def appointments_between(self, since: float, until: float) -> list[Appointment]:
        ids = await self._client.zrangebyscore(self._key("appts"), repr(since), f"({until!r}")
        return await self._appointments([str(i) for i in ids])

    async def change_appointment(
        self, appointment: Appointment, state: AppointmentState, at: float
    ) -> bool:
        a = appointment
        found = await self._write(
            "CHANGE_APPOINTMENT",
            [self._key("appt", a.id), self._key("appts")],
            [a.id, state.value, repr(at), repr(a.at), *flat(encode(a))],
        )
        return bool(found)

    # offers -----------------------------------------------------------------------------
    async def save_offer(self, offer: Offer) -> None:
        o = offer
        pipe = self._multi()
        pipe.delete(self._key("offer", o.conversation_id))
        pipe.hset(self._key("offer", o.conversation_id), mapping=encode(o))
        pipe.zadd(self._key("offers"), {o.conversation_id: o.made_at})
        await self._commit(pipe.execute())

    async def offer(self, conversation_id: str, since: float) -> Offer | None:
        found = decode(Offer, await self._client.hgetall(self._key("offer", conversation_id)))
        return found if found is not None and found.made_at >= since else None

    async def take_offer(self, conversation_id: str, since: float) -> Offer | None:
        fields = await self._write(
            "TAKE_OFFER",
            [self._key("offer", conversation_id), self._key("offers")],
            [conversation_id, repr(since)],
        )
        if not fields:
            return None
        return decode(Offer, dict(zip(fields[::2], fields[1::2], strict=True)))

    async def drop_offers(self, before: float) -> int:
        return int(await self._write("DROP_OFFERS", args=[self._r, repr(before)]))
