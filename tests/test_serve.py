"""``chatserver serve`` as an administrator runs it: a real process, started and stopped.

Start-up must never end in a traceback: a damaged database or a data folder that is a file
is told in plain words, with what to do, and exit code 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from chatserver.backends.embedded import SqliteStore
from tests.e2e.conftest import CONFIG

STARTUP_TIMEOUT = 30.0


def chatserver(*args: str, timeout: float = STARTUP_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver", *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def serve_once(data: Path) -> subprocess.CompletedProcess[str]:
    """``serve`` that is expected to refuse to start (it would otherwise run until killed)."""
    return chatserver(
        "serve", "--config", str(CONFIG), "--data", str(data), "--host", "127.0.0.1",
        "--port", "0",
    )  # fmt: skip


def test_a_data_folder_that_is_a_file_is_one_clear_line(tmp_path: Path) -> None:
    """A typo in --data that names a file stops the server with one line, not a traceback."""
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("notes\n")
    result = serve_once(not_a_folder)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(not_a_folder) in lines[0] and "not a folder" in lines[0]


def _damage(database: Path) -> None:
    """Overwrite part of a table's page, as a failing disk or a bad copy would."""
    with database.open("r+b") as raw:
        raw.seek(4096 * 3)
        raw.write(b"\xff" * 64)


def test_a_damaged_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    """A damaged file stops the start-up: the message names the file and says how to recover,
    and the file is left exactly as it was (no write can make it worse)."""
    data = tmp_path / "data"
    database = data / "chatserver.db"

    async def fill() -> None:
        store = SqliteStore(database, scrub_delay=None)
        await store.open()
        await store.close()
        with contextlib.closing(sqlite3.connect(database)) as raw, raw:
            raw.execute("CREATE TABLE filler (x TEXT)")  # enough rows for several pages
            raw.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)

    asyncio.run(fill())
    _damage(database)
    before = database.read_bytes()
    result = serve_once(data)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert str(database) in result.stderr and "damaged" in result.stderr
    assert "backup" in result.stderr and ".recover" in result.stderr
    assert database.read_bytes() == before


def test_a_file_that_is_no_database_is_named(tmp_path: Path) -> None:
    """Something else saved under the database's name is refused the same way."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "chatserver.db").write_bytes(b"this is a spreadsheet, not a database" * 200)
    result = serve_once(data)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(data / "chatserver.db") in result.stderr and "damaged" in result.stderr
