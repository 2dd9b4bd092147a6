"""The embedded store: one SQLite file, written with group commit, read in place.

Why it is built this way:

* **Write before ack.** Every write is queued and a single writer task commits it; the caller's
  ``await`` returns only after ``COMMIT`` has reached the disk (``synchronous=FULL``), so a
  ``kill -9`` or a power cut never loses a message a visitor saw acknowledged.
* **Group commit.** An fsync per message would make SQLite the bottleneck on a busy evening.
  The writer drains everything queued while the previous commit was on its way to the disk and
  commits it as one transaction: one fsync for many writes.
* **A bad write fails alone.** If a statement in a batch fails, the whole transaction is rolled
  back and the batch is replayed with a savepoint around each write; the culprit is rolled back
  to its savepoint and rejected, its neighbours still commit (in that same single commit).
* **Reads see only committed data.** Reads share the one connection, so a read slipped in
  between a batch's statements would see writes nobody has acknowledged yet. A gate keeps reads
  out while a batch is open; reads would wait for the commit's fsync on aiosqlite's thread
  anyway, so the gate costs next to nothing.
* **Erased means gone from the disk.** ``secure_delete`` alone is not enough: SQLite zeroes the
  cells a delete frees, but b-tree rebalancing (after deletes, and on inserts into a tree that
  had deletes) copies cells between pages and leaves stale copies in the pages' unused gaps,
  where no later zeroing reaches them. So an erase (1) overwrites the text in place, (2) deletes
  the rows, (3) checkpoints and truncates the WAL, all before answering; and (4) a ``VACUUM``
  (:meth:`SqliteStore.scrub`) follows a little later, coalescing erases, and at :meth:`close`.
  Only the VACUUM rebuilds every page and so removes the stale fragments too.
* **Privacy by construction.** No table has a column for an address, a user agent or a cookie.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from chatserver.backends.base import (
    HIST_BUCKETS,
    AuditEntry,
    Hold,
    HourHistogram,
    HourStats,
    Session,
    StatsDelta,
    hist_bucket,
)
from chatserver.hub.model import (
    Account,
    Conversation,
    ConversationState,
    Message,
    Risk,
    Role,
    Wrapup,
)

log = logging.getLogger(__name__)

MEMORY = ":memory:"
HOUR = 3600
MAX_BATCH = 500  # bounds how long one transaction keeps reads waiting
SCRUB_DELAY = 60.0  # seconds from an erase to the VACUUM that removes stale fragments

Statement = tuple[str, Sequence[Any]]

# Each step brings the schema from version ``index`` to ``index + 1`` (PRAGMA user_version).
# Never edit a released step: append a new one, so existing files migrate forward.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,  -- lower-case: usernames are case-insensitive
            alias TEXT NOT NULL,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            lines TEXT NOT NULL,  -- JSON array; empty means every line
            languages TEXT NOT NULL,  -- JSON array
            capacity INTEGER NOT NULL,
            backup INTEGER NOT NULL,
            active INTEGER NOT NULL,
            totp_secret TEXT,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_seen REAL NOT NULL
        )""",
        "CREATE INDEX sessions_operator ON sessions(operator_id)",
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            line TEXT NOT NULL,
            lang TEXT NOT NULL,
            state TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            intake TEXT NOT NULL,  -- JSON object
            priority INTEGER NOT NULL,
            operator_id TEXT,
            assigned_at REAL,
            ended_at REAL,
            ended_by TEXT,
            end_reason TEXT,
            risk TEXT NOT NULL,
            last_seq INTEGER NOT NULL,
            answered INTEGER NOT NULL
        )""",
        "CREATE INDEX conversations_token ON conversations(token_hash)",
        "CREATE INDEX conversations_state ON conversations(state)",
        "CREATE INDEX conversations_line_ended ON conversations(line, ended_at)",
        """CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            at REAL NOT NULL,
            author TEXT,
            PRIMARY KEY (conversation_id, seq)
        )""",
        """CREATE TABLE wrapups (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            operator_id TEXT NOT NULL,
            topics TEXT NOT NULL,  -- JSON array of wrap-up codes
            risk TEXT NOT NULL,
            at REAL NOT NULL
        )""",
        """CREATE TABLE stats_hourly (
            line TEXT NOT NULL,
            hour INTEGER NOT NULL,
            offered INTEGER NOT NULL DEFAULT 0,
            answered INTEGER NOT NULL DEFAULT 0,
            abandoned INTEGER NOT NULL DEFAULT 0,
            wait_sum REAL NOT NULL DEFAULT 0,
            wait_max REAL NOT NULL DEFAULT 0,
            duration_sum REAL NOT NULL DEFAULT 0,
            duration_count INTEGER NOT NULL DEFAULT 0,
            duration_max REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (line, hour)
        )""",
        """CREATE TABLE stats_topics (
            line TEXT NOT NULL,
            hour INTEGER NOT NULL,
            topic TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (line, hour, topic)
        )""",
        """CREATE TABLE stats_risks (
            line TEXT NOT NULL,
            hour INTEGER NOT NULL,
            risk TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (line, hour, risk)
        )""",
    ),
    # 2: the audit log. No foreign keys on purpose: an entry outlives the transcript it is about
    # (audit_days is longer than transcripts_days) and the account of whoever acted.
    (
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,  -- insertion order, so entries at the same instant keep it
            at REAL NOT NULL,
            actor TEXT NOT NULL,  -- operator account id
            action TEXT NOT NULL,
            conversation_id TEXT,
            detail TEXT  -- a short code or an operator id, never chat text
        )""",
        "CREATE INDEX audit_log_at ON audit_log(at)",
    ),
    # 3: safeguarding holds. The foreign key is safe: a conversation's record is never deleted
    # (it carries the statistics); the retention purge removes its messages only.
    (
        """CREATE TABLE holds (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            operator_id TEXT NOT NULL,  -- the supervisor who placed it
            reason TEXT NOT NULL,  -- the supervisor's stated reason, never chat text
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""",
    ),
    # 4: how waits and chat durations spread over fixed buckets (``HIST_BOUNDS``), per line and
    # hour, so the statistics can show percentiles; sums and maxima cannot. Counts only.
    (
        """CREATE TABLE stats_hist (
            line TEXT NOT NULL,
            hour INTEGER NOT NULL,
            kind TEXT NOT NULL,  -- 'wait' or 'duration'
            bucket INTEGER NOT NULL,  -- index into HIST_BOUNDS; the last is open-ended
            count INTEGER NOT NULL,
            PRIMARY KEY (line, hour, kind, bucket)
        )""",
    ),
]


@dataclass
class _Write:
    """One caller's write: its statements commit together or not at all."""

    statements: tuple[Statement, ...]
    done: asyncio.Future[int]  # resolves to the last statement's rowcount
    checkpoint: bool = False  # erased text: flush it out of the WAL after the commit


class SqliteStore:
    """The ``Store`` on one SQLite file (or ``":memory:"`` for tests).

    ``commits`` counts the writer's transactions, so tests (and metrics) can see group commit
    at work: many concurrent writes, few commits. ``scrub_delay`` is how long after an erase
    the VACUUM runs (it pauses every write while it rewrites the file, so erases are gathered);
    ``None`` leaves scrubbing to explicit :meth:`scrub` calls and :meth:`close`.
    """

    def __init__(self, path: str | Path, *, scrub_delay: float | None = SCRUB_DELAY) -> None:
        self.path: str | Path = path if str(path) == MEMORY else Path(path)
        self.scrub_delay = scrub_delay
        self.commits = 0
        self._scrub_due = False
        self._scrub_task: asyncio.Task[None] | None = None
        self._db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._gate = asyncio.Lock()
        self._closing = False

    # lifecycle ------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, set the durability and privacy PRAGMAs, migrate; a second call is a no-op."""
        if self._db is not None:
            return
        if isinstance(self.path, Path):
            _create_private(self.path)
        db = await aiosqlite.connect(str(self.path), isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            if isinstance(self.path, Path):
                rows = await db.execute_fetchall("PRAGMA journal_mode=WAL")
                mode = next(iter(rows))[0]
                if mode != "wal":
                    log.warning("SQLite kept journal mode %s instead of WAL", mode)
            await db.execute("PRAGMA synchronous=FULL")  # acknowledged means on the disk
            await db.execute("PRAGMA secure_delete=ON")  # erased text is overwritten
            await db.execute("PRAGMA foreign_keys=ON")
            await _migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db
        self._closing = False
        self._queue = asyncio.Queue()
        self._gate = asyncio.Lock()  # fresh: a reopened store may run on another event loop
        self._writer = asyncio.create_task(self._write_loop(), name="sqlite-writer")

    async def close(self) -> None:
        """Commit whatever is still queued, scrub if an erase asks for it, close; idempotent."""
        if self._db is None:
            return
        self._closing = True
        if self._scrub_task is not None:
            self._scrub_task.cancel()
            await asyncio.gather(self._scrub_task, return_exceptions=True)
            self._scrub_task = None
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None
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
        if self._db is None or not self._scrub_due:
            return
        async with self._gate:  # no batch is open while we hold it
            self._scrub_due = False
            if not isinstance(self.path, Path):
                return
            try:
                await self._db.execute("VACUUM")
            except BaseException:
                self._scrub_due = True
                raise
            await self._checkpoint(self._db)

    # accounts -------------------------------------------------------------------------
    async def add_account(self, account: Account) -> None:
        try:
            await self._write(
                (
                    f"INSERT INTO accounts (id, {', '.join(_ACCOUNT_COLUMNS)}, created_at)"
                    f" VALUES (?, {', '.join('?' for _ in _ACCOUNT_COLUMNS)}, ?)",
                    (account.id, *_account_values(account), account.created_at),
                )
            )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"The username {account.username!r} is taken.") from error

    async def account_by_username(self, username: str) -> Account | None:
        rows = await self._read("SELECT * FROM accounts WHERE username = ?", (username.lower(),))
        return _account(rows[0]) if rows else None

    async def account(self, operator_id: str) -> Account | None:
        rows = await self._read("SELECT * FROM accounts WHERE id = ?", (operator_id,))
        return _account(rows[0]) if rows else None

    async def accounts(self) -> list[Account]:
        rows = await self._read("SELECT * FROM accounts ORDER BY username")
        return [_account(row) for row in rows]

    async def update_account(self, account: Account) -> None:
        try:
            changed = await self._write(
                (
                    f"UPDATE accounts SET {', '.join(f'{c} = ?' for c in _ACCOUNT_COLUMNS)}"
                    " WHERE id = ?",
                    (*_account_values(account), account.id),
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

    # conversations and messages -------------------------------------------------------
    async def save_conversation(self, conversation: Conversation) -> None:
        """Upsert, never ``REPLACE``: a replace deletes the row and would cascade to messages."""
        c = conversation
        await self._write(
            (
                f"INSERT INTO conversations ({', '.join(_CONVERSATION_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in _CONVERSATION_COLUMNS)})"
                " ON CONFLICT (id) DO UPDATE SET "
                + ", ".join(f"{col} = excluded.{col}" for col in _CONVERSATION_COLUMNS[1:]),
                (
                    c.id,
                    c.line,
                    c.lang,
                    c.state.value,
                    c.token_hash,
                    c.created_at,
                    _json(c.intake),
                    c.priority,
                    c.operator_id,
                    c.assigned_at,
                    c.ended_at,
                    c.ended_by,
                    c.end_reason,
                    c.risk.value,
                    c.last_seq,
                    int(c.answered),
                ),
            )
        )

    async def conversation(self, conversation_id: str) -> Conversation | None:
        rows = await self._read("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    async def conversation_by_token(self, token_hash: str) -> Conversation | None:
        """The newest conversation with this token (a token belongs to one conversation)."""
        rows = await self._read(
            "SELECT * FROM conversations WHERE token_hash = ? ORDER BY created_at DESC LIMIT 1",
            (token_hash,),
        )
        return _conversation(rows[0]) if rows else None

    async def open_conversations(self) -> list[Conversation]:
        rows = await self._read(
            "SELECT * FROM conversations WHERE state != ? ORDER BY created_at",
            (ConversationState.ENDED.value,),
        )
        return [_conversation(row) for row in rows]

    async def append_message(self, message: Message) -> None:
        """Durable when this returns; ``ValueError`` if the seq is taken or the chat unknown."""
        m = message
        try:
            await self._write(
                (
                    "INSERT INTO messages (conversation_id, seq, id, role, text, at, author)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (m.conversation_id, m.seq, m.id, m.role.value, m.text, m.at, m.author),
                )
            )
        except sqlite3.IntegrityError as error:
            # sqlite's message names the constraint, never the bound values (no visitor text)
            raise ValueError(f"Message {m.id} cannot be stored: {error}") from error

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        rows = await self._read(
            "SELECT id, conversation_id, seq, role, text, at, author FROM messages"
            " WHERE conversation_id = ? AND seq > ? ORDER BY seq",
            (conversation_id, after_seq),
        )
        return [
            Message(row[0], row[1], row[2], Role(row[3]), row[4], row[5], row[6]) for row in rows
        ]

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
        erased = await self._write(
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
        return [_conversation(row) for row in rows]

    async def save_wrapup(self, wrapup: Wrapup) -> None:
        w = wrapup
        await self._write(
            (
                "INSERT INTO wrapups (conversation_id, operator_id, topics, risk, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET"
                " operator_id = excluded.operator_id, topics = excluded.topics,"
                " risk = excluded.risk, at = excluded.at",
                (w.conversation_id, w.operator_id, _json(list(w.topics)), w.risk.value, w.at),
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

    # statistics -----------------------------------------------------------------------
    async def add_stats(self, delta: StatsDelta) -> None:
        """One atomic write: the hour's figures, its topics and its risk move together."""
        hour = _hour(delta.at)
        wait = delta.wait if delta.wait is not None else 0.0
        duration = delta.duration if delta.duration is not None else 0.0
        statements: list[Statement] = [
            (
                "INSERT INTO stats_hourly (line, hour, offered, answered, abandoned, wait_sum,"
                " wait_max, duration_sum, duration_count, duration_max)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (line, hour) DO UPDATE SET"
                " offered = offered + excluded.offered,"
                " answered = answered + excluded.answered,"
                " abandoned = abandoned + excluded.abandoned,"
                " wait_sum = wait_sum + excluded.wait_sum,"
                " wait_max = max(wait_max, excluded.wait_max),"
                " duration_sum = duration_sum + excluded.duration_sum,"
                " duration_count = duration_count + excluded.duration_count,"
                " duration_max = max(duration_max, excluded.duration_max)",
                (
                    delta.line,
                    hour,
                    delta.offered,
                    delta.answered,
                    delta.abandoned,
                    wait,
                    wait,
                    duration,
                    int(delta.duration is not None),
                    duration,
                ),
            )
        ]
        for topic in delta.topics:
            statements.append(_count("stats_topics", "topic", delta.line, hour, topic))
        if delta.risk is not None:
            statements.append(_count("stats_risks", "risk", delta.line, hour, delta.risk))
        for kind, seconds in (("wait", delta.wait), ("duration", delta.duration)):
            if seconds is not None:
                statements.append(
                    (
                        "INSERT INTO stats_hist (line, hour, kind, bucket, count)"
                        " VALUES (?, ?, ?, ?, 1) ON CONFLICT (line, hour, kind, bucket)"
                        " DO UPDATE SET count = count + 1",
                        (delta.line, hour, kind, hist_bucket(seconds)),
                    )
                )
        await self._write(*statements)

    async def hour_stats(self, line: str, since: float, until: float) -> list[HourStats]:
        """Every stored hour of ``line`` from the one holding ``since`` up to ``until``."""
        rows = await self._read(
            "SELECT h.line, h.hour, h.offered, h.answered, h.abandoned, h.wait_sum, h.wait_max,"
            " h.duration_sum, h.duration_count, h.duration_max,"
            " (SELECT json_group_object(t.topic, t.count) FROM stats_topics t"
            "  WHERE t.line = h.line AND t.hour = h.hour),"
            " (SELECT json_group_object(r.risk, r.count) FROM stats_risks r"
            "  WHERE r.line = h.line AND r.hour = h.hour)"
            " FROM stats_hourly h WHERE h.line = ? AND h.hour >= ? AND h.hour < ?"
            " ORDER BY h.hour",
            (line, _hour(since), until),
        )
        return [
            HourStats(
                line=row[0],
                hour=row[1],
                offered=row[2],
                answered=row[3],
                abandoned=row[4],
                wait_sum=row[5],
                wait_max=row[6],
                duration_sum=row[7],
                duration_count=row[8],
                duration_max=row[9],
                topics=json.loads(row[10] or "{}"),
                risks=json.loads(row[11] or "{}"),
            )
            for row in rows
        ]

    async def hour_histograms(self, line: str, since: float, until: float) -> list[HourHistogram]:
        """Per hour, the counts of waits and durations in each ``HIST_BOUNDS`` bucket."""
        rows = await self._read(
            "SELECT hour, kind, bucket, count FROM stats_hist"
            " WHERE line = ? AND hour >= ? AND hour < ? ORDER BY hour",
            (line, _hour(since), until),
        )
        hours: dict[int, HourHistogram] = {}
        for hour, kind, bucket, count in rows:
            found = hours.setdefault(hour, HourHistogram(line, hour))
            if 0 <= bucket < HIST_BUCKETS and kind in ("wait", "duration"):
                getattr(found, kind)[bucket] += count
        return list(hours.values())

    async def recent_durations(self, line: str, limit: int) -> list[float]:
        rows = await self._read(
            "SELECT ended_at - assigned_at FROM conversations"
            " WHERE line = ? AND state = ? AND answered = 1"
            " AND assigned_at IS NOT NULL AND ended_at IS NOT NULL"
            " ORDER BY ended_at DESC LIMIT ?",
            (line, ConversationState.ENDED.value, limit),
        )
        return [row[0] for row in rows]

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

    # the writer ------------------------------------------------------------------------
    def _schedule_scrub(self) -> None:
        """Something was erased: VACUUM ``scrub_delay`` from now (or at the next scrub/close)."""
        if not isinstance(self.path, Path):  # ":memory:" leaves nothing on disk
            return
        self._scrub_due = True
        if self.scrub_delay is not None and (self._scrub_task is None or self._scrub_task.done()):
            self._scrub_task = asyncio.create_task(
                self._scrub_later(self.scrub_delay), name="sqlite-scrub"
            )

    async def _write(self, *statements: Statement, checkpoint: bool = False) -> int:
        """Queue one atomic write and wait until it is committed (or rejected)."""
        if self._db is None or self._closing or self._writer is None or self._writer.done():
            raise RuntimeError("The store is not open.")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)
        self._queue.put_nowait(_Write(statements, done, checkpoint))
        # Shielded: once queued, a write is carried out even if its caller gives up waiting.
        return await asyncio.shield(done)

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """One statement in one hop to aiosqlite's thread, never inside an open batch."""
        if self._db is None:
            raise RuntimeError("The store is not open.")
        async with self._gate:
            return list(await self._db.execute_fetchall(sql, params))

    async def _write_loop(self) -> None:
        """Drain the queue into batches until the ``None`` that :meth:`close` sends."""
        while True:
            batch: list[_Write] = []
            stop = False
            item = await self._queue.get()
            while True:
                if item is None:
                    stop = True
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if batch:
                await self._commit(batch)
            if stop:  # close() refuses new writes before it queues None, so None came last
                return

    async def _commit(self, batch: list[_Write]) -> None:
        """Commit ``batch`` in one transaction, then answer every waiting caller."""
        assert self._db is not None
        db = self._db
        outcomes: list[int | BaseException]
        try:
            async with self._gate:
                try:
                    outcomes = await self._run(db, batch, isolate=False)
                except Exception:
                    await db.rollback()
                    outcomes = await self._run(db, batch, isolate=True)
                try:
                    await db.execute("COMMIT")
                except BaseException:
                    await db.rollback()
                    raise
                self.commits += 1
                if any(w.checkpoint for w in batch):
                    await self._checkpoint(db)
        except BaseException as error:
            log.error("SQLite rejected a batch of %d writes", len(batch), exc_info=error)
            await _rollback_quietly(db)
            outcomes = [error] * len(batch)
            if not isinstance(error, Exception):  # cancelled: answer everyone, then stop
                _answer(batch, [RuntimeError("The store was shut down.")] * len(batch))
                raise
        _answer(batch, outcomes)

    @staticmethod
    async def _run(
        db: aiosqlite.Connection, batch: list[_Write], *, isolate: bool
    ) -> list[int | BaseException]:
        """Execute the batch inside ``BEGIN``; with ``isolate`` each write gets a savepoint."""
        await db.execute("BEGIN IMMEDIATE")
        outcomes: list[int | BaseException] = []
        for write in batch:
            if isolate:
                await db.execute("SAVEPOINT write")
            try:
                rowcount = 0
                for sql, params in write.statements:
                    rowcount = (await db.execute(sql, params)).rowcount
            except Exception as error:
                if not isolate:
                    raise
                await db.execute("ROLLBACK TO write")
                await db.execute("RELEASE write")
                outcomes.append(error)
                continue
            if isolate:
                await db.execute("RELEASE write")
            outcomes.append(rowcount)
        return outcomes

    async def _scrub_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.scrub()
        except Exception:
            log.error(
                "VACUUM after an erase failed; it is retried at the next erase or close",
                exc_info=True,
            )

    async def _checkpoint(self, db: aiosqlite.Connection) -> None:
        """Copy the WAL into the file and truncate it, so erased text leaves the WAL too."""
        if not isinstance(self.path, Path):
            return
        try:
            rows = await db.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = next(iter(rows))[0]
        except sqlite3.Error:
            log.warning("WAL checkpoint after an erase failed", exc_info=True)
            return
        if busy:
            log.warning("WAL checkpoint after an erase was blocked by another reader")


# The DELETE's rebalancing moves not-yet-deleted cells between pages and can leave their old
# bytes in unused page space, out of reach of secure_delete (seen with SQLite 3.40). An UPDATE to
# a payload of the same size rewrites each cell in place, so the text is blanked where it lies
# before any row moves. Each erase appends its condition (which conversation, which roles).
_BLANK_TEXT = "UPDATE messages SET text = CAST(zeroblob(length(CAST(text AS BLOB))) AS TEXT) WHERE "


# helpers ---------------------------------------------------------------------------------
_CONVERSATION_COLUMNS = (
    "id",
    "line",
    "lang",
    "state",
    "token_hash",
    "created_at",
    "intake",
    "priority",
    "operator_id",
    "assigned_at",
    "ended_at",
    "ended_by",
    "end_reason",
    "risk",
    "last_seq",
    "answered",
)


async def _migrate(db: aiosqlite.Connection) -> None:
    """Apply the steps this file has not seen yet, each with its version in one transaction."""
    rows = await db.execute_fetchall("PRAGMA user_version")
    version = next(iter(rows))[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"The database has schema version {version}, newer than this chatserver knows "
            f"({len(MIGRATIONS)}); upgrade chatserver or use a backup."
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        await db.execute("BEGIN IMMEDIATE")
        try:
            for sql in step:
                await db.execute(sql)
            await db.execute(f"PRAGMA user_version = {int(number)}")
            await db.execute("COMMIT")
        except BaseException:
            await _rollback_quietly(db)
            raise


async def _rollback_quietly(db: aiosqlite.Connection) -> None:
    try:
        await db.rollback()
    except sqlite3.Error:
        log.warning("SQLite rollback failed", exc_info=True)


def _answer(batch: list[_Write], outcomes: Sequence[int | BaseException]) -> None:
    for write, outcome in zip(batch, outcomes, strict=True):
        if write.done.done():
            continue
        if isinstance(outcome, BaseException):
            write.done.set_exception(outcome)
        else:
            write.done.set_result(outcome)


def _retrieved(done: asyncio.Future[int]) -> None:
    """Mark the outcome as seen: a caller that gave up waiting must not cause a GC warning."""
    if not done.cancelled():
        done.exception()


def _create_private(path: Path) -> None:
    """Create the file owner-only before SQLite does: it holds transcripts (-wal and -shm
    files inherit its permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


def _hour(at: float) -> int:
    return int(at // HOUR) * HOUR


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _count(table: str, column: str, line: str, hour: int, key: str) -> Statement:
    return (
        f"INSERT INTO {table} (line, hour, {column}, count) VALUES (?, ?, ?, 1)"
        f" ON CONFLICT (line, hour, {column}) DO UPDATE SET count = count + 1",
        (line, hour, key),
    )


# the columns an account can change after it was created, in one order for INSERT and UPDATE
_ACCOUNT_COLUMNS = (
    "username", "alias", "role", "password_hash", "lines", "languages", "capacity", "backup",
    "active", "totp_secret",
)  # fmt: skip


def _account_values(account: Account) -> tuple[Any, ...]:
    return (
        account.username.lower(),
        account.alias,
        account.role,
        account.password_hash,
        _json(list(account.lines)),
        _json(list(account.languages)),
        account.capacity,
        int(account.backup),
        int(account.active),
        account.totp_secret,
    )


def _account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        alias=row["alias"],
        role=row["role"],
        password_hash=row["password_hash"],
        lines=tuple(json.loads(row["lines"])),
        languages=tuple(json.loads(row["languages"])),
        capacity=row["capacity"],
        backup=bool(row["backup"]),
        active=bool(row["active"]),
        totp_secret=row["totp_secret"],
        created_at=row["created_at"],
    )


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        line=row["line"],
        lang=row["lang"],
        state=ConversationState(row["state"]),
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        intake=json.loads(row["intake"]),
        priority=row["priority"],
        operator_id=row["operator_id"],
        assigned_at=row["assigned_at"],
        ended_at=row["ended_at"],
        ended_by=row["ended_by"],
        end_reason=row["end_reason"],
        risk=Risk(row["risk"]),
        last_seq=row["last_seq"],
        answered=bool(row["answered"]),
    )
