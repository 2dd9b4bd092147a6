"""What only the embedded SQLite store promises about its file on disk and its commits.

Erased text is gone from the file and its WAL byte for byte; concurrent writes share commits
and each write is all or nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from chatserver.backends.embedded import SqliteStore
from chatserver.hub.model import Role

from .conftest import Opener
from .records import T0, TRANSCRIPT, conversation, ended, hold, message

# the embedded store only ------------------------------------------------------------------------
MARKER = "QUOKKA-7731-erase-me"


def _raw(path: Path) -> bytes:
    """The database file and its WAL/SHM companions, byte for byte, as a thief would read them."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            data += part.read_bytes()
    return data


@pytest.mark.asyncio
async def test_erased_text_is_gone_from_the_disk(sqlite_path: Path, opened: Opener) -> None:
    """A visitor's erased words cannot be read back from the database or WAL file, even if
    the server is killed right after erasing."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(conversation("secret"))
    await store.save_conversation(conversation("kept"))
    for seq in range(1, 200):  # enough to spread over many pages
        await store.append_message(message("secret", seq, f"{MARKER} {seq} " + "x" * 300))
        await store.append_message(message("kept", seq, f"KEPT-TEXT {seq}"))
    assert MARKER.encode() in _raw(sqlite_path)

    assert await store.erase_messages("secret") == 199
    on_disk = _raw(sqlite_path)  # still open: what a kill -9 would leave behind
    assert MARKER.encode() not in on_disk
    assert b"KEPT-TEXT 199" in on_disk  # the check does read the data that is there

    await store.close()
    after = _raw(sqlite_path)
    assert MARKER.encode() not in after
    assert b"KEPT-TEXT 199" in after


@pytest.mark.asyncio
async def test_erased_text_leaves_no_fragments_after_busy_use(
    sqlite_path: Path, opened: Opener
) -> None:
    """Even after a long evening of chats ending and being erased (b-tree pages rebalanced
    many times), a scrub leaves no fragment of any erased transcript on the disk. (Without
    the scrub, this very sequence leaves pieces of the last erased chat in unused page space.)
    """
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    chats = [f"c{n}" for n in range(8)]
    for cid in chats:
        await store.save_conversation(conversation(cid))
    seqs = dict.fromkeys(chats, 0)

    async def chatter(rounds: int, among: list[str]) -> None:
        for n in range(rounds):
            cid = among[(n * 5 + n // 7) % len(among)]
            seqs[cid] += 1
            size = (5, 50, 300, 1000, 5000, 20000)[(n * 7) % 6] * ((n * 13) % 5) // 4
            await store.append_message(message(cid, seqs[cid], f"<{MARKER}:{cid}>" + "é" * size))

    await chatter(900, chats)
    erased: list[str] = []
    for cid in ("c3", "c0", "c6"):
        await store.erase_messages(cid)
        erased.append(cid)
        await chatter(300, [c for c in chats if c not in erased])
    await store.erase_messages("c5")
    erased.append("c5")
    await store.scrub()
    on_disk = _raw(sqlite_path)
    for cid in chats:
        assert (f"<{MARKER}:{cid}>".encode() in on_disk) == (cid not in erased), cid
    await store.close()
    after = _raw(sqlite_path)
    assert not [cid for cid in erased if f"<{MARKER}:{cid}>".encode() in after]


@pytest.mark.asyncio
async def test_a_partial_erase_is_gone_from_the_disk(sqlite_path: Path, opened: Opener) -> None:
    """Erasing a transcript but keeping its notes removes the transcript's words from the
    file and WAL at once, and after the scrub; the notes are still readable."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(ended("c1", T0, T0 + 10))
    for seq in range(1, 150):
        role = Role.NOTE if seq % 3 == 0 else Role.VISITOR
        text = f"NOTE-KEPT {seq}" if role == Role.NOTE else f"{MARKER} {seq} " + "y" * 200
        await store.append_message(message("c1", seq, text, role=role))
    assert await store.erase_transcript("c1", TRANSCRIPT) == 100
    for data in (_raw(sqlite_path), await _raw_after_scrub(store, sqlite_path)):
        assert MARKER.encode() not in data
        assert b"NOTE-KEPT 147" in data
    assert len(await store.messages("c1")) == 49


async def _raw_after_scrub(store: SqliteStore, path: Path) -> bytes:
    await store.scrub()
    return _raw(path)


@pytest.mark.asyncio
async def test_a_released_hold_leaves_no_reason_on_disk(sqlite_path: Path, opened: Opener) -> None:
    """A hold's reason may describe the visitor's situation: released, it is erased too."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(ended("c1", T0, T0 + 10))
    await store.add_hold(hold("c1", reason=f"{MARKER} plans for friday"))
    assert MARKER.encode() in _raw(sqlite_path)
    assert await store.release_hold("c1")
    assert MARKER.encode() not in _raw(sqlite_path)
    await store.close()
    assert MARKER.encode() not in _raw(sqlite_path)


@pytest.mark.asyncio
async def test_scrub_follows_an_erase_by_itself(sqlite_path: Path, opened: Opener) -> None:
    """Nobody has to remember to clean up after a 'delete my conversation': it happens."""
    store = SqliteStore(sqlite_path, scrub_delay=0.01)
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1))
    vacuumed = asyncio.Event()
    real_scrub = store.scrub

    async def watched_scrub() -> None:
        await real_scrub()
        vacuumed.set()

    store.scrub = watched_scrub  # type: ignore[method-assign]
    await store.erase_messages("c1")
    await asyncio.wait_for(vacuumed.wait(), timeout=5)


@pytest.mark.asyncio
async def test_concurrent_writes_share_commits(sqlite_store: SqliteStore) -> None:
    """Many volunteers typing at once do not wait for one disk flush each (group commit)."""
    await sqlite_store.save_conversation(conversation("c1"))
    before = sqlite_store.commits
    await asyncio.gather(*(sqlite_store.append_message(message("c1", s)) for s in range(1, 201)))
    used = sqlite_store.commits - before
    assert 1 <= used < 200
    assert len(await sqlite_store.messages("c1")) == 200


@pytest.mark.asyncio
async def test_messages_of_one_batch_are_inserted_together(sqlite_store: SqliteStore) -> None:
    """Messages arriving together (many chats at once) reach SQLite as a few multi-row
    inserts, not one call each; every one is stored as sent, and kept in its own chat."""
    chats = [f"c{n}" for n in range(20)]
    for cid in chats:
        await sqlite_store.save_conversation(conversation(cid))
    inserts: list[str] = []
    db = sqlite_store._db
    assert db is not None
    await db.set_trace_callback(  # every statement SQLite runs, on aiosqlite's thread
        lambda sql: inserts.append(sql) if sql.startswith("INSERT INTO messages") else None
    )
    try:
        await asyncio.gather(
            *(sqlite_store.append_message(message(cid, s)) for s in (1, 2) for cid in chats)
        )
    finally:
        await db.set_trace_callback(lambda sql: None)  # the store lives on after the test
    assert 1 <= len(inserts) < 40
    for cid in chats:
        assert await sqlite_store.messages(cid) == [message(cid, 1), message(cid, 2)]


@pytest.mark.asyncio
async def test_a_write_whose_caller_gave_up_is_still_kept(sqlite_store: SqliteStore) -> None:
    """A handler cancelled while its message waits for the disk (its client went away)
    does not take the message back: once queued, it is stored, and the rest of the batch
    with it."""
    await sqlite_store.save_conversation(conversation("c1"))
    given_up = asyncio.ensure_future(sqlite_store.append_message(message("c1", 1)))
    waited = asyncio.ensure_future(sqlite_store.append_message(message("c1", 2)))
    await asyncio.sleep(0)  # both queued
    given_up.cancel()
    await waited
    with pytest.raises(asyncio.CancelledError):
        await given_up
    assert [m.seq for m in await sqlite_store.messages("c1")] == [1, 2]


@pytest.mark.asyncio
async def test_a_failing_write_in_a_batch_commits_the_rest_once(
    sqlite_store: SqliteStore,
) -> None:
    """A refused write costs its neighbours neither their data nor an extra disk flush."""
    await sqlite_store.save_conversation(conversation("c1"))
    await sqlite_store.append_message(message("c1", 1))
    before = sqlite_store.commits
    results = await asyncio.gather(
        sqlite_store.append_message(message("c1", 2)),
        sqlite_store.append_message(message("c1", 1, "duplicate")),
        sqlite_store.append_message(message("c1", 3)),
        return_exceptions=True,
    )
    assert results[0] is None and isinstance(results[1], ValueError) and results[2] is None
    assert sqlite_store.commits - before == 1
    assert [m.text for m in await sqlite_store.messages("c1")] == [
        message("c1", s).text for s in (1, 2, 3)
    ]


@pytest.mark.asyncio
async def test_a_write_is_all_or_nothing(sqlite_store: SqliteStore) -> None:
    """A write of several statements that fails half-way leaves no half of itself behind."""
    await sqlite_store.save_conversation(conversation("c1"))
    half = sqlite_store._write(
        ("UPDATE conversations SET priority = 9 WHERE id = ?", ("c1",)),
        ("INSERT INTO no_such_table VALUES (1)", ()),
    )
    results = await asyncio.gather(
        half, sqlite_store.append_message(message("c1", 1)), return_exceptions=True
    )
    assert isinstance(results[0], sqlite3.OperationalError) and results[1] is None
    stored = await sqlite_store.conversation("c1")
    assert stored is not None and stored.priority == 0
    assert len(await sqlite_store.messages("c1")) == 1


@pytest.mark.asyncio
async def test_message_for_unknown_conversation_is_refused(sqlite_store: SqliteStore) -> None:
    """A message can never end up detached from a conversation (and so escape its purge)."""
    with pytest.raises(ValueError):
        await sqlite_store.append_message(message("ghost", 1))


@pytest.mark.asyncio
async def test_durability_and_privacy_pragmas(sqlite_store: SqliteStore) -> None:
    """An acknowledged message survives a power cut, and erased rows are overwritten."""
    db = sqlite_store._db
    assert db is not None
    expected = {"journal_mode": "wal", "synchronous": 2, "secure_delete": 1, "foreign_keys": 1}
    for pragma, value in expected.items():
        [row] = await db.execute_fetchall(f"PRAGMA {pragma}")
        assert row[0] == value, pragma
