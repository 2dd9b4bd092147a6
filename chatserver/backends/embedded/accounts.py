"""Operators' records in the embedded store: accounts and their login sessions.

A mixin of :class:`~chatserver.backends.embedded.store.SqliteStore`, as the statistics are:
the queries live here, the connection and the writer in the store.
"""

from __future__ import annotations

import sqlite3

from chatserver.backends.base import Session
from chatserver.backends.embedded.rows import ACCOUNT_COLUMNS, account_values, to_account
from chatserver.backends.embedded.writer import Queries
from chatserver.hub.model import Account


class AccountQueries(Queries):
    # accounts -------------------------------------------------------------------------
    async def add_account(self, account: Account) -> None:
        try:
            await self._write(
                (
                    f"INSERT INTO accounts (id, {', '.join(ACCOUNT_COLUMNS)}, created_at)"
                    f" VALUES (?, {', '.join('?' for _ in ACCOUNT_COLUMNS)}, ?)",
                    (account.id, *account_values(account), account.created_at),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"The username {account.username!r} is taken.") from error

    async def account_by_username(self, username: str) -> Account | None:
        rows = await self._read("SELECT * FROM accounts WHERE username = ?", (username.lower(),))
        return to_account(rows[0]) if rows else None

    async def account(self, operator_id: str) -> Account | None:
        rows = await self._read("SELECT * FROM accounts WHERE id = ?", (operator_id,))
        return to_account(rows[0]) if rows else None

    async def accounts(self) -> list[Account]:
        rows = await self._read("SELECT * FROM accounts ORDER BY username")
        return [to_account(row) for row in rows]

    async def update_account(self, account: Account) -> None:
        try:
            changed = await self._write(
                (
                    f"UPDATE accounts SET {', '.join(f'{c} = ?' for c in ACCOUNT_COLUMNS)}"
                    " WHERE id = ?",
                    (*account_values(account), account.id),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"The username {account.username!r} is taken.") from error
        if not changed:
            raise KeyError(account.id)

    # operator sessions ----------------------------------------------------------------
    async def add_session(self, session: Session) -> None:
        await self._write(
            (
                "INSERT INTO sessions (token_hash, operator_id, csrf, created_at, last_seen)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    session.token_hash,
                    session.operator_id,
                    session.csrf,
                    session.created_at,
                    session.last_seen,
                ),
            )
        )

    async def session(self, token_hash: str) -> Session | None:
        rows = await self._read(
            "SELECT token_hash, operator_id, csrf, created_at, last_seen FROM sessions"
            " WHERE token_hash = ?",
            (token_hash,),
        )
        return Session(*rows[0]) if rows else None

    async def touch_session(self, token_hash: str, at: float) -> None:
        await self._write(
            ("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (at, token_hash))
        )

    async def delete_session(self, token_hash: str) -> None:
        await self._write(("DELETE FROM sessions WHERE token_hash = ?", (token_hash,)))

    async def delete_sessions_of(self, operator_id: str) -> int:
        return await self._write(("DELETE FROM sessions WHERE operator_id = ?", (operator_id,)))

    async def expire_sessions(self, idle_since: float) -> list[str]:
        rows = await self._read(
            "SELECT token_hash FROM sessions WHERE last_seen < ?", (idle_since,)
        )
        ended = []
        for row in rows:  # each delete re-checks: a touch since the read keeps the session
            statement = "DELETE FROM sessions WHERE token_hash = ? AND last_seen < ?"
            if await self._write((statement, (row[0], idle_since))):
                ended.append(str(row[0]))
        return ended
