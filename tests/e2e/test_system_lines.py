"""System lines ("Anna is here to talk with you") reach each reader in their own language.

The visitor reads the line in the visitor's language, as stored; the volunteer's console gets
its code and parameters with it (live, in the transcript of ``assigned`` and in a stored
transcript), so an English console can word a Dutch visitor's line in English.
"""

from __future__ import annotations

import aiohttp

from tests.e2e.conftest import Env


async def test_a_system_line_keeps_its_code_for_the_volunteer_and_its_text_for_the_visitor(
    env: Env,
) -> None:
    """Dutch visitor, any volunteer: the visitor reads Dutch and sees no code; the volunteer
    and a later transcript get ``code`` and ``params``; the store keeps both."""
    anna = await env.operator("anna", alias="Anna")
    visitor, ack = await env.start()  # lang nl
    conversation = ack["conversation_id"]
    await anna.next("assigned")

    greeting = await visitor.until("message", lambda m: m["role"] == "system")
    assert greeting["text"] == "Anna is er om met je te praten."
    assert "code" not in greeting and "params" not in greeting
    live = await anna.until("message", lambda m: m["role"] == "system")
    assert (live["code"], live["params"], live["text"]) == (
        "assigned",
        {"alias": "Anna"},
        "Anna is er om met je te praten.",
    )

    await visitor.call("message", {"text": "hallo"})
    visitor_line = await anna.until("message", lambda m: m["role"] == "visitor")
    assert "code" not in visitor_line and "params" not in visitor_line

    [stored] = [m for m in await env.hub.store.messages(conversation) if m.role == "system"]
    assert (stored.code, stored.params) == ("assigned", {"alias": "Anna"})

    # a colleague takes over: the visitor's line and the new volunteer's transcript
    sara = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    assert (await sara.call("observe", {"conversation_id": conversation}))["ok"]
    assert (await sara.call("takeover", {"conversation_id": conversation}))["ok"]
    taken = await sara.until("message", lambda m: m.get("code") == "colleague_takes_over")
    assert taken["params"] == {"alias": "Sara"}
    told = await visitor.until("message", lambda m: m["role"] == "system")
    assert told["text"] == "Een collega, Sara, neemt het gesprek over."

    wrapup = {"topics": ["other"], "risk": "none"}
    assert (await sara.call("end", {"conversation_id": conversation, "wrapup": wrapup}))["ok"]
    env.clock.advance(30)  # a TOTP code is accepted once: this login needs the next one
    url = f"{env.url}/api/conversations/{conversation}/transcript"
    async with aiohttp.ClientSession() as http:
        read = await http.get(url, headers={"Cookie": await env.cookie("sara")})
        assert read.status == 200
        body = await read.json()
    coded = [(m["code"], m["params"]) for m in body["conversation"]["messages"] if "code" in m]
    assert coded == [
        ("assigned", {"alias": "Anna"}),
        ("colleague_takes_over", {"alias": "Sara"}),
        ("ended_by_operator", {}),
    ]


async def test_a_visitor_handed_back_to_the_queue_gets_the_line_with_its_code(
    env: Env,
) -> None:
    """Back to the queue: the next volunteer's transcript words it by code, not by Dutch text."""
    anna = await env.operator("anna", alias="Anna")
    visitor, ack = await env.start()
    conversation = ack["conversation_id"]
    await anna.next("assigned")
    said = {"conversation_id": conversation}
    await anna.call("status", {"state": "paused"})  # else the hand-back comes straight back
    assert (await anna.call("handover", {**said, "to": "queue", "note": "iemand anders"}))["ok"]
    bram = await env.operator("bram", alias="Bram")
    taken = (await bram.next("assigned"))["conversation"]
    codes = [m.get("code") for m in taken["messages"] if m["role"] == "system"]
    assert codes == ["assigned", "handed_to_queue"]
    assert await visitor.until("message", lambda m: m["role"] == "system")
