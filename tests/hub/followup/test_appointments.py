"""Appointments from the service's side (``hub/followup/appointments.py``): the offer's time
rules, booking into a space kept alive until the time, the window, missed by the sweep, and a
forgotten space cancelling what was booked. The floor is a stand-in holding one chat; the end
to end tests (tests/e2e/test_appointments.py) run the real hub."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chatserver.backends.embedded import MEMORY, SqliteStore
from chatserver.clock import ManualClock, iso
from chatserver.errors import (
    AppointmentNotNow,
    FollowUpUnavailable,
    Forbidden,
    InvalidPayload,
    InvalidState,
)
from chatserver.hub.events import EventBus
from chatserver.hub.followup.model import AppointmentState
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.model import Conversation, ConversationState
from chatserver.hub.pinned import Pinned
from chatserver.privacy.sanitize import to_html
from chatserver.settings import FollowUpSettings, Settings, load_settings

SETTINGS = load_settings(Path(__file__).parent.parent.parent / "e2e" / "test.toml")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEDNESDAY_EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=AMSTERDAM).timestamp()
HOUR = 3600
DAY = 86400


def with_appointments(settings: Settings) -> Settings:
    lines = tuple(
        replace(line, follow_up=FollowUpSettings(appointments=True)) for line in settings.lines
    )
    return replace(settings, lines=lines)


class OneChat:
    """A floor on which volunteer ``op1`` holds one active chat on ``line``."""

    def __init__(self, line: str) -> None:
        self.chat = Conversation("c1", line, "nl", ConversationState.ACTIVE, "hash", 0.0)

    async def held(self, operator_id: str) -> list[Conversation]:
        return [self.chat] if operator_id == "op1" else []

    def alias(self, operator_id: str) -> str | None:
        return "Anna" if operator_id == "op1" else None


async def book(line: str = "chat") -> tuple[FollowUp, SqliteStore, ManualClock]:
    store = SqliteStore(MEMORY)
    await store.open()
    clock = ManualClock(WEDNESDAY_EVENING)
    settings = with_appointments(SETTINGS)
    followup = FollowUp(settings, store, clock, EventBus(), to_html, OneChat(line))
    return followup, store, clock


@pytest.mark.asyncio
async def test_the_offer_keeps_to_the_future_the_horizon_and_the_opening_hours() -> None:
    followup, store, clock = await book("evening")
    appointments = followup.appointments
    now = clock.now()
    with pytest.raises(Forbidden):
        await appointments.offer("op2", "c1", iso(now + HOUR), "")
    for at, reason in (
        (iso(now - 60), "past"),
        (iso(now + 29 * DAY), "too_far"),
        ("2026-11-26T10:00", "closed"),  # no offset: the line's time, and it opens at 19:00
    ):
        with pytest.raises(InvalidPayload) as refused:
            await appointments.offer("op1", "c1", at, "")
        assert refused.value.details["reason"] == reason
    offer = await appointments.offer("op1", "c1", "2026-11-26T20:30", "note")
    assert offer.at == datetime(2026, 11, 26, 20, 30, tzinfo=AMSTERDAM).timestamp()
    await store.close()


@pytest.mark.asyncio
async def test_a_line_without_appointments_refuses_the_offer() -> None:
    store = SqliteStore(MEMORY)
    await store.open()
    followup = FollowUp(
        SETTINGS, store, ManualClock(WEDNESDAY_EVENING), EventBus(), to_html, OneChat("chat")
    )
    with pytest.raises(FollowUpUnavailable):
        await followup.appointments.offer("op1", "c1", iso(WEDNESDAY_EVENING + HOUR), "")
    await store.close()


@pytest.mark.asyncio
async def test_booked_the_space_lives_until_the_time_and_the_link_opens_only_in_its_window() -> (
    None
):
    followup, store, clock = await book()
    appointments = followup.appointments
    at = clock.now() + 20 * DAY
    await appointments.offer("op1", "c1", iso(at), "Vraag naar het slapen")
    _appointment, key = await appointments.accept("c1", share=True, keep=True)
    assert key is not None
    space = await followup.spaces.find(key)
    assert space.active_at == at  # never idle before the chat it promises
    assert await store.space_conversations(space.id) == [("c1", True)]

    async def start(pinned: Pinned) -> str:
        return pinned.operator_id

    clock.advance(20 * DAY - 11 * 60)  # eleven minutes early
    with pytest.raises(AppointmentNotNow) as early:
        await appointments.open_chat(space, "c2", start)
    assert early.value.details["at"] == iso(at)
    clock.advance(2 * 60)
    kept, started = await appointments.open_chat(space, "c2", start)
    assert started == "op1" and kept.state is AppointmentState.KEPT
    assert await store.space_conversations(space.id) == [("c1", True), ("c2", True)]
    with pytest.raises(AppointmentNotNow):  # kept: no second chat by it
        await appointments.open_chat(space, "c3", start)
    await store.close()


@pytest.mark.asyncio
async def test_the_sweep_marks_a_chat_nobody_came_to_as_missed_once() -> None:
    followup, store, clock = await book()
    appointments = followup.appointments
    await appointments.offer("op1", "c1", iso(clock.now() + HOUR), "")
    appointment, _key = await appointments.accept("c1", share=False, keep=False)
    clock.advance(HOUR + 30 * 60)
    await appointments.sweep(clock.now())
    assert (await store.appointment(appointment.id)).state is AppointmentState.BOOKED  # type: ignore[union-attr]
    clock.advance(1)
    await appointments.sweep(clock.now())
    await appointments.sweep(clock.now() + 60)
    assert (await store.appointment(appointment.id)).state is AppointmentState.MISSED  # type: ignore[union-attr]
    stats = await store.hour_stats("chat", clock.now() - 3 * HOUR, clock.now() + HOUR)
    assert sum(s.appointments_missed for s in stats) == 1
    await store.close()


@pytest.mark.asyncio
async def test_forget_me_cancels_what_was_booked() -> None:
    followup, store, clock = await book()
    appointments = followup.appointments
    await appointments.offer("op1", "c1", iso(clock.now() + HOUR), "")
    appointment, key = await appointments.accept("c1", share=False, keep=False)
    assert key is not None
    await followup.spaces.forget(await followup.spaces.find(key))
    assert await store.appointment(appointment.id) is None  # erased with the space
    stats = await store.hour_stats("chat", clock.now() - HOUR, clock.now() + HOUR)
    assert sum(s.appointments_cancelled for s in stats) == 1
    assert sum(s.appointments_booked for s in stats) == 1
    await store.close()


@pytest.mark.asyncio
async def test_an_offer_outlives_a_restart_lapses_after_its_hour_and_goes_with_the_chat(
    tmp_path: Path,
) -> None:
    """The offer is the store's: a server started again on the same file still has it; an
    hour after it was made it is gone, and "delete my conversation" takes it along."""
    settings = with_appointments(SETTINGS)
    clock = ManualClock(WEDNESDAY_EVENING)
    store = SqliteStore(tmp_path / "chat.sqlite")
    await store.open()
    first = FollowUp(settings, store, clock, EventBus(), to_html, OneChat("chat"))
    await first.appointments.offer("op1", "c1", iso(clock.now() + DAY), "Vraag naar school")
    await store.close()

    store = SqliteStore(tmp_path / "chat.sqlite")
    await store.open()
    again = FollowUp(settings, store, clock, EventBus(), to_html, OneChat("chat"))
    offer = await again.appointments.offered("c1")
    assert offer is not None and offer.note == "Vraag naar school"
    clock.advance(HOUR + 1)
    assert await again.appointments.offered("c1") is None
    with pytest.raises(InvalidState):
        await again.appointments.accept("c1", share=False, keep=False)
    await again.appointments.sweep(clock.now())
    assert await store.offer("c1", 0.0) is None  # dropped, not just hidden

    await again.appointments.offer("op1", "c1", iso(clock.now() + DAY), "")
    await store.erase_messages("c1")
    assert await again.appointments.offered("c1") is None
    await store.close()


@pytest.mark.asyncio
async def test_a_step_on_a_stale_appointment_is_refused_as_no_longer_booked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read, then changed by another step (a tab, another node) before the write: the
    cancel reads again and hears what it would have heard after the other."""
    followup, store, clock = await book()
    appointments = followup.appointments
    await appointments.offer("op1", "c1", iso(clock.now() + 2 * HOUR), "")
    booked, key = await appointments.accept("c1", share=False, keep=False)
    assert key is not None
    space = await followup.spaces.find(key)
    other = replace(booked, state=AppointmentState.CANCELLED)
    original = store.change_appointment

    async def meanwhile(*args: Any) -> bool:  # another step gets there first, once
        monkeypatch.undo()
        assert await original(other, AppointmentState.BOOKED, booked.at)
        return await original(*args)

    monkeypatch.setattr(store, "change_appointment", meanwhile)
    with pytest.raises(InvalidState, match="no longer booked"):
        await appointments.move(space, booked.id, iso(clock.now() + 3 * HOUR))
    assert await store.appointment(booked.id) == other
    stats = await store.hour_stats("chat", clock.now() - HOUR, clock.now() + HOUR)
    assert sum(s.appointments_cancelled for s in stats) == 0  # counted by whoever cancelled
    await store.close()


@pytest.mark.asyncio
async def test_a_chat_that_fails_to_start_leaves_the_appointment_booked_for_another_try() -> None:
    followup, store, clock = await book()
    appointments = followup.appointments
    await appointments.offer("op1", "c1", iso(clock.now() + HOUR), "")
    booked, key = await appointments.accept("c1", share=False, keep=False)
    assert key is not None
    space = await followup.spaces.find(key)
    clock.advance(HOUR)

    async def refused(pinned: Pinned) -> str:
        assert (await store.appointment(pinned.appointment_id)).state is AppointmentState.KEPT  # type: ignore[union-attr]
        raise Forbidden()

    with pytest.raises(Forbidden):
        await appointments.open_chat(space, "c2", refused)
    assert await store.appointment(booked.id) == booked

    async def start(pinned: Pinned) -> str:
        return pinned.operator_id

    kept, _started = await appointments.open_chat(space, "c3", start)
    assert (kept.state, kept.conversation_id) == (AppointmentState.KEPT, "c3")
    assert await store.appointment(booked.id) == kept
    await store.close()


@pytest.mark.asyncio
async def test_an_idle_sweep_commits_nothing() -> None:
    """The sweep runs every second: with no offer lapsed and nothing missed it only reads,
    so the embedded store makes no commit (and no fsync) for it."""
    followup, store, clock = await book()
    await followup.appointments.offer("op1", "c1", iso(clock.now() + HOUR), "")
    commits = store.commits
    for _ in range(5):
        clock.advance(1)
        await followup.appointments.sweep(clock.now())
    assert store.commits == commits
    await store.close()
