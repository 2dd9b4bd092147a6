"""Dropped connections: visitors resume with their token, volunteers' chats are never lost."""

from __future__ import annotations

from tests.e2e.conftest import Env


async def test_visitor_resumes_with_token_and_gets_what_it_missed(env: Env) -> None:
    """A reload within the grace period brings the visitor back with the messages it missed."""
    volunteer = await env.operator("fleur", alias="Fleur")
    visitor, ack = await env.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await visitor.call("message", {"text": "voor de val"})
    seen = [m["seq"] for m in [await visitor.next("message") for _ in range(2)]]
    await env.drop(visitor)
    assert (await volunteer.next("visitor_connection"))["connected"] is False

    await env.advance(60)
    for text in ("ben je er nog?", "ik wacht even"):
        assert (await volunteer.call("message", {"conversation_id": conversation, "text": text}))[
            "ok"
        ]

    back = await env.visitor(token=ack["token"], since=max(seen))
    missed = [(await back.next("message"))["text"] for _ in range(2)]
    assert missed == ["ben je er nog?", "ik wacht even"]
    assert await back.next("assigned") == {"operator": "Fleur"}
    assert (await volunteer.next("visitor_connection"))["connected"] is True
    assert (await back.call("message", {"text": "ja"}))["ok"]
    assert (await volunteer.until("message", lambda m: m["role"] == "visitor"))["text"] in (
        "voor de val",
        "ja",
    )


async def test_wrong_token_gets_nothing_of_anyone(env: Env) -> None:
    """An unknown token is refused on the next event and reveals no conversation."""
    await env.operator("gert")
    other, other_ack = await env.start()
    await other.call("message", {"text": "geheim van een ander"})

    stranger = await env.visitor(token=other_ack["token"][:-2] + "xx")
    answer = await stranger.call("message", {"text": "hallo?"})
    assert answer["error"]["code"] == "invalid_token"
    await stranger.settle()
    received = (
        stranger.pending("message") + stranger.pending("assigned") + stranger.pending("queue")
    )
    assert received == []
    assert "geheim" not in str(answer)
    # after hearing it, the stranger may start a chat of its own
    assert (await stranger.call("start", {"consent": True}))["ok"]


async def test_resume_after_grace_period_is_refused(env: Env) -> None:
    """After the grace period the token no longer opens the conversation."""
    visitor, ack = await env.start()
    await visitor.next("queue")
    await env.drop(visitor)
    await env.advance(121)
    late = await env.visitor(token=ack["token"])
    assert (await late.call("message", {"text": "hoi"}))["error"]["code"] == "invalid_token"


async def test_volunteer_drop_requeues_visitor_at_the_front(env: Env) -> None:
    """A volunteer gone past its grace period: the visitor is first in line again, told so."""
    volunteer = await env.operator("hans")
    visitor, _ = await env.start()
    await visitor.next("queue")  # on entry, before the volunteer is assigned
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    waiting, _ = await env.start()
    assert (await waiting.next("queue"))["position"] == 1

    await env.drop(volunteer)
    await env.advance(30)
    await visitor.settle()
    assert visitor.pending("queue") == []  # still within the grace period: nothing happens
    await env.advance(31)
    system = await visitor.until(
        "message", lambda m: m["role"] == "system" and "verbinding" in m["text"]
    )
    assert system
    assert (await visitor.next("queue"))["position"] == 1
    moved = await waiting.until("queue", lambda q: q["position"] != 1)
    assert moved["position"] == 2

    colleague = await env.operator("ilse")
    taken = (await colleague.next("assigned"))["conversation"]
    assert taken["id"] == conversation
    assert any(m["text"] == system["text"] for m in taken["messages"])


async def test_volunteer_back_within_grace_keeps_its_chats(env: Env) -> None:
    """A volunteer whose connection blips gets its conversations back, nobody re-queued."""
    volunteer = await env.operator("jan")
    visitor, _ = await env.start()
    await visitor.next("queue")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await env.drop(volunteer)
    await env.advance(20)
    again = await env.operator("jan", status=None)
    assert (await again.next("assigned"))["conversation"]["id"] == conversation
    await env.advance(60)
    assert (await again.call("message", {"conversation_id": conversation, "text": "terug"}))["ok"]
    await visitor.settle()
    assert visitor.pending("queue") == []


async def test_vanished_waiting_visitor_leaves_queue_after_grace(env: Env) -> None:
    """A waiting visitor whose connection is gone leaves the line; those behind move up."""
    gone, _ = await env.start()
    stays, _ = await env.start()
    await gone.next("queue")
    assert (await stays.next("queue"))["position"] == 2
    await env.drop(gone)
    await env.advance(119)
    await stays.settle()
    assert stays.pending("queue") == []
    await env.advance(2)
    assert (await stays.next("queue"))["position"] == 1
    hour = await env.hub.store.hour_stats("chat", env.clock.now() - 3600, env.clock.now() + 3600)
    assert sum(h.abandoned for h in hour) == 1
