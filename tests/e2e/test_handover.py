"""Handing a conversation over: warm offers, declines, timeouts, and back to the queue."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import Env, Peer


async def _chat(env: Env, volunteer: Peer) -> tuple[Peer, str]:
    visitor, _ = await env.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await visitor.next("assigned")
    return visitor, conversation


async def test_declined_and_timed_out_offers_leave_the_chat_where_it_was(env: Env) -> None:
    """A colleague says no, or never answers: the chat stays, the visitor notices nothing."""
    anna = await env.operator("anna")
    visitor, conversation = await _chat(env, anna)
    bram = await env.operator("bram")

    ack = await anna.call(
        "handover", {"conversation_id": conversation, "to": bram.operator_id, "note": "moe"}
    )
    assert ack == {"ok": True, "pending": True}
    offered = await bram.next("handover_offered")
    assert offered["conversation_id"] == conversation and offered["note"] == "moe"
    assert offered["from"] == "anna"
    assert (await bram.call("handover_decline", {"conversation_id": conversation}))["ok"]
    declined = await anna.next("handover_declined")
    assert declined == {"conversation_id": conversation, "by": "bram", "reason": "declined"}

    await anna.call(
        "handover", {"conversation_id": conversation, "to": bram.operator_id, "note": ""}
    )
    await bram.next("handover_offered")
    await env.advance(59)
    await anna.settle()
    assert anna.pending("handover_declined") == []
    await env.advance(2)
    assert (await anna.next("handover_declined"))["reason"] == "timeout"
    assert (await bram.next("handover_withdrawn"))["reason"] == "timeout"
    late = await bram.call("handover_accept", {"conversation_id": conversation})
    assert late["error"]["code"] == "forbidden"

    assert (await anna.call("message", {"conversation_id": conversation, "text": "nog hier"}))["ok"]
    await visitor.settle()
    seen = visitor.pending("message")
    assert [m["text"] for m in seen if m["role"] == "operator"] == ["nog hier"]
    assert not any(m["role"] == "system" and "collega" in m["text"] for m in seen)
    assert visitor.pending("assigned") == []


async def test_warm_handover_loses_and_doubles_nothing(env: Env) -> None:
    """Messages fly on both sides while the colleague accepts: all arrive once, in order."""
    anna = await env.operator("anna")
    visitor, conversation = await _chat(env, anna)
    bram = await env.operator("bram", alias="Bram")
    await anna.call(
        "handover",
        {
            "conversation_id": conversation,
            "to": bram.operator_id,
            "note": "Gaat over school, wil praten over pesten",
        },
    )
    await bram.next("handover_offered")

    async def visitor_writes() -> list[str]:
        ids = []
        for n in range(15):
            ack = await visitor.call("message", {"text": f"v{n}"})
            assert ack["ok"]
            ids.append(ack["id"])
        return ids

    async def anna_writes() -> list[str]:
        ids = []
        for n in range(15):
            ack = await anna.call("message", {"conversation_id": conversation, "text": f"a{n}"})
            if ack["ok"]:
                ids.append(ack["id"])
            else:
                assert ack["error"]["code"] == "forbidden"  # no longer hers: refused, not lost
        return ids

    accept = bram.call("handover_accept", {"conversation_id": conversation})
    from_visitor, from_anna, accepted = await asyncio.gather(
        visitor_writes(), anna_writes(), accept
    )
    assert accepted["ok"]
    released = await anna.next("released")
    assert released == {"conversation_id": conversation, "reason": "handed_over"}

    taken = (await bram.next("assigned"))["conversation"]
    assert taken["handover_note"] == "Gaat over school, wil praten over pesten"
    await bram.settle()
    await visitor.settle()
    live = [m for m in bram.pending("message") if m["conversation_id"] == conversation]
    bram_sees = [m["id"] for m in taken["messages"]] + [m["id"] for m in live]
    assert len(bram_sees) == len(set(bram_sees)), "a message reached the new volunteer twice"
    for sent in from_visitor + from_anna:
        assert sent in bram_sees, "an acknowledged message never reached the new volunteer"
    seqs = [int(i.rsplit("-", 1)[1]) for i in bram_sees]
    assert seqs == sorted(seqs)

    visitor_sees = visitor.pending("message")
    takeovers = [m for m in visitor_sees if m["role"] == "system" and "Bram" in m["text"]]
    assert len(takeovers) == 1
    assert visitor.pending("assigned") == [{"operator": "Bram"}]
    assert {m["id"] for m in visitor_sees} >= set(from_anna)


async def test_handover_to_the_queue_puts_the_visitor_first(env: Env) -> None:
    """Back to the queue means the front: the visitor is next, and the note travels along."""
    anna = await env.operator("anna")
    visitor, conversation = await _chat(env, anna)
    others = [await env.start() for _ in range(2)]
    assert (await others[0][0].next("queue"))["position"] == 1
    await anna.call("status", {"state": "paused"})
    ack = await anna.call(
        "handover", {"conversation_id": conversation, "to": "queue", "note": "graag een man"}
    )
    assert ack == {"ok": True, "pending": False}
    assert (await anna.next("released"))["reason"] == "handed_over"
    assert (await visitor.next("queue"))["position"] == 1
    moved = await others[0][0].until("queue", lambda q: q["position"] == 2)
    assert moved
    carl = await env.operator("carl")
    taken = (await carl.next("assigned"))["conversation"]
    assert taken["id"] == conversation and taken["handover_note"] == "graag een man"
    assert any(m["role"] == "note" and m["text"] == "graag een man" for m in taken["messages"])


async def test_handover_refused_to_unavailable_colleagues(env: Env) -> None:
    """Offline, paused, full or not on the line: refused with a clear code, chat stays."""
    anna = await env.operator("anna")
    _, conversation = await _chat(env, anna)
    paused = await env.operator("piet", status="paused")
    english = await env.operator("emma", languages=("en",))
    busy = await env.operator("bas")
    await _chat(env, busy)
    offline = await env.account("otto")
    cases = {
        offline: "operator_unavailable",
        paused.operator_id: "operator_unavailable",
        busy.operator_id: "operator_full",
        english.operator_id: "not_on_line",
    }
    for target, code in cases.items():
        answer = await anna.call("handover", {"conversation_id": conversation, "to": target})
        assert answer["error"]["code"] == code, (target, answer)
    assert anna.operator_id is not None
    assert (await env.hub.held(anna.operator_id))[0].id == conversation


async def test_handed_back_chat_goes_to_someone_else(env: Env) -> None:
    """A volunteer who hands a chat back while available does not get it straight back
    while a colleague on duty could take it: the colleague gets it once free."""
    bram = await env.operator("bram")
    _, bram_chat = await _chat(env, bram)  # bram is on duty but busy
    anna = await env.operator("anna", capacity=2)
    _, conversation = await _chat(env, anna)
    await anna.call("handover", {"conversation_id": conversation, "to": "queue"})
    await anna.next("released")
    await anna.settle()
    assert [a["conversation"]["id"] for a in anna.pending("assigned")] == []
    await bram.call("end", {"conversation_id": bram_chat, "wrapup": {"topics": [], "risk": "none"}})
    assert (await bram.next("assigned"))["conversation"]["id"] == conversation


async def test_the_only_volunteer_gets_a_handed_back_chat_again(env: Env) -> None:
    """Alone on duty, a hand-back comes straight back: nobody else could ever take it, and
    a visitor must not wait behind everyone who comes later."""
    anna = await env.operator("anna")
    _, conversation = await _chat(env, anna)
    await anna.call("handover", {"conversation_id": conversation, "to": "queue"})
    await anna.next("released")
    assert (await anna.next("assigned"))["conversation"]["id"] == conversation


async def test_new_volunteer_learns_who_reads_along(env: Env) -> None:
    """After a handover the receiving volunteer is told that a supervisor is observing."""
    anna = await env.operator("anna")
    _, conversation = await _chat(env, anna)
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    await boss.call("observe", {"conversation_id": conversation})
    bram = await env.operator("bram")
    await anna.call("handover", {"conversation_id": conversation, "to": bram.operator_id})
    await bram.next("handover_offered")
    await bram.call("handover_accept", {"conversation_id": conversation})
    told = await bram.next("observed")
    assert told == {
        "conversation_id": conversation,
        "by": "Sara",
        "kind": "observer",
        "active": True,
    }


async def test_a_handover_to_the_queue_ends_reading_along(env: Env) -> None:
    """Back to the queue, nobody reads along any more: the supervisor is released, the
    volunteer hears it, and whoever takes the chat from the queue is told of no reader."""
    anna = await env.operator("anna")
    _, conversation = await _chat(env, anna)
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    await boss.call("observe", {"conversation_id": conversation})
    assert (await anna.next("observed"))["active"] is True
    await anna.call("status", {"state": "paused"})
    await anna.call("handover", {"conversation_id": conversation, "to": "queue"})
    assert (await anna.next("observed"))["active"] is False
    assert await boss.until("released", lambda r: r["conversation_id"] == conversation) == {
        "conversation_id": conversation,
        "reason": "handed_over",
    }
    bram = await env.operator("bram")
    assert (await bram.next("assigned"))["conversation"]["id"] == conversation
    await bram.settle()
    assert bram.pending("observed") == []
