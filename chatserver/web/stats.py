"""Statistics for supervisors: a period of a line (or all lines) from the hourly aggregates.

Only the store's aggregated figures come in (``HourStats``, ``HourHistogram``): counts, sums,
maxima and bucket counts, never a conversation. So nothing here can show text from a chat,
and the page and the CSV export say only what those figures honestly support:

* means come from sums (mean wait = wait_sum / answered; mean duration = duration_sum /
  duration_count) and maxima are exact;
* percentiles come from the histogram buckets and are therefore a range ("between 1 and 2
  minutes"), never a made-up number. Hours stored before the histogram existed have no
  buckets: the report says on how many chats a percentile rests.

A period is a run of whole days in the line's time zone (Europe/Amsterdam for all lines), so a
"day" is what the helpline calls a day, 23 or 25 hours long around the clock change. An hour
belongs to the local day and hour in which it starts. Pure functions, testable without HTTP.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatserver.backends.base import HIST_BOUNDS, HIST_BUCKETS, HourHistogram, HourStats
from chatserver.settings import Settings

ALL = "all"
# the follow-up's counters, as ``HourStats`` names them: summed like ``offered``, and a CSV
# column each
FOLLOW_UP_COUNTS = (
    "letters_received", "letters_answered", "appointments_booked", "appointments_kept",
    "appointments_missed", "appointments_cancelled",
)  # fmt: skip
DEFAULT_ZONE = "Europe/Amsterdam"  # the organisation's own clock, for "all lines"
PERIODS = ("day", "week", "custom")
MAX_DAYS = 366  # a custom period is at most a year: the page draws a bar per day
RISK_ORDER = ("none", "low", "high", "acute")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# the days a period may touch: no statistics are older, and far from Python's calendar ends
# (the week after 9999-12-31, local midnight of 0001-01-01, the "next" link all overflowed)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class QueryError(ValueError):
    """A query the page cannot answer; ``key`` names the message in the locale files."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Period:
    """Whole local days ``first`` to ``last`` (inclusive) in time zone ``zone``."""

    kind: str  # day | week | custom
    first: date
    last: date
    zone: ZoneInfo

    @property
    def since(self) -> float:
        """Epoch seconds of local midnight starting ``first``."""
        return datetime.combine(self.first, time(), self.zone).timestamp()

    @property
    def until(self) -> float:
        """Epoch seconds of local midnight after ``last`` (exclusive end)."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).timestamp()

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def shifted(self, direction: int) -> Period:
        """The period before (-1) or after (+1), of the same length: for "previous/next"."""
        span = timedelta(days=(self.last - self.first).days + 1) * direction
        return Period(self.kind, self.first + span, self.last + span, self.zone)


@dataclass(frozen=True)
class Query:
    line: str  # a line id or "all"
    lines: tuple[str, ...]  # the line ids it covers
    period: Period


def _date(raw: str | None, default: date) -> date:
    if raw is None or raw == "":
        return default
    if not DATE.fullmatch(raw):
        raise QueryError("stats_error_date")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise QueryError("stats_error_date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise QueryError("stats_error_range")
    return day


def zone_of(settings: Settings, line: str) -> ZoneInfo:
    """The line's own time zone; the organisation's (Amsterdam) for all lines together."""
    found = settings.line(line)
    return ZoneInfo(found.timezone if found is not None else DEFAULT_ZONE)


def parse_query(params: Mapping[str, str], settings: Settings, now: float) -> Query:
    """``line``, ``period`` and ``from``/``to`` from the page's query string.

    Defaults: all lines, this week. ``from`` picks the day (or the week holding it) for
    ``day`` and ``week``; ``custom`` runs from ``from`` to ``to`` inclusive, at most a year.
    """
    line = params.get("line") or ALL
    if line != ALL and settings.line(line) is None:
        raise QueryError("stats_error_line")
    lines = tuple(x.id for x in settings.lines) if line == ALL else (line,)
    kind = params.get("period") or "week"
    if kind not in PERIODS:
        raise QueryError("stats_error_period")
    zone = zone_of(settings, line)
    today = datetime.fromtimestamp(now, zone).date()
    first = _date(params.get("from"), today)
    if kind == "day":
        last = first
    elif kind == "week":
        first -= timedelta(days=first.weekday())
        last = first + timedelta(days=6)
    else:
        last = _date(params.get("to"), first)
        if last < first:
            raise QueryError("stats_error_order")
        if (last - first).days + 1 > MAX_DAYS:
            raise QueryError("stats_error_span")
    return Query(line, lines, Period(kind, first, last, zone))


@dataclass
class Figures:
    """Summable figures of some hours: a day, the whole period."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0
    wait_max: float = 0.0
    duration_sum: float = 0.0
    duration_count: int = 0
    duration_max: float = 0.0
    # the follow-up by link (issue 12): counts only
    letters_received: int = 0
    letters_answered: int = 0
    appointments_booked: int = 0
    appointments_kept: int = 0
    appointments_missed: int = 0
    appointments_cancelled: int = 0

    def add(self, hour: HourStats) -> None:
        self.offered += hour.offered
        self.answered += hour.answered
        self.abandoned += hour.abandoned
        self.wait_sum += hour.wait_sum
        self.wait_max = max(self.wait_max, hour.wait_max)
        self.duration_sum += hour.duration_sum
        self.duration_count += hour.duration_count
        self.duration_max = max(self.duration_max, hour.duration_max)
        for name in FOLLOW_UP_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(hour, name))

    @property
    def follow_up(self) -> bool:
        """Whether any letter or agreed chat was counted at all."""
        return any(getattr(self, name) for name in FOLLOW_UP_COUNTS)

    @property
    def mean_wait(self) -> float | None:
        """Waits are measured when a chat is answered, so they average over ``answered``."""
        return self.wait_sum / self.answered if self.answered else None

    @property
    def mean_duration(self) -> float | None:
        return self.duration_sum / self.duration_count if self.duration_count else None

    def share(self, part: int) -> float | None:
        """``part`` as a fraction of what was offered (answer rate, abandon rate)."""
        return part / self.offered if self.offered else None


@dataclass(frozen=True)
class Percentile:
    """A percentile known to lie in one histogram bucket: ``low`` <= p < ``high`` (None: open)."""

    share: float  # 0.5 for p50
    low: float
    high: float | None


@dataclass
class Spread:
    """Counts per ``HIST_BOUNDS`` bucket, and what they honestly say."""

    counts: list[int] = field(default_factory=lambda: [0] * HIST_BUCKETS)

    @property
    def total(self) -> int:
        return sum(self.counts)

    def add(self, counts: Sequence[int]) -> None:
        for index, count in enumerate(counts[:HIST_BUCKETS]):
            self.counts[index] += count

    def percentile(self, share: float) -> Percentile | None:
        """The bucket holding the ``share`` percentile (nearest-rank), or None without data."""
        total = self.total
        if not total:
            return None
        rank = max(1, math.ceil(share * total))
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return Percentile(share, *bucket_range(index))
        raise AssertionError("unreachable: the ranks add up to the total")


def bucket_range(index: int) -> tuple[float, float | None]:
    """Seconds from and to (exclusive; None for the open-ended last bucket)."""
    low = HIST_BOUNDS[index - 1] if index > 0 else 0.0
    high = HIST_BOUNDS[index] if index < len(HIST_BOUNDS) else None
    return low, high


@dataclass
class Report:
    query: Query
    total: Figures
    days: list[tuple[date, Figures]]
    by_hour: list[int]  # offered per local hour of the day (0-23), summed over the period
    topics: dict[str, int]  # wrap-up topic -> count, most frequent first
    risks: dict[str, int]  # wrap-up risk -> count, in RISK_ORDER (then any unknown level)
    waits: Spread
    durations: Spread


def _local(hour: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(hour, zone)


def _in_period(hour: int, period: Period) -> bool:
    """The store returns the hour holding ``since``; a zone off the whole hour must not add
    the hour before local midnight to the first day."""
    return period.since <= hour < period.until


def aggregate(
    hours: Iterable[HourStats], histograms: Iterable[HourHistogram], query: Query
) -> Report:
    """Fold the hours of every line in the query into days, hours of the day and totals."""
    period = query.period
    days = {day: Figures() for day in period.days()}
    total = Figures()
    by_hour = [0] * 24
    topics: dict[str, int] = {}
    risks: dict[str, int] = {}
    for hour in hours:
        if not _in_period(hour.hour, period):
            continue
        local = _local(hour.hour, period.zone)
        total.add(hour)
        days.setdefault(local.date(), Figures()).add(hour)
        by_hour[local.hour] += hour.offered
        for topic, count in hour.topics.items():
            topics[topic] = topics.get(topic, 0) + count
        for risk, count in hour.risks.items():
            risks[risk] = risks.get(risk, 0) + count
    waits, durations = Spread(), Spread()
    for histogram in histograms:
        if _in_period(histogram.hour, period):
            waits.add(histogram.wait)
            durations.add(histogram.duration)
    ordered_risks = {r: risks[r] for r in RISK_ORDER if r in risks}
    ordered_risks.update({r: n for r, n in sorted(risks.items()) if r not in ordered_risks})
    return Report(
        query=query,
        total=total,
        days=sorted(days.items()),
        by_hour=by_hour,
        topics=dict(sorted(topics.items(), key=lambda item: (-item[1], item[0]))),
        risks=ordered_risks,
        waits=waits,
        durations=durations,
    )


# -- CSV ---------------------------------------------------------------------------------------

CSV_FIXED = (
    "line", "hour_start_utc", "local_date", "local_hour", "offered", "answered", "abandoned",
    "wait_sum_seconds", "wait_max_seconds", "duration_count", "duration_sum_seconds",
    "duration_max_seconds", *FOLLOW_UP_COUNTS,
)  # fmt: skip


def _cell(value: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula; ids are config, but a
    CSV is opened by people who trust it, so such a cell is quoted as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def to_csv(hours: Iterable[HourStats], histograms: Iterable[HourHistogram], query: Query) -> str:
    """One row per line and hour with figures, the same aggregates the page shows.

    Sums rather than means, so a spreadsheet can add hours up correctly; topic, risk and
    histogram counts as extra columns (``topic:<id>``, ``risk:<level>``, ``wait_lt_30s``...).
    """
    period = query.period
    rows = sorted((h for h in hours if _in_period(h.hour, period)), key=lambda h: (h.hour, h.line))
    spread = {(h.line, h.hour): h for h in histograms if _in_period(h.hour, period)}
    topics = sorted({t for h in rows for t in h.topics})
    risks = [r for r in RISK_ORDER if any(r in h.risks for h in rows)]
    risks += sorted({r for h in rows for r in h.risks} - set(risks))
    buckets = [bucket_name(i) for i in range(HIST_BUCKETS)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [*CSV_FIXED, *(_cell(f"topic:{t}") for t in topics), *(_cell(f"risk:{r}") for r in risks),
         *(f"wait_{b}" for b in buckets), *(f"duration_{b}" for b in buckets)]
    )  # fmt: skip
    for hour in rows:
        local = _local(hour.hour, period.zone)
        histogram = spread.get((hour.line, hour.hour)) or HourHistogram(hour.line, hour.hour)
        writer.writerow(
            [
                _cell(hour.line),
                datetime.fromtimestamp(hour.hour, ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ"),
                local.date().isoformat(),
                str(local.hour),
                str(hour.offered),
                str(hour.answered),
                str(hour.abandoned),
                _number(hour.wait_sum),
                _number(hour.wait_max),
                str(hour.duration_count),
                _number(hour.duration_sum),
                _number(hour.duration_max),
                *(str(getattr(hour, name)) for name in FOLLOW_UP_COUNTS),
                *(str(hour.topics.get(t, 0)) for t in topics),
                *(str(hour.risks.get(r, 0)) for r in risks),
                *(str(n) for n in histogram.wait),
                *(str(n) for n in histogram.duration),
            ]
        )
    return out.getvalue()


def bucket_name(index: int) -> str:
    """A column-friendly name of a bucket: ``lt_30s``, ``lt_2m`` ... ``ge_40m``."""
    low, high = bucket_range(index)
    return f"lt_{_short(high)}" if high is not None else f"ge_{_short(low)}"


def _short(seconds: float) -> str:
    return f"{int(seconds)}s" if seconds < 120 else f"{int(seconds // 60)}m"
