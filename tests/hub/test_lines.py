"""Opening hours: visitors are let in exactly while a line is open and told when it opens next.

Hours are local wall-clock times in the line's zone, so summer time must not shift them; an
exception date (Christmas) must override the weekly hours; a 24/7 line must never look closed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chatserver.hub.lines import closes_at, is_open, next_open
from chatserver.settings import WEEKDAYS, Contact, Interval, LineSettings

AMS = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")


def hhmm(text: str) -> Interval:
    """ "14:00-22:00" as minutes; intervals here never cross midnight (the loader splits those)."""
    start, end = text.split("-")
    return Interval(*(int(t[:2]) * 60 + int(t[3:]) for t in (start, end)))


def make_line(
    hours: dict[str, list[str]], exceptions: dict[str, list[str]] | None = None
) -> LineSettings:
    """A line in Amsterdam time with the given weekly hours and exception dates."""
    return LineSettings(
        id="test",
        name={"nl": "Test"},
        languages=("nl",),
        timezone="Europe/Amsterdam",
        hours={day: tuple(hhmm(t) for t in hours.get(day, [])) for day in WEEKDAYS},
        exceptions={day: tuple(hhmm(t) for t in ts) for day, ts in (exceptions or {}).items()},
        queue_limit=50,
        emergency=(Contact(label={"nl": "Alarmnummer"}, phone="112"),),
    )


YOUTH = make_line(
    {**{d: ["14:00-22:00"] for d in WEEKDAYS[:5]}, "sat": ["16:00-21:00"], "sun": ["16:00-21:00"]},
    {"2026-12-25": [], "2026-12-31": ["14:00-18:00"]},
)
ALWAYS = make_line({d: ["00:00-24:00"] for d in WEEKDAYS})


def at(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, tz: ZoneInfo = AMS
) -> float:
    """Epoch of a wall-clock time in ``tz`` (Amsterdam unless told otherwise)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()


def test_open_and_closed_on_a_weekday() -> None:
    """A visitor gets in from 14:00 up to, not including, 22:00 local time."""
    assert not is_open(YOUTH, at(2026, 3, 11, 13, 59))  # Wednesday
    assert is_open(YOUTH, at(2026, 3, 11, 14, 0))
    assert is_open(YOUTH, at(2026, 3, 11, 21, 59, 59))
    assert not is_open(YOUTH, at(2026, 3, 11, 22, 0))
    assert closes_at(YOUTH, at(2026, 3, 11, 15, 0)) == at(2026, 3, 11, 22, 0)
    assert next_open(YOUTH, at(2026, 3, 11, 15, 0)) is None  # open now: no next opening
    assert next_open(YOUTH, at(2026, 3, 11, 23, 0)) == at(2026, 3, 12, 14, 0)
    assert closes_at(YOUTH, at(2026, 3, 11, 23, 0)) is None


def test_hours_follow_summer_time() -> None:
    """After the clocks go forward (29 March 2026) the line still opens at 16:00 local time."""
    # Saturday, winter time: 14:30 UTC is 15:30 local, before 16:00.
    assert not is_open(YOUTH, at(2026, 3, 28, 14, 30, tz=UTC))
    assert next_open(YOUTH, at(2026, 3, 28, 22, 0)) == at(2026, 3, 29, 14, 0, tz=UTC)
    # Sunday, summer time: 14:30 UTC is 16:30 local, open; it closes at 21:00 = 19:00 UTC.
    assert is_open(YOUTH, at(2026, 3, 29, 14, 30, tz=UTC))
    assert closes_at(YOUTH, at(2026, 3, 29, 14, 30, tz=UTC)) == at(2026, 3, 29, 19, 0, tz=UTC)
    # Back to winter time on 25 October: 16:00 local is 15:00 UTC again.
    assert next_open(YOUTH, at(2026, 10, 25, 3, 0, tz=UTC)) == at(2026, 10, 25, 15, 0, tz=UTC)


def test_boundary_in_the_skipped_hour_falls_when_the_clock_jumps() -> None:
    """An opening at 02:30 on the spring-forward night happens at 03:00 summer time."""
    night = make_line({"sun": ["02:30-06:00"]})
    assert next_open(night, at(2026, 3, 29, 0, 0)) == at(2026, 3, 29, 3, 0)  # 01:00 UTC
    assert is_open(night, at(2026, 3, 29, 1, 0, tz=UTC))
    assert not is_open(night, at(2026, 3, 29, 0, 59, tz=UTC))


def test_repeated_hour_does_not_close_and_reopen() -> None:
    """On the fall-back night a line open until 02:30 stays open through the repeated hour."""
    night = make_line({"sat": ["22:00-24:00"], "sun": ["00:00-02:30"]})  # "22:00-02:30", split
    # 02:30 summer time is 00:30 UTC; the second 02:30 (winter time) is 01:30 UTC.
    assert is_open(night, at(2026, 10, 25, 0, 45, tz=UTC))
    assert closes_at(night, at(2026, 10, 24, 23, 0)) == at(2026, 10, 25, 1, 30, tz=UTC)


def test_exception_date_overrides_the_weekday() -> None:
    """Closed on Christmas Day, shorter hours on New Year's Eve, whatever the weekday says."""
    assert not is_open(YOUTH, at(2026, 12, 25, 15, 0))  # a Friday, normally open
    assert is_open(YOUTH, at(2026, 12, 31, 17, 0))
    assert not is_open(YOUTH, at(2026, 12, 31, 19, 0))  # a Thursday, normally open till 22:00
    assert closes_at(YOUTH, at(2026, 12, 31, 17, 0)) == at(2026, 12, 31, 18, 0)


def test_next_open_skips_an_exception() -> None:
    """On Christmas Eve night a visitor is told the line opens Saturday 16:00, not Friday."""
    assert next_open(YOUTH, at(2026, 12, 24, 23, 0)) == at(2026, 12, 26, 16, 0)


def test_next_open_across_a_weekend() -> None:
    """A weekdays-only line closed on Friday evening next opens on Monday morning."""
    office = make_line({d: ["09:00-17:00"] for d in WEEKDAYS[:5]})
    friday_evening = at(2026, 3, 13, 17, 0)
    assert not is_open(office, friday_evening)
    assert next_open(office, friday_evening) == at(2026, 3, 16, 9, 0)
    assert next_open(office, at(2026, 3, 15, 12, 0)) == at(2026, 3, 16, 9, 0)  # Sunday


def test_evening_running_past_midnight_is_one_stretch() -> None:
    """22:00-24:00 followed by 00:00-02:00 the next day is open at midnight and closes at 02:00."""
    late = make_line({"mon": ["22:00-24:00"], "tue": ["00:00-02:00"]})
    assert is_open(late, at(2026, 3, 10, 0, 0))  # Tuesday midnight
    assert closes_at(late, at(2026, 3, 9, 23, 0)) == at(2026, 3, 10, 2, 0)
    assert not is_open(late, at(2026, 3, 10, 2, 0))


def test_always_open_line_is_never_closed() -> None:
    """A 24/7 line is open at midnight and across clock changes, with no next opening or close."""
    for ts in (
        at(2026, 3, 11, 0, 0),
        at(2026, 3, 29, 1, 0, tz=UTC),  # the moment summer time starts
        at(2026, 10, 25, 0, 30, tz=UTC),  # inside the repeated hour
        at(2026, 12, 31, 23, 59, 59),
    ):
        assert is_open(ALWAYS, ts)
        assert next_open(ALWAYS, ts) is None
        assert closes_at(ALWAYS, ts) is None


def test_line_that_never_opens_has_no_next_opening() -> None:
    """A line without hours tells visitors no opening time rather than a wrong one."""
    closed = make_line({})
    assert not is_open(closed, at(2026, 3, 11, 12, 0))
    assert next_open(closed, at(2026, 3, 11, 12, 0)) is None
