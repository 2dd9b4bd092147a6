"""The ``Store`` on one SQLite file: its lifecycle, conversations, messages and wrap-ups.
Accounts, statistics, and the audit log with holds are its mixins (``accounts.py``,
``stats.py``, ``oversight.py``); every write goes through the group-commit writer
(``writer.py``).

**Erased means gone from the disk.** ``secure_delete`` alone is not enough: SQLite zeroes the
cells a delete frees, but b-tree rebalancing (after deletes, and on inserts into a tree that
had deletes) copies cells between pages and leaves stale copies in the pages' unused gaps,
where no later zeroing reaches them. So an erase (1) overwrites the text in place, (2) deletes
the rows, (3) checkpoints and truncates the WAL, all before answering; and (4) a ``VACUUM``
(:meth:`SqliteStore.scrub`) follows a little later, coalescing erases, and at :meth:`close`.
Only the VACUUM rebuilds every page and so removes the stale fragments too.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from chatserver.backends.base import CommitObserver, StoreUnusable
from chatserver.backends.embedded.accounts import AccountQueries
from chatserver.backends.embedded.followup import FollowUpQueries
from chatserver.backends.embedded.oversight import OversightQueries
from chatserver.backends.embedded.rows import (
    CONVERSATION_COLUMNS,
    MESSAGE_COLUMNS,
    as_json,
    conversation_values,
    message_values,
    to_conversation,
    to_message,
)
from chatserver.backends.embedded.schema import migrate
from chatserver.backends.embedded.stats import StatsQueries
from chatserver.backends.embedded.writer import GroupCommit
from chatserver.backends.scrub import ScrubSchedule
from chatserver.hub.model import (
    Conversation,
    ConversationState,
    Message,
    Risk,
    Wrapup,
)

log = logging.getLogger(__name__)

MEMORY = ":memory:"
SCRUB_DELAY = 60.0  # seconds from an erase to the VACUUM that removes stale fragments

# every message is one of these: the statement made once, not per message
INSERT_MESSAGE = (
    f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in MESSAGE_COLUMNS)})"
)


class SqliteStore(AccountQueries, StatsQueries, OversightQueries, FollowUpQueries):
    """The ``Store`` on one SQLite file (or ``":memory:"`` for tests).

    ``commits`` counts the writer's transactions, so tests (and metrics) can see group commit
    at work: many concurrent writes, few commits. ``scrub_delay`` is how long after an erase
    the VACUUM runs (it pauses every write while it rewrites the file, so erases are gathered);
    ``None`` leaves scrubbing to explicit :meth:`scrub` calls and :meth:`close`.
    """

    def __init__(self, path: str | Path, *, scrub_delay: float | None = SCRUB_DELAY) -> None:
        self.path: str | Path = path if str(path) == MEMORY else Path(path)
        self._scrubs = ScrubSchedule(
            lambda: self.scrub(), scrub_delay, what="VACUUM", retry_failed=False
        )
        self._db: aiosqlite.Connection | None = None
        self._writer = GroupCommit(on_disk=isinstance(self.path, Path))

    @property
    def commits(self) -> int:
        return self._writer.commits

    def observe_commits(self, observer: CommitObserver) -> None:
        self._writer.observer = observer

    # lifecycle ------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, set the durability and privacy PRAGMAs, migrate; a second call is a no-op."""
        if self._db is not None:
            return
        if isinstance(self.path, Path):
            _create_private(self.path)
        try:
            db = await aiosqlite.connect(str(self.path), isolation_level=None)
        except sqlite3.Error as error:
            raise StoreUnusable(_unusable(self.path, error)) from None
        try:
            db.row_factory = sqlite3.Row
            if isinstance(self.path, Path):
                await _check_integrity(db, self.path)
                found = await db.execute_fetchall("PRAGMA journal_mode=WAL")
                mode = next(iter(found))[0]
                if mode != "wal":
                    log.warning("SQLite kept journal mode %s instead of WAL", mode)
            await db.execute("PRAGMA synchronous=FULL")  # acknowledged means on the disk
            await db.execute("PRAGMA secure_delete=ON")  # erased text is overwritten
            await db.execute("PRAGMA foreign_keys=ON")
            await migrate(db)
        except sqlite3.DatabaseError as error:  # "file is not a database", a torn page ...
            await db.close()
            raise StoreUnusable(_unusable(self.path, error)) from None
        except BaseException:
            await db.close()
            raise
        self._db = db
        self._writer.start(db)

    async def close(self) -> None:
        """Commit whatever is still queued, scrub if an erase asks for it, close; idempotent."""
        if self._db is None:
            return
        self._writer.refuse_writes()
        await self._scrubs.stop()
        await self._writer.stop()
        try:
            await self.scrub()
        finally:
            await self._db.close()
            self._db = None

    async def scrub(self) -> None:
        """Rebuild the file (VACUUM) if anything was erased since the last scrub.

        Removes the stale fragments of erased text that b-tree rebalancing leaves in unused
        page space, then truncates the WAL that held the rebuilt pages. Writes wait meanwhile
        (roughly 10 ms per MB of database), which is why erases are gathered first.
        """
        db = self._db
        if db is None or not self._scrubs.due:
            return

        async def vacuum() -> None:
            await db.execute("VACUUM")
            await self._writer.checkpoint(db)

        async with self._writer.gate:  # no batch is open while we hold it
            await self._scrubs.run(vacuum)

    # conversations and messages -------------------------------------------------------
    async def save_conversation(self, conversation: Conversation) -> None:
        """Upsert, never ``REPLACE``: a replace deletes the row and would cascade to messages."""
        await self._write(
            (
                f"INSERT INTO conversations ({', '.join(CONVERSATION_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in CONVERSATION_COLUMNS)})"
                " ON CONFLICT (id) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in CONVERSATION_COLUMNS[1:]),
                conversation_values(conversation),
            )
        )

    async def conversation(self, conversation_id: str) -> Conversation | None:
        rows = await self._read("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return to_conversation(rows[0]) if rows else None

    async def conversation_by_token(self, token_hash: str) -> Conversation | None:
        """The newest conversation with this token (a token belongs to one conversation)."""
        rows = await self._read(
            "SELECT * FROM conversations WHERE token_hash = ? ORDER BY created_at DESC LIMIT 1",
            (token_hash,),
        )
        return to_conversation(rows[0]) if rows else None

    async def open_conversations(self) -> list[Conversation]:
        # last_seq: the highest stored, in the same query (one index lookup a chat), so a
        # restart with thousands of open chats does not read each one's messages
        columns = ", ".join(f"c.{name}" for name in CONVERSATION_COLUMNS if name != "last_seq")
        rows = await self._read(
            f"SELECT {columns}, MAX(c.last_seq, COALESCE((SELECT MAX(m.seq) FROM messages m"
            " WHERE m.conversation_id = c.id), 0)) AS last_seq FROM conversations c"
            " WHERE c.state != ? ORDER BY c.created_at",
            (ConversationState.ENDED.value,),
        )
        return [to_conversation(row) for row in rows]

    async def append_message(self, message: Message) -> None:
        """Durable when this returns; ``ValueError`` if the seq is taken or the chat unknown."""
        try:
            await self._write((INSERT_MESSAGE, message_values(message)))
        except sqlite3.IntegrityError as error:
            # sqlite's message names the constraint, never the bound values (no visitor text)
            raise ValueError(f"Message {message.id} cannot be stored: {error}") from error

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        rows = await self._read(
            f"SELECT {', '.join(MESSAGE_COLUMNS)} FROM messages"
            " WHERE conversation_id = ? AND seq > ? ORDER BY seq",
            (conversation_id, after_seq),
        )
        return [to_message(row) for row in rows]

    async def erase_messages(self, conversation_id: str) -> int:
        """Overwrite, delete and flush the WAL before answering; a VACUUM follows (see top)."""
        return await self.erase_transcript(conversation_id)

    async def erase_transcript(
        self, conversation_id: str, roles: tuple[str, ...] | None = None
    ) -> int:
        """Like :meth:`erase_messages`, limited to ``roles`` (e.g. the transcript, not notes)."""
        where = "conversation_id = ?"
        params: list[Any] = [conversation_id]
        if roles is not None:
            if not roles:
                return 0
            where += f" AND role IN ({', '.join('?' for _ in roles)})"
            params.extend(str(role) for role in roles)
        # the whole conversation: an offer of a next chat waiting in it goes too, note and all
        offer = (
            (
                "UPDATE appointment_offers SET note = CAST(zeroblob(length(CAST(note AS BLOB)))"
                " AS TEXT) WHERE conversation_id = ?",
                (conversation_id,),
            ),
            ("DELETE FROM appointment_offers WHERE conversation_id = ?", (conversation_id,)),
        )
        erased = await self._write(
            *(offer if roles is None else ()),
            (_BLANK_TEXT + where, params),
            (f"DELETE FROM messages WHERE {where}", params),
            checkpoint=True,
        )
        self._schedule_scrub()
        return erased

    async def ended_conversations(
        self, before: float, line: str | None = None, with_roles: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        sql = "SELECT * FROM conversations c WHERE c.state = ? AND c.ended_at < ?"
        params: list[Any] = [ConversationState.ENDED.value, before]
        if line is not None:
            sql += " AND c.line = ?"
            params.append(line)
        if with_roles is not None:
            if not with_roles:
                return []
            # a probe on the messages' primary key per conversation, not a scan of messages
            sql += (
                " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id"
                f" AND m.role IN ({', '.join('?' for _ in with_roles)}))"
            )
            params.extend(str(role) for role in with_roles)
        rows = await self._read(sql + " ORDER BY c.ended_at, c.id", params)
        return [to_conversation(row) for row in rows]

    async def save_wrapup(self, wrapup: Wrapup) -> None:
        w = wrapup
        await self._write(
            (
                "INSERT INTO wrapups (conversation_id, operator_id, topics, risk, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
                " operator_id = excluded.operator_id, topics = excluded.topics,"
                " risk = excluded.risk, at = excluded.at",
                (w.conversation_id, w.operator_id, as_json(list(w.topics)), w.risk.value, w.at),
            )
        )

    async def wrapup(self, conversation_id: str) -> Wrapup | None:
        rows = await self._read(
            "SELECT conversation_id, operator_id, topics, risk, at FROM wrapups"
            " WHERE conversation_id = ?",
            (conversation_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return Wrapup(row[0], row[1], tuple(json.loads(row[2])), Risk(row[3]), row[4])

    # the scrub ------------------------------------------------------------------------
    def _schedule_scrub(self) -> None:
        """Something was erased: VACUUM ``scrub_delay`` from now (or at the next scrub/close);
        a failed VACUUM waits for the next erase or close (``scrub.ScrubSchedule``)."""
        if isinstance(self.path, Path):  # ":memory:" leaves nothing on disk
            self._scrubs.ask()


# The DELETE's rebalancing moves not-yet-deleted cells between pages and can leave their old
# bytes in unused page space, out of reach of secure_delete (seen with SQLite 3.40). An UPDATE to
# a payload of the same size rewrites each cell in place, so the text (and its HTML, which holds
# the same words) is blanked where it lies before any row moves. Each erase appends its
# condition (which conversation, which roles).
_BLANK_TEXT = (
    "UPDATE messages SET text = CAST(zeroblob(length(CAST(text AS BLOB))) AS TEXT),"
    " html = CAST(zeroblob(length(CAST(html AS BLOB))) AS TEXT) WHERE "
)


def _create_private(path: Path) -> None:
    """Create the file owner-only before SQLite does: it holds transcripts (-wal and -shm
    files inherit its permissions). A data folder that is a file, or a file that is a
    folder, is said in one line (``StoreUnusable``), not with a traceback."""
    if path.parent.exists() and not path.parent.is_dir():
        raise StoreUnusable(not_a_folder(path.parent))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as error:
        raise StoreUnusable(f"Cannot create the database {path}: {error.strerror}.") from None


def not_a_folder(folder: Path) -> str:
    """The one line for a data folder that is something else (a file, usually a typo)."""
    return (
        f"The data folder {folder} is a file, not a folder: give --data (or server.data_dir) "
        "a folder, or move the file away."
    )


async def _check_integrity(db: aiosqlite.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` before anything is written: a damaged file stops the start-up
    with what to do, instead of failing later, mid-chat, on a page nobody reads again.

    It reads every page (about a second per GB), far cheaper than serving from a file that
    loses acknowledged messages.
    """
    rows = list(await db.execute_fetchall("PRAGMA quick_check(5)"))
    found = [str(row[0]) for row in rows]
    if found != ["ok"]:
        raise StoreUnusable(_damaged(path, "; ".join(found)))


def _unusable(path: str | Path, error: sqlite3.Error) -> str:
    if (
        isinstance(path, Path)
        and isinstance(error, sqlite3.DatabaseError)
        and not isinstance(error, sqlite3.OperationalError)
    ):
        return _damaged(path, str(error))
    return f"Cannot open the database {path}: {error}."


def _damaged(path: Path, detail: str) -> str:
    return (
        f"The database {path} is damaged ({detail}); the server did not start and changed "
        "nothing.\n"
        f"What to do: keep a copy of {path.name} (and {path.name}-wal, if there is one), then "
        "put your latest backup in its place, or save what is still readable with\n"
        f"  sqlite3 {path} .recover | sqlite3 {path}.recovered\n"
        f"and move {path.name}.recovered to {path.name}. Then start the server again."
    )
