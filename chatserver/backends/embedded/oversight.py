"""What the helpline keeps to answer for its work, in the embedded store: the audit log and
safeguarding holds.

A mixin of :class:`~chatserver.backends.embedded.store.SqliteStore`, as accounts and statistics
are: the queries live here, the connection, the writer and the scrub in the store. Both are
records about conversations, never their text; a hold's reason is the exception that may
describe the visitor, so releasing one erases it as thoroughly as a transcript.
"""

from __future__ import annotations

import sqlite3

from chatserver.backends.base import AuditEntry, Hold
from chatserver.backends.embedded.writer import Queries


class OversightQueries(Queries):
    def _schedule_scrub(self) -> None:
        """Something was erased; the store arranges the VACUUM (``SqliteStore._schedule_scrub``)."""
        raise NotImplementedError

    # audit log ------------------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None:
        await self._write(
            (
                "INSERT INTO audit_log (at, actor, action, conversation_id, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (entry.at, entry.actor, entry.action, entry.conversation_id, entry.detail),
            )
        )

    async def audit_entries(
        self, since: float, until: float, limit: int = 1000
    ) -> list[AuditEntry]:
        rows = await self._read(
            "SELECT at, actor, action, conversation_id, detail FROM audit_log"
            " WHERE at >= ? AND at <= ? ORDER BY at, id LIMIT ?",
            (since, until, max(0, limit)),  # a negative LIMIT would mean "no limit" in SQLite
        )
        return [AuditEntry(*row) for row in rows]

    async def purge_audit(self, before: float) -> int:
        return await self._write(("DELETE FROM audit_log WHERE at < ?", (before,)))

    # safeguarding holds ---------------------------------------------------------------
    async def add_hold(self, hold: Hold) -> None:
        h = hold
        try:
            await self._write(
                (
                    "INSERT INTO holds (conversation_id, operator_id, reason, created_at,"
                    " expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE"
                    " SET operator_id = excluded.operator_id, reason = excluded.reason,"
                    " created_at = excluded.created_at, expires_at = excluded.expires_at",
                    (h.conversation_id, h.operator_id, h.reason, h.created_at, h.expires_at),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"No conversation {h.conversation_id} to hold: {error}") from error

    async def hold(self, conversation_id: str) -> Hold | None:
        rows = await self._read(
            "SELECT conversation_id, operator_id, reason, created_at, expires_at FROM holds"
            " WHERE conversation_id = ?",
            (conversation_id,),
        )
        return Hold(*rows[0]) if rows else None

    async def holds(self) -> list[Hold]:
        rows = await self._read(
            "SELECT conversation_id, operator_id, reason, created_at, expires_at FROM holds"
            " ORDER BY expires_at, conversation_id"
        )
        return [Hold(*row) for row in rows]

    async def release_hold(self, conversation_id: str) -> bool:
        """The reason may describe the visitor's situation: erased as thoroughly as text."""
        released = await self._write(
            (
                "UPDATE holds SET reason = CAST(zeroblob(length(CAST(reason AS BLOB))) AS TEXT)"
                " WHERE conversation_id = ?",
                (conversation_id,),
            ),
            ("DELETE FROM holds WHERE conversation_id = ?", (conversation_id,)),
            checkpoint=True,
        )
        if released:
            self._schedule_scrub()
        return released > 0
