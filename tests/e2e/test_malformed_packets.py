"""Garbage on the wire: answered where it can be, logged once per connection, cut off.

Before, a packet python-socketio could not parse (a 101-digit ack id, JSON nested thousands
deep) was logged by Engine.IO as an ERROR with a traceback, every time: a script wrote
134 MB of log in ten seconds. An event whose payload was bad JSON got no ack at all.
"""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import Env
from tests.e2e.raw import RawPolling, RawSocket

LONG_ID = "42/visitor," + "1" * 101 + '["message",{"text":"x"}]'
DEEP = "[" * 5000 + "]" * 5000


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records no garbage may cause: errors, and anything with a traceback."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def warnings_about_garbage(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "chatserver.realtime.packets"]


async def joined(env: Env) -> RawSocket:
    raw = await RawSocket.open(env.url)
    await raw.join("/visitor", {"line": "chat", "lang": "nl"})
    return raw


async def test_a_flood_of_garbage_is_logged_once_and_cut_off(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """Unparseable packets cost one warning line per connection, no traceback; the tenth
    closes the connection, and other visitors keep their round trip throughout."""
    caplog.set_level(logging.INFO)
    bystander, _ = await env.start()
    raw = await joined(env)
    garbage = env.server.sio.garbage
    try:
        for _ in range(9):
            await raw.send(LONG_ID)
        alive = await raw.call("/visitor", "typing", {"active": True})
        assert alive["error"]["code"] == "no_conversation"  # still answered
        assert (await bystander.call("message", {"text": "ik ben er nog"}))["ok"]
        await raw.send(LONG_ID)
        await raw.send("3")  # whatever comes next finds the connection closed
        assert await raw.closed()
        assert "1" in raw.received  # Engine.IO's CLOSE packet
    finally:
        await raw.close()
    assert garbage.total == 10 and garbage.cut_off == 1
    assert len(warnings_about_garbage(caplog)) == 1
    assert problems(caplog) == []
    assert (await bystander.call("message", {"text": "nog steeds"}))["ok"]


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (DEEP, "nested too deeply"),
        ('{"text": ' + "9" * 200 + "}", "larger than this server accepts"),
        ('{"text": 12345678901234567890}', "larger than this server accepts"),
        ('{"text": NaN}', "not a JSON number"),
        ('{"text": "hoi \\ud800"}', "not text"),
        ('{"text": "hoi"', "not valid JSON"),
    ],
)
async def test_an_event_with_bad_json_still_gets_an_ack(
    env: Env, caplog: pytest.LogCaptureFixture, payload: str, why: str
) -> None:
    """Deep nesting, huge numbers, NaN, a lone surrogate or broken JSON in an event's
    payload: the client hears ``invalid_payload`` and why, and its chat goes on."""
    raw = await joined(env)
    try:
        started = await raw.call("/visitor", "start", {"consent": True})
        assert started["ok"]
        await raw.send(f'42/visitor,77["message",{payload}]')
        answer = await raw.answer("/visitor", 77)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid_payload"
        assert why in answer["error"]["message"]
        assert (await raw.call("/visitor", "message", {"text": "gewoon"}))["ok"]
    finally:
        await raw.close()
    assert problems(caplog) == []
    messages = await env.hub.store.messages(started["conversation_id"])
    assert [m.text for m in messages] == ["gewoon"]


async def test_bad_payloads_that_were_answered_never_disconnect(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that keeps sending bad JSON with an ack id hears why each time and stays
    connected: only packets that cannot be answered count towards the cut-off."""
    raw = await joined(env)
    try:
        for _ in range(15):
            answer = await raw.call("/visitor", "message", {"text": 2**60})
            assert answer["error"]["code"] == "invalid_payload"
            assert (await raw.call("/visitor", "connect", {}))["error"]["code"] == "unknown_event"
        answer = await raw.call("/visitor", "typing", {"active": True})
        assert answer["error"]["code"] == "no_conversation"
    finally:
        await raw.close()
    assert env.server.sio.garbage.total == 30 and env.server.sio.garbage.cut_off == 0
    assert len(warnings_about_garbage(caplog)) == 1


@pytest.mark.parametrize(
    "auth",
    [DEEP, '{"line": "chat", "token": "\\ud800"}', '{"line": "chat", "since": 1' + "0" * 30 + "}"],
)
async def test_a_connection_request_with_bad_json_is_refused_with_a_code(
    env: Env, caplog: pytest.LogCaptureFixture, auth: str
) -> None:
    """A bad ``auth`` object is refused like any other refused connection, with a code,
    not left unanswered with a traceback in the log."""
    raw = await RawSocket.open(env.url)
    try:
        await raw.send(f"40/visitor,{auth}")
        answer = await raw.receive()
        assert answer.startswith("44/visitor,"), answer
        assert '"code":"invalid_payload"' in answer
    finally:
        await raw.close()
    assert problems(caplog) == []


async def test_frames_engine_io_cannot_decode_do_not_end_the_connection(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty WebSocket frame, or one that is no Engine.IO packet, used to end the request
    with an ERROR traceback (a type above 6 logged one for every frame); now it is dropped
    and counted like any garbage."""
    raw = await joined(env)
    try:
        for frame in ["", "x", "4" + DEEP, "b!!", "7", "9 hello", "0"]:
            await raw.send(frame)
        answer = await raw.call("/visitor", "typing", {"active": True})
        assert answer["error"]["code"] == "no_conversation"
    finally:
        await raw.close()
    assert env.server.sio.garbage.total == 7
    assert len(warnings_about_garbage(caplog)) == 1
    assert problems(caplog) == []


async def test_binary_packets_are_refused(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    """The protocol is JSON only: a binary event announcing a million attachments (which
    would keep every following frame in memory) is refused, as is a stray binary frame."""
    raw = await joined(env)
    try:
        await raw.send('451000000-/visitor,5["message",{"_placeholder":true,"num":0}]')
        await raw.ws.send_bytes(b"\x00" * 1000)
        answer = await raw.call("/visitor", "typing", {"active": True})
        assert answer["error"]["code"] == "no_conversation"
        assert not any(p.startswith("43/visitor,5[") for p in raw.received)
    finally:
        await raw.close()
    assert env.server.sio.garbage.total == 2
    assert problems(caplog) == []


async def test_garbage_over_long_polling_is_answered_400_and_logged_once(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """A long-polling POST that is no Engine.IO payload used to be answered 200 after an
    ERROR traceback; now it gets 400 at once, and the connection's first is logged."""
    session = await RawPolling.open(env.url)
    try:
        status, _ = await session.post('40/visitor,{"line":"chat"}')
        assert status == 200
        for body in ["", "x", "\x1e".join(["6"] * 17), "4" + DEEP]:
            status, _ = await session.post(body.encode() or b"\xff")
            assert status == 400, body[:10]
        status, _ = await session.post(LONG_ID)  # Socket.IO garbage in a sound payload
        assert status == 200
        assert "40/visitor," in await session.poll()
    finally:
        await session.close()
    assert env.server.sio.garbage.total == 5
    assert len(warnings_about_garbage(caplog)) == 1
    assert problems(caplog) == []


async def test_an_oversized_long_polling_post_is_answered_at_once(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """A POST above maxPayload used to hold its request open until the client polled again
    (never, for a script): it gets 413 at once, and the session is closed."""
    session = await RawPolling.open(env.url)
    try:
        assert (await session.post('40/visitor,{"line":"chat"}'))[0] == 200
        limit = env.server.sio.eio.max_http_buffer_size
        text = "x" * limit
        status, _ = await session.post(f'42/visitor,1["message",{{"text":"{text}"}}]')
        assert status == 413
        assert session.sid not in env.server.sio.eio.sockets  # the session is closed
    finally:
        await session.close()
    assert problems(caplog) == []
