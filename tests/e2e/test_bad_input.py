"""Bad input gets a clear error code, changes nothing, and disturbs nobody else."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import socketio

from tests.e2e.conftest import Env, Peer

GARBAGE = [
    None,
    42,
    "text",
    [1, 2],
    {"unexpected": True},
    {"text": 5},
    {"text": None},
    {"conversation_id": 7},
    {"conversation_id": "x" * 500},
    {"active": "yes"},
    {"state": "sleeping"},
    {"wrapup": "done"},
    {"consent": "yes"},
    {"intake": [1]},
    {"intake": {"topic": "made-up"}},
    {"reason": {"a": 1}},
    {"text": "x" * 4001},
]

VISITOR_EVENTS = ["start", "message", "typing", "leave", "forget"]
OPERATOR_EVENTS = ["status", "message", "typing", "note", "end"]


async def _conversation_in_progress(env: Env) -> tuple[Peer, Peer, str]:
    volunteer = await env.operator("kees")
    visitor, _ = await env.start()
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await visitor.next("assigned")
    return volunteer, visitor, conversation


async def test_every_visitor_event_rejects_garbage(env: Env) -> None:
    """Each /visitor event answers malformed payloads with an error code; the chat goes on."""
    volunteer, visitor, conversation = await _conversation_in_progress(env)
    prankster = await env.visitor()
    for event in VISITOR_EVENTS:
        for data in GARBAGE:
            answer = await prankster.call(event, data)
            if answer["ok"]:  # e.g. a valid start: then that conversation must be whole
                assert event == "start", (event, data, answer)
                continue
            assert answer["error"]["code"] in {
                "invalid_payload",
                "no_conversation",
                "too_long",
                "consent_required",
                "already_started",
                "queue_full",
                "ended",
            }, (event, data, answer)
    for data in GARBAGE:
        answer = await visitor.call("message", data)
        assert answer["ok"] is False, data
    assert (await visitor.call("message", {"text": "nog steeds hier"}))["ok"]
    assert (await volunteer.until("message", lambda m: m["role"] == "visitor"))[
        "text"
    ] == "nog steeds hier"
    assert await env.hub.is_open(conversation)


async def test_every_operator_event_rejects_garbage(env: Env) -> None:
    """Each /operator event answers malformed payloads with an error code; nothing changes."""
    volunteer, visitor, conversation = await _conversation_in_progress(env)
    for event in OPERATOR_EVENTS:
        for data in GARBAGE:
            answer = await volunteer.call(event, data)
            assert answer["ok"] is False, (event, data, answer)
            assert answer["error"]["code"] in {"invalid_payload", "forbidden", "too_long"}, (
                event,
                data,
                answer,
            )
            assert answer["error"]["message"]
    assert await env.hub.is_open(conversation)
    assert (await volunteer.call("message", {"conversation_id": conversation, "text": "ok"}))["ok"]
    assert (await visitor.until("message", lambda m: m["role"] == "operator"))["text"] == "ok"


async def test_unknown_event_and_oversized_message(env: Env) -> None:
    """Unknown events and too-long messages are answered, never ignored, and stored nothing."""
    _, visitor, conversation = await _conversation_in_progress(env)
    assert (await visitor.call("teleport", {}))["error"]["code"] == "unknown_event"
    too_long = await visitor.call("message", {"text": "a" * 4001})
    assert too_long["error"]["code"] == "too_long" and too_long["error"]["limit"] == 4000
    assert (await visitor.call("message", {"text": "a" * 4000}))["ok"]
    stored = await env.hub.store.messages(conversation)
    assert all(len(m.text) <= 4000 for m in stored)


async def test_not_yours_is_not_found(env: Env) -> None:
    """A volunteer cannot touch a colleague's conversation, and cannot tell whether it exists."""
    _, _, conversation = await _conversation_in_progress(env)
    other = await env.operator("lies")
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("message", {"conversation_id": conversation, "text": "hoi"}),
        ("note", {"conversation_id": conversation, "text": "hoi"}),
        ("end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}),
    ]
    for event, data in attempts:
        mine = await other.call(event, data)
        nobody = await other.call(event, {**data, "conversation_id": "c0000000000000000"})
        assert mine["error"] == nobody["error"] and mine["error"]["code"] == "forbidden"


async def refusal(env: Env, namespace: str, **connect: Any) -> dict[str, Any]:
    """Connect and expect to be refused; what the client was told (message and data)."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[dict[str, Any]] = []

    async def refused(data: dict[str, Any] | None = None) -> None:
        refusals.append(data or {})

    client.on("connect_error", refused, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            env.url, namespaces=[namespace], transports=["websocket"], wait_timeout=5, **connect
        )
    return refusals[0]


async def test_operator_namespace_refuses_without_session(env: Env) -> None:
    """No valid session cookie, no connection to /operator; a wrong password gets 401."""
    told = await refusal(env, "/operator", headers={"Cookie": "chat_session=forged"})
    assert told["message"] == "unauthorized" and told["data"]["code"] == "unauthorized"
    async with aiohttp.ClientSession() as http:
        await env.account("mia")
        wrong = await http.post(
            f"{env.url}/api/session", json={"username": "mia", "password": "nope"}
        )
        assert (
            wrong.status == 401 and (await wrong.json())["error"]["code"] == "invalid_credentials"
        )
        bad = await http.post(
            f"{env.url}/api/session",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert bad.status == 400


async def test_visitor_refused_for_unknown_line_with_a_code(env: Env) -> None:
    """A widget pointed at a line that does not exist learns why it cannot connect."""
    told = await refusal(env, "/visitor", auth={"line": "nope"})
    assert told["message"] == "unknown_line"  # what socket.io-client shows as err.message
    assert told["data"]["code"] == "unknown_line"  # and err.data
