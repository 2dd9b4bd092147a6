"""What only the embedded SQLite store promises about its schema: migrations from every older
file, no column for a visitor's identity, a private file, and a closed store that stays closed.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from chatserver.backends import embedded
from chatserver.backends.base import StatsDelta
from chatserver.backends.embedded import SqliteStore
from chatserver.hub.model import Role
from chatserver.privacy.sanitize import to_html

from .conftest import Opener
from .records import T0, account, audit, conversation, ended, hold, message


@pytest.mark.asyncio
async def test_schema_version_and_migrations(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """An upgrade of chatserver migrates an existing file once and keeps its data."""
    store = SqliteStore(sqlite_path)
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await store.close()
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)

    later = [*embedded.MIGRATIONS, ("CREATE TABLE later_feature (x INTEGER)",)]
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", later)
    for _ in range(2):  # the second start finds nothing left to do
        store = SqliteStore(sqlite_path)
        await opened(store)
        assert await store.conversation("c1") == conversation("c1")
        await store.close()
        assert _user_version(sqlite_path) == len(later)


@pytest.mark.asyncio
async def test_a_file_from_before_the_audit_log_gains_it(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading from the first release keeps its chats and starts auditing."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:1])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    assert _user_version(sqlite_path) == 1
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    await store.add_audit(audit(T0))
    assert await store.audit_entries(T0, T0) == [audit(T0)]
    assert await store.conversation("c1") == conversation("c1")


@pytest.mark.asyncio
async def test_a_file_from_before_holds_gains_them(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps its chats and audit log, and supervisors can place holds."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:2])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(ended("c1", T0, T0 + 10))
    await store.add_audit(audit(T0))
    await store.close()
    assert _user_version(sqlite_path) == 2
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    await store.add_hold(hold("c1"))
    assert await store.holds() == [hold("c1")]
    assert await store.audit_entries(T0, T0) == [audit(T0)]
    assert await store.conversation("c1") == ended("c1", T0, T0 + 10)


@pytest.mark.asyncio
async def test_a_file_from_before_histograms_gains_them(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps its hourly figures; histograms start from the upgrade on."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:3])
    store = await opened(SqliteStore(sqlite_path))
    await store.close()
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote it
        raw.execute(
            "INSERT INTO stats_hourly (line, hour, offered) VALUES (?, ?, 1)",
            ("general", int(T0 // 3600) * 3600),
        )
    assert _user_version(sqlite_path) == 3
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert [h.offered for h in await store.hour_stats("general", T0, T0 + 3600)] == [1]
    assert await store.hour_histograms("general", T0, T0 + 3600) == []
    await store.add_stats(StatsDelta("general", T0, answered=1, wait=70.0))
    [hour] = await store.hour_histograms("general", T0, T0 + 3600)
    assert hour.wait == [0, 0, 1, 0, 0, 0, 0, 0]


@pytest.mark.asyncio
async def test_a_file_from_before_author_aliases_keeps_its_messages(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps every message; the volunteers' ones gain their alias."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:4])
    store = await opened(SqliteStore(sqlite_path))
    await store.add_account(account(1))
    await store.save_conversation(conversation("c1"))
    await store.close()
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote them
        raw.executemany(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("c1", 1, "c1-1", "visitor", "hallo?", T0 + 1, None),
                ("c1", 2, "c1-2", "operator", "Ik ben er", T0 + 2, "op1"),
                ("c1", 3, "c1-3", "note", "rustig", T0 + 3, "op1"),
                ("c1", 4, "c1-4", "operator", "van wie?", T0 + 4, "op-unknown"),
            ],
        )
    assert _user_version(sqlite_path) == 4
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    kept = await store.messages("c1")
    assert [(m.seq, m.role, m.text, m.author) for m in kept] == [
        (1, Role.VISITOR, "hallo?", None),
        (2, Role.OPERATOR, "Ik ben er", "op1"),
        (3, Role.NOTE, "rustig", "op1"),
        (4, Role.OPERATOR, "van wie?", "op-unknown"),
    ]
    assert [m.author_alias for m in kept] == [None, "Sam1", "Sam1", None]
    later = message("c1", 5, "nog iets", role=Role.OPERATOR, author="op1", author_alias="Sam")
    await store.append_message(later)
    assert (await store.messages("c1", after_seq=4)) == [later]


@pytest.mark.asyncio
async def test_a_file_from_before_kept_html_gains_it_for_every_message(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps every message, and each gains its sanitized HTML at the
    upgrade, so replaying an old transcript parses nothing."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:5])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    texts = ["zie www.113.nl", "<b>vet</b> & meer", "gewoon tekst"]
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote them
        raw.executemany(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author,"
            " author_alias) VALUES ('c1', ?, ?, 'visitor', ?, ?, NULL, NULL)",
            [(n, f"c1-{n}", text, T0 + n) for n, text in enumerate(texts, start=1)],
        )
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    kept = await store.messages("c1")
    assert [m.text for m in kept] == texts
    assert [m.html for m in kept] == [to_html(text) for text in texts]
    assert kept[0].html is not None and 'href="http://www.113.nl"' in kept[0].html


@pytest.mark.asyncio
async def test_a_file_from_before_system_codes_keeps_its_system_lines(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """After the upgrade, system lines written before it are kept as they were (shown as
    their stored text) and new ones carry their code."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:5])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote it
        raw.execute(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author, author_alias)"
            " VALUES ('c1', 1, 'c1-1', 'system', 'Sam is er.', ?, NULL, NULL)",
            (T0 + 1,),
        )
    assert _user_version(sqlite_path) == 5
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    [old] = await store.messages("c1")
    assert (old.text, old.code, old.params) == ("Sam is er.", None, {})
    later = message("c1", 2, "x", role=Role.SYSTEM, code="requeued")
    await store.append_message(later)
    assert await store.messages("c1", after_seq=1) == [later]


@pytest.mark.asyncio
async def test_a_newer_database_is_refused(sqlite_path: Path) -> None:
    """Running an older chatserver on a newer file stops at start-up instead of damaging it."""
    with sqlite3.connect(sqlite_path) as raw:
        raw.execute(f"PRAGMA user_version = {len(embedded.MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        await SqliteStore(sqlite_path).open()


@pytest.mark.asyncio
async def test_no_column_can_hold_a_visitor_identity(sqlite_store: SqliteStore) -> None:
    """Privacy by construction: there is nowhere to put an address, user agent or cookie."""
    await sqlite_store.close()
    forbidden = re.compile(r"^ip$|^ip_|addr|agent|cookie|fingerprint|remote", re.IGNORECASE)
    with sqlite3.connect(sqlite_store.path) as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = [c[1] for t in tables for c in raw.execute(f"PRAGMA table_info({t})")]
    assert columns and not [c for c in columns if forbidden.search(c)]


@pytest.mark.asyncio
async def test_database_file_is_private(sqlite_store: SqliteStore, sqlite_path: Path) -> None:
    """Transcripts on disk are readable by the server's own user only."""
    await sqlite_store.save_conversation(conversation("c1"))
    for suffix in ("", "-wal"):
        mode = stat.S_IMODE(os.stat(f"{sqlite_path}{suffix}").st_mode)
        assert mode & 0o077 == 0, suffix


@pytest.mark.asyncio
async def test_in_memory_store_for_tests(opened: Opener) -> None:
    """Fast hub tests can run on ':memory:' with the same behaviour."""
    store = SqliteStore(":memory:")
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await asyncio.gather(*(store.append_message(message("c1", s)) for s in range(1, 11)))
    assert await store.erase_messages("c1") == 10
    await store.close()


@pytest.mark.asyncio
async def test_writes_after_close_are_refused(sqlite_store: SqliteStore) -> None:
    """A late write during shutdown fails loudly instead of being silently dropped."""
    await sqlite_store.close()
    with pytest.raises(RuntimeError):
        await sqlite_store.save_conversation(conversation("c1"))


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])
