"""Appointments from the service's side (``hub/followup/appointments.py``): the offer's time
rules, booking into a space kept alive until the time, the window, missed by the sweep, and a
forgotten space cancelling what was booked. The floor is a stand-in holding one chat; the end
to end tests (tests/e2e/test_appointments.py) run the real hub."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chatserver.backends.embedded import MEMORY, SqliteStore
from chatserver.clock import ManualClock, iso
from chatserver.errors import AppointmentNotNow, FollowUpUnavailable, Forbidden, InvalidPayload
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
