"""The embedded store's schema: every table as a numbered migration, applied at start-up.

A helpline upgrades chatserver in place and keeps its file: the schema version lives in the
file (``PRAGMA user_version``) and :func:`migrate` applies the steps that file has not seen,
each in its own transaction, so an upgrade interrupted half-way starts again cleanly.

Privacy by construction: no table has a column for an address, a user agent or a cookie.
"""

from __future__ import annotations

import logging
import sqlite3

import aiosqlite

from chatserver.backends.base import StoreUnusable
from chatserver.privacy.sanitize import to_html

log = logging.getLogger(__name__)

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
    # 5: the author's alias with each message, as it was when posted, so a transcript still
    # names its volunteer after they logged off or were renamed. Messages from before the
    # upgrade get the alias their author's account has now: the best knowledge there is.
    (
        "ALTER TABLE messages ADD COLUMN author_alias TEXT",
        """UPDATE messages SET author_alias =
            (SELECT alias FROM accounts WHERE accounts.id = messages.author)
            WHERE author IS NOT NULL""",
    ),
    # 6: a system line's code and parameters beside its text. The text stays in the visitor's
    # language (what the visitor read); a volunteer's console words the line from the code in
    # its own language. Lines from before the upgrade have neither and are shown as stored.
    (
        "ALTER TABLE messages ADD COLUMN code TEXT",
        "ALTER TABLE messages ADD COLUMN params TEXT",  # a JSON object of strings, or NULL
    ),
    # 7: each message's sanitized HTML, made once when it is posted, so a transcript sent again
    # (a resume, a reconnect, a supervisor observing) is not parsed again. Messages from before
    # the upgrade get theirs here, from the same sanitizer (``sanitized_html``, see migrate).
    (
        "ALTER TABLE messages ADD COLUMN html TEXT",
        "UPDATE messages SET html = sanitized_html(text) WHERE html IS NULL",
    ),
    # 8: follow-up by unique link (issue 12): the visitor's space behind a link (its key only
    # as a hash), letter threads and letters, agreed next chats, the chats a space holds; and
    # their counts in the hourly statistics. No foreign key from space_conversations to
    # conversations: a conversation's record outlives the space, and erasing a space must not
    # touch statistics.
    (
        """CREATE TABLE spaces (
            id TEXT PRIMARY KEY,
            line TEXT NOT NULL,
            lang TEXT NOT NULL,
            key_hash TEXT UNIQUE,  -- sha256 of the link's secret; NULL once revoked
            created_at REAL NOT NULL,
            active_at REAL NOT NULL,
            revoked_at REAL
        )""",
        "CREATE INDEX spaces_active ON spaces(line, active_at)",
        """CREATE TABLE letter_threads (
            id TEXT PRIMARY KEY,
            space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
            line TEXT NOT NULL,
            lang TEXT NOT NULL,
            created_at REAL NOT NULL,
            active_at REAL NOT NULL,
            waiting_since REAL,  -- the oldest unanswered visitor letter; NULL when answered
            due_at REAL,
            owner TEXT,  -- the volunteer who took the thread
            note TEXT  -- a colleague's handover note
        )""",
        "CREATE INDEX letter_threads_space ON letter_threads(space_id)",
        "CREATE INDEX letter_threads_waiting ON letter_threads(waiting_since)",
        "CREATE INDEX letter_threads_owner ON letter_threads(owner)",
        """CREATE TABLE letters (
            thread_id TEXT NOT NULL REFERENCES letter_threads(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            html TEXT NOT NULL,
            at REAL NOT NULL,
            author TEXT,
            author_alias TEXT,
            PRIMARY KEY (thread_id, seq)
        )""",
        """CREATE TABLE appointments (
            id TEXT PRIMARY KEY,
            space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
            line TEXT NOT NULL,
            lang TEXT NOT NULL,
            operator_id TEXT NOT NULL,
            at REAL NOT NULL,
            note TEXT NOT NULL,
            source_conversation TEXT NOT NULL,
            created_at REAL NOT NULL,
            share INTEGER NOT NULL,
            keep INTEGER NOT NULL,
            state TEXT NOT NULL,
            conversation_id TEXT
        )""",
        "CREATE INDEX appointments_at ON appointments(at)",
        "CREATE INDEX appointments_space ON appointments(space_id)",
        """CREATE TABLE space_conversations (
            space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
            conversation_id TEXT NOT NULL,
            kept INTEGER NOT NULL,
            PRIMARY KEY (space_id, conversation_id)
        )""",
        "ALTER TABLE stats_hourly ADD COLUMN letters_received INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE stats_hourly ADD COLUMN letters_answered INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE stats_hourly ADD COLUMN appointments_booked INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE stats_hourly ADD COLUMN appointments_kept INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE stats_hourly ADD COLUMN appointments_missed INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE stats_hourly ADD COLUMN appointments_cancelled INTEGER NOT NULL DEFAULT 0",
    ),
    # 9: a next chat offered and not yet answered (issue 13), kept in the store instead of a
    # node's memory, so the visitor may answer on any node and after a restart. One per
    # conversation; it lapses an hour after ``made_at`` (the sweep drops it) and goes with
    # the conversation's messages when they are erased.
    (
        """CREATE TABLE appointment_offers (
            conversation_id TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL,
            line TEXT NOT NULL,
            lang TEXT NOT NULL,
            at REAL NOT NULL,
            note TEXT NOT NULL,  -- the volunteer's note for whoever takes the chat
            made_at REAL NOT NULL
        )""",
        "CREATE INDEX appointment_offers_made ON appointment_offers(made_at)",
    ),
]


async def migrate(db: aiosqlite.Connection) -> None:
    """Apply the steps this file has not seen yet, each with its version in one transaction.

    Steps may call ``sanitized_html(text)``: the one sanitizer, for rows made before the HTML
    was kept with them.
    """
    await db.create_function("sanitized_html", 1, to_html, deterministic=True)
    rows = await db.execute_fetchall("PRAGMA user_version")
    version = next(iter(rows))[0]
    if version > len(MIGRATIONS):
        raise StoreUnusable(
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
            await rollback_quietly(db)
            raise


async def rollback_quietly(db: aiosqlite.Connection) -> None:
    """Roll back what is open; a failing rollback is logged, never raised over the real error."""
    try:
        await db.rollback()
    except sqlite3.Error:
        log.warning("SQLite rollback failed", exc_info=True)
