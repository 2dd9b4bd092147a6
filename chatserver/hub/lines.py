"""Opening hours: can a visitor reach this line now, and if not, when again?

Pure functions of a :class:`~chatserver.settings.LineSettings` and an epoch timestamp (the hub
passes its injected clock's ``now()``), so every rule here is testable without waiting.

How wall-clock hours become instants:

* Hours are local wall-clock times in the line's time zone (zoneinfo), so "14:00" is 14:00
  in winter and in summer time alike.
* An exception date replaces that calendar day's hours entirely, including the part of the
  previous evening's "22:00-02:00" that falls after midnight (the loader stores that part on
  the next weekday, and a date's hours are taken as a whole).
* Each day's intervals become instant ranges ``[start, end)``; ranges that touch are one, so
  "22:00-24:00" followed by "00:00-02:00" the next day is open at midnight, and a 24/7 line
  never closes and never has a next opening.
* Spring forward (a local time that does not exist, e.g. 02:30 on the last Sunday of March in
  Europe/Amsterdam): the boundary falls at the moment the clock jumps past it (03:00 summer
  time). An interval entirely inside the skipped hour is never open that day.
* Fall back (a local time that occurs twice): an opening counts from the first occurrence and
  a closing from the second, so the line is open for the longer stretch and does not close and
  reopen within the repeated hour.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatserver.settings import WEEKDAYS, Interval, LineSettings

# How far next_open and closes_at look ahead; a line closed for longer has no next opening.
LOOKAHEAD_DAYS = 366

Range = tuple[float, float]


def hours_on(line: LineSettings, day: date) -> tuple[Interval, ...]:
    """The line's intervals on a local calendar date: the exception if any, else the weekday's."""
    intervals = line.exceptions.get(day.isoformat())
    if intervals is None:
        intervals = line.hours.get(WEEKDAYS[day.weekday()], ())
    return tuple(sorted(intervals, key=lambda interval: interval.start))


def is_open(line: LineSettings, ts: float) -> bool:
    """Whether a visitor can start a chat on this line at epoch ``ts``."""
    today = _local_date(line, ts)
    return any(start <= ts < end for start, end in _open_ranges(line, today - timedelta(days=1), 3))


def next_open(line: LineSettings, ts: float) -> float | None:
    """Epoch at which a closed line next opens.

    None when the line is open at ``ts`` (callers ask only when closed), and None when it does
    not open within :data:`LOOKAHEAD_DAYS`.
    """
    for start, end in _open_ranges_from(line, ts):
        if start <= ts < end:
            return None
        if start > ts:
            return start
    return None


def closes_at(line: LineSettings, ts: float) -> float | None:
    """Epoch at which an open line closes; None if closed now or open beyond the look-ahead."""
    for start, end in _open_ranges_from(line, ts):
        if start > ts:
            return None
        if ts < end:
            return None if math.isinf(end) else end
    return None


def _open_ranges_from(line: LineSettings, ts: float) -> Iterator[Range]:
    """Merged open ranges from the day before ``ts`` to the end of the look-ahead."""
    first = _local_date(line, ts) - timedelta(days=1)
    return _open_ranges(line, first, LOOKAHEAD_DAYS + 2)


def _open_ranges(line: LineSettings, first: date, days: int) -> Iterator[Range]:
    """Open instant ranges over ``days`` local dates from ``first``, in order, touching merged.

    A range still open at the end of the window ends at ``math.inf``: it may close later, but
    not within what we looked at.
    """
    tz = ZoneInfo(line.timezone)
    pending: list[float] | None = None
    for offset in range(days):
        day = first + timedelta(days=offset)
        for start, end in _day_ranges(line, tz, day):
            if pending is not None and start <= pending[1]:
                pending[1] = max(pending[1], end)
                continue
            if pending is not None:
                yield pending[0], pending[1]
            pending = [start, end]
    if pending is not None:
        horizon = _instant(tz, first + timedelta(days=days), 0, latest=False)
        yield pending[0], (math.inf if pending[1] >= horizon else pending[1])


# (id of the line's settings, date) -> (those settings, that date's ranges). Every start asks
# whether its line is open, and working out three days' ranges in the line's time zone was
# 13% of a start; the settings are immutable, so a date's ranges are worked out once. The
# settings are kept beside their id, so an id that Python reuses for other settings after a
# reload cannot find ranges that were not theirs.
_DAY_RANGES: dict[tuple[int, date], tuple[LineSettings, tuple[Range, ...]]] = {}
_DAY_RANGES_KEPT = 4096


def _day_ranges(line: LineSettings, tz: ZoneInfo, day: date) -> tuple[Range, ...]:
    """Instant ranges of one local date; empty ones (inside a skipped hour) are dropped."""
    cached = _DAY_RANGES.get((id(line), day))
    if cached is not None and cached[0] is line:
        return cached[1]
    found = []
    for interval in hours_on(line, day):
        start = _instant(tz, day, interval.start, latest=False)
        end = _instant(tz, day, interval.end, latest=True)
        if end > start:
            found.append((start, end))
    ranges = tuple(found)
    if len(_DAY_RANGES) >= _DAY_RANGES_KEPT:
        _DAY_RANGES.clear()
    _DAY_RANGES[id(line), day] = (line, ranges)
    return ranges


def _local_date(line: LineSettings, ts: float) -> date:
    return datetime.fromtimestamp(ts, ZoneInfo(line.timezone)).date()


def _wall(tz: ZoneInfo, ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


def _instant(tz: ZoneInfo, day: date, minute: int, *, latest: bool) -> float:
    """Epoch of ``minute`` minutes after local midnight of ``day`` (1440 is the next midnight).

    ``latest`` picks the second occurrence of a repeated (fall-back) time; a skipped
    (spring-forward) time maps to the moment the clock jumps past it.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    ts = naive.replace(tzinfo=tz, fold=1 if latest else 0).timestamp()
    if _wall(tz, ts) == naive:
        return ts
    return _gap_end(tz, naive)


def _gap_end(tz: ZoneInfo, naive: datetime) -> float:
    """The first instant whose wall clock reads ``naive`` or later, for a skipped local time.

    The two readings of a skipped time (offset before and after the change) bracket the
    transition; transitions fall on whole seconds, so a bisection over seconds finds it.
    """
    readings = [naive.replace(tzinfo=tz, fold=fold).timestamp() for fold in (0, 1)]
    low, high = math.floor(min(readings)), math.ceil(max(readings))
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(tz, middle) >= naive:
            high = middle
        else:
            low = middle
    return float(high)
