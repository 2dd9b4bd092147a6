"""What lists and supervisors see of the follow-up, from the service's side: owners by alias
and links closed; counts per line; "today" as each line's own day; supervisors only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chatserver.errors import Forbidden, InvalidPayload
from chatserver.hub.followup.model import Appointment
from chatserver.hub.model import Account
from tests.hub.followup.kit import SETTINGS, desk, volunteer, with_letters

HOUR = 3600.0
SARA = Account("sup1", "sara", "Sara", "supervisor", "x")


@pytest.mark.asyncio
async def test_lists_name_the_owner_and_say_when_a_link_is_closed() -> None:
    followup, store, clock = await desk(with_letters(SETTINGS))
    anna = volunteer(1)
    await store.add_account(anna)
    line = SETTINGS.lines[0].id
    space, _, thread = await followup.letters.write_first(line, "nl", "hoi", True)
    await followup.letters.take(anna, thread.id)
    [info] = await followup.oversight.describe(await followup.letters.queue(anna))
    assert (info.owner_alias, info.link_open, info.overdue) == ("Vrijwilliger 1", True, False)
    clock.advance(49 * HOUR)
    assert await followup.oversight.revoke(SARA, thread.id, None)
    [info] = await followup.oversight.describe(await followup.letters.queue(anna))
    assert (info.link_open, info.overdue) == (False, True)
    assert space.id == thread.space_id
    await store.close()


@pytest.mark.asyncio
async def test_the_overview_counts_per_line_and_is_for_supervisors_only() -> None:
    followup, store, clock = await desk(with_letters(SETTINGS))
    first, second = (line.id for line in SETTINGS.lines[:2])
    await followup.letters.write_first(first, "nl", "een", True)
    clock.advance(49 * HOUR)
    await followup.letters.write_first(first, "nl", "twee", True)
    overview = await followup.oversight.overview(SARA)
    counts = {x.line: (x.waiting, x.overdue, x.untaken) for x in overview.lines}
    assert counts == {first: (2, 1, 2), second: (0, 0, 0)}
    with pytest.raises(Forbidden):
        await followup.oversight.overview(volunteer(1))
    with pytest.raises(Forbidden):
        await followup.oversight.revoke(volunteer(1), overview.waiting[0].thread.id, None)
    with pytest.raises(InvalidPayload):
        await followup.oversight.revoke(SARA, None, None)
    await store.close()


@pytest.mark.asyncio
async def test_today_is_each_lines_own_day() -> None:
    """Auckland's day starts and ends half a day before Amsterdam's: each line's agreed chats
    of today are those of its own calendar day, the soonest first."""
    settings = with_letters(SETTINGS)
    lines = (settings.lines[0], replace(settings.lines[1], timezone="Pacific/Auckland"))
    followup, store, clock = await desk(replace(settings, lines=lines))
    amsterdam, auckland = lines[0].id, lines[1].id
    space, _ = await followup.spaces.create(amsterdam, "nl")
    now = clock.now()  # 26 November, 03:00 UTC: 04:00 in Amsterdam, 16:00 in Auckland
    for name, line, at in (
        ("ams-today", amsterdam, now + 17 * HOUR),  # 21:00 in Amsterdam
        ("ams-tomorrow", amsterdam, now + 20.5 * HOUR),  # 00:30 the next day
        ("akl-today", auckland, now + 7.5 * HOUR),  # 23:30 in Auckland
        ("akl-tomorrow", auckland, now + 8.5 * HOUR),  # 00:30 the next day there
        ("akl-yesterday", auckland, now - 16.5 * HOUR),  # 23:30 the day before there
    ):
        await store.save_appointment(
            Appointment(name, space.id, line, "nl", "op1", at, "", "c", now)
        )
    today = await followup.oversight.overview(SARA)
    assert [x.appointment.id for x in today.today] == ["akl-today", "ams-today"]
    await store.close()
