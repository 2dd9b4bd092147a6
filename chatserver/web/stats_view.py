"""What the statistics page shows: a ``Report`` turned into labelled figures.

Each figure is a chart (inline SVG from ``charts``) plus the same numbers as a table, in the
supervisor's language. Kept apart from the handler (which stays a few lines) and from the
aggregation (which knows no language), and pure, so its wording is tested without HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from chatserver.backends.base import HIST_BUCKETS
from chatserver.i18n import localized
from chatserver.settings import Settings
from chatserver.web import charts
from chatserver.web.stats import Figures, Percentile, Report, Spread, bucket_range

Strings = dict[str, str]
# viewBox widths: about the pixels the chart gets on a laptop screen, so its text reads at
# about its own size (full width for days and hours, half for the others)
FULL, HALF = 1100, 560


@dataclass
class Figure:
    id: str
    title: str
    svg: Markup
    head: list[str]
    rows: list[list[str]]
    facts: list[tuple[str, str]] = field(default_factory=list)  # shown above the chart
    note: str = ""


def fmt(t: Strings, key: str, **values: object) -> str:
    text = t[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def seconds_text(t: Strings, seconds: float | None) -> str:
    """45 s, 3 min 20 s, 1 h 05 min: what a person reads at a glance."""
    if seconds is None:
        return t["stats_none"]
    whole = round(seconds)
    if whole < 60:
        return fmt(t, "dur_s", s=whole)
    if whole < 3600:
        return fmt(t, "dur_ms", m=whole // 60, s=f"{whole % 60:02d}")
    return fmt(t, "dur_hm", h=whole // 3600, m=f"{whole % 3600 // 60:02d}")


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)}%"


def _bound(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 60 else f"{int(seconds // 60)} min"


def bucket_label(index: int) -> str:
    """<30 s, 30 s–1 min, 1–2 min … ≥40 min (the same in Dutch and English)."""
    low, high = bucket_range(index)
    if high is None:
        return f"≥{_bound(low)}"
    if low == 0:
        return f"<{_bound(high)}"
    if high < 60:
        return f"{int(low)}–{int(high)} s"
    if low >= 60:
        return f"{int(low // 60)}–{int(high // 60)} min"
    return f"{_bound(low)}–{_bound(high)}"


def percentile_text(t: Strings, found: Percentile | None) -> str:
    """A percentile as the bucket it lies in: "between 1 and 2 min", never a false figure."""
    if found is None:
        return t["stats_none"]
    if found.high is None:
        return fmt(t, "stats_at_least", low=_bound(found.low))
    if found.low == 0:
        return fmt(t, "stats_below", high=_bound(found.high))
    return fmt(t, "stats_between", low=_bound(found.low), high=_bound(found.high))


def day_label(t: Strings, day: date, many: bool) -> str:
    """ "ma 23-11" for a week, "23-11" when a bar per day leaves no room for the weekday."""
    short = fmt(t, "stats_day_short", d=day.day, m=day.month)
    return short if many else f"{t[f'weekday_{day.weekday()}']} {short}"


def summary(t: Strings, total: Figures) -> list[tuple[str, str]]:
    """The headline figures above the charts, each labelled with what it honestly is."""
    return [
        (t["stats_offered"], str(total.offered)),
        (t["stats_answered"], f"{total.answered} ({percent(total.share(total.answered))})"),
        (t["stats_abandoned"], f"{total.abandoned} ({percent(total.share(total.abandoned))})"),
        (t["stats_mean_wait"], seconds_text(t, total.mean_wait)),
        (t["stats_max_wait"], seconds_text(t, total.wait_max if total.answered else None)),
        (t["stats_mean_duration"], seconds_text(t, total.mean_duration)),
        (t["stats_max_duration"],
         seconds_text(t, total.duration_max if total.duration_count else None)),
    ]  # fmt: skip


def figures(report: Report, t: Strings, lang: str, settings: Settings) -> list[Figure]:
    """Every chart of the page, in the order a supervisor asks the questions; the follow-up
    (letters, agreed chats) where a line of the query offers it or it was ever counted."""
    offered = any(
        (line := settings.line(x)) is not None
        and (line.follow_up.letters or line.follow_up.appointments)
        for x in report.query.lines
    )
    extra = [_follow_up(report, t)] if offered or report.total.follow_up else []
    return [
        _volume(report, t),
        _spread(report.waits, t, "waits", "stats_waits_title", "stats_mean_wait",
                report.total.mean_wait, report.total.wait_max if report.total.answered else None,
                report.total.answered),
        _spread(report.durations, t, "durations", "stats_durations_title",
                "stats_mean_duration", report.total.mean_duration,
                report.total.duration_max if report.total.duration_count else None,
                report.total.duration_count),
        _hours(report, t),
        _topics(report, t, lang, settings),
        _risks(report, t),
        *extra,
    ]  # fmt: skip


def _volume(report: Report, t: Strings) -> Figure:
    many = len(report.days) > 14
    labels = [day_label(t, day, many) for day, _ in report.days]
    days = [figures for _, figures in report.days]
    series = [
        charts.Series("offered", t["stats_offered"], [f.offered for f in days]),
        charts.Series("answered", t["stats_answered"], [f.answered for f in days]),
        charts.Series("abandoned", t["stats_abandoned"], [f.abandoned for f in days], True),
    ]
    total = report.total
    title = t["stats_volume_title"]
    description = fmt(t, "stats_volume_desc", offered=total.offered, answered=total.answered,
                      abandoned=total.abandoned, days=len(days))  # fmt: skip
    return Figure(
        id="volume",
        title=title,
        svg=charts.column_chart("chart-volume", title, description, labels, series, width=FULL),
        head=[
            t["stats_date"],
            t["stats_offered"],
            t["stats_answered"],
            t["stats_abandoned"],
            t["stats_mean_wait"],
            t["stats_max_wait"],
        ],
        rows=[
            [
                day.isoformat(),
                str(f.offered),
                str(f.answered),
                str(f.abandoned),
                seconds_text(t, f.mean_wait),
                seconds_text(t, f.wait_max if f.answered else None),
            ]
            for day, f in report.days
        ],
    )


def _spread(
    spread: Spread,
    t: Strings,
    name: str,
    title_key: str,
    mean_key: str,
    mean: float | None,
    longest: float | None,
    measured: int,
) -> Figure:
    """Waits or durations: how they spread over the buckets, with mean, maximum and the
    p50/p90 as the bucket they fall in. ``measured`` is how many the sums cover; when the
    buckets cover fewer (hours from before they existed), the note says so."""
    labels = [bucket_label(i) for i in range(HIST_BUCKETS)]
    title = t[title_key]
    p50, p90 = spread.percentile(0.5), spread.percentile(0.9)
    facts = [
        (t[mean_key], seconds_text(t, mean)),
        (t["stats_longest"], seconds_text(t, longest)),
        (t["stats_p50"], percentile_text(t, p50)),
        (t["stats_p90"], percentile_text(t, p90)),
    ]
    description = fmt(t, "stats_spread_desc", n=spread.total, p50=percentile_text(t, p50),
                      p90=percentile_text(t, p90))  # fmt: skip
    note = fmt(t, "stats_spread_note", n=spread.total)
    if spread.total < measured:
        note += " " + fmt(t, "stats_spread_partial", n=spread.total, total=measured)
    return Figure(
        id=name,
        title=title,
        svg=charts.column_chart(
            f"chart-{name}",
            title,
            description,
            labels,
            [charts.Series(name, t["stats_chats"], spread.counts)],
            width=HALF,
            height=240,
        ),
        head=[t["stats_bucket"], t["stats_chats"]],
        rows=[[label, str(count)] for label, count in zip(labels, spread.counts, strict=True)],
        facts=facts,
        note=note,
    )


def _hours(report: Report, t: Strings) -> Figure:
    labels = [f"{hour:02d}" for hour in range(24)]
    title = t["stats_hours_title"]
    busiest = max(range(24), key=lambda h: (report.by_hour[h], -h))
    description = (
        fmt(t, "stats_hours_desc", hour=f"{busiest:02d}:00", n=report.by_hour[busiest])
        if report.by_hour[busiest] else t["stats_no_data"]
    )  # fmt: skip
    return Figure(
        id="hours",
        title=title,
        svg=charts.column_chart(
            "chart-hours",
            title,
            description,
            labels,
            [charts.Series("hours", t["stats_offered"], report.by_hour)],
            heat=True,
            width=FULL,
            height=200,
        ),
        head=[t["stats_hour"], t["stats_offered"]],
        rows=[[f"{h:02d}:00–{(h + 1) % 24:02d}:00", str(n)] for h, n in enumerate(report.by_hour)],
        note=t["stats_hours_note"],
    )


def _topics(report: Report, t: Strings, lang: str, settings: Settings) -> Figure:
    names = {topic.id: localized(topic.label, lang, topic.id) for topic in settings.wrapup_topics}
    items = [(names.get(topic, topic), float(n)) for topic, n in report.topics.items()]
    title = t["stats_topics_title"]
    description = (
        ", ".join(f"{label}: {round(n)}" for label, n in items) if items else t["stats_no_data"]
    )
    return Figure(
        id="topics",
        title=title,
        svg=charts.bar_list("chart-topics", title, description, items, key="topic", width=HALF),
        head=[t["stats_topic"], t["stats_chats"]],
        rows=[[label, str(round(n))] for label, n in items],
        note=t["stats_topics_note"],
    )


def _risks(report: Report, t: Strings) -> Figure:
    items = [(t.get(f"risk_{risk}", risk), float(n)) for risk, n in report.risks.items()]
    title = t["stats_risks_title"]
    description = (
        ", ".join(f"{label}: {round(n)}" for label, n in items) if items else t["stats_no_data"]
    )
    return Figure(
        id="risks",
        title=title,
        svg=charts.bar_list("chart-risks", title, description, items, key="risk", width=HALF),
        head=[t["stats_risk"], t["stats_chats"]],
        rows=[[label, str(round(n))] for label, n in items],
        note=t["stats_risks_note"],
    )


def _follow_up(report: Report, t: Strings) -> Figure:
    """Letters received and answered per day (the chart), and the agreed chats by how they
    went (booked, kept, missed, cancelled) in the facts and the table. Counts only."""
    many = len(report.days) > 14
    labels = [day_label(t, day, many) for day, _ in report.days]
    days = [figures for _, figures in report.days]
    total = report.total
    title = t["stats_followup_title"]
    description = fmt(t, "stats_followup_desc", received=total.letters_received,
                      answered=total.letters_answered, days=len(days))  # fmt: skip
    series = [
        charts.Series("letters-in", t["stats_letters_received"],
                      [f.letters_received for f in days]),
        charts.Series("letters-out", t["stats_letters_answered"],
                      [f.letters_answered for f in days], True),
    ]  # fmt: skip
    counts = [
        ("stats_letters_received", "letters_received"),
        ("stats_letters_answered", "letters_answered"),
        ("stats_appointments_booked", "appointments_booked"),
        ("stats_appointments_kept", "appointments_kept"),
        ("stats_appointments_missed", "appointments_missed"),
        ("stats_appointments_cancelled", "appointments_cancelled"),
    ]
    return Figure(
        id="followup",
        title=title,
        svg=charts.column_chart("chart-followup", title, description, labels, series, width=FULL),
        head=[t["stats_date"], *(t[key] for key, _ in counts)],
        rows=[
            [day.isoformat(), *(str(getattr(f, name)) for _, name in counts)]
            for day, f in report.days
        ],
        facts=[(t[key], str(getattr(total, name))) for key, name in counts],
        note=t["stats_followup_note"],
    )
