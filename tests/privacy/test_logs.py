"""Nothing that could identify a visitor reaches the logs or the database.

The promise in the privacy statement is that no IP address, forwarded address, user agent,
cookie or referrer of a visitor is kept. These tests make a complete conversation with all of
those set to distinctive values, capture every log record at DEBUG level (the access log
included, in its production format) and read the raw bytes of the SQLite file and its WAL:
none of the values may appear anywhere, also not when something goes wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatserver.backends.embedded import SqliteStore
from tests.e2e.conftest import TIMEOUT, Env, Peer

PEER_ADDRESS = "127.0.0.1"  # where the test clients really connect from
FORWARDED = "203.0.113.77"
USER_AGENT = "PrivacyProbe/9.8.7 (distinctive-ua-6f1d2c)"
COOKIE = "c00kie-5ecret-8e41b2"
REFERER = "https://referrer.example/private-page-4b7a"
HEADERS = {
    "User-Agent": USER_AGENT,
    "X-Forwarded-For": f"{FORWARDED}, 198.51.100.23",
    "Forwarded": f"for={FORWARDED};proto=https",
    "X-Real-IP": FORWARDED,
    "Cookie": f"tracker={COOKIE}",
    "Referer": REFERER,
}
IDENTIFYING = (PEER_ADDRESS, FORWARDED, USER_AGENT, COOKIE, REFERER)
# the test's own clients log on the same root logger; only the server's records count
CLIENT_LOGGERS = ("socketio.client", "engineio.client", "aiohttp.client")
SERVER_LOGGERS = (
    "aiohttp.access",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.websocket",
    "engineio.server",
    "socketio.server",
    "chatserver",
    "aiosqlite",
)


@pytest.fixture
def every_record(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, also from loggers that set their own level (engine.io)."""
    caplog.set_level(logging.DEBUG)
    for name in SERVER_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def record_text(record: logging.LogRecord) -> str:
    """Everything a log handler could write for this record: message, arguments, extra
    fields, exception and stack."""
    parts = [str(record.msg), repr(record.args), repr(vars(record))]
    with contextlib.suppress(TypeError, ValueError):  # a record whose args do not fit
        parts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    parts.extend(str(x) for x in (record.exc_text, record.stack_info) if x)
    return "\n".join(parts)


def server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]


def assert_nothing_identifying_logged(caplog: pytest.LogCaptureFixture) -> None:
    for record in server_records(caplog):
        text = record_text(record)
        for value in IDENTIFYING:
            assert value not in text, f"{value!r} logged by {record.name}: {text[:2000]}"


def database_bytes(env: Env) -> bytes:
    """The database file, its WAL and shared-memory index, as they lie on the disk."""
    store = env.hub.store
    assert isinstance(store, SqliteStore)  # the one store that lies in files
    path = Path(store.path)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def assert_nothing_identifying_stored(env: Env) -> None:
    stored = database_bytes(env)
    assert stored, "the database file was not found"
    for value in IDENTIFYING:
        for encoded in (value.encode("utf-8"), value.encode("utf-16-le")):
            assert encoded not in stored, f"{value!r} found in the database file"


async def visitor_with_headers(env: Env, transport: str) -> Peer:
    """A visitor whose browser sends every identifying header there is."""
    peer = Peer("/visitor")
    await peer.client.connect(
        env.url,
        namespaces=["/visitor"],
        auth={"line": "chat", "lang": "nl"},
        headers=HEADERS,
        transports=[transport],
        wait_timeout=TIMEOUT,
    )
    env.peers.append(peer)
    return peer


async def started(peer: Peer, **intake: str) -> str:
    ack = await peer.call("start", {"consent": True, "intake": intake})
    assert ack["ok"], ack
    peer.conversation_id = ack["conversation_id"]
    return str(ack["conversation_id"])


async def http_get(env: Env, path: str) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{env.url}{path}", headers=HEADERS) as response,
    ):
        return response.status, await response.read()


async def polling_visitor_leaves(env: Env) -> None:
    """Waits in the queue on long-polling, writes, leaves and disconnects.

    A pending long-poll is only answered at the next ping, so the ping interval is shortened
    while this visitor is connected (and restored before anyone else connects).
    """
    engine = env.server.sio.eio
    saved = engine.ping_interval, engine.ping_timeout
    engine.ping_interval = engine.ping_timeout = 1
    try:
        polling = await visitor_with_headers(env, "polling")
        conversation = await started(polling)
        assert (await polling.call("message", {"text": "Mag ik iets vragen?"}))["ok"]
        assert (await polling.call("leave", {"reason": "left"}))["ok"]
        await polling.disconnect()
    finally:
        engine.ping_interval, engine.ping_timeout = saved
    assert await env.hub.store.conversation(conversation) is not None


async def test_a_whole_conversation_leaves_no_trace_of_who_it_was(
    env: Env, every_record: pytest.LogCaptureFixture
) -> None:
    """A visitor chats, the volunteer wraps up, the visitor leaves: neither the logs nor the
    database hold the visitor's address, forwarded address, user agent, cookie or referrer."""
    assert (await http_get(env, "/api/lines"))[0] == 200
    assert (await http_get(env, "/api/lines/chat"))[0] == 200
    assert (await http_get(env, "/api/lines/no-such-line"))[0] == 404
    assert (await http_get(env, "/no/such/page"))[0] == 404

    # a visitor on HTTP long-polling: every packet is an HTTP request carrying the headers
    await polling_visitor_leaves(env)

    volunteer = await env.operator("anna", alias="Anna")
    visitor = await visitor_with_headers(env, "websocket")
    conversation = await started(visitor, topic="loneliness")
    await visitor.next("assigned")
    assert (await volunteer.next("assigned"))["conversation"]["id"] == conversation

    assert (await visitor.call("message", {"text": "Hoi, ik wil even praten."}))["ok"]
    assert (await visitor.call("typing", {"active": True}))["ok"]
    reply = {"conversation_id": conversation, "text": "Ik ben er. Vertel maar."}
    assert (await volunteer.call("message", reply))["ok"]
    assert (await volunteer.call("note", {**reply, "text": "rustig gesprek"}))["ok"]
    wrapup = {"topics": ["loneliness"], "risk": "low"}
    ended = await volunteer.call("end", {"conversation_id": conversation, "wrapup": wrapup})
    assert ended["ok"], ended
    await visitor.next("ended")
    await visitor.disconnect()

    # the capture is real: access lines and engine.io's own records were seen
    names = {record.name for record in server_records(every_record)}
    assert {"aiohttp.access", "engineio.server", "socketio.server"} <= names
    access = [r.getMessage() for r in every_record.records if r.name == "aiohttp.access"]
    assert any("/api/lines" in line for line in access)
    assert any("transport=polling" in line for line in access)

    assert_nothing_identifying_logged(every_record)
    assert_nothing_identifying_stored(env)


async def test_text_that_cannot_be_stored_is_refused_cleanly(
    env: Env, every_record: pytest.LogCaptureFixture
) -> None:
    """A lone surrogate is valid JSON but not storable text: refused as invalid_payload,
    nothing half-stored, and nothing identifying in whatever got logged on the way."""
    visitor = await visitor_with_headers(env, "websocket")
    await started(visitor)
    failed = await visitor.call("message", {"text": "hoi \ud800"})
    assert failed["error"]["code"] == "invalid_payload"
    assert (await visitor.call("message", {"text": "gewoon tekst"}))["ok"]
    assert_nothing_identifying_logged(every_record)
    assert_nothing_identifying_stored(env)


async def test_a_malformed_request_logs_no_address_nor_raw_headers(
    env: Env, every_record: pytest.LogCaptureFixture
) -> None:
    """A request aiohttp cannot parse is logged by aiohttp itself, before any of our code
    runs; that record must not name the client's address nor quote its raw header bytes."""
    host, port = env.url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            "GET /api/lines HTTP/1.1\r\nHost: chat\r\n"
            f"User-Agent: {USER_AGENT}\x01\r\nCookie: tracker={COOKIE}\r\n"
            f"X-Forwarded-For: {FORWARDED}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    await writer.wait_closed()
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400"
    assert any(r.name == "aiohttp.server" for r in every_record.records), "nothing logged"
    assert_nothing_identifying_logged(every_record)
