"""The store's follow-up records: spaces found by their key's hash only, letters in order, the
letter queue oldest first, appointments by time, and a space erased with everything in it,
gone from the disk byte for byte as an erased chat is."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
