"""The store's follow-up records: spaces found by their key's hash only, letters in order, the
letter queue oldest first, appointments by time, and a space erased with everything in it,
gone from the disk byte for byte as an erased chat is; and the conditional steps that make the
follow-up safe on several nodes (an offer answered once, a letter taken by one volunteer, a
booked appointment changed once, a link that stays revoked)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio

from chatserver.backends.base import StatsDelta
from chatserver.backends.embedded import SqliteStore
from chatserver.hub.followup.model import (
    Appointment,
    AppointmentState,
    Letter,
    LetterThread,
    Offer,
    Space,
)
from chatserver.hub.followup.spaces import FollowUpStores
from chatserver.hub.model import Role
from tests.backends.factories import Backend

from .test_store_sqlite_disk import _raw

T0 = 1_795_662_000.0
MARKER = "WOMBAT-4410-brief"


def space(n: int, active_at: float = T0, line: str = "chat") -> Space:
    return Space(f"s{n}", line, "nl", f"hash{n}", T0, active_at)


def thread(n: int, space_id: str, waiting_since: float | None = None) -> LetterThread:
    return LetterThread(f"t{n}", space_id, "chat", "nl", T0, T0, waiting_since, None, None, None)


def letter(thread_id: str, seq: int, text: str, role: Role = Role.VISITOR) -> Letter:
    return Letter(thread_id, seq, role, text, f"<p>{text}</p>", T0 + seq)


def appointment(n: int, space_id: str, at: float, note: str = "") -> Appointment:
    return Appointment(f"a{n}", space_id, "chat", "nl", "op1", at, note, "c1", T0)


@pytest_asyncio.fixture
async def store(store_backend: Backend, tmp_path: Path) -> AsyncIterator[FollowUpStores]:
    made = store_backend.store_at(tmp_path)
    await made.open()
    yield made
    await made.close()


@pytest.mark.asyncio
async def test_a_space_is_found_by_its_key_hash_and_no_longer_once_revoked(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1))
    assert (await store.space_by_key("hash1")) == space(1)
    assert await store.space_by_key("hash2") is None
    revoked = space(1)
    revoked.key_hash, revoked.revoked_at = None, T0 + 5
    await store.save_space(revoked)
    assert await store.space_by_key("hash1") is None
    assert (await store.space("s1")) == revoked
    await store.save_space(space(2))
    with pytest.raises(ValueError):  # two spaces can never share a key
        await store.save_space(Space("s3", "chat", "nl", "hash2", T0, T0))


@pytest.mark.asyncio
async def test_letters_keep_their_order_and_the_queue_starts_with_the_longest_waiting(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1))
    await store.save_thread(thread(1, "s1", waiting_since=T0 + 50))
    await store.save_thread(thread(2, "s1", waiting_since=T0 + 10))
    await store.save_thread(thread(3, "s1"))  # answered: nothing to do
    for seq, text in enumerate(["eerste", "tweede", "derde"], start=1):
        await store.add_letter(letter("t1", seq, text))
    with pytest.raises(ValueError):
        await store.add_letter(letter("t1", 2, "dubbel"))
    assert [x.text for x in await store.letters("t1")] == ["eerste", "tweede", "derde"]
    assert [t.id for t in await store.letter_queue()] == ["t2", "t1"]
    assert [t.id for t in await store.threads_of_space("s1")] == ["t1", "t2", "t3"]


@pytest.mark.asyncio
async def test_appointments_by_time_and_idle_spaces_by_line(store: FollowUpStores) -> None:
    await store.save_space(space(1, active_at=T0))
    await store.save_space(space(2, active_at=T0 + 100, line="jongeren"))
    await store.save_appointment(appointment(1, "s1", T0 + 3600))
    await store.save_appointment(appointment(2, "s1", T0 + 60))
    kept = appointment(2, "s1", T0 + 60)
    kept.state, kept.conversation_id = AppointmentState.KEPT, "c9"
    await store.save_appointment(kept)
    assert [a.id for a in await store.appointments_between(T0, T0 + 7200)] == ["a2", "a1"]
    assert (await store.appointment("a2")) == kept
    assert [s.id for s in await store.idle_spaces(T0 + 200)] == ["s1", "s2"]
    assert [s.id for s in await store.idle_spaces(T0 + 200, "jongeren")] == ["s2"]
    assert await store.idle_spaces(T0) == []


@pytest.mark.asyncio
async def test_follow_up_counts_add_up_in_the_hour(store: FollowUpStores) -> None:
    await store.add_stats(StatsDelta("chat", T0, letters_received=1))
    await store.add_stats(StatsDelta("chat", T0, letters_received=1, appointments_kept=1))
    await store.add_stats(StatsDelta("chat", T0, offered=1, appointments_missed=1))
    [hour] = await store.hour_stats("chat", T0, T0 + 3600)
    assert (hour.offered, hour.letters_received, hour.appointments_kept) == (1, 2, 1)
    assert (hour.appointments_missed, hour.letters_answered) == (1, 0)


@pytest.mark.asyncio
async def test_an_erased_space_is_gone_with_everything_in_it_also_from_the_disk(
    tmp_path: Path,
) -> None:
    """ "Forget me" and the purge: letters, notes and appointment notes cannot be read back
    from the database file or its WAL, while another visitor's letters stay."""
    path = tmp_path / "chat.sqlite"
    store = SqliteStore(path, scrub_delay=None)
    await store.open()
    try:
        for n in (1, 2):
            await store.save_space(space(n))
            gone = n == 1
            t = thread(n, f"s{n}", waiting_since=T0)
            t.note = f"{MARKER} note" if gone else "KEPT-NOTE"
            await store.save_thread(t)
            for seq in range(1, 60):
                text = f"{MARKER} {seq} " + "x" * 300 if gone else f"KEPT-LETTER {seq}"
                await store.add_letter(letter(f"t{n}", seq, text))
            await store.save_appointment(
                appointment(n, f"s{n}", T0 + 3600, f"{MARKER} afspraak" if gone else "KEPT")
            )
            await store.attach_conversation(f"s{n}", f"c{n}", kept=True)
        assert MARKER.encode() in _raw(path)

        assert await store.erase_space("s1") == 59
        assert MARKER.encode() not in _raw(path)  # a kill -9 now leaves nothing readable
        assert await store.space("s1") is None and await store.letters("t1") == []
        assert await store.appointments_of_space("s1") == []
        assert await store.space_conversations("s1") == []
        assert [c for c, _ in await store.space_conversations("s2")] == ["c2"]
        assert b"KEPT-LETTER 59" in _raw(path)
    finally:
        await store.close()
    assert MARKER.encode() not in _raw(path)
    assert b"KEPT-LETTER 59" in _raw(path)


# the conditional steps: what a node-local lock guarded, the store decides for every node ------
def offer(conversation_id: str, made_at: float, note: str = "Vraag naar school") -> Offer:
    return Offer(conversation_id, "op1", "chat", "nl", T0 + 86400, note, made_at)


@pytest.mark.asyncio
async def test_an_offer_is_kept_across_a_restart_and_answered_once_by_whoever_comes_first(
    store_backend: Backend, tmp_path: Path, store: FollowUpStores
) -> None:
    await store.save_offer(offer("c1", T0))
    await store.save_offer(offer("c1", T0 + 5, note="nieuw"))  # a new offer replaces it
    again = store_backend.store_at(tmp_path)  # another node, or this one restarted
    await again.open()
    try:
        assert await again.offer("c1", T0) == offer("c1", T0 + 5, note="nieuw")
        assert await again.offer("c2", T0) is None
        taken = await asyncio.gather(
            again.take_offer("c1", T0), store.take_offer("c1", T0), store.take_offer("c1", T0)
        )
    finally:
        await again.close()
    assert [t for t in taken if t is not None] == [offer("c1", T0 + 5, note="nieuw")]
    assert await store.offer("c1", T0) is None
    assert await store.take_offer("c1", T0) is None


@pytest.mark.asyncio
async def test_a_lapsed_offer_answers_nothing_and_the_sweep_drops_it(
    store: FollowUpStores,
) -> None:
    await store.save_offer(offer("c1", T0))
    await store.save_offer(offer("c2", T0 + 100))
    assert await store.offer("c1", T0 + 1) is None  # made before ``since``: lapsed
    assert await store.take_offer("c1", T0 + 1) is None
    assert await store.drop_offers(T0 + 50) == 1
    assert await store.offer("c1", T0) is None
    assert await store.offer("c2", T0) == offer("c2", T0 + 100)


@pytest.mark.asyncio
async def test_an_offer_goes_with_its_conversations_messages_not_with_a_purge_by_role(
    store: FollowUpStores,
) -> None:
    await store.save_offer(offer("c1", T0))
    await store.save_offer(offer("c2", T0))
    await store.erase_transcript("c1", ("visitor",))  # the retention purge's kind of erase
    assert await store.offer("c1", T0) is not None
    await store.erase_messages("c1")  # "delete my conversation", "forget me"
    assert await store.offer("c1", T0) is None
    assert await store.offer("c2", T0) is not None


@pytest.mark.asyncio
async def test_of_two_volunteers_taking_one_letter_at_once_exactly_one_gets_it(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1))
    await store.save_thread(thread(1, "s1", waiting_since=T0))
    took = await asyncio.gather(
        store.set_thread_owner("t1", None, "op1", None),
        store.set_thread_owner("t1", None, "op2", None),
    )
    assert sorted(took) == [False, True]
    winner = "op1" if took[0] else "op2"
    assert (await store.thread("t1")).owner == winner  # type: ignore[union-attr]
    assert [t.id for t in await store.threads_owned(winner)] == ["t1"]
    loser = "op2" if took[0] else "op1"
    assert await store.threads_owned(loser) == []
    # handed on, with a note, only by the owner it still has
    assert not await store.set_thread_owner("t1", loser, "op3", "stale")
    assert await store.set_thread_owner("t1", winner, "op3", "Bel maandag")
    found = await store.thread("t1")
    assert found is not None and (found.owner, found.note) == ("op3", "Bel maandag")
    assert await store.threads_owned(winner) == []
    assert [t.id for t in await store.threads_owned("op3")] == ["t1"]
    assert await store.set_thread_owner("t1", "op3", None, None)  # given back
    found = await store.thread("t1")
    assert found is not None and (found.owner, found.note) == (None, None)
    assert not await store.set_thread_owner("t9", None, "op1", None)  # no such thread


@pytest.mark.asyncio
async def test_a_posted_letter_moves_its_threads_clock_and_a_taken_seq_refuses_it(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1))
    await store.save_thread(thread(1, "s1"))
    assert await store.set_thread_owner("t1", None, "op1", "notitie")
    first, second = letter("t1", 1, "eerste"), letter("t1", 1, "tegelijk")
    posted = await asyncio.gather(
        store.post_letter(first, T0 + 100), store.post_letter(second, T0 + 100),
        return_exceptions=True,
    )  # fmt: skip
    assert sorted(type(p).__name__ for p in posted) == ["NoneType", "ValueError"]
    found = await store.thread("t1")
    assert found is not None
    assert (found.waiting_since, found.due_at, found.active_at) == (T0 + 1, T0 + 100, T0 + 1)
    assert (found.owner, found.note) == ("op1", "notitie")  # the step leaves them as they are
    await store.post_letter(letter("t1", 2, "nog een"), T0 + 200)  # waits since the first
    found = await store.thread("t1")
    assert found is not None and (found.waiting_since, found.due_at) == (T0 + 1, T0 + 100)
    assert [t.id for t in await store.letter_queue()] == ["t1"]
    await store.post_letter(letter("t1", 3, "antwoord", Role.OPERATOR), None)
    found = await store.thread("t1")
    assert found is not None
    assert (found.waiting_since, found.due_at, found.active_at) == (None, None, T0 + 3)
    assert await store.letter_queue() == []
    assert [x.seq for x in await store.letters("t1")] == [1, 2, 3]
    with pytest.raises(ValueError):
        await store.post_letter(letter("t9", 1, "nergens"), None)


@pytest.mark.asyncio
async def test_a_booked_appointment_changes_once_and_a_stale_change_is_refused(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1))
    booked = appointment(1, "s1", T0 + 3600)
    await store.save_appointment(booked)
    kept = replace(booked, state=AppointmentState.KEPT, conversation_id="c2")
    cancelled = replace(booked, state=AppointmentState.CANCELLED)
    done = await asyncio.gather(
        store.change_appointment(kept, AppointmentState.BOOKED, T0 + 3600),
        store.change_appointment(cancelled, AppointmentState.BOOKED, T0 + 3600),
    )
    assert sorted(done) == [False, True]
    assert await store.appointment("a1") == (kept if done[0] else cancelled)

    await store.save_appointment(appointment(2, "s1", T0 + 7200))
    moved = appointment(2, "s1", T0 + 9000)
    assert await store.change_appointment(moved, AppointmentState.BOOKED, T0 + 7200)
    assert [a.id for a in await store.appointments_between(T0 + 8000, T0 + 9999)] == ["a2"]
    assert await store.appointments_between(T0 + 7000, T0 + 8000) == []
    stale = replace(moved, state=AppointmentState.MISSED)  # read before the move
    assert not await store.change_appointment(stale, AppointmentState.BOOKED, T0 + 7200)
    assert await store.appointment("a2") == moved
    assert not await store.change_appointment(
        appointment(3, "s1", T0), AppointmentState.BOOKED, T0
    )  # no such appointment: nothing written
    assert await store.appointment("a3") is None


@pytest.mark.asyncio
async def test_a_touch_never_brings_back_a_key_and_a_link_is_replaced_or_revoked_once(
    store: FollowUpStores,
) -> None:
    await store.save_space(space(1, active_at=T0 + 50))
    await store.touch_space("s1", T0 + 10)  # never back
    assert (await store.space("s1")).active_at == T0 + 50  # type: ignore[union-attr]
    await store.touch_space("s1", T0 + 60)
    assert [s.id for s in await store.idle_spaces(T0 + 61)] == ["s1"]
    assert await store.idle_spaces(T0 + 60) == []
    await store.touch_space("s9", T0)  # no such space: nothing happens
    assert await store.space("s9") is None

    rekeyed = await asyncio.gather(
        store.replace_space_key("s1", "hash1", "hashA", T0 + 70),
        store.replace_space_key("s1", "hash1", "hashB", T0 + 70),
    )
    assert sorted(rekeyed) == [False, True]
    new = "hashA" if rekeyed[0] else "hashB"
    assert await store.space_by_key("hash1") is None
    assert (await store.space_by_key(new)).active_at == T0 + 70  # type: ignore[union-attr]
    await store.save_space(space(2))
    with pytest.raises(ValueError):  # two spaces can never share a key
        await store.replace_space_key("s1", new, "hash2", T0 + 80)

    revoked = await asyncio.gather(
        store.revoke_space("s1", T0 + 90), store.revoke_space("s1", T0 + 91)
    )
    assert sorted(revoked) == [False, True]
    await store.touch_space("s1", T0 + 100)
    found = await store.space("s1")
    assert found is not None and found.key_hash is None and found.active_at == T0 + 100
    assert found.revoked_at in (T0 + 90, T0 + 91)
    assert await store.space_by_key(new) is None
    assert not await store.replace_space_key("s1", new, "hashC", T0 + 110)  # revoked: stays so
    assert (await store.space("s1")).key_hash is None  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_an_offers_note_erased_with_its_conversation_is_gone_from_the_disk(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chat.sqlite"
    store = SqliteStore(path, scrub_delay=None)
    await store.open()
    try:
        await store.save_offer(offer("c1", T0, note=f"{MARKER} " + "x" * 300))
        assert MARKER.encode() in _raw(path)
        await store.erase_messages("c1")
        assert MARKER.encode() not in _raw(path)
    finally:
        await store.close()
