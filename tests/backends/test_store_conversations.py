"""The storage contract for conversations, their wrap-ups and messages, on every backend.

What a volunteer and a visitor see after a write: every field kept, messages in order, erased
text gone (the whole transcript or by role), and the ended chats the purge and stats look for.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from chatserver.backends.base import ConversationErased, Store
from chatserver.hub.model import Conversation, ConversationState, Risk, Role, Wrapup

from .factories import STORE_BACKENDS
from .records import NOTES, T0, TRANSCRIPT, conversation, ended, message


# conversations ---------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_conversation_round_trip_every_field(store: Store) -> None:
    """A conversation comes back exactly as the hub left it, intake and risk included."""
    full = conversation(
        "c1",
        state=ConversationState.WRAPUP,
        intake={"age": "16-18", "topic": "eenzaamheid — 'ik'"},
        priority=3,
        operator_id="op1",
        assigned_at=T0 + 30,
        ended_at=T0 + 900,
        ended_by="visitor",
        end_reason="left",
        risk=Risk.HIGH,
        last_seq=42,
        answered=True,
    )
    await store.save_conversation(full)
    assert await store.conversation("c1") == full
    assert await store.conversation_by_token("hash-c1") == full
    assert await store.conversation("c2") is None
    assert await store.conversation_by_token("unknown") is None


@pytest.mark.asyncio
async def test_saving_again_replaces_the_record_and_keeps_messages(store: Store) -> None:
    """A state change of a chat never loses its transcript."""
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1))
    active = conversation("c1", state=ConversationState.ACTIVE, operator_id="op1", answered=True)
    await store.save_conversation(active)
    assert await store.conversation("c1") == active
    assert [m.seq for m in await store.messages("c1")] == [1]


@pytest.mark.asyncio
async def test_open_conversations_leave_out_ended_ones(store: Store) -> None:
    """After a restart, waiting and active chats are picked up again; ended ones are not."""
    await store.save_conversation(conversation("w", created_at=T0 + 2))
    await store.save_conversation(conversation("a", state=ConversationState.ACTIVE))
    await store.save_conversation(conversation("u", state=ConversationState.WRAPUP))
    await store.save_conversation(ended("e", T0 + 5, T0 + 50))
    assert sorted(c.id for c in await store.open_conversations()) == ["a", "u", "w"]


async def test_open_conversations_know_their_last_stored_seq(store: Store) -> None:
    """A restart picks up where the messages end, without reading every chat's messages:
    the record's own counter may lag behind what was stored (it is saved less often)."""
    await store.save_conversation(conversation("c1"))
    await store.save_conversation(conversation("c2"))
    for seq in (1, 2, 3):
        await store.append_message(message("c1", seq))
    found = {c.id: c.last_seq for c in await store.open_conversations()}
    assert found == {"c1": 3, "c2": 0}


@pytest.mark.asyncio
async def test_wrapup_round_trip(store: Store) -> None:
    """A volunteer's wrap-up codes and risk level are kept for the statistics."""
    await store.save_conversation(conversation("c1"))
    wrapup = Wrapup("c1", "op1", ("loneliness", "school"), Risk.ACUTE, T0 + 1000)
    await store.save_wrapup(wrapup)
    assert await store.wrapup("c1") == wrapup
    assert await store.wrapup("c2") is None
    corrected = dataclasses.replace(wrapup, topics=(), risk=Risk.LOW)
    await store.save_wrapup(corrected)
    assert await store.wrapup("c1") == corrected


# messages -----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_messages_in_seq_order_and_after_seq(store: Store) -> None:
    """A visitor who reconnects gets exactly the messages they missed, in order."""
    await store.save_conversation(conversation("c1"))
    await store.save_conversation(conversation("c2"))
    for seq in (3, 1, 2):
        await store.append_message(message("c1", seq))
    note = message("c1", 4, "private note", role=Role.NOTE, author="op1")
    await store.append_message(note)
    await store.append_message(message("c2", 1))
    assert [m.seq for m in await store.messages("c1")] == [1, 2, 3, 4]
    assert await store.messages("c1", after_seq=2) == [message("c1", 3), note]
    assert await store.messages("c1", after_seq=4) == []
    assert await store.messages("nobody") == []


@pytest.mark.asyncio
async def test_a_message_keeps_the_alias_its_author_had(store: Store) -> None:
    """A transcript names "Sam" above Sam's words later on, whatever Sam is called by then."""
    await store.save_conversation(conversation("c1"))
    said = message("c1", 1, "Ik ben er", role=Role.OPERATOR, author="op1", author_alias="Sam")
    await store.append_message(said)
    await store.append_message(message("c1", 2))
    assert await store.messages("c1") == [said, message("c1", 2)]
    assert (await store.messages("c1"))[1].author_alias is None


@pytest.mark.asyncio
async def test_a_system_line_keeps_its_code_and_parameters(store: Store) -> None:
    """A volunteer's console words "Sam is here" in its own language later on: the code and
    its parameters come back with the stored (visitor's language) text."""
    await store.save_conversation(conversation("c1"))
    line = message(
        "c1", 1, "Sam is er om met je te praten.", role=Role.SYSTEM, code="assigned",
        params={"alias": "Sam"},
    )  # fmt: skip
    await store.append_message(line)
    await store.append_message(message("c1", 2))
    assert await store.messages("c1") == [line, message("c1", 2)]
    plain = (await store.messages("c1"))[1]
    assert (plain.code, plain.params) == (None, {})


@pytest.mark.asyncio
async def test_concurrent_messages_all_land(store: Store) -> None:
    """On a busy evening, every acknowledged message of every chat is in the transcript."""
    chats = [f"c{n}" for n in range(10)]
    for cid in chats:
        await store.save_conversation(conversation(cid))
    await asyncio.gather(
        *(store.append_message(message(cid, seq)) for seq in range(1, 21) for cid in chats)
    )
    for cid in chats:
        assert await store.messages(cid) == [message(cid, seq) for seq in range(1, 21)]


@pytest.mark.asyncio
async def test_a_failing_write_fails_alone(store: Store) -> None:
    """One bad write (a taken seq) is refused, while the messages sent alongside it arrive."""
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1, "the original"))
    results = await asyncio.gather(
        *(store.append_message(message("c1", seq)) for seq in range(2, 12)),
        store.append_message(message("c1", 1, "an impostor")),
        *(store.append_message(message("c1", seq)) for seq in range(12, 22)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], ValueError)
    stored = await store.messages("c1")
    assert [m.seq for m in stored] == list(range(1, 22))
    assert stored[0].text == "the original"


@pytest.mark.asyncio
async def test_erase_messages(store: Store) -> None:
    """'Delete my conversation' removes that transcript at once and nobody else's."""
    await store.save_conversation(conversation("c1"))
    await store.save_conversation(conversation("c2"))
    for seq in range(1, 6):
        await store.append_message(message("c1", seq))
    await store.append_message(message("c2", 1))
    assert await store.erase_messages("c1") == 5
    assert await store.messages("c1") == []
    assert await store.messages("c2") == [message("c2", 1)]
    assert await store.conversation("c1") is not None  # the record (no text) stays
    assert await store.erase_messages("c1") == 0


SHARED_STORES = [b for b in STORE_BACKENDS if b.shared]


@pytest.mark.asyncio
@pytest.mark.parametrize("store_backend", SHARED_STORES, ids=[b.name for b in SHARED_STORES])
async def test_a_message_arriving_after_the_erase_is_refused(store: Store) -> None:
    """'Delete my conversation' on one node while another node still stores a message it
    numbered just before: that late message is refused (``ConversationErased``, which the hub
    answers with ``forgotten``) and nothing of the conversation is stored afterwards. Only a
    shared store promises this: the embedded one serves one process, where the hub's
    conversation lock already stores a numbered message before the erase that follows it."""
    await store.save_conversation(ended("c1", T0, T0 + 10))
    await store.save_conversation(conversation("c2"))
    await store.append_message(message("c1", 1))
    await store.append_message(message("c2", 1))
    assert await store.erase_messages("c1") == 1
    with pytest.raises(ConversationErased) as refused:
        await store.append_message(message("c1", 2, "late words"))
    assert "late words" not in str(refused.value)
    assert await store.messages("c1") == []
    assert await store.ended_conversations(T0 + 100, with_roles=TRANSCRIPT) == []  # no work left
    await store.append_message(message("c2", 2))  # nobody else's conversation
    assert [m.seq for m in await store.messages("c2")] == [1, 2]
    # the purge's erase by role leaves no mark: an ended chat's notes have their own term
    await store.save_conversation(conversation("c3"))
    await store.erase_transcript("c3", TRANSCRIPT)
    await store.append_message(message("c3", 1, role=Role.NOTE))
    assert len(await store.messages("c3")) == 1


async def _all_roles(store: Store, cid: str) -> None:
    """One message of every role: the three of the transcript, then a note and a whisper."""
    for seq, role in enumerate(Role, start=1):
        await store.append_message(message(cid, seq, f"{role} text of {cid}", role=role))


@pytest.mark.asyncio
async def test_erase_transcript_by_role(store: Store) -> None:
    """The purge can erase a transcript while the volunteers' notes keep their own term."""
    for cid in ("c1", "c2"):
        await store.save_conversation(conversation(cid))
        await _all_roles(store, cid)
    assert await store.erase_transcript("c1", TRANSCRIPT) == 3
    assert [m.role for m in await store.messages("c1")] == [Role.NOTE, Role.WHISPER]
    assert await store.erase_transcript("c1", TRANSCRIPT) == 0  # erasing again is harmless
    assert await store.erase_transcript("c1", ()) == 0
    assert await store.erase_transcript("c1", NOTES) == 2
    assert await store.messages("c1") == []
    assert len(await store.messages("c2")) == 5  # nobody else's
    assert await store.erase_transcript("c2") == 5  # None: every role, like erase_messages
    assert await store.conversation("c1") is not None  # the record (no text) stays


@pytest.mark.asyncio
async def test_ended_conversations(store: Store) -> None:
    """The purge finds the conversations ended before a moment, per line, oldest first."""
    await store.save_conversation(ended("late", T0, T0 + 300))
    await store.save_conversation(ended("early", T0, T0 + 100))
    await store.save_conversation(ended("youth", None, T0 + 50, line="youth"))
    await store.save_conversation(conversation("waiting"))
    await store.save_conversation(conversation("wrapup", state=ConversationState.WRAPUP))
    ids = [c.id for c in await store.ended_conversations(T0 + 1000)]
    assert ids == ["youth", "early", "late"]
    assert [c.id for c in await store.ended_conversations(T0 + 300)] == ["youth", "early"]
    assert [c.id for c in await store.ended_conversations(T0 + 1000, "general")] == [
        "early",
        "late",
    ]
    assert await store.ended_conversations(T0 + 50) == []  # strictly before
    [youth] = await store.ended_conversations(T0 + 1000, "youth")
    assert youth == ended("youth", None, T0 + 50, line="youth")


@pytest.mark.asyncio
async def test_ended_conversations_with_text_left(store: Store) -> None:
    """Once erased, a conversation is no longer work for the purge: years of records stay
    (for the statistics) without every purge walking through them again."""
    for cid in ("bare", "notes", "full"):
        await store.save_conversation(ended(cid, T0, T0 + 10))
    await _all_roles(store, "notes")
    await store.erase_transcript("notes", TRANSCRIPT)
    await _all_roles(store, "full")

    def found(conversations: list[Conversation]) -> list[str]:
        return sorted(c.id for c in conversations)

    assert found(await store.ended_conversations(T0 + 20)) == ["bare", "full", "notes"]
    assert found(await store.ended_conversations(T0 + 20, with_roles=TRANSCRIPT)) == ["full"]
    assert found(await store.ended_conversations(T0 + 20, with_roles=NOTES)) == ["full", "notes"]
    assert found(await store.ended_conversations(T0 + 20, "general", NOTES)) == ["full", "notes"]
    assert await store.ended_conversations(T0 + 20, with_roles=()) == []
