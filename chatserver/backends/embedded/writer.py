"""The group-commit writer: one task commits every write, many writes to one fsync.

Why it is built this way:

* **Write before ack.** Every write is queued and a single writer task commits it; the caller's
  ``await`` returns only after ``COMMIT`` has reached the disk (``synchronous=FULL``), so a
  ``kill -9`` or a power cut never loses a message a visitor saw acknowledged.
* **Group commit.** An fsync per message would make SQLite the bottleneck on a busy evening.
  The writer drains everything queued while the previous commit was on its way to the disk and
  commits it as one transaction: one fsync for many writes.
* **One statement for many rows.** In a batch, consecutive one-row inserts of the same
  statement (a busy evening's messages) go to SQLite as one multi-row insert (``_run_grouped``).
* **A bad write fails alone.** If a statement in a batch fails, the whole transaction is rolled
  back and the batch is replayed with a savepoint around each write; the culprit is rolled back
  to its savepoint and rejected, its neighbours still commit (in that same single commit).
* **Reads see only committed data.** Reads share the one connection, so a read slipped in
  between a batch's statements would see writes nobody has acknowledged yet. A gate keeps reads
  out while a batch is open; reads would wait for the commit's fsync on aiosqlite's thread
  anyway, so the gate costs next to nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import aiosqlite

from chatserver.backends.embedded.schema import rollback_quietly

log = logging.getLogger(__name__)

MAX_BATCH = 500  # bounds how long one transaction keeps reads waiting

Statement = tuple[str, Sequence[Any]]


@dataclass
class _Write:
    """One caller's write: its statements commit together or not at all."""

    statements: tuple[Statement, ...]
    done: asyncio.Future[int]  # resolves to the last statement's rowcount
    checkpoint: bool = False  # erased text: flush it out of the WAL after the commit


class GroupCommit:
    """The writer and the read gate of one SQLite connection.

    ``commits`` counts the transactions over the writer's whole life (across reopenings), so
    tests and metrics can see group commit at work: many concurrent writes, few commits.
    ``on_disk`` says whether there is a WAL to checkpoint (not for ``":memory:"``).
    """

    def __init__(self, *, on_disk: bool) -> None:
        self.on_disk = on_disk
        self.commits = 0
        # told (seconds, writes) after each commit: the server's metrics (``observe_commits``)
        self.observer: Callable[[float, int], None] | None = None
        self.gate = asyncio.Lock()
        self._db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._event_loop: asyncio.AbstractEventLoop | None = None

    def start(self, db: aiosqlite.Connection) -> None:
        """Begin committing on ``db``; queue and gate are fresh, as a reopened store may run on
        another event loop."""
        self._db = db
        self._closing = False
        # kept: asyncio.get_running_loop() asks the kernel for the process id each time (a
        # fork check), a system call for every message on the relay path (py-spy --native)
        self._event_loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self.gate = asyncio.Lock()
        self._task = asyncio.create_task(self._loop(), name="sqlite-writer")

    def refuse_writes(self) -> None:
        """From now on a write fails loudly instead of being queued behind the shutdown."""
        self._closing = True

    async def stop(self) -> None:
        """Commit whatever is still queued, then end the writer task; idempotent."""
        self._closing = True
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None
        self._db = None

    async def write(self, *statements: Statement, checkpoint: bool = False) -> int:
        """Queue one atomic write and wait until it is committed (or rejected)."""
        loop, task = self._event_loop, self._task
        if self._db is None or self._closing or loop is None or task is None or task.done():
            raise RuntimeError("The store is not open.")
        done: asyncio.Future[int] = loop.create_future()
        done.add_done_callback(_retrieved)
        self._queue.put_nowait(_Write(statements, done, checkpoint))
        # Once queued, a write is carried out even if its caller gives up waiting: a caller
        # cancelled here cancels ``done``, which only means nobody is answered (``_answer``
        # skips it); the batch still holds the write. No ``shield`` needed for that, and
        # every message passes here.
        return await done

    async def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """One statement in one hop to aiosqlite's thread, never inside an open batch."""
        if self._db is None:
            raise RuntimeError("The store is not open.")
        async with self.gate:
            return list(await self._db.execute_fetchall(sql, params))

    async def checkpoint(self, db: aiosqlite.Connection) -> None:
        """Copy the WAL into the file and truncate it, so erased text leaves the WAL too."""
        if not self.on_disk:
            return
        try:
            rows = await db.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = next(iter(rows))[0]
        except sqlite3.Error:
            log.warning("WAL checkpoint after an erase failed", exc_info=True)
            return
        if busy:
            log.warning("WAL checkpoint after an erase was blocked by another reader")

    async def _loop(self) -> None:
        """Drain the queue into batches until the ``None`` that :meth:`stop` sends."""
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
            if stop:  # stop() refuses new writes before it queues None, so None came last
                return

    async def _commit(self, batch: list[_Write]) -> None:
        """Commit ``batch`` in one transaction, then answer every waiting caller."""
        assert self._db is not None
        db = self._db
        outcomes: list[int | BaseException]
        try:
            async with self.gate:
                started = time.perf_counter()
                # the whole transaction in one hop to aiosqlite's thread, not one per statement
                statements = [write.statements for write in batch]
                on_thread = cast(Callable[..., Awaitable[list[int | BaseException]]], db._execute)
                outcomes = await on_thread(_commit_batch, db._conn, statements)
                self.commits += 1
                if self.observer is not None:  # BEGIN to COMMIT on the disk, fsync included
                    self.observer(time.perf_counter() - started, len(batch))
                if any(w.checkpoint for w in batch):
                    await self.checkpoint(db)
        except BaseException as error:
            log.error("SQLite rejected a batch of %d writes", len(batch), exc_info=error)
            await rollback_quietly(db)
            outcomes = [error] * len(batch)
            if not isinstance(error, Exception):  # cancelled: answer everyone, then stop
                _answer(batch, [RuntimeError("The store was shut down.")] * len(batch))
                raise
        _answer(batch, outcomes)


class Queries:
    """The base of the store's groups of queries (``SqliteStore`` and its mixins): every write
    goes through the group-commit writer, every read through its gate."""

    _writer: GroupCommit

    async def _write(self, *statements: Statement, checkpoint: bool = False) -> int:
        """Queue one atomic write and wait until it is committed (or rejected)."""
        return await self._writer.write(*statements, checkpoint=checkpoint)

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """One statement, never inside an open batch."""
        return await self._writer.read(sql, params)


def _commit_batch(
    conn: sqlite3.Connection, batch: list[tuple[Statement, ...]]
) -> list[int | BaseException]:
    """One batch as one transaction, run on aiosqlite's thread (``Connection._execute``, the
    hop every aiosqlite call makes; one per batch instead of one per statement). A write that
    fails makes the batch run again with a savepoint around each write, so it fails alone."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        outcomes = _run_grouped(conn, batch)
    except Exception:
        conn.rollback()
        conn.execute("BEGIN IMMEDIATE")
        outcomes = _run_isolated(conn, batch)
    try:
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return outcomes


def _run_isolated(
    conn: sqlite3.Connection, batch: list[tuple[Statement, ...]]
) -> list[int | BaseException]:
    """The batch one write at a time, each in a savepoint: a write that fails is rolled back
    alone and answered with its error, the others stay in the transaction."""
    outcomes: list[int | BaseException] = []
    for statements in batch:
        conn.execute("SAVEPOINT write")
        try:
            rowcount = 0
            for sql, params in statements:
                rowcount = conn.execute(sql, params).rowcount
        except Exception as error:
            conn.execute("ROLLBACK TO write")
            outcomes.append(error)
        else:
            outcomes.append(rowcount)
        conn.execute("RELEASE write")
    return outcomes


# a plain one-row insert: ``INSERT INTO t (a, b) VALUES (?, ?)``, nothing after the values
ROW_INSERT = re.compile(r"INSERT INTO \w+ \([\w, ]+\) VALUES (\((?:\?, )*\?\))")
MAX_PARAMETERS = 999  # per statement: SQLite's oldest limit, far below today's 32,766


def _run_grouped(
    conn: sqlite3.Connection, batch: list[tuple[Statement, ...]]
) -> list[int | BaseException]:
    """The batch, each run of writes that are one-row inserts of the same statement made one
    multi-row insert.

    Why: the relay stores every message with one such insert, and a busy batch holds dozens.
    Each ``execute`` is a call into SQLite that lets go of the GIL and must win it back from
    the event loop, which is busy answering the next messages: a batch of single inserts
    waited for the loop dozens of times, and every message in the batch waited with it (a
    closed loop of 50 chats ran about a tenth faster with the inserts grouped, issue 14).
    Same rows, same transaction, same constraints. If the grouped insert fails, the batch is
    replayed one write at a time (``_commit_batch``), so a bad write still fails alone.
    """
    outcomes: list[int | BaseException] = []
    i = 0
    while i < len(batch):
        (sql, params), *more = batch[i]
        values = None if more else ROW_INSERT.fullmatch(sql)
        j = i + 1
        if values is not None:
            most = max(1, MAX_PARAMETERS // max(1, len(params)))
            while j < len(batch) and j - i < most and len(batch[j]) == 1 and batch[j][0][0] == sql:
                j += 1
        if j - i == 1:
            rowcount = 0
            for sql, params in batch[i]:
                rowcount = conn.execute(sql, params).rowcount
            outcomes.append(rowcount)
        else:
            assert values is not None
            rows = [value for ((_, row),) in batch[i:j] for value in row]
            conn.execute(sql + f", {values[1]}" * (j - i - 1), rows)
            outcomes.extend([1] * (j - i))
        i = j
    return outcomes


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
