"""``chatserver serve`` as an administrator runs it: a real process, started and stopped.

Start-up must never end in a traceback: a damaged database or a data folder that is a file
is told in plain words, with what to do, and exit code 1. Stopping (SIGTERM, as systemd and
every container runtime send it) drains within ``server.shutdown_seconds`` and keeps every
acknowledged message.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from chatserver.backends.embedded import SqliteStore
from tests.e2e.conftest import CONFIG, PASSWORD

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


def test_a_node_name_a_load_balancer_cannot_match_is_refused_with_the_rule(
    tmp_path: Path,
) -> None:
    """``--node`` starts every session id, and nginx or HAProxy match on it: a name with a
    space or a dot would break that, so it is refused at start with what is allowed."""
    result = chatserver(
        "serve", "--config", str(CONFIG), "--data", str(tmp_path), "--port", "0",
        "--node", "Chat 1.a",
    )  # fmt: skip
    assert result.returncode == 2
    assert "lower-case letters, digits or '-'" in result.stderr
    assert "Traceback" not in result.stderr


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


# -- stopping --------------------------------------------------------------------------------

BOUND = 5  # server.shutdown_seconds of the test's configuration


class Client:
    """A socket.io client that records every event it receives, as a browser's would."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: defaultdict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)

        async def record(event: str, data: Any = None) -> None:
            await self.inbox[event].put(data)

        self.sio.on("*", record, namespace=namespace)

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=10)

    async def next(self, event: str) -> Any:
        return await asyncio.wait_for(self.inbox[event].get(), 10)


async def started(process: asyncio.subprocess.Process) -> str:
    """The URL the server prints once it listens (port 0: the one it got)."""
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)).decode()
        assert line, "the server stopped before it listened"
        found = re.search(r"running at (http://\S+)", line)
        if found:
            return found[1]


async def test_sigterm_with_clients_drains_in_time_and_keeps_what_was_acknowledged(
    tmp_path: Path,
) -> None:
    """SIGTERM while a visitor and a volunteer are chatting (and writing): both are told, the
    process exits 0 within server.shutdown_seconds, and every message that was acknowledged
    is in the database afterwards."""
    config = tmp_path / "chatserver.toml"
    settings = CONFIG.read_text().replace(
        "[server]\n", f"[server]\nshutdown_seconds = {BOUND}\n", 1
    )  # a visitor typing faster than a person may: the burst below is all acknowledged
    config.write_text(settings + "\n[abuse]\nmessages_per_minute = 6000\nburst = 100\n")
    data = tmp_path / "data"
    added = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "operator", "add", "anna", "--role", "volunteer",
        "--password-stdin", "--config", str(config), "--data", str(data),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await added.communicate((PASSWORD + "\n").encode())
    assert added.returncode == 0
    with (tmp_path / "server.log").open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatserver", "serve", "--config", str(config),
            "--data", str(data), "--host", "127.0.0.1", "--port", "0",
            stdout=asyncio.subprocess.PIPE, stderr=log,
        )  # fmt: skip
        try:
            url = await started(process)
            acknowledged = await chat_until_sigterm(url, process)
            began = time.monotonic()
            code = await asyncio.wait_for(process.wait(), BOUND + 5)
            took = time.monotonic() - began
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert code == 0, (tmp_path / "server.log").read_text()
    assert took < BOUND, f"took {took:.1f} s"
    with contextlib.closing(sqlite3.connect(data / "chatserver.db")) as raw:
        stored = {row[0] for row in raw.execute("SELECT id FROM messages")}
    assert len(acknowledged) >= 30 and acknowledged <= stored


async def chat_until_sigterm(url: str, process: asyncio.subprocess.Process) -> set[str]:
    """A chat in full flow, SIGTERM in the middle of a burst of messages; the ids of every
    message whose acknowledgement arrived."""
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        cookie = f"chat_session={response.cookies['chat_session'].value}"
    volunteer, visitor = Client("/operator"), Client("/visitor")
    await volunteer.sio.connect(
        url, namespaces=["/operator"], headers={"Cookie": cookie}, transports=["websocket"]
    )
    assert (await volunteer.call("status", {"state": "available"}))["ok"]
    await visitor.sio.connect(
        url, namespaces=["/visitor"], auth={"line": "chat"}, transports=["websocket"]
    )
    start = await visitor.call("start", {"consent": True})
    assert start["ok"], start
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    acknowledged: set[str] = set()
    for n in range(15):
        acknowledged.add((await visitor.call("message", {"text": f"bericht {n}"}))["id"])
        answer = {"conversation_id": conversation, "text": f"antwoord {n}"}
        acknowledged.add((await volunteer.call("message", answer))["id"])
    burst = [
        asyncio.ensure_future(visitor.call("message", {"text": f"nog {n}"})) for n in range(20)
    ]
    process.send_signal(signal.SIGTERM)
    for outcome in await asyncio.gather(*burst, return_exceptions=True):
        if isinstance(outcome, dict) and outcome.get("ok"):
            acknowledged.add(outcome["id"])
    for client in (visitor, volunteer):
        told = await client.next("draining")
        assert told["retry_after"] == BOUND
        await client.sio.disconnect()
    return acknowledged
