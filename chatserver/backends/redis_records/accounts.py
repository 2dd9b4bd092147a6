"""Operators' records in the Redis store: accounts and their login sessions (a mixin of
:class:`~chatserver.backends.redis_records.store.RedisStore`)."""

from __future__ import annotations

import dataclasses

from chatserver.backends.base import Session
from chatserver.backends.redis_records.codec import decode, encode, flat
from chatserver.backends.redis_records.core import RecordsBase
from chatserver.hub.model import Account


class AccountRecords(RecordsBase):
    # accounts -------------------------------------------------------------------------
    async def add_account(self, account: Account) -> None:
        stored = dataclasses.replace(account, username=account.username.lower())
        found = await self._write(
            "ADD_ACCOUNT",
            [self._key("acct", account.id), self._key("users"), self._key("accts")],
            [account.id, stored.username, *flat(encode(stored))],
        )
        if found == "taken":
            raise ValueError(f"The username {account.username!r} is taken.")

    async def account_by_username(self, username: str) -> Account | None:
        found = await self._client.hget(self._key("users"), username.lower())
        return await self.account(str(found)) if found is not None else None

    async def account(self, operator_id: str) -> Account | None:
        return decode(Account, await self._client.hgetall(self._key("acct", operator_id)))

    async def accounts(self) -> list[Account]:
        ids = sorted(await self._client.smembers(self._key("accts")))
        found = [
            decode(Account, f) for f in await self._hashes([self._key("acct", i) for i in ids])
        ]
        return sorted((a for a in found if a is not None), key=lambda a: a.username)

    async def update_account(self, account: Account) -> None:
        stored = dataclasses.replace(account, username=account.username.lower())
        fields = encode(stored)
        fields.pop("created_at", None)  # an account is created once
        found = await self._write(
            "UPDATE_ACCOUNT",
            [self._key("acct", account.id), self._key("users")],
            [account.id, stored.username, *flat(fields)],
        )
        if found == "unknown":
            raise KeyError(account.id)
        if found == "taken":
            raise ValueError(f"The username {account.username!r} is taken.")

    # operator sessions ----------------------------------------------------------------
    async def add_session(self, session: Session) -> None:
        s = session
        pipe = self._multi()
        pipe.delete(self._key("sess", s.token_hash))
        pipe.hset(self._key("sess", s.token_hash), mapping=encode(s))
        pipe.sadd(self._key("sessions_of", s.operator_id), s.token_hash)
        pipe.zadd(self._key("seen"), {s.token_hash: s.last_seen})
        await self._commit(pipe.execute())

    async def session(self, token_hash: str) -> Session | None:
        return decode(Session, await self._client.hgetall(self._key("sess", token_hash)))

    async def touch_session(self, token_hash: str, at: float) -> None:
        await self._write(
            "TOUCH_SESSION",
            [self._key("sess", token_hash), self._key("seen")],
            [token_hash, repr(at)],
        )

    async def delete_session(self, token_hash: str) -> None:
        await self._write("DELETE_SESSION", args=[self._r, token_hash])

    async def delete_sessions_of(self, operator_id: str) -> int:
        return int(await self._write("DELETE_SESSIONS_OF", args=[self._r, operator_id]))

    async def expire_sessions(self, idle_since: float) -> list[str]:
        ended = await self._write("EXPIRE_SESSIONS", args=[self._r, repr(idle_since)])
        return [str(token) for token in ended]
