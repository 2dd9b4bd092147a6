"""Abuse protection without identity: rate limits, limits per source, blocks that lapse."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.privacy.abuse import Limits
from tests.backends.factories import Backend
from tests.e2e.conftest import TIMEOUT, Env, running
from tests.floors import FloorKind


@pytest.fixture
async def guarded(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    """A server with the shipped limits (all test clients share one address: 127.0.0.1)."""
    async with running(tmp_path, limits=Limits(), backend=backend, floor=floor_kind) as env:
        yield env


async def test_a_flood_of_messages_is_slowed_down(guarded: Env) -> None:
    """A script cannot flood a volunteer: after a burst, messages are refused for a while."""
    visitor, _ = await guarded.start()
    answers = [await visitor.call("message", {"text": f"m{n}"}) for n in range(11)]
    assert all(a["ok"] for a in answers[:10])
    assert answers[10]["error"]["code"] == "rate_limited"
    guarded.clock.advance(2)  # 30 a minute: one new message every two seconds
    assert (await visitor.call("message", {"text": "weer"}))["ok"]
    assert len(await guarded.hub.store.messages(visitor.conversation_id or "")) == 11


async def test_a_family_sharing_one_connection_is_served(guarded: Env) -> None:
    """A fourth and a fifth person behind one router (a family, a shelter, a school) are
    served like anyone else: one shared address never turns someone in crisis away."""
    for _ in range(5):
        await guarded.start()
    assert (await guarded.hub.line_status("chat")).waiting == 5


async def test_volunteers_see_several_chats_come_from_one_connection(guarded: Env) -> None:
    """Past three open chats from one connection, the volunteer who gets the next one and
    the supervisor's live floor see "several chats from one connection" (and how many) -
    a family, a shelter or a prank - instead of that person being refused."""
    boss = await guarded.operator("sara", status="paused", role="supervisor", alias="Sara")
    assert (await boss.call("monitor", {}))["ok"]
    anna = await guarded.operator("anna", capacity=5)
    for _ in range(5):
        await guarded.start()
    assigned = [(await anna.next("assigned"))["conversation"] for _ in range(5)]
    assert [c["shared_connection"] for c in assigned] == [0, 0, 0, 4, 5]
    board = await boss.until("dashboard", lambda b: len(b["conversations"]) == 5)
    hints = {c["id"]: c["shared_connection"] for c in board["conversations"]}
    assert hints == {c["id"]: c["shared_connection"] for c in assigned}


async def test_a_flood_from_one_connection_is_refused_kindly(guarded: Env) -> None:
    """Only a flood meets the ceiling (25 open chats from one connection, far above any
    household), and even then the refusal is kind, says what to do, and lists the line's
    emergency numbers; once a chat ends, the next person gets in."""
    ceiling = Limits().conversations_ceiling
    started = [await guarded.start("evening") for _ in range(ceiling)]
    extra = await guarded.visitor("evening")
    refused = await extra.call("start", {"consent": True})
    error = refused["error"]
    assert error["code"] == "rate_limited" and error["reason"] == "shared_connection"
    assert "try again in a few minutes" in error["message"]
    assert "emergency numbers" in error["message"]
    assert [c["phone"] for c in error["emergency"]][:1] == ["112"]
    assert (await guarded.hub.line_status("evening")).waiting == ceiling

    first, _ = started[0]
    assert (await first.call("leave", {}))["ok"]
    assert (await extra.call("start", {"consent": True}))["ok"]


async def test_a_block_keeps_the_visitor_out_until_the_key_changes(guarded: Env) -> None:
    """A volunteer blocks an abusive visitor; the block is neutral and lapses with the key."""
    volunteer = await guarded.operator("anna")
    _visitor, _ = await guarded.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    assert (await volunteer.call("block", {"conversation_id": conversation}))["blocked"] is True
    await volunteer.call(
        "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
    )
    again = await guarded.visitor()
    refused = await again.call("start", {"consent": True})
    assert refused["error"]["code"] == "blocked"
    assert any(c.get("phone") == "112" for c in refused["error"]["emergency"])
    entries = await guarded.hub.store.audit_entries(0, guarded.clock.now() + 1)
    assert [e.action for e in entries] == ["block"]

    guarded.clock.advance(86400)  # a new day: a new key, so the block has lapsed
    later = await guarded.visitor()
    assert (await later.call("start", {"consent": True}))["ok"]


async def test_only_the_holder_may_block(guarded: Env) -> None:
    """A colleague cannot block someone else's visitor."""
    await guarded.operator("anna")
    await guarded.start()
    bram = await guarded.operator("bram", status="paused")
    anna = await guarded.hub.store.account_by_username("anna")
    assert anna is not None
    conversation = (await guarded.hub.held(anna.id))[0].id
    assert (await bram.call("block", {"conversation_id": conversation}))["error"]["code"] == (
        "forbidden"
    )


async def test_reconnecting_with_the_token_does_not_refill_the_message_budget(
    guarded: Env,
) -> None:
    """A script that reconnects with its resume token after every burst gets no new burst:
    the budget belongs to the conversation, not to the connection."""
    visitor, ack = await guarded.start()
    accepted = 0
    for _ in range(4):
        for n in range(12):
            answer = await visitor.call("message", {"text": f"m{n}"})
            if not answer["ok"]:
                assert answer["error"]["code"] == "rate_limited"
                break
            accepted += 1
        await guarded.drop(visitor)
        visitor = await guarded.visitor(token=ack["token"])
        visitor.conversation_id = ack["conversation_id"]
        await visitor.next("queue")  # resumed: its place in the queue is told again
    assert accepted == 10  # the one burst, however often it reconnected
    stored = await guarded.hub.store.messages(ack["conversation_id"])
    assert len(stored) == 10
    guarded.clock.advance(2)  # 30 a minute: one new message every two seconds
    assert (await visitor.call("message", {"text": "weer"}))["ok"]


async def test_starting_over_does_not_refill_the_message_budget(guarded: Env) -> None:
    """Ending a chat and starting another from the same address does not give a new burst:
    one source may send what its three conversations could together, and no more."""
    accepted = 0
    for _ in range(4):
        visitor, _ = await guarded.start()
        for n in range(12):
            answer = await visitor.call("message", {"text": f"m{n}"})
            if not answer["ok"]:
                assert answer["error"]["code"] == "rate_limited"
                break
            accepted += 1
        assert (await visitor.call("forget", {}))["ok"]
    assert accepted == 3 * 10


async def test_a_typing_flood_reaches_the_volunteer_as_a_handful_of_events(env: Env) -> None:
    """A script toggling the typing indicator as fast as it can does not flood the volunteer:
    only changes are told, a few a second at most, and the last state always arrives."""
    volunteer = await env.operator("anna")
    visitor, ack = await env.start()
    conversation = ack["conversation_id"]
    await volunteer.until("assigned", lambda a: a["conversation"]["id"] == conversation)
    loop = asyncio.get_running_loop()
    answers: list[asyncio.Future[Any]] = []
    for n in range(400):  # true, false, true, ... false
        answer: asyncio.Future[Any] = loop.create_future()
        answers.append(answer)
        await visitor.client.emit(
            "typing",
            {"active": n % 2 == 0},
            namespace="/visitor",
            callback=lambda data, a=answer: a.set_result(data),
        )
    assert all(a["ok"] for a in await asyncio.wait_for(asyncio.gather(*answers), TIMEOUT))
    await volunteer.settle()
    told = [(t["conversation_id"], t["active"]) for t in volunteer.pending("typing")]
    assert told == [(conversation, True)]

    await env.advance(1)  # the sweep tells the state the typist ended in
    stopped = await volunteer.next("typing")
    assert (stopped["conversation_id"], stopped["active"]) == (conversation, False)
    await env.advance(1)
    await volunteer.settle()
    assert volunteer.pending("typing") == []

    assert (await visitor.call("typing", {"active": True}))["ok"]  # a person typing again
    again = await volunteer.next("typing")
    assert (again["conversation_id"], again["active"]) == (conversation, True)
