""" "Delete my conversation" means gone, also for the words that were still on their way.

A visitor in a hurry types a few lines and presses "delete" before the server has answered
them. Those messages and the ``forget`` race on the server; whatever order they are handled
in, once ``forget`` is acknowledged no text of the conversation may be in the store or on the
disk, and none may turn up there later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import TIMEOUT, Env, Peer

MARKER = "WOMBAT-4417"
IN_FLIGHT = 6  # messages sent without waiting for their answers, then "forget"


def database_bytes(env: Env) -> bytes:
    """The database file, its WAL and shared-memory index, as they lie on the disk."""
    path = Path(env.hub.store.path)  # type: ignore[attr-defined]
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def send_without_waiting(
    peer: Peer, event: str, payloads: list[dict[str, Any]]
) -> list[asyncio.Future[Any]]:
    """Emit every payload now, in order, each on the wire before the next; the answers
    arrive later, in the returned futures."""
    answers: list[asyncio.Future[Any]] = []
    for body in payloads:
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        answers.append(answer)
        await peer.client.emit(
            event,
            body,
            namespace=peer.namespace,
            callback=lambda data, a=answer: a.set_result(data),
        )
    return answers


async def assert_gone(env: Env, conversation_id: str, marker: str) -> None:
    assert await env.hub.store.messages(conversation_id) == []
    assert marker.encode() not in database_bytes(env)


def texts(tag: str) -> list[dict[str, Any]]:
    return [{"text": f"{MARKER}-{tag}-{n} " + "x" * 200} for n in range(IN_FLIGHT)]


async def test_forget_while_waiting_leaves_no_message_in_flight(env: Env) -> None:
    """A waiting visitor writes and at once deletes the conversation: after the answer to
    ``forget`` not one of those messages is stored or on the disk, nor appears later; each
    message got an answer, and a refused one says why."""
    for round_ in range(8):
        visitor, ack = await env.start()
        conversation = ack["conversation_id"]
        tag = f"waiting{round_}"
        in_flight = await send_without_waiting(visitor, "message", texts(tag))
        forgotten = await visitor.call("forget", {})
        assert forgotten["ok"], forgotten
        await assert_gone(env, conversation, f"{MARKER}-{tag}-")
        answers = await asyncio.wait_for(asyncio.gather(*in_flight), TIMEOUT)
        refused = {a["error"]["code"] for a in answers if not a["ok"]}
        assert refused <= {"forgotten", "ended", "no_conversation"}, answers
        await visitor.settle()
        await assert_gone(env, conversation, f"{MARKER}-{tag}-")  # and nothing came later
        stored = await env.hub.store.conversation(conversation)
        assert stored is not None and stored.end_reason == "forgot"


def assigned_to(conversation: str) -> Callable[[dict[str, Any]], bool]:
    """Picks the ``assigned`` event of ``conversation`` from a volunteer's events."""

    def match(event: dict[str, Any]) -> bool:
        return bool(event["conversation"]["id"] == conversation)

    return match


async def test_forget_during_a_chat_leaves_no_message_or_note_in_flight(env: Env) -> None:
    """In a chat, the visitor's lines and the volunteer's notes still on their way when the
    visitor deletes it are all gone after the answer; the volunteer hears why a late note is
    refused, and the slot is freed by the wrap-up as usual."""
    anna = await env.operator("anna")
    for round_ in range(4):
        visitor, ack = await env.start()
        conversation = ack["conversation_id"]
        await anna.until("assigned", assigned_to(conversation))
        tag = f"chat{round_}"
        notes = [
            {"conversation_id": conversation, "text": body["text"] + " note"} for body in texts(tag)
        ]
        in_flight = await send_without_waiting(visitor, "message", texts(tag))
        in_flight += await send_without_waiting(anna, "note", notes)
        forgotten = await visitor.call("forget", {})
        assert forgotten["ok"], forgotten
        await assert_gone(env, conversation, f"{MARKER}-{tag}-")
        answers = await asyncio.wait_for(asyncio.gather(*in_flight), TIMEOUT)
        refused = {a["error"]["code"] for a in answers if not a["ok"]}
        assert refused <= {"forgotten", "ended", "no_conversation"}, answers
        late = await anna.call("note", {"conversation_id": conversation, "text": f"{MARKER}!"})
        assert late["error"]["code"] == "forgotten"
        await anna.settle()
        await assert_gone(env, conversation, MARKER)
        ended = await anna.call(
            "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
        )
        assert ended["ok"], ended
        await assert_gone(env, conversation, MARKER)
