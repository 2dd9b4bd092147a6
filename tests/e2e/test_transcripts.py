"""Transcripts read later name a volunteer as she was called when she wrote, also after she
left or was renamed."""

from __future__ import annotations

import dataclasses

from tests.e2e.conftest import Env, Peer


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


def _author_of(conversation: dict, text: str) -> str:
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
