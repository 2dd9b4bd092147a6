"""What the test_retention_* files share: the test config's retention policy and variants
of it, a store on a file of its own, ended chats with every role of message, and the raw bytes
of the database as someone with the disk would read them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from chatserver.backends.embedded import SqliteStore
from chatserver.hub.model import Conversation, ConversationState, Message, Risk, Role
from chatserver.settings import Settings, load_settings

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
