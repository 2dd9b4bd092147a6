"""Retention on the disk and at the command line: purged text is gone from the file and its
WAL byte for byte, and an administrator can purge (or count first) with chatserver purge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from chatserver.backends.embedded import SqliteStore
from chatserver.cli import main
from chatserver.hub.model import Conversation, ConversationState, Message, Role
from chatserver.privacy.retention import PurgeReport, purge
from chatserver.settings import RetentionSettings, Settings
from tests.privacy.retention_world import CONFIG, DAY, MARKER, NOW, chat, policy, raw
from tests.privacy.retention_world import db as db  # the fixtures
from tests.privacy.retention_world import settings as settings
from tests.privacy.retention_world import store as store


# the bytes on the disk ------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_purged_text_is_gone_from_the_file_and_the_wal(
    settings: Settings, store: SqliteStore, db: Path
) -> None:
    """After the purge nobody can read a purged transcript back from the database file or its
    WAL, not even with the raw bytes; kept transcripts are still there."""
    for n in range(40):  # many pages, so rebalancing has a chance to leave fragments
        await chat(store, f"old{n}", NOW - 31 * DAY, words=f"{MARKER}-{n} " + "z" * 400)
        await chat(store, f"new{n}", NOW - DAY, words=f"KEPT-{n} " + "k" * 400)
    assert MARKER.encode() in raw(db)
    report = await purge(store, settings, NOW)
    assert report.conversations == 40
    on_disk = raw(db)  # the server still running: what a kill -9 would leave behind
    assert MARKER.encode() not in on_disk
    assert b"note about old" not in on_disk
    assert b"KEPT-39" in on_disk  # the search does read the data that is there
    await store.close()
    after = raw(db)
    assert MARKER.encode() not in after and b"KEPT-39" in after


@pytest.mark.asyncio
async def test_no_fragment_survives_a_busy_evening_of_purges(
    settings: Settings, store: SqliteStore, db: Path
) -> None:
    """Chats of every length end and are purged one after another while others go on. The
    b-tree rebalancing this causes leaves stale copies of text in unused page space, which
    no delete reaches; the purge's closing VACUUM removes them, so no purged chat can be
    pieced together from the file."""
    settings = policy(settings, transcripts_days=0, notes_days=0)
    chats = [f"c{n}" for n in range(8)]
    for cid in chats:
        await store.save_conversation(
            Conversation(cid, "chat", "nl", ConversationState.ACTIVE, f"h-{cid}", NOW)
        )
    seqs = dict.fromkeys(chats, 0)

    async def chatter(rounds: int, among: list[str]) -> None:
        for n in range(rounds):
            cid = among[(n * 5 + n // 7) % len(among)]
            seqs[cid] += 1
            size = (5, 50, 300, 1000, 5000, 20000)[(n * 7) % 6] * ((n * 13) % 5) // 4
            text = f"<{MARKER}:{cid}>" + "é" * size
            seq = seqs[cid]
            await store.append_message(Message(f"{cid}-{seq}", cid, seq, Role.VISITOR, text, NOW))

    async def end_and_purge(cid: str) -> None:
        record = await store.conversation(cid)
        assert record is not None
        ended = dataclasses.replace(record, state=ConversationState.ENDED, ended_at=NOW)
        await store.save_conversation(ended)
        assert (await purge(store, settings, NOW)).conversations == 1

    await chatter(900, chats)
    purged: list[str] = []
    for cid in ("c3", "c0", "c6"):
        await end_and_purge(cid)
        purged.append(cid)
        await chatter(300, [c for c in chats if c not in purged])
    await end_and_purge("c5")
    purged.append("c5")
    on_disk = raw(db)
    for cid in chats:
        assert (f"<{MARKER}:{cid}>".encode() in on_disk) == (cid not in purged), cid


# the command line -----------------------------------------------------------------------------
def test_cli_purge_dry_run_then_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`chatserver purge --dry-run` tells what is due and keeps it; `chatserver purge` removes
    it. (Synchronous: the command runs its own event loop, as it does in a shell.)"""
    data = tmp_path / "data"
    database = data / "chatserver.db"
    now = time.time()

    async def fill() -> None:
        store = SqliteStore(database)
        await store.open()
        try:
            await chat(store, "old", now - 40 * DAY, words=MARKER)
            await chat(store, "new", now - DAY)
        finally:
            await store.close()

    asyncio.run(fill())
    args = ["purge", "--config", str(CONFIG), "--data", str(data)]

    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out == "Would remove 3 messages and 2 private notes from 1 conversation.\n"
    assert MARKER.encode() in raw(database)

    assert main(args) == 0
    assert capsys.readouterr().out == (
        "Removed 3 messages and 2 private notes from 1 conversation.\n"
    )
    assert MARKER.encode() not in raw(database)
    assert main(args) == 0
    assert capsys.readouterr().out == "Nothing was due: nothing was removed.\n"


def test_cli_purge_without_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A purge before the server ever ran says so and creates no empty database."""
    data = tmp_path / "empty"
    assert main(["purge", "--config", str(CONFIG), "--data", str(data), "--dry-run"]) == 0
    assert "nothing to purge" in capsys.readouterr().out
    assert not (data / "chatserver.db").exists()


def test_report_sentences_in_the_singular_and_plural() -> None:
    """The report reads as plain sentences an administrator can paste into a log book."""
    one = PurgeReport(conversations=1, messages=1, audit_entries=1, holds_lapsed=1, held=1)
    assert one.lines() == [
        "Released 1 safeguarding hold past its term.",
        "Removed 1 message from 1 conversation.",
        "Removed 1 audit log entry past the term.",
        "1 conversation due for removal was kept back by a safeguarding hold.",
    ]
    many = PurgeReport(dry_run=True, conversations=3, notes=12, holds_lapsed=2, held=2)
    assert many.lines() == [
        "Would release 2 safeguarding holds past their term.",
        "Would remove 12 private notes from 3 conversations.",
        "2 conversations due for removal would be kept back by a safeguarding hold.",
    ]
    assert PurgeReport(dry_run=True).lines() == ["Nothing is due: nothing would be removed."]
    assert RetentionSettings().hold_max_days == 30
