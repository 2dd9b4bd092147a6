"""A next chat agreed by link (docs/protocol.md §13.3), end to end over real sockets.

The volunteer offers a time, the visitor accepts and gets a link once; at that time the link
opens the chat straight to the same volunteer (or, if they are away, to the front of the queue
with their note for whoever takes it), the earlier chat shown to that volunteer only when the
visitor allowed it. The visitor can cancel in their space; kept, missed and cancelled count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatserver.clock import iso
from chatserver.settings import FollowUpSettings, Settings, load_settings
from tests.backends.factories import Backend
from tests.e2e.conftest import CONFIG, Env, Peer, running
from tests.floors import FloorKind

HOUR = 3600
NOTE = "Vraag hoe het slapen ging; ze wilde het over haar werk hebben."
WRAPUP = {"topics": ["other"], "risk": "none"}


def with_appointments(settings: Settings) -> Settings:
    lines = tuple(
        replace(line, follow_up=FollowUpSettings(appointments=True)) for line in settings.lines
    )
    return replace(settings, lines=lines)


@pytest.fixture
async def env(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    async with running(
        tmp_path, with_appointments(load_settings(CONFIG)), backend=backend, floor=floor_kind
    ) as e:
        yield e


async def booked(env: Env, share: bool, keep: bool = False) -> tuple[Peer, str, float]:
    """Anna talks with a visitor, offers a chat in an hour, the visitor accepts: the link."""
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    cid = visitor.conversation_id
    await anna.next("assigned")
    await visitor.call("message", {"text": "Ik slaap zo slecht"})
    await anna.call("message", {"conversation_id": cid, "text": "Zullen we morgen verder praten?"})
    at = env.clock.now() + HOUR
    ack = await anna.call(
        "appointment_offer", {"conversation_id": cid, "at": iso(at), "note": NOTE}
    )
    assert ack["ok"], ack
    offered = await visitor.next("appointment_offered")
    assert offered == {"at": iso(at), "alias": "Anna"}
    ack = await visitor.call("appointment_accept", {"share": share, "keep": keep})
    assert ack["ok"] and ack["at"] == iso(at), ack
    assert isinstance(ack["key"], str) and len(ack["key"]) == 43
    assert await anna.next("appointment_booked") == {"conversation_id": cid, "at": iso(at)}
    assert (await anna.call("end", {"conversation_id": cid, "wrapup": WRAPUP}))["ok"]
    await visitor.disconnect()  # the chat is over: its tab is closed
    return anna, ack["key"], at


async def start_by_link(env: Env, key: str) -> tuple[Peer, dict[str, Any]]:
    peer = await env.visitor()
    ack = await peer.call("start", {"consent": True, "appointment": key})
    if ack["ok"]:
        peer.conversation_id = ack["conversation_id"]
    return peer, ack


async def counted(env: Env) -> dict[str, int]:
    """The appointment figures of the line's statistics, added up over the test's hours."""
    now = env.clock.now()
    totals = dict.fromkeys(("booked", "kept", "missed", "cancelled"), 0)
    for stats in await env.hub.store.hour_stats("chat", now - 6 * HOUR, now + HOUR):
        for name in totals:
            totals[name] += getattr(stats, f"appointments_{name}")
    return totals


async def test_the_link_opens_the_chat_straight_to_the_agreed_volunteer_at_the_time(
    env: Env,
) -> None:
    """Before its window the link says when; in it, Anna gets the visitor at once (she is
    busy with someone else: it was promised), with the note and, as allowed, the earlier chat."""
    anna, key, at = await booked(env, share=True)
    await env.advance(30 * 60)  # half an hour early: too early
    early, ack = await start_by_link(env, key)
    assert not ack["ok"] and ack["error"]["code"] == "appointment_not_now"
    assert ack["error"]["at"] == iso(at)

    _other, _ = await env.start()  # Anna's one slot is taken meanwhile
    await anna.next("assigned")
    await env.advance(25 * 60)  # five minutes before: the window is open
    ack = await early.call("start", {"consent": True, "appointment": key})
    assert ack["ok"] and ack["appointment"] == {"at": iso(at)}, ack
    assert (await early.next("assigned"))["operator"] == "Anna"
    assigned = await anna.next("assigned")
    assert assigned["conversation"]["id"] == ack["conversation_id"]
    assert assigned["appointment"] == {"at": iso(at), "note": NOTE}
    assert [m["text"] for m in assigned["earlier"] if m["role"] != "system"] == [
        "Ik slaap zo slecht",
        "Zullen we morgen verder praten?",
    ]
    assert (await counted(env))["kept"] == 1
    (await env.hub.check_invariants())  # two chats for a capacity of one, and still consistent
    _again, ack = await start_by_link(env, key)  # kept: the link opens no second chat
    assert ack["error"]["code"] == "appointment_not_now"


async def test_without_share_the_volunteer_sees_no_earlier_chat(env: Env) -> None:
    anna, key, _at = await booked(env, share=False)
    await env.advance(HOUR)
    _peer, ack = await start_by_link(env, key)
    assert ack["ok"], ack
    assigned = await anna.next("assigned")
    assert assigned["appointment"]["note"] == NOTE
    assert "earlier" not in assigned


async def test_an_away_volunteer_leaves_the_visitor_first_in_line_with_the_note(env: Env) -> None:
    """Anna is away at the time: the visitor goes ahead of someone already waiting, and Bob,
    who takes them, reads Anna's note, but not the earlier chat (allowed for Anna only)."""
    anna, key, _at = await booked(env, share=True)
    assert (await anna.call("status", {"state": "away"}))["ok"]
    waiting, _ = await env.start()
    await env.advance(HOUR)
    visitor, ack = await start_by_link(env, key)
    assert ack["ok"], ack
    assert (await visitor.until("queue", lambda q: True))["position"] == 1
    bob = await env.operator("bob", alias="Bob")
    assigned = await bob.next("assigned")
    assert assigned["conversation"]["id"] == visitor.conversation_id
    assert assigned["conversation"]["handover_note"] == NOTE
    assert "earlier" not in assigned
    assert (await visitor.until("assigned", lambda a: True))["operator"] == "Bob"
    assert waiting.pending("assigned") == []


async def test_an_appointment_nobody_came_to_is_missed(env: Env) -> None:
    _anna, key, _at = await booked(env, share=False)
    await env.advance(HOUR + 29 * 60)
    assert (await counted(env))["missed"] == 0
    await env.advance(2 * 60)
    assert (await counted(env))["missed"] == 1
    assert (await counted(env))["booked"] == 1
    _peer, ack = await start_by_link(env, key)
    assert ack["error"]["code"] == "appointment_not_now"


async def test_a_wrong_key_is_link_unknown(env: Env) -> None:
    await env.operator("anna")
    for wrong in ("x" * 43, "kort", 42):
        _peer, ack = await start_by_link(env, wrong)  # type: ignore[arg-type]
        assert ack["error"]["code"] == "link_unknown", ack


async def test_only_the_holding_volunteer_offers_and_only_in_the_future(env: Env) -> None:
    anna = await env.operator("anna", alias="Anna")
    bob = await env.operator("bob", alias="Bob", status="paused")
    visitor, _ = await env.start()
    cid = visitor.conversation_id
    await anna.next("assigned")
    later = iso(env.clock.now() + HOUR)
    ack = await bob.call("appointment_offer", {"conversation_id": cid, "at": later})
    assert ack["error"]["code"] == "forbidden"
    for at, reason in (
        (iso(env.clock.now() - 60), "past"),
        (iso(env.clock.now() + 40 * 86400), "too_far"),
    ):
        ack = await anna.call("appointment_offer", {"conversation_id": cid, "at": at})
        assert ack["error"]["code"] == "invalid_payload" and ack["error"]["reason"] == reason
    ack = await visitor.call("appointment_accept", {"share": True, "keep": True})
    assert ack["error"]["code"] == "invalid_state"  # nothing was offered
    assert visitor.pending("appointment_offered") == []
    ack = await anna.call("appointment_offer", {"conversation_id": cid, "at": later})
    assert ack["ok"]
    assert (await visitor.call("appointment_decline", {}))["ok"]
    assert (await anna.next("appointment_declined"))["conversation_id"] == cid
    assert (await anna.call("appointments", {}))["appointments"] == []


async def test_the_visitor_cancels_in_their_space(env: Env) -> None:
    """The space's HTTP API cancels the appointment: counted, gone from Anna's list, and the
    link opens no chat at the time."""
    anna, key, at = await booked(env, share=False)
    [mine] = (await anna.call("appointments", {}))["appointments"]
    assert mine["at"] == iso(at) and mine["note"] == NOTE
    async with aiohttp.ClientSession() as http:
        url = f"{env.url}/api/space/appointment/cancel"
        wrong = await http.post(url, json={"key": "y" * 43, "appointment_id": mine["id"]})
        assert wrong.status == 404 and (await wrong.json())["error"]["code"] == "link_unknown"
        response = await http.post(url, json={"key": key, "appointment_id": mine["id"]})
        assert response.status == 200, await response.text()
        assert (await response.json())["appointment"]["state"] == "cancelled"
    changed = await anna.until("appointment_changed", lambda c: c["state"] == "cancelled")
    assert changed["id"] == mine["id"]
    assert (await anna.call("appointments", {}))["appointments"] == []
    assert (await counted(env))["cancelled"] == 1
    await env.advance(HOUR)
    _peer, ack = await start_by_link(env, key)
    assert ack["error"]["code"] == "appointment_not_now"


async def test_the_visitor_moves_it_to_another_time(env: Env) -> None:
    anna, key, at = await booked(env, share=False)
    [mine] = (await anna.call("appointments", {}))["appointments"]
    later = at + 2 * HOUR
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/api/space/appointment/move",
            json={"key": key, "appointment_id": mine["id"], "at": iso(later)},
        )
        assert response.status == 200, await response.text()
    await env.advance(HOUR)
    _peer, ack = await start_by_link(env, key)
    assert ack["error"]["code"] == "appointment_not_now" and ack["error"]["at"] == iso(later)
    await env.advance(2 * HOUR)
    _peer, ack = await start_by_link(env, key)
    assert ack["ok"], ack
    assert (await anna.until("assigned", lambda a: "appointment" in a))["appointment"]["at"] == iso(
        later
    )


async def test_a_next_chat_agreed_in_a_chat_the_link_opened_keeps_the_same_link(env: Env) -> None:
    """In the agreed chat Anna offers yet another; the visitor already has a link, so no new
    one is made: the same link opens the next chat too, and the first kept chat stays in the
    space for the visitor to reread (they asked to keep it)."""
    anna, key, _at = await booked(env, share=False, keep=True)
    await env.advance(HOUR)
    visitor, ack = await start_by_link(env, key)
    assert ack["ok"], ack
    cid = visitor.conversation_id
    await anna.until("assigned", lambda a: "appointment" in a)
    later = env.clock.now() + 2 * HOUR
    assert (await anna.call("appointment_offer", {"conversation_id": cid, "at": iso(later)}))["ok"]
    await visitor.next("appointment_offered")
    ack = await visitor.call("appointment_accept", {"share": False, "keep": False})
    assert ack["ok"] and ack["key"] is None and ack["at"] == iso(later), ack
    space = await env.server.followup.spaces.find(key)
    assert space.active_at >= later  # the purge cannot take the space before the chat
    view = await env.server.followup.spaces.view(space)
    assert [a.state.value for a in view.appointments] == ["kept", "booked"]
    [(first, messages)] = view.transcripts  # the first chat kept; this one not
    assert "Ik slaap zo slecht" in [m.text for m in messages] and first != cid


async def test_a_colleague_who_takes_the_agreed_chat_over_sees_the_agreement_not_the_chat(
    env: Env,
) -> None:
    """Anna hands the agreed chat to Bob: he gets its time and note, never the earlier chat
    the visitor allowed Anna (and only Anna) to reread."""
    anna, key, at = await booked(env, share=True)
    await env.advance(HOUR)
    _visitor, ack = await start_by_link(env, key)
    cid = ack["conversation_id"]
    assert "earlier" in await anna.until("assigned", lambda a: "appointment" in a)
    bob = await env.operator("bob", alias="Bob")
    ack = await anna.call("handover", {"conversation_id": cid, "to": bob.operator_id, "note": ""})
    assert ack["ok"], ack
    await bob.next("handover_offered")
    assert (await bob.call("handover_accept", {"conversation_id": cid}))["ok"]
    assigned = await bob.until("assigned", lambda a: a["conversation"]["id"] == cid)
    assert assigned["appointment"] == {"at": iso(at), "note": NOTE}
    assert "earlier" not in assigned
