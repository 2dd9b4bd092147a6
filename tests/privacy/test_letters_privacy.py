"""Letters leave no trace where they should not: "forget me" and the retention purge leave
no letter text in the SQLite file or its WAL, and the link's key never reaches a log line
(the access log logs the request line; the key travels only in request bodies)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.backends.embedded import SqliteStore
from tests.privacy.test_logs import every_record as every_record  # the fixture
from tests.privacy.test_logs import record_text, server_records
from tests.web.letters import answer_thread, first_letter, letters_server, post

FORGOTTEN = "WOMBAT-5521-forget-me"
PURGED = "NUMBAT-8810-purge-me"
KEPT = "QUOLL-3307-still-here"


def raw(path: Path) -> bytes:
    """The database file and its WAL/SHM companions, as a thief would read them."""
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


async def test_forgotten_and_purged_letters_are_gone_from_the_disk(tmp_path: Path) -> None:
    """After "forget me" the visitor's letters and the answer are not in the file's bytes; a
    space idle past the line's term goes the same way at the purge; a fresh one stays."""
    async with letters_server(tmp_path) as env:
        store = env.hub.store
        assert isinstance(store, SqliteStore) and isinstance(store.path, Path)
        forgotten = await first_letter(env, f"{FORGOTTEN} " + "x" * 2000)
        thread = forgotten["space"]["threads"][0]["id"]
        await answer_thread(env, thread, f"answer to {FORGOTTEN}")
        body = {"key": forgotten["key"], "text": f"{FORGOTTEN} again", "thread_id": thread}
        assert (await post(env, "/api/space/letters", body)).status == 201
        await first_letter(env, f"{PURGED} " + "y" * 2000)
        await store.scrub()
        assert FORGOTTEN.encode() in raw(store.path)  # the check reads what is there

        assert (await post(env, "/api/space/forget", {"key": forgotten["key"]})).status == 200
        await store.scrub()
        assert FORGOTTEN.encode() not in raw(store.path)
        assert PURGED.encode() in raw(store.path)

        days = env.hub.settings.retention_for("chat").transcripts_days
        await env.advance(days * 86400 + 3600)
        await first_letter(env, KEPT)
        await store.scrub()
        on_disk = raw(store.path)
        assert PURGED.encode() not in on_disk and FORGOTTEN.encode() not in on_disk
        assert KEPT.encode() in on_disk


async def test_the_key_never_reaches_a_log_line(
    tmp_path: Path, every_record: pytest.LogCaptureFixture
) -> None:
    """Every route that carries a key, the access log in its production format included:
    neither the key nor the replaced key appears in any record (the store keeps only its
    hash), nor the letter's words in any record of the server's own."""
    async with letters_server(tmp_path) as env:
        written = await first_letter(env, "Mijn geheime brief 7c1e")
        key = written["key"]
        thread = written["space"]["threads"][0]["id"]
        await post(env, "/api/space", {"key": key})
        await post(env, "/api/space/letters", {"key": key, "text": "terug", "thread_id": thread})
        new_key = (await post(env, "/api/space/key", {"key": key})).json()["key"]
        await post(env, "/api/space", {"key": key})  # the old one: wrong now
        await post(env, "/api/space/forget", {"key": new_key})
    records = server_records(every_record)
    texts = [record_text(r) for r in records]
    assert any("POST /api/space/forget" in text for text in texts)  # the access log is here
    for text in texts:
        assert key not in text and new_key not in text
    # the database driver's DEBUG trace prints every statement's parameters (chat messages
    # too); everything of our own keeps the letter's words out
    for record in records:
        if not record.name.startswith("aiosqlite"):
            assert "geheime brief" not in record_text(record)
