"""The follow-up's queries in the embedded store: spaces, letter threads, appointments.

A mixin of :class:`~chatserver.backends.embedded.store.SqliteStore`, as the statistics and the
oversight queries are. Erasing follows the store's rule (see ``store.py``): overwrite the text
in place, delete, checkpoint before answering, VACUUM a little later.

The steps that read before they write are one conditional statement each (``UPDATE ...
WHERE`` the precondition, or an insert that a primary key refuses), judged by its row count:
the group-commit writer runs it in its transaction, so nothing changes between the check and
the write, and the speed is that of any other write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from chatserver.backends.embedded.writer import Queries, Statement
from chatserver.hub.followup.model import (
    Appointment,
    AppointmentState,
    Letter,
    LetterThread,
    Offer,
    Space,
)
from chatserver.hub.model import Role

R = TypeVar("R")
TAKE_ATTEMPTS = 8  # an offer replaced between the read and the delete is read again

SPACE_COLUMNS = ("id", "line", "lang", "key_hash", "created_at", "active_at", "revoked_at")
THREAD_COLUMNS = (
    "id", "space_id", "line", "lang", "created_at", "active_at", "waiting_since", "due_at",
    "owner", "note",
)  # fmt: skip
LETTER_COLUMNS = ("thread_id", "seq", "role", "text", "html", "at", "author", "author_alias")
OFFER_COLUMNS = ("conversation_id", "operator_id", "line", "lang", "at", "note", "made_at")
APPOINTMENT_COLUMNS = (
    "id", "space_id", "line", "lang", "operator_id", "at", "note", "source_conversation",
    "created_at", "share", "keep", "state", "conversation_id",
)  # fmt: skip


def _blank(column: str) -> str:
    """Overwrite a text column in place with zeros of the same length (see ``store.py``)."""
    return f"{column} = CAST(zeroblob(length(CAST({column} AS BLOB))) AS TEXT)"


def _upsert(table: str, columns: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)})"
        f" VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{col} = excluded.{col}" for col in columns[1:])
    )


class FollowUpQueries(Queries):
    def _schedule_scrub(self) -> None:
        """Something was erased; the store arranges the VACUUM (``SqliteStore._schedule_scrub``)."""
        raise NotImplementedError

    # spaces -----------------------------------------------------------------------------
    async def save_space(self, space: Space) -> None:
        s = space
        try:
            await self._write(
                (
                    _upsert("spaces", SPACE_COLUMNS),
                    (s.id, s.line, s.lang, s.key_hash, s.created_at, s.active_at, s.revoked_at),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"Space {s.id} cannot be stored: {error}") from error

    async def touch_space(self, space_id: str, at: float) -> None:
        await self._write(
            ("UPDATE spaces SET active_at = max(active_at, ?) WHERE id = ?", (at, space_id))
        )

    async def replace_space_key(
        self, space_id: str, old_hash: str, new_hash: str, at: float
    ) -> bool:
        try:
            changed = await self._write(
                (
                    "UPDATE spaces SET key_hash = ?, active_at = max(active_at, ?)"
                    " WHERE id = ? AND key_hash = ?",
                    (new_hash, at, space_id, old_hash),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"Space {space_id} cannot be stored: {error}") from error
        return changed == 1

    async def revoke_space(self, space_id: str, at: float) -> bool:
        changed = await self._write(
            (
                "UPDATE spaces SET key_hash = NULL, revoked_at = ?"
                " WHERE id = ? AND key_hash IS NOT NULL",
                (at, space_id),
            )
        )
        return changed == 1

    async def space(self, space_id: str) -> Space | None:
        return _first(await self._read(_select("spaces", SPACE_COLUMNS, "id = ?"), (space_id,)),
                      Space)  # fmt: skip

    async def space_by_key(self, key_hash: str) -> Space | None:
        rows = await self._read(_select("spaces", SPACE_COLUMNS, "key_hash = ?"), (key_hash,))
        return _first(rows, Space)

    async def idle_spaces(self, before: float, line: str | None = None) -> list[Space]:
        where, params = "active_at < ?", [before]
        if line is not None:
            where += " AND line = ?"
            params.append(line)  # type: ignore[arg-type]  # a str beside a float: sqlite is fine
        rows = await self._read(_select("spaces", SPACE_COLUMNS, where) + " ORDER BY active_at",
                                params)  # fmt: skip
        return [Space(*row) for row in rows]

    async def erase_space(self, space_id: str) -> int:
        threads = "thread_id IN (SELECT id FROM letter_threads WHERE space_id = ?)"
        erased = await self._read(f"SELECT count(*) FROM letters WHERE {threads}", (space_id,))
        await self._write(
            (f"UPDATE letters SET {_blank('text')}, {_blank('html')} WHERE {threads}",
             (space_id,)),
            (f"UPDATE letter_threads SET {_blank('note')} WHERE space_id = ? AND note IS NOT NULL",
             (space_id,)),
            (f"UPDATE appointments SET {_blank('note')} WHERE space_id = ?", (space_id,)),
            (f"DELETE FROM letters WHERE {threads}", (space_id,)),
            ("DELETE FROM letter_threads WHERE space_id = ?", (space_id,)),
            ("DELETE FROM appointments WHERE space_id = ?", (space_id,)),
            ("DELETE FROM space_conversations WHERE space_id = ?", (space_id,)),
            ("DELETE FROM spaces WHERE id = ?", (space_id,)),
            checkpoint=True,
        )  # fmt: skip
        self._schedule_scrub()
        return int(erased[0][0])

    async def attach_conversation(self, space_id: str, conversation_id: str, kept: bool) -> None:
        await self._write(
            (
                "INSERT INTO space_conversations (space_id, conversation_id, kept)"
                " VALUES (?, ?, ?) ON CONFLICT (space_id, conversation_id)"
                " DO UPDATE SET kept = excluded.kept",
                (space_id, conversation_id, int(kept)),
            )
        )

    async def space_conversations(self, space_id: str) -> list[tuple[str, bool]]:
        rows = await self._read(
            "SELECT conversation_id, kept FROM space_conversations WHERE space_id = ?"
            " ORDER BY rowid",
            (space_id,),
        )
        return [(row[0], bool(row[1])) for row in rows]

    # letters ----------------------------------------------------------------------------
    async def save_thread(self, thread: LetterThread) -> None:
        t = thread
        await self._write(
            (
                _upsert("letter_threads", THREAD_COLUMNS),
                (t.id, t.space_id, t.line, t.lang, t.created_at, t.active_at, t.waiting_since,
                 t.due_at, t.owner, t.note),
            )
        )  # fmt: skip

    async def thread(self, thread_id: str) -> LetterThread | None:
        rows = await self._read(_select("letter_threads", THREAD_COLUMNS, "id = ?"), (thread_id,))
        return _first(rows, LetterThread)

    async def threads_of_space(self, space_id: str) -> list[LetterThread]:
        rows = await self._read(
            _select("letter_threads", THREAD_COLUMNS, "space_id = ?") + " ORDER BY created_at",
            (space_id,),
        )
        return [LetterThread(*row) for row in rows]

    async def letter_queue(self) -> list[LetterThread]:
        rows = await self._read(
            _select("letter_threads", THREAD_COLUMNS, "waiting_since IS NOT NULL")
            + " ORDER BY waiting_since, id"
        )
        return [LetterThread(*row) for row in rows]

    async def threads_owned(self, operator_id: str) -> list[LetterThread]:
        rows = await self._read(
            _select("letter_threads", THREAD_COLUMNS, "owner = ?") + " ORDER BY active_at DESC",
            (operator_id,),
        )
        return [LetterThread(*row) for row in rows]

    async def idle_threads(self, before: float, line: str | None = None) -> list[LetterThread]:
        where, params = "active_at < ?", [before]
        if line is not None:
            where += " AND line = ?"
            params.append(line)  # type: ignore[arg-type]  # a str beside a float: sqlite is fine
        rows = await self._read(
            _select("letter_threads", THREAD_COLUMNS, where) + " ORDER BY active_at", params
        )
        return [LetterThread(*row) for row in rows]

    async def erase_thread(self, thread_id: str) -> int:
        erased = await self._read("SELECT count(*) FROM letters WHERE thread_id = ?", (thread_id,))
        await self._write(
            (f"UPDATE letters SET {_blank('text')}, {_blank('html')} WHERE thread_id = ?",
             (thread_id,)),
            (f"UPDATE letter_threads SET {_blank('note')} WHERE id = ? AND note IS NOT NULL",
             (thread_id,)),
            ("DELETE FROM letters WHERE thread_id = ?", (thread_id,)),
            ("DELETE FROM letter_threads WHERE id = ?", (thread_id,)),
            checkpoint=True,
        )  # fmt: skip
        self._schedule_scrub()
        return int(erased[0][0])

    async def set_thread_owner(
        self, thread_id: str, was: str | None, owner: str | None, note: str | None
    ) -> bool:
        changed = await self._write(
            (
                "UPDATE letter_threads SET owner = ?, note = ? WHERE id = ? AND owner IS ?",
                (owner, note, thread_id, was),
            )
        )
        return changed == 1

    async def add_letter(self, letter: Letter) -> None:
        await self._add_letter(letter)

    async def post_letter(self, letter: Letter, due_at: float | None) -> None:
        x = letter
        clock: Statement
        if x.role is Role.VISITOR:  # every SET reads the row as it was before the update
            clock = (
                "UPDATE letter_threads SET active_at = max(active_at, ?),"
                " due_at = CASE WHEN waiting_since IS NULL THEN ? ELSE due_at END,"
                " waiting_since = coalesce(waiting_since, ?) WHERE id = ?",
                (x.at, due_at, x.at, x.thread_id),
            )
        else:
            clock = (
                "UPDATE letter_threads SET active_at = max(active_at, ?), waiting_since = NULL,"
                " due_at = NULL WHERE id = ?",
                (x.at, x.thread_id),
            )
        await self._add_letter(letter, clock)

    async def _add_letter(self, letter: Letter, *then: Statement) -> None:
        """The letter, and ``then`` in the same transaction; a taken seq refuses both."""
        x = letter
        try:
            await self._write(
                (
                    f"INSERT INTO letters ({', '.join(LETTER_COLUMNS)})"
                    f" VALUES ({', '.join('?' for _ in LETTER_COLUMNS)})",
                    (x.thread_id, x.seq, x.role.value, x.text, x.html, x.at, x.author,
                     x.author_alias),
                ),
                *then,
            )  # fmt: skip
        except sqlite3.IntegrityError as error:
            raise ValueError(f"Letter {x.thread_id}-{x.seq} cannot be stored: {error}") from error

    async def letters(self, thread_id: str) -> list[Letter]:
        rows = await self._read(
            _select("letters", LETTER_COLUMNS, "thread_id = ?") + " ORDER BY seq", (thread_id,)
        )
        return [
            Letter(row[0], row[1], Role(row[2]), row[3], row[4], row[5], row[6], row[7])
            for row in rows
        ]

    # appointments -----------------------------------------------------------------------
    async def save_appointment(self, appointment: Appointment) -> None:
        a = appointment
        await self._write(
            (
                _upsert("appointments", APPOINTMENT_COLUMNS),
                (a.id, a.space_id, a.line, a.lang, a.operator_id, a.at, a.note,
                 a.source_conversation, a.created_at, int(a.share), int(a.keep), a.state.value,
                 a.conversation_id),
            )
        )  # fmt: skip

    async def appointment(self, appointment_id: str) -> Appointment | None:
        rows = await self._read(
            _select("appointments", APPOINTMENT_COLUMNS, "id = ?"), (appointment_id,)
        )
        return _appointment(rows[0]) if rows else None

    async def appointments_of_space(self, space_id: str) -> list[Appointment]:
        rows = await self._read(
            _select("appointments", APPOINTMENT_COLUMNS, "space_id = ?") + " ORDER BY at",
            (space_id,),
        )
        return [_appointment(row) for row in rows]

    async def appointments_between(self, since: float, until: float) -> list[Appointment]:
        rows = await self._read(
            _select("appointments", APPOINTMENT_COLUMNS, "at >= ? AND at < ?") + " ORDER BY at",
            (since, until),
        )
        return [_appointment(row) for row in rows]

    async def change_appointment(
        self, appointment: Appointment, state: AppointmentState, at: float
    ) -> bool:
        a = appointment
        changed = await self._write(
            (
                "UPDATE appointments SET "
                + ", ".join(f"{col} = ?" for col in APPOINTMENT_COLUMNS[1:])
                + " WHERE id = ? AND state = ? AND at = ?",
                (a.space_id, a.line, a.lang, a.operator_id, a.at, a.note, a.source_conversation,
                 a.created_at, int(a.share), int(a.keep), a.state.value, a.conversation_id,
                 a.id, state.value, at),
            )
        )  # fmt: skip
        return changed == 1

    # offers -----------------------------------------------------------------------------
    async def save_offer(self, offer: Offer) -> None:
        o = offer
        await self._write(
            (
                f"INSERT INTO appointment_offers ({', '.join(OFFER_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in OFFER_COLUMNS)})"
                " ON CONFLICT (conversation_id) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in OFFER_COLUMNS[1:]),
                (o.conversation_id, o.operator_id, o.line, o.lang, o.at, o.note, o.made_at),
            )
        )

    async def offer(self, conversation_id: str, since: float) -> Offer | None:
        rows = await self._read(
            _select("appointment_offers", OFFER_COLUMNS, "conversation_id = ? AND made_at >= ?"),
            (conversation_id, since),
        )
        return _first(rows, Offer)

    async def take_offer(self, conversation_id: str, since: float) -> Offer | None:
        """Read it, then delete exactly what was read: a deletion that finds nothing lost
        the race (or the offer was replaced meanwhile, and is read again)."""
        for _ in range(TAKE_ATTEMPTS):
            found = await self.offer(conversation_id, since)
            if found is None:
                return None
            o = found
            taken = await self._write(
                (
                    "DELETE FROM appointment_offers WHERE conversation_id = ? AND operator_id = ?"
                    " AND at = ? AND note = ? AND made_at = ?",
                    (o.conversation_id, o.operator_id, o.at, o.note, o.made_at),
                )
            )
            if taken == 1:
                return found
        return None

    async def drop_offers(self, before: float) -> int:
        """Looked for first: the sweep asks every second, and an empty write still costs a
        commit and its fsync."""
        lapsed = "FROM appointment_offers WHERE made_at < ?"
        if not await self._read(f"SELECT 1 {lapsed} LIMIT 1", (before,)):
            return 0
        return await self._write((f"DELETE {lapsed}", (before,)))


def _select(table: str, columns: tuple[str, ...], where: str) -> str:
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"


def _first(rows: list[sqlite3.Row], cls: Callable[..., R]) -> R | None:
    return cls(*rows[0]) if rows else None


def _appointment(row: sqlite3.Row) -> Appointment:
    values = list(row)
    values[9], values[10], values[11] = (
        bool(values[9]),
        bool(values[10]),
        AppointmentState(values[11]),
    )
    return Appointment(*values)
