"""A visitor and a volunteer talk through the real server, over real socket.io connections."""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.hub.model import Role
from tests.e2e.conftest import TIMEOUT, Env, Peer


async def test_full_conversation(env: Env) -> None:
    """A visitor is queued, meets a volunteer by alias, both talk in order, and it ends."""
    volunteer = await env.operator("anna", alias="Anna")
    visitor, ack = await env.start(topic="loneliness")
    assert ack["conversation_id"] and ack["token"]

    assert (await visitor.next("queue"))["position"] == 1
    assert (await visitor.next("assigned"))["operator"] == "Anna"
    offered = (await volunteer.next("assigned"))["conversation"]
    assert offered["id"] == ack["conversation_id"]
    assert offered["intake"] == {"topic": "loneliness"}
    assert "alias" not in str(await visitor.next("message"))  # the "Anna is here" greeting
    await volunteer.next("message")

    sent = await visitor.call("message", {"text": "Hoi, ik voel me alleen <b>vandaag</b>"})
    assert sent["ok"] and sent["id"]
    got = await volunteer.next("message")
    assert got["id"] == sent["id"] and got["role"] == "visitor"
    assert got["text"] == "Hoi, ik voel me alleen <b>vandaag</b>"
    assert "<b>" not in got["html"] and "&lt;b&gt;" in got["html"]
    assert (await visitor.next("message"))["id"] == sent["id"]  # echo, for other tabs

    await volunteer.call("typing", {"conversation_id": offered["id"], "active": True})
    assert await visitor.next("typing") == {"active": True}

    for n in range(5):
        reply = await volunteer.call("message", {"conversation_id": offered["id"], "text": f"r{n}"})
        assert reply["ok"]
    texts = [(await visitor.next("message"))["text"] for _ in range(5)]
    assert texts == [f"r{n}" for n in range(5)]

    note = await volunteer.call("note", {"conversation_id": offered["id"], "text": "private"})
    assert note["ok"]
    ended = await volunteer.call(
        "end",
        {"conversation_id": offered["id"], "wrapup": {"topics": ["loneliness"], "risk": "low"}},
    )
    assert ended["ok"], ended
    assert (await visitor.next("ended"))["by"] == "operator"
    assert (await volunteer.next("released"))["reason"] == "ended"
    await visitor.settle()
    assert all(m["text"] != "private" for m in visitor.pending("message"))

    after = await visitor.call("message", {"text": "nog iets"})
    assert after["error"]["code"] == "ended"
    stored = await env.hub.store.messages(offered["id"])
    assert [m.seq for m in stored] == sorted(m.seq for m in stored)
    assert any(m.text == "private" and m.role == "note" for m in stored)


async def test_positions_move_up_as_chats_end(env: Env) -> None:
    """Three visitors and one volunteer: 1-2-3 in line, and each moves up when a chat ends."""
    volunteer = await env.operator("bert")
    first, _ = await env.start()
    await first.next("assigned")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    second, _ = await env.start()
    third, _ = await env.start()
    fourth, _ = await env.start()
    assert [(await p.next("queue"))["position"] for p in (second, third, fourth)] == [1, 2, 3]

    for waiting in ((second, third, fourth), (third, fourth)):
        await volunteer.call(
            "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
        )
        assert await waiting[0].next("assigned")
        conversation = (await volunteer.next("assigned"))["conversation"]["id"]
        for expected, peer in enumerate(waiting[1:], start=1):
            assert (await peer.next("queue"))["position"] == expected


async def test_capacity_two_is_honoured(env: Env) -> None:
    """A volunteer with two slots gets two visitors at once, and the third one waits."""
    volunteer = await env.operator("carla", capacity=2)
    a, _ = await env.start()
    b, _ = await env.start()
    c, _ = await env.start()
    await a.next("assigned")
    await b.next("assigned")
    assert [(await volunteer.next("assigned"))["conversation"]["id"] for _ in range(2)]
    assert (await c.next("queue"))["position"] == 1
    await c.settle()
    assert c.pending("assigned") == []
    assert volunteer.operator_id is not None
    presence = await env.hub.presence(volunteer.operator_id)
    assert presence is not None and presence.load == 2


async def test_messages_written_while_waiting_reach_the_volunteer(env: Env) -> None:
    """What a visitor writes while waiting is kept and arrives with the conversation."""
    visitor, ack = await env.start()
    await visitor.next("queue")
    for text in ("Ik wacht", "Het gaat over mijn vader"):
        assert (await visitor.call("message", {"text": text}))["ok"]
    volunteer = await env.operator("dirk")
    conversation = (await volunteer.next("assigned"))["conversation"]
    assert conversation["id"] == ack["conversation_id"]
    assert [m["text"] for m in conversation["messages"]] == ["Ik wacht", "Het gaat over mijn vader"]


async def test_paused_volunteer_keeps_chat_and_gets_no_new_one(env: Env) -> None:
    """Pausing ends a shift gently: the current chat continues, the next visitor waits."""
    volunteer = await env.operator("eva")
    first, _ = await env.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    assert (await volunteer.call("status", {"state": "paused"}))["state"] == "paused"
    second, _ = await env.start()
    assert (await second.next("queue"))["position"] == 1
    still = await volunteer.call(
        "message", {"conversation_id": conversation, "text": "Ik ben er nog"}
    )
    assert still["ok"]
    assert (await first.until("message", lambda m: m["role"] == "operator"))[
        "text"
    ] == "Ik ben er nog"
    await volunteer.call(
        "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
    )
    await second.settle()
    assert second.pending("assigned") == []
    await volunteer.call("status", {"state": "available"})
    assert await second.next("assigned")


async def test_the_volunteer_can_tell_typing_after_a_message_from_typing_before_it(
    env: Env,
) -> None:
    """A visitor who sends and types on at once: each visitor ``typing`` the volunteer gets
    names the last message written before it (``after_seq``), so the console knows the message
    did not end this typing, whichever of the two arrives first."""
    anna = await env.operator("anna")
    visitor, ack = await env.start()
    await anna.next("assigned")
    greeting = await anna.until("message", lambda m: m["role"] == "system")

    await visitor.call("typing", {"active": True})
    assert await anna.next("typing") == {
        "conversation_id": ack["conversation_id"],
        "active": True,
        "after_seq": greeting["seq"],
    }
    sent = await visitor.call("message", {"text": "nog één ding"})
    await visitor.call("typing", {"active": True})
    again = await anna.next("typing")
    assert again["active"] and again["after_seq"] == sent["seq"]


async def pipelined(peer: Peer, texts: list[str], **fields: str) -> list[asyncio.Future[Any]]:
    """Send ``texts`` one after the other without waiting for any acknowledgement."""
    answers: list[asyncio.Future[Any]] = []
    for text in texts:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        answers.append(answer)
        await peer.client.emit(
            "message",
            {**fields, "text": text},
            namespace=peer.namespace,
            callback=lambda data, a=answer: a.set_result(data),
        )
    return answers


async def test_messages_sent_without_waiting_for_acks_keep_their_order(env: Env) -> None:
    """A client may send on before the server acknowledged its last message (a visitor who
    types fast, a console on a slow line): each side's lines are stored and told in the order
    they were sent, whatever the floor waits for while handling them. On the Redis floor
    every event waits on Redis, and events handled side by side used to overtake each other."""
    anna = await env.operator("anna")
    visitor, ack = await env.start()
    conversation = ack["conversation_id"]
    await anna.next("assigned")
    await anna.settle()
    anna.pending("message")  # the greeting
    visitor_lines = [f"v{n}" for n in range(40)]
    anna_lines = [f"a{n}" for n in range(40)]
    answers = await pipelined(visitor, visitor_lines)
    answers += await pipelined(anna, anna_lines, conversation_id=conversation)
    assert all(a["ok"] for a in await asyncio.wait_for(asyncio.gather(*answers), TIMEOUT))

    stored = await env.hub.store.messages(conversation)
    assert [m.text for m in stored if m.role is Role.VISITOR] == visitor_lines
    assert [m.text for m in stored if m.role is Role.OPERATOR] == anna_lines
    await anna.settle()
    await visitor.settle()
    assert [m["text"] for m in anna.pending("message") if m["role"] == "visitor"] == visitor_lines
    told = [m["text"] for m in visitor.pending("message") if m["role"] == "operator"]
    assert told == anna_lines


async def test_every_tab_hears_every_message_in_order(env: Env) -> None:
    """A visitor with the chat open in two tabs reads the same lines in the same order in
    both, and a tab closed mid-conversation takes nothing from the other (an emit reaches
    each socket of the room in turn, ``realtime/manager.py``)."""
    volunteer = await env.operator("anna", alias="Anna")
    first, ack = await env.start()
    await first.next("assigned")
    offered = (await volunteer.next("assigned"))["conversation"]
    await first.next("message")  # the greeting
    second = await env.visitor(token=ack["token"])
    await second.next("message")  # the greeting again: the transcript a resumed tab gets

    async def say(n: int) -> None:
        reply = await volunteer.call("message", {"conversation_id": offered["id"], "text": f"r{n}"})
        assert reply["ok"]

    for n in range(5):
        await say(n)
    for tab in (first, second):
        assert [(await tab.next("message"))["text"] for _ in range(5)] == [
            f"r{n}" for n in range(5)
        ]

    closing = asyncio.ensure_future(first.disconnect())
    await say(5)
    await closing
    assert (await second.next("message"))["text"] == "r5"
