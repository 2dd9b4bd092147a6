"""A client cannot send the events that python-socketio keeps for itself.

``connect`` and ``disconnect`` are what the server calls when a socket really comes and goes.
Sent by a client as ordinary events they would reset the visitor's rate limit, tell the
volunteer the visitor left while they are still there (and end the chat after the grace
period), or give a blocked visitor a fresh pseudonym. The python-socketio client refuses to
send them, so these tests write the packets by hand, as a hostile script would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatserver.hub import events as ev
from chatserver.privacy.abuse import Limits
from tests.backends.factories import Backend
from tests.e2e.conftest import Env, running
from tests.e2e.raw import RawSocket
from tests.floors import FloorKind

RESERVED = ["connect", "disconnect", "connect_error", "__disconnect_final"]


@pytest.fixture
async def guarded(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    """A server with the shipped limits (all test clients share one address: 127.0.0.1)."""
    async with running(tmp_path, limits=Limits(), backend=backend, floor=floor_kind) as env:
        yield env


async def raw_visitor(env: Env) -> tuple[RawSocket, str]:
    """A hand-written visitor in a conversation; its conversation id."""
    raw = await RawSocket.open(env.url)
    await raw.join("/visitor", {"line": "chat", "lang": "nl"})
    started = await raw.call("/visitor", "start", {"consent": True})
    assert started["ok"], started
    return raw, started["conversation_id"]


async def test_a_forged_disconnect_keeps_the_rate_limit(guarded: Env) -> None:
    """A script that sends ``disconnect`` between messages is still slowed down."""
    raw, _ = await raw_visitor(guarded)
    try:
        answers = [await raw.call("/visitor", "message", {"text": f"m{n}"}) for n in range(11)]
        assert all(a["ok"] for a in answers[:10])
        assert answers[10]["error"]["code"] == "rate_limited"
        refused = await raw.call("/visitor", "disconnect", "client namespace disconnect")
        assert refused["ok"] is False and refused["error"]["code"] == "unknown_event"
        again = await raw.call("/visitor", "message", {"text": "nog een"})
        assert again["ok"] is False and again["error"]["code"] == "rate_limited"
    finally:
        await raw.close()


async def test_a_forged_disconnect_does_not_tell_the_volunteer_the_visitor_left(
    env: Env,
) -> None:
    """The volunteer hears nothing of a fake departure, and the chat outlives the grace
    period while the visitor's socket is open."""
    volunteer = await env.operator("kees")
    raw, conversation = await raw_visitor(env)
    try:
        await volunteer.next("assigned")
        for name in RESERVED:
            answer = await raw.call("/visitor", name, "transport close")
            assert answer["ok"] is False and answer["error"]["code"] == "unknown_event", name
        await volunteer.settle()
        assert volunteer.pending("visitor_connection") == []
        await env.advance(env.hub.settings.routing.visitor_grace_seconds + 1)
        assert await env.hub.is_open(conversation)
        assert (await raw.call("/visitor", "message", {"text": "nog hier"}))["ok"]
    finally:
        await raw.close()


async def test_a_forged_connect_gives_a_blocked_visitor_no_new_pseudonym(guarded: Env) -> None:
    """A blocked visitor cannot run ``connect`` again with an empty environment (no address)
    to get a fresh pseudonym and start anew."""
    volunteer = await guarded.operator("anna")
    _, conversation = await raw_visitor(guarded)
    await volunteer.next("assigned")
    assert (await volunteer.call("block", {"conversation_id": conversation}))["blocked"]
    raw = await RawSocket.open(guarded.url)
    try:
        await raw.join("/visitor", {"line": "chat"})
        forged = await raw.call("/visitor", "connect", {}, {"line": "chat"})
        assert forged["ok"] is False and forged["error"]["code"] == "unknown_event"
        start = await raw.call("/visitor", "start", {"consent": True})
        assert start["ok"] is False and start["error"]["code"] == "blocked"
    finally:
        await raw.close()


async def test_an_operator_cannot_forge_its_own_departure_or_arrival(env: Env) -> None:
    """On /operator too: a forged ``disconnect`` does not take the volunteer off the floor,
    and a forged ``connect`` does not count a second console, one that could never leave (its
    chats would stay with a volunteer who is gone)."""
    operator_id = await env.account("mia")
    cookie = await env.cookie("mia")
    raw = await RawSocket.open(env.url, headers={"Cookie": cookie})
    left: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def watch(event: ev.Event) -> None:
        gone = isinstance(event, ev.OperatorConnection) and not event.connected
        if gone and not left.done():
            left.set_result(None)

    env.hub.bus.subscribe(watch)
    try:
        await raw.join("/operator")
        for name in RESERVED:
            answer = await raw.call("/operator", name, {"HTTP_COOKIE": cookie}, None)
            assert answer["ok"] is False and answer["error"]["code"] == "unknown_event", name
        status = await raw.call("/operator", "status", {"state": "available"})
        assert status["ok"], status
        assert not left.done()
        assert [o["id"] for o in (await env.hub.dashboard())["operators"]] == [operator_id]
    finally:
        await raw.close()
    await asyncio.wait_for(left, 5)  # the real departure still counts
    assert (await env.hub.dashboard())["operators"] == []
