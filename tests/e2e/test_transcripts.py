"""Transcripts read later: a visitor's replay holds only what is theirs, and every transcript
names a volunteer as she was called when she wrote, also after she left or was renamed."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.e2e.conftest import Env, Peer


async def test_a_resumed_visitor_is_replayed_no_note_and_no_whisper(env: Env) -> None:
    """What a visitor missed while away comes back, and nothing the volunteers said privately."""
    anna = await env.operator("anna", alias="Anna")
    bea = await env.operator("bea", status="paused", alias="Bea", backup=True)
    visitor, ack = await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    await visitor.call("message", {"text": "hallo"})
    seen = [m["seq"] for m in [await visitor.next("message") for _ in range(2)]]
    await env.drop(visitor)

    said = {"conversation_id": conversation}
    assert (await anna.call("note", {**said, "text": "notitie over de bezoeker"}))["ok"]
    assert (await anna.call("backup_request", said))["ok"]
    assert (await bea.call("backup_join", said))["ok"]
    assert (await bea.call("whisper", {**said, "text": "fluister van Bea"}))["ok"]
    assert (await anna.call("whisper", {**said, "text": "fluister van Anna"}))["ok"]
    assert (await anna.call("message", {**said, "text": "ben je er nog?"}))["ok"]

    back = await env.visitor(token=ack["token"], since=max(seen))
    assert await back.next("assigned") == {"operator": "Anna"}
    await back.settle()
    replayed = back.pending("message")
    assert [(m["role"], m["text"], m.get("author")) for m in replayed] == [
        ("operator", "ben je er nog?", "Anna")
    ]
    everything = str(replayed)
    for private in ("notitie", "fluister", "Bea"):
        assert private not in everything


async def _anna_spoke_and_is_gone(env: Env) -> tuple[Peer, str]:
    """Anna talks with a visitor, hands the chat to Bram, logs off for good, and is renamed."""
    anna = await env.operator("anna", alias="Anna")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    said = {"conversation_id": conversation}
    assert (await anna.call("message", {**said, "text": "Ik ben Anna"}))["ok"]
    bram = await env.operator("bram", alias="Bram")
    assert (await anna.call("handover", {**said, "to": bram.operator_id, "note": ""}))["ok"]
    await bram.next("handover_offered")
    assert (await bram.call("handover_accept", said))["ok"]
    await bram.next("assigned")
    await env.drop(anna)
    await env.advance(61)  # past her grace period: Anna is off the floor
    account = await env.hub.store.account_by_username("anna")
    assert account is not None
    await env.hub.store.update_account(dataclasses.replace(account, alias="Anneke"))
    return bram, conversation


def _author_of(conversation: dict[str, Any], text: str) -> str:
    return str(next(m for m in conversation["messages"] if m["text"] == text)["author"])


async def test_a_reconnecting_volunteer_reads_anna_above_annas_words(env: Env) -> None:
    """Bram, back after a blip, sees "Anna" above what Anna wrote, not an id, not her new name."""
    bram, conversation = await _anna_spoke_and_is_gone(env)
    await env.drop(bram)
    again = await env.operator("bram", status=None)
    taken = (await again.next("assigned"))["conversation"]
    assert taken["id"] == conversation
    assert _author_of(taken, "Ik ben Anna") == "Anna"


async def test_an_observing_supervisor_reads_anna_above_annas_words(env: Env) -> None:
    """A supervisor reading along later sees who wrote what, as they were called then."""
    _, conversation = await _anna_spoke_and_is_gone(env)
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    watched = await boss.call("observe", {"conversation_id": conversation})
    assert watched["ok"], watched
    assert _author_of(watched["conversation"], "Ik ben Anna") == "Anna"
