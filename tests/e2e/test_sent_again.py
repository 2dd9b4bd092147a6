"""A message sent again after its acknowledgement was lost is kept and told once."""

from __future__ import annotations

from tests.e2e.conftest import Env


async def test_a_visitor_message_sent_twice_with_its_id_is_kept_once(env: Env) -> None:
    """The widget's connection dropped before the answer came: it sends the same text with
    the same id again. The volunteer reads it once, the transcript holds it once, and both
    answers name the same message."""
    volunteer = await env.operator("anna")
    visitor, _ = await env.start()
    await visitor.next("assigned")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await volunteer.next("message")  # the "Anna is here" line
    first = await visitor.call("message", {"text": "ben je er nog?", "client_id": "w-17"})
    again = await visitor.call("message", {"text": "ben je er nog?", "client_id": "w-17"})
    assert first["ok"] and again["ok"]
    assert (again["id"], again["seq"]) == (first["id"], first["seq"])
    other = await visitor.call("message", {"text": "ben je er nog?", "client_id": "w-18"})
    assert other["seq"] == first["seq"] + 1  # another id: another message, as typed twice
    received = [(await volunteer.next("message"))["id"] for _ in range(2)]
    await volunteer.settle()
    assert received == [first["id"], other["id"]] and volunteer.pending("message") == []
    stored = [m.text for m in await env.hub.store.messages(conversation) if m.role == "visitor"]
    assert stored == ["ben je er nog?", "ben je er nog?"]


async def test_a_volunteer_message_sent_twice_with_its_id_is_kept_once(env: Env) -> None:
    """The console's answer got lost and the volunteer pressed send again."""
    volunteer = await env.operator("bert")
    visitor, _ = await env.start()
    await visitor.next("assigned")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await visitor.next("message")
    body = {"conversation_id": conversation, "text": "ik ben er", "client_id": "c-1"}
    first = await volunteer.call("message", body)
    again = await volunteer.call("message", body)
    assert again["id"] == first["id"]
    assert (await visitor.next("message"))["id"] == first["id"]
    await visitor.settle()
    assert visitor.pending("message") == []


async def test_a_malformed_client_id_is_refused_and_nothing_is_kept(env: Env) -> None:
    """An id that is not a short token (too long, odd characters, not a string) is refused
    with a clear code; the message is not kept."""
    visitor, ack = await env.start()
    for bad in ("", "x" * 65, "a b", "<script>", 17, ["w-1"]):
        answer = await visitor.call("message", {"text": "hoi", "client_id": bad})
        assert answer["error"]["code"] == "invalid_payload", bad
    assert await env.hub.store.messages(ack["conversation_id"]) == []
