"""Retention: what a visitor wrote disappears on the helpline's schedule, and only then.

The promise in the privacy statement ("deleted after 30 days") must hold for the bytes on the
disk, per line, with safeguarding holds that keep one conversation back for a limited time, and
statistics that survive because they never held text. The clock is injected: every purge is
given its ``now``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chatserver.backends.base import AuditEntry, Hold, StatsDelta
from chatserver.backends.embedded import SqliteStore
from chatserver.cli import main
from chatserver.errors import InvalidPayload
from chatserver.hub.model import (
    Conversation,
    ConversationState,
    Message,
    Risk,
    Role,
    Wrapup,
)
from chatserver.privacy.retention import PurgeReport, hold_ends, new_hold, purge
from chatserver.settings import RetentionSettings, Settings, load_settings

CONFIG = Path(__file__).parent.parent / "e2e" / "test.toml"
DAY = 86400.0
NOW = 1_800_000_000.0
MARKER = "WOMBAT-4471-retention"


@pytest.fixture
def settings() -> Settings:
    return load_settings(CONFIG)  # no [retention] table: 30 days, notes 30, audit 365


def policy(settings: Settings, **terms: int) -> Settings:
    """The same settings with other global retention terms."""
    return dataclasses.replace(settings, retention=dataclasses.replace(settings.retention, **terms))


def line_policy(settings: Settings, line_id: str, transcripts: int, notes: int) -> Settings:
    """The same settings with a [lines.retention] of its own for one line."""
    own = dataclasses.replace(settings.retention, transcripts_days=transcripts, notes_days=notes)
    lines = tuple(
        dataclasses.replace(line, retention=own) if line.id == line_id else line
        for line in settings.lines
    )
    return dataclasses.replace(settings, lines=lines)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chat.sqlite"


@pytest_asyncio.fixture
async def store(db: Path) -> AsyncIterator[SqliteStore]:
    # scrub_delay=None: no timer; the purge scrubs by itself, which is what is tested
    store = SqliteStore(db, scrub_delay=None)
    await store.open()
    yield store
    await store.close()


async def chat(
    store: SqliteStore, cid: str, ended_at: float, line: str = "chat", words: str = "hello"
) -> None:
    """An ended conversation: three transcript messages, a private note and a whisper."""
    await store.save_conversation(
        Conversation(
            id=cid,
            line=line,
            lang="nl",
            state=ConversationState.ENDED,
            token_hash=f"hash-{cid}",
            created_at=ended_at - 1200,
            intake={"topic": "loneliness", "age": "16-23"},
            operator_id="op1",
            assigned_at=ended_at - 1100,
            ended_at=ended_at,
            ended_by="visitor",
            risk=Risk.HIGH,
            last_seq=5,
            answered=True,
        )
    )
    texts = [
        (Role.SYSTEM, "Sam joined"),
        (Role.VISITOR, f"{words} from the visitor of {cid}"),
        (Role.OPERATOR, f"{words} from the volunteer of {cid}"),
        (Role.NOTE, f"note about {cid}"),
        (Role.WHISPER, f"whisper about {cid}"),
    ]
    for seq, (role, text) in enumerate(texts, start=1):
        author = None if role in (Role.SYSTEM, Role.VISITOR) else "op1"
        await store.append_message(
            Message(f"{cid}-{seq}", cid, seq, role, text, ended_at - 600 + seq, author)
        )


async def roles(store: SqliteStore, cid: str) -> list[Role]:
    return [m.role for m in await store.messages(cid)]


ALL = [Role.SYSTEM, Role.VISITOR, Role.OPERATOR, Role.NOTE, Role.WHISPER]
NOTES = [Role.NOTE, Role.WHISPER]


def raw(path: Path) -> bytes:
    """The database file and its WAL, byte for byte, as someone with the disk would read them."""
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )


# the purge ------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_dry_run_counts_but_removes_nothing(settings: Settings, store: SqliteStore) -> None:
    """An administrator sees what a purge would remove before anything is removed."""
    await chat(store, "old1", NOW - 40 * DAY)
    await chat(store, "old2", NOW - 31 * DAY)
    await chat(store, "new", NOW - 29 * DAY)
    for n in range(3):
        await store.add_audit(AuditEntry(NOW - 400 * DAY + n, "op1", "observe", "old1"))
    await store.add_audit(AuditEntry(NOW - DAY, "op1", "observe", "new"))

    report = await purge(store, settings, NOW, dry_run=True)
    assert report == PurgeReport(
        dry_run=True, conversations=2, messages=6, notes=4, audit_entries=3
    )
    assert report.lines() == [
        "Would remove 6 messages and 4 private notes from 2 conversations.",
        "Would remove 3 audit log entries past the term.",
    ]
    for cid in ("old1", "old2", "new"):
        assert await roles(store, cid) == ALL
    assert len(await store.audit_entries(0, NOW)) == 4
    assert await purge(store, settings, NOW, dry_run=True) == report  # still all there


@pytest.mark.asyncio
async def test_purge_removes_what_is_past_its_term_and_keeps_the_rest(
    settings: Settings, store: SqliteStore
) -> None:
    """After 30 days a transcript and its notes are gone; a newer one stays. The record,
    wrap-up and statistics of the conversation stay: they hold no text."""
    await chat(store, "old", NOW - 30 * DAY)  # exactly 30 days: due
    await chat(store, "new", NOW - 30 * DAY + 1)
    await store.save_wrapup(Wrapup("old", "op1", ("loneliness",), Risk.HIGH, NOW - 30 * DAY))
    await store.add_stats(StatsDelta("chat", NOW - 30 * DAY, answered=1, wait=100.0))
    await store.add_audit(AuditEntry(NOW - 366 * DAY, "op1", "observe", "old"))
    await store.add_audit(AuditEntry(NOW - 364 * DAY, "op1", "takeover", "old"))

    report = await purge(store, settings, NOW)
    assert report == PurgeReport(conversations=1, messages=3, notes=2, audit_entries=1)
    assert report.lines() == [
        "Removed 3 messages and 2 private notes from 1 conversation.",
        "Removed 1 audit log entry past the term.",
    ]
    assert await store.messages("old") == []
    assert await roles(store, "new") == ALL
    record = await store.conversation("old")
    assert record is not None and record.risk == Risk.HIGH and record.intake["topic"]
    assert await store.wrapup("old") is not None
    [hour] = await store.hour_stats("chat", NOW - 31 * DAY, NOW)
    assert hour.answered == 1
    assert [e.action for e in await store.audit_entries(0, NOW)] == ["takeover"]

    again = await purge(store, settings, NOW)  # nothing left to do: nothing done
    assert again == PurgeReport()
    assert again.lines() == ["Nothing was due: nothing was removed."]


@pytest.mark.asyncio
async def test_notes_kept_longer_than_the_transcript(
    settings: Settings, store: SqliteStore
) -> None:
    """A helpline keeping notes longer (for the volunteers' debriefs) loses the transcript on
    its own term and the notes on theirs."""
    settings = policy(settings, transcripts_days=7, notes_days=60)
    await chat(store, "c1", NOW)
    assert (await purge(store, settings, NOW + 6 * DAY)).messages == 0
    report = await purge(store, settings, NOW + 8 * DAY)
    assert (report.messages, report.notes) == (3, 0)
    assert await roles(store, "c1") == NOTES
    assert await purge(store, settings, NOW + 59 * DAY) == PurgeReport()
    report = await purge(store, settings, NOW + 60 * DAY)
    assert (report.conversations, report.messages, report.notes) == (1, 0, 2)
    assert report.lines() == ["Removed 2 private notes from 1 conversation."]
    assert await store.messages("c1") == []


@pytest.mark.asyncio
async def test_zero_days_removes_at_the_first_purge(settings: Settings, store: SqliteStore) -> None:
    """A line with 0 days keeps nothing after the conversation; other lines keep their term."""
    settings = line_policy(settings, "chat", transcripts=0, notes=0)
    assert settings.retention_for("chat").transcripts_days == 0
    await chat(store, "now", NOW, line="chat")
    await chat(store, "evening", NOW - DAY, line="evening")
    report = await purge(store, settings, NOW)
    assert (report.conversations, report.messages, report.notes) == (1, 3, 2)
    assert await store.messages("now") == []
    assert await roles(store, "evening") == ALL


@pytest.mark.asyncio
async def test_a_line_removed_from_the_config_still_follows_the_global_term(
    settings: Settings, store: SqliteStore
) -> None:
    """Deleting a line from the configuration never stops the purge of its old chats."""
    await chat(store, "retired-old", NOW - 31 * DAY, line="retired")
    await chat(store, "retired-new", NOW - 29 * DAY, line="retired")
    assert (await purge(store, settings, NOW)).conversations == 1
    assert await store.messages("retired-old") == []
    assert await roles(store, "retired-new") == ALL


# safeguarding holds ---------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_held_conversation_survives_until_the_hold_ends(
    settings: Settings, store: SqliteStore
) -> None:
    """A supervisor's hold keeps an acute conversation for follow-up; when the hold lapses
    the conversation goes at the next purge, and the lapse is in the audit log."""
    settings = policy(settings, transcripts_days=0, notes_days=0)
    await chat(store, "held", NOW)
    await chat(store, "other", NOW)
    await store.add_hold(new_hold(settings, "held", "sup1", "acute risk, team follows up", NOW, 7))

    report = await purge(store, settings, NOW + DAY)
    assert (report.conversations, report.held) == (1, 1)
    assert (
        report.lines()[-1] == "1 conversation due for removal was kept back by a safeguarding hold."
    )
    assert await roles(store, "held") == ALL
    assert await store.messages("other") == []

    dry = await purge(store, settings, NOW + 7 * DAY, dry_run=True)
    assert (dry.holds_lapsed, dry.conversations, dry.held) == (1, 1, 0)
    assert dry.lines()[0] == "Would release 1 safeguarding hold past its term."
    assert await store.hold("held") is not None  # a dry run releases nothing

    report = await purge(store, settings, NOW + 7 * DAY)
    assert (report.holds_lapsed, report.conversations, report.held) == (1, 1, 0)
    assert await store.messages("held") == []
    assert await store.holds() == []
    [lapse] = await store.audit_entries(NOW, NOW + 7 * DAY)
    assert (lapse.action, lapse.conversation_id, lapse.detail) == ("hold_lapsed", "held", "sup1")


@pytest.mark.asyncio
async def test_a_hold_never_outlasts_the_configured_maximum(
    settings: Settings, store: SqliteStore
) -> None:
    """Lowering hold_max_days also shortens holds already placed: no hold keeps text longer
    than the organisation's current policy allows."""
    await chat(store, "c1", NOW - 40 * DAY)
    await store.add_hold(Hold("c1", "sup1", "follow-up", NOW - 20 * DAY, NOW + 100 * DAY))
    assert (await purge(store, settings, NOW)).held == 1  # 30-day maximum: 10 days left
    shorter = policy(settings, hold_max_days=10)
    [hold] = await store.holds()
    assert hold_ends(hold, shorter) == NOW - 10 * DAY
    report = await purge(store, shorter, NOW)
    assert (report.holds_lapsed, report.messages) == (1, 3)


def test_a_new_hold_follows_the_policy(settings: Settings) -> None:
    """A hold needs a reason and lasts at most hold_max_days (the default is the maximum)."""
    hold = new_hold(settings, "c1", "sup1", "  acute risk  ", NOW)
    assert hold == Hold("c1", "sup1", "acute risk", NOW, NOW + 30 * DAY)
    assert new_hold(settings, "c1", "sup1", "x", NOW, days=1).expires_at == NOW + DAY
    for reason, days in (("", None), ("   ", 3), ("x" * 501, 3), ("ok", 0), ("ok", 31)):
        with pytest.raises(InvalidPayload):
            new_hold(settings, "c1", "sup1", reason, NOW, days)


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
