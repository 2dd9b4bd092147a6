"""Fuzzing both namespaces: every event, any payload, any packet, any connection request.

What holds for every example: a call is answered (an ack with ``ok``, or a documented error
code, never ``internal``), nothing is logged as an error or with a traceback, and the
bystander's chat goes on. Packets without an ack id, and garbage, are the documented
silences (docs/protocol.md §2, §3.1): they get no answer, but break nothing either.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.raw import RawSocket
from tests.fuzz.conftest import FUZZ, Floor, answered_cleanly
from tests.fuzz.strategies import (
    OPERATOR_EVENTS,
    RESERVED,
    VISITOR_EVENTS,
    calls,
    json_values,
    raw_garbage,
    shaped,
)

auths = (
    st.fixed_dictionaries(
        {},
        optional={
            "line": st.sampled_from(["chat", "evening", "nope"]) | json_values,
            "lang": st.sampled_from(["nl", "en", "fr"]) | json_values,
            "token": st.just("$token") | st.text(max_size=140) | json_values,
            "since": st.integers(min_value=-5, max_value=2**53) | json_values,
        },
    )
    | json_values
)


@FUZZ
@given(call=calls(VISITOR_EVENTS, "/visitor"))
async def test_every_visitor_event_answers_any_payload(floor: Floor, call: tuple[str, Any]) -> None:
    """A visitor's client may send anything; each call is answered, the server stays whole."""
    event, data = call
    answer = await floor.attacker.call(event, floor.resolve(data))
    answered_cleanly(answer)
    floor.note(answer)
    await floor.round_trip()


@FUZZ
@given(call=calls(OPERATOR_EVENTS, "/operator"))
async def test_every_operator_event_answers_any_payload(
    floor: Floor, call: tuple[str, Any]
) -> None:
    """A supervisor's console may send anything, with ids that exist and ids that do not;
    each call is answered, and the colleague's chat goes on."""
    await floor.fuzzer.call("status", {"state": "available"})  # e.g. after a debrief pause
    if not (await floor.env.hub.is_open(floor.ids["$conversation"])):  # a chat of its own to act on
        floor.note(await floor.attacker.call("start", {"consent": True}))
    event, data = call
    answer = await floor.fuzzer.call(event, floor.resolve(data))
    answered_cleanly(answer)
    if event == "block" and answer["ok"]:
        await floor.new_attacker()
    await floor.round_trip()


@FUZZ
@given(
    namespace=st.sampled_from(["/visitor", "/operator"]),
    name=st.sampled_from(RESERVED) | st.text(max_size=12) | json_values,
    data=shaped | json_values,
)
async def test_raw_events_with_any_name_each_get_an_ack(
    floor: Floor, namespace: str, name: Any, data: Any
) -> None:
    """Written by hand, as a script would: reserved names, names that are no string, any
    payload. Every event that asks for an ack gets one, before any handler runs where the
    name is not an event."""
    headers = {"Cookie": floor.cookie} if namespace == "/operator" else None
    raw = await RawSocket.open(floor.env.url, headers)
    try:
        await raw.join(namespace, {"line": "chat"} if namespace == "/visitor" else None)
        answer = await raw.call(namespace, floor.resolve(name), floor.resolve(data))
        answered_cleanly(answer)
    finally:
        await raw.close()
    await floor.round_trip()


@FUZZ
@given(frames=st.lists(raw_garbage, min_size=1, max_size=14))
async def test_garbage_on_the_wire_breaks_nothing(floor: Floor, frames: list[str | bytes]) -> None:
    """Frames that are no packet, packets that do not parse, ids too long, JSON too deep:
    no answer is promised, but nothing is logged as an error and everyone else chats on."""
    raw = await RawSocket.open(floor.env.url)
    try:
        await raw.join("/visitor", {"line": "chat"})
        for frame in frames:
            with contextlib.suppress(ConnectionError):  # cut off after ten: that is the point
                if isinstance(frame, bytes):
                    await raw.ws.send_bytes(frame)
                else:
                    await raw.send(frame)
    finally:
        await raw.close()
    await floor.round_trip()


@FUZZ
@given(namespace=st.sampled_from(["/visitor", "/operator"]), auth=auths, cookie=st.booleans())
async def test_every_connection_request_is_answered(
    floor: Floor, namespace: str, auth: Any, cookie: bool
) -> None:
    """Any ``auth``: the socket joins, or is refused with a documented code; never silence."""
    raw = await RawSocket.open(floor.env.url, {"Cookie": floor.cookie} if cookie else None)
    try:
        await raw.send(f"40{namespace},{json.dumps(floor.resolve(auth))}")
        answer = await raw.receive()
    finally:
        await raw.close()
    if answer.startswith(f"44{namespace},"):
        refusal = json.loads(answer.removeprefix(f"44{namespace},"))
        answered_cleanly({"ok": False, "error": refusal["data"]})
    else:
        assert answer.startswith(f"40{namespace},{{"), answer
    await floor.round_trip()
