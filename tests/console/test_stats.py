"""Statistics for supervisors: periods in the line's own days, honest figures from the hourly
aggregates (means and maxima from sums, percentiles as the band they fall in), charts drawn
as escaped SVG, the page and its CSV export, in a real browser without accessibility faults."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from datetime import date, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from markupsafe import Markup
from playwright.async_api import expect

from chatserver.backends.base import HourHistogram, HourStats, StatsDelta
from chatserver.settings import load_settings
from chatserver.web import charts, stats, stats_view
from chatserver.web.operator_pages import strings
from tests.console.conftest import AXE, SHOTS, Console
from tests.console.test_accessibility import violations
from tests.console.test_supervisor import open_floor
from tests.e2e.conftest import CONFIG, WEDNESDAY_EVENING, Env
from tests.e2e.conftest import env as env  # the fixture

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SETTINGS = load_settings(CONFIG)
NOW = WEDNESDAY_EVENING.timestamp()  # Wednesday 25 November 2026, 20:00 in Amsterdam
NL = strings("nl")


def at(day: int, hour: int, month: int = 11) -> float:
    """Epoch seconds of a local Amsterdam time in 2026."""
    return datetime(2026, month, day, hour, 10, tzinfo=AMSTERDAM).timestamp()


def hour_of(day: int, hour: int, month: int = 11) -> int:
    return int(at(day, hour, month) // 3600 * 3600)


# -- periods ---------------------------------------------------------------------------------


def test_default_is_this_week_of_all_lines_in_amsterdam_time() -> None:
    query = stats.parse_query({}, SETTINGS, NOW)
    assert query.line == "all" and query.lines == ("chat", "evening")
    assert (query.period.first, query.period.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert query.period.since == datetime(2026, 11, 23, tzinfo=AMSTERDAM).timestamp()
    assert query.period.until == datetime(2026, 11, 30, tzinfo=AMSTERDAM).timestamp()


def test_day_week_and_custom_periods() -> None:
    day = stats.parse_query({"period": "day", "from": "2026-11-24", "line": "chat"}, SETTINGS, NOW)
    assert (day.period.first, day.period.last, day.lines) == (
        date(2026, 11, 24), date(2026, 11, 24), ("chat",),
    )  # fmt: skip
    week = stats.parse_query({"period": "week", "from": "2026-11-29"}, SETTINGS, NOW)
    assert week.period.first == date(2026, 11, 23)  # the Monday of the week holding a Sunday
    custom = stats.parse_query(
        {"period": "custom", "from": "2026-11-01", "to": "2026-11-25"}, SETTINGS, NOW
    )
    assert len(custom.period.days()) == 25
    assert custom.period.shifted(-1).first == date(2026, 10, 7)


def test_a_day_at_the_clock_change_has_25_hours() -> None:
    """Sunday 25 October 2026 the clocks go back: the helpline's day is 25 hours long."""
    query = stats.parse_query({"period": "day", "from": "2026-10-25"}, SETTINGS, NOW)
    assert query.period.until - query.period.since == 25 * 3600


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"from": "25-11-2026"}, "stats_error_date"),
        ({"from": "2026-02-30"}, "stats_error_date"),
        ({"line": "nope"}, "stats_error_line"),
        ({"period": "year"}, "stats_error_period"),
        ({"period": "custom", "from": "2026-11-25", "to": "2026-11-01"}, "stats_error_order"),
        ({"period": "custom", "from": "2025-01-01", "to": "2026-11-01"}, "stats_error_span"),
        ({"period": "week", "from": "9999-12-31"}, "stats_error_range"),
        ({"period": "day", "from": "0001-01-01"}, "stats_error_range"),
        ({"period": "custom", "from": "2026-11-01", "to": "9999-12-31"}, "stats_error_range"),
    ],
)
def test_a_bad_query_names_its_message(params: dict[str, str], key: str) -> None:
    with pytest.raises(stats.QueryError) as caught:
        stats.parse_query(params, SETTINGS, NOW)
    assert caught.value.key == key and key in NL


# -- aggregation -----------------------------------------------------------------------------


def week() -> stats.Query:
    return stats.parse_query({}, SETTINGS, NOW)


def test_aggregate_adds_up_days_hours_topics_and_risks() -> None:
    """Totals, per local day and per local hour of the day; means from sums; hours outside
    the period left out; topics most frequent first, risks in their order."""
    hours = [
        HourStats("chat", hour_of(23, 10), offered=3, answered=2, abandoned=1, wait_sum=140,
                  wait_max=100, topics={"other": 1}, risks={"high": 1}),
        HourStats("chat", hour_of(25, 19), offered=2, answered=2, wait_sum=720, wait_max=700,
                  duration_sum=2400, duration_count=2, duration_max=1800,
                  topics={"loneliness": 2}, risks={"none": 1, "acute": 1}),
        HourStats("evening", hour_of(24, 21), offered=1, abandoned=1),
        HourStats("chat", hour_of(22, 23), offered=9),  # Sunday before: another week
        HourStats("chat", hour_of(30, 0), offered=9),  # Monday after
    ]  # fmt: skip
    report = stats.aggregate(hours, [], week())
    total = report.total
    assert (total.offered, total.answered, total.abandoned) == (6, 4, 2)
    assert total.mean_wait == 215.0 and total.wait_max == 700
    assert total.mean_duration == 1200.0 and total.duration_max == 1800
    assert total.share(total.answered) == pytest.approx(4 / 6)
    assert [(d.isoformat(), f.offered) for d, f in report.days] == [
        ("2026-11-23", 3), ("2026-11-24", 1), ("2026-11-25", 2), ("2026-11-26", 0),
        ("2026-11-27", 0), ("2026-11-28", 0), ("2026-11-29", 0),
    ]  # fmt: skip
    assert report.by_hour[10] == 3 and report.by_hour[19] == 2 and report.by_hour[21] == 1
    assert sum(report.by_hour) == 6
    assert list(report.topics.items()) == [("loneliness", 2), ("other", 1)]
    assert list(report.risks) == ["none", "high", "acute"]


def test_empty_period_has_no_means() -> None:
    report = stats.aggregate([], [], week())
    assert report.total.mean_wait is None and report.total.share(0) is None
    assert stats_view.summary(NL, report.total)[3] == ("Gemiddelde wachttijd", "–")


def test_percentiles_are_the_band_they_fall_in() -> None:
    """Nearest rank over bucket counts: no invented precision."""
    spread = stats.Spread()
    spread.add([1, 2, 0, 0, 0, 0, 0, 0])
    spread.add([0, 0, 0, 0, 0, 0, 0, 7])
    assert spread.total == 10
    assert spread.percentile(0.5) == stats.Percentile(0.5, 2400, None)
    assert spread.percentile(0.2) == stats.Percentile(0.2, 30, 60)
    assert spread.percentile(0.1) == stats.Percentile(0.1, 0, 30)
    assert stats.Spread().percentile(0.5) is None
    assert stats_view.percentile_text(NL, spread.percentile(0.5)) == "40 min of langer"
    assert stats_view.percentile_text(NL, spread.percentile(0.2)) == "tussen 30 s en 1 min"
    assert stats_view.percentile_text(NL, spread.percentile(0.1)) == "korter dan 30 s"


def test_histograms_of_the_period_only_and_partial_coverage_is_said() -> None:
    hists = [
        HourHistogram("chat", hour_of(24, 12), wait=[0, 0, 3, 0, 0, 0, 0, 0]),
        HourHistogram("chat", hour_of(2, 12, month=12), wait=[5, 0, 0, 0, 0, 0, 0, 0]),
    ]
    hours = [HourStats("chat", hour_of(24, 12), offered=5, answered=5, wait_sum=500)]
    report = stats.aggregate(hours, hists, week())
    assert report.waits.counts[2] == 3 and report.waits.total == 3
    waits = next(f for f in stats_view.figures(report, NL, "nl", SETTINGS) if f.id == "waits")
    assert dict(waits.facts)["p50 (de helft van de gesprekken)"] == "tussen 1 min en 2 min"
    assert "Maar 3 van de 5 gesprekken hebben een tijdvak" in waits.note


def test_words_for_times_and_bands() -> None:
    assert [stats_view.seconds_text(NL, s) for s in (0, 59.6, 61, 3599, 3660)] == [
        "0 s", "1 min 00 s", "1 min 01 s", "59 min 59 s", "1 u 01 min",
    ]  # fmt: skip
    assert [stats_view.bucket_label(i) for i in range(8)] == [
        "<30 s", "30 s–1 min", "1–2 min", "2–5 min", "5–10 min", "10–20 min", "20–40 min",
        "≥40 min",
    ]  # fmt: skip


def test_csv_has_a_row_per_line_and_hour_and_no_formulas() -> None:
    hours = [
        HourStats("chat", hour_of(25, 19), offered=2, answered=2, wait_sum=720.5, wait_max=700,
                  topics={"loneliness": 2}, risks={"acute": 1}),
        HourStats("=cmd", hour_of(23, 10), offered=1),
        HourStats("chat", hour_of(1, 10, month=12), offered=1),  # next week: left out
    ]  # fmt: skip
    hists = [HourHistogram("chat", hour_of(25, 19), wait=[0, 0, 1, 0, 0, 0, 0, 1])]
    rows = list(csv.reader(io.StringIO(stats.to_csv(hours, hists, week()))))
    head = rows[0]
    assert head[:7] == [
        "line", "hour_start_utc", "local_date", "local_hour", "offered", "answered", "abandoned",
    ]  # fmt: skip
    assert "topic:loneliness" in head and "risk:acute" in head and "wait_ge_40m" in head
    assert len(rows) == 3
    assert rows[1][:4] == ["'=cmd", "2026-11-23T09:00Z", "2026-11-23", "10"]
    chat = dict(zip(head, rows[2], strict=True))
    assert chat["local_hour"] == "19" and chat["wait_sum_seconds"] == "720.5"
    assert chat["topic:loneliness"] == "2" and chat["risk:acute"] == "1"
    assert chat["wait_lt_2m"] == "1" and chat["wait_ge_40m"] == "1"


# -- charts ----------------------------------------------------------------------------------

NASTY = "<script>alert(\"x\")</script> & 'Co'"


def test_chart_labels_are_escaped_and_the_svg_is_well_formed() -> None:
    """A label from configuration never becomes markup: in text, tooltips and titles."""
    svg = charts.bar_list("chart-topics", NASTY, NASTY, [(NASTY, 3.0), ("ok", 1.0)])
    assert isinstance(svg, Markup)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "&#x27;Co&#x27;" in svg and "&amp;" in svg
    root = ElementTree.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-topics-title chart-topics-desc"
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == NASTY

    column = charts.column_chart(
        "chart-volume", "t", "d", [NASTY, "b"],
        [charts.Series("offered", NASTY, [1, 2]), charts.Series("abandoned", "x", [0, 1], True)],
    )  # fmt: skip
    assert "<script" not in column
    tips = [t.text for t in ElementTree.fromstring(str(column)).iter() if t.tag.endswith("title")]
    assert f"{NASTY}: {NASTY} 1" in tips
    assert 'fill="url(#chart-volume-hatch-abandoned)"' in column


def test_chart_ids_and_classes_come_from_code_only() -> None:
    with pytest.raises(ValueError):
        charts.column_chart('x" onload="alert(1)', "t", "d", [], [])
    with pytest.raises(ValueError):
        charts.bar_list("chart", "t", "d", [], key="a b")
    with pytest.raises(ValueError):
        charts.column_chart("chart", "t", "d", ["a"], [charts.Series("s", "s", [1, 2])])


def test_heat_strip_and_nice_axis() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 11, 240)] == [1, 1, 5, 10, 20, 500]
    svg = charts.column_chart(
        "chart-hours", "t", "d", [f"{h:02d}" for h in range(24)],
        [charts.Series("hours", "", [0] * 23 + [10])], heat=True,
    )  # fmt: skip
    assert svg.count("heat-0") == 23 and svg.count("heat-5") == 1


# -- the page, the export and the browser ---------------------------------------------------


async def feed(env: Env) -> None:
    """A week as the hub would have recorded it, plus hours around it."""
    store = env.hub.store
    for delta in [
        StatsDelta("chat", at(23, 10), offered=3),
        StatsDelta("chat", at(23, 10), answered=1, wait=40),
        StatsDelta("chat", at(23, 10), answered=1, wait=100),
        StatsDelta("chat", at(23, 10), abandoned=1),
        StatsDelta("chat", at(25, 19), offered=2),
        StatsDelta("chat", at(25, 19), answered=1, wait=20),
        StatsDelta("chat", at(25, 19), answered=1, wait=700),
        StatsDelta("chat", at(25, 19), duration=600),
        StatsDelta("chat", at(25, 19), duration=1800),
        StatsDelta("chat", at(25, 19), topics=("loneliness",), risk="high"),
        StatsDelta("chat", at(25, 19), topics=("loneliness", "other"), risk="none"),
        StatsDelta("evening", at(24, 21), offered=1),
        StatsDelta("chat", at(16, 12), offered=5),  # the week before
    ]:
        await store.add_stats(delta)


async def supervisor_cookie(env: Env) -> str:
    await env.account("sara", role="supervisor", alias="Sara")
    return await env.cookie("sara")


async def get(env: Env, cookie: str, path: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{env.url}{path}", headers={"Cookie": cookie})
        await response.read()
        return response


async def test_page_shows_the_totals_of_the_period(env: Env) -> None:
    await feed(env)
    cookie = await supervisor_cookie(env)
    page = await get(env, cookie, "/supervisor/stats?lang=nl")
    assert page.status == 200
    html = await page.text()
    for label, value in [
        ("Aangeboden", "6"), ("Beantwoord", "4 (67%)"), ("Wachtrij verlaten", "1 (17%)"),
        ("Gemiddelde wachttijd", "3 min 35 s"), ("Langste wachttijd", "11 min 40 s"),
        ("Gemiddeld gesprek", "20 min 00 s"), ("Langste gesprek", "30 min 00 s"),
    ]:  # fmt: skip
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html, label
    assert '<th scope="row">2026-11-23</th><td class="num">3</td>' in html
    assert "Eenzaamheid" in html and "<svg" in html and "<script" not in html

    chat_day = await get(env, cookie, "/supervisor/stats?line=chat&period=day&from=2026-11-23")
    assert "<dt>Aangeboden</dt><dd>3</dd>" in await chat_day.text()
    custom = await get(
        env, cookie, "/supervisor/stats?period=custom&from=2026-11-16&to=2026-11-25&lang=en"
    )
    text = await custom.text()
    assert "<dt>Offered</dt><dd>11</dd>" in text and "Chats per day" in text
    wrong = await get(env, cookie, "/supervisor/stats?period=custom&from=2026-11-25&to=2026-11-01")
    assert wrong.status == 400
    assert "De einddatum ligt voor de begindatum." in await wrong.text()


async def test_csv_export_of_the_same_figures(env: Env) -> None:
    await feed(env)
    cookie = await supervisor_cookie(env)
    response = await get(env, cookie, "/supervisor/stats.csv?line=all&period=week&from=2026-11-25")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="stats-all-2026-11-23-2026-11-29.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["line"], r["local_date"], r["local_hour"], r["offered"]) for r in rows] == [
        ("chat", "2026-11-23", "10", "3"),
        ("evening", "2026-11-24", "21", "1"),
        ("chat", "2026-11-25", "19", "2"),
    ]
    wednesday = rows[2]
    assert wednesday["answered"] == "2" and wednesday["wait_sum_seconds"] == "720"
    assert wednesday["duration_count"] == "2" and wednesday["duration_max_seconds"] == "1800"
    assert wednesday["topic:loneliness"] == "2" and wednesday["risk:high"] == "1"
    assert wednesday["wait_lt_30s"] == "1" and wednesday["wait_lt_20m"] == "1"
    assert wednesday["duration_lt_20m"] == "1" and wednesday["duration_lt_40m"] == "1"
    bad = await get(env, cookie, "/supervisor/stats.csv?line=nope")
    assert bad.status == 400


@pytest.mark.parametrize(
    "query",
    ["from=9999-12-31", "period=day&from=9999-12-31", "period=day&from=0001-01-01",
     "period=custom&from=9999-01-01&to=9999-12-31", "period=custom&from=0001-01-01"],
)  # fmt: skip
async def test_a_date_at_the_end_of_the_calendar_is_a_400_not_a_500(env: Env, query: str) -> None:
    """Dates at the ends of Python's calendar overflowed (the week after 9999-12-31, local
    midnight of 0001-01-01): the page and the CSV now answer 400 and say which dates work."""
    cookie = await supervisor_cookie(env)
    page = await get(env, cookie, f"/supervisor/stats?lang=nl&{query}")
    assert page.status == 400
    assert NL["stats_error_range"] in await page.text()
    export = await get(env, cookie, f"/supervisor/stats.csv?lang=en&{query}")
    assert export.status == 400


async def test_stats_in_the_browser_without_script_and_without_violations(
    console: Console,
) -> None:
    """The supervisor moves from the floor to the statistics, picks a line and a day with
    the form (no script on the page), opens a table; axe finds nothing on either view."""
    await console.context.add_init_script(script=AXE.read_text())
    await feed(console.env)
    page = await open_floor(console)
    await page.get_by_role("link", name="Statistieken").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Statistieken")
    await expect(page.locator(".tile").first).to_contain_text("6")
    await page.screenshot(path=str(SHOTS / "supervisor-stats.png"), full_page=True)
    assert await violations(page) == []
    assert await page.evaluate("document.scripts.length") == 0

    await page.get_by_label("Lijn", exact=True).select_option(label="Chat met ons")
    await page.get_by_label("Dag", exact=True).check()
    await page.get_by_label("Datum (van)").fill("2026-11-25")
    await page.get_by_role("button", name="Tonen").click()
    await expect(page.locator("#period-title")).to_contain_text("Chat met ons: 2026-11-25")
    await expect(page.locator(".tile").first).to_contain_text("2")
    figure = page.locator(".figure-topics")
    await figure.get_by_text("Toon de cijfers als tabel").click()
    await expect(figure.get_by_role("table")).to_contain_text("Eenzaamheid")
    await page.screenshot(path=str(SHOTS / "supervisor-stats-day.png"), full_page=True)
    assert await violations(page) == []
    await page.get_by_role("link", name="Volgende periode →").click()
    await expect(page.locator("#period-title")).to_contain_text("2026-11-26")
