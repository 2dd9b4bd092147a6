"""Charts as inline SVG, drawn on the server: no chart library, no script, no extra request.

The statistics page runs under the console's strict Content-Security-Policy, so a chart can
use neither a script nor inline styles: every colour comes from classes in console.css (and
a hatch pattern by reference), every shape is plain SVG markup. The functions are pure: data
in, an SVG string out, so they are tested without a browser.

Every piece of text that goes into the SVG (titles, labels, tooltips) is escaped here with
``esc``; labels come from configuration (topic names) and must never become markup. The SVG
is returned as ``Markup`` so the template inserts it as it is, and nothing else may be.

Each chart is ``role="img"`` with a ``<title>`` and ``<desc>`` for screen readers; the page
puts the same figures in a table next to it (colour is never the only carrier of meaning:
series also differ by position, the legend names them, and one is hatched).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

ID = re.compile(r"[a-z][a-z0-9-]{0,40}")
# the default viewBox width. The SVG scales to its box (width 100% in console.css), so a chart
# meant for a narrow box gets a narrow viewBox: its text then shows at about its own size
WIDTH = 720
FONT = 7.0  # average glyph width at the chart font size, to fit labels without measuring
AXIS_FONT = 5.5  # the same for the smaller axis labels


def esc(value: object) -> str:
    """Text for SVG/HTML content and attribute values: & < > " ' all escaped."""
    return html.escape(str(value), quote=True)


def _ident(value: str) -> str:
    """Ids and class names are built in code, never from data; refuse anything else."""
    if not ID.fullmatch(value):
        raise ValueError(f"not a safe chart identifier: {value!r}")
    return value


def _n(value: float) -> str:
    """A coordinate, short and locale-free."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _whole(value: float) -> str:
    return str(round(value))


@dataclass(frozen=True)
class Series:
    key: str  # a class suffix (``s-<key>`` in console.css)
    label: str
    values: Sequence[float]
    hatched: bool = False  # a pattern besides the colour, so series differ not by colour alone


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _ticks(top: float) -> list[float]:
    """Four or five evenly spaced whole ticks from 0 to ``top`` (a nice ceiling)."""
    for parts in (5, 4, 2, 1):
        step = top / parts
        if step.is_integer():
            return [step * i for i in range(parts + 1)]
    return [0.0, top]


def _open(chart_id: str, title: str, description: str, width: float, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" id="{chart_id}"'
        f' viewBox="0 0 {_n(width)} {_n(height)}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{esc(description)}</desc>',
    ]


def _hatch(chart_id: str, key: str) -> str:
    return (
        f'<pattern id="{chart_id}-hatch-{key}" width="6" height="6"'
        ' patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect class="hatch-bg s-{key}" width="6" height="6"/>'
        '<line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern>'
    )


def _fill(chart_id: str, serie: Series) -> str:
    return f' fill="url(#{chart_id}-hatch-{serie.key})"' if serie.hatched else ""


def _shorten(label: str, room: float) -> str:
    most = max(3, int(room / FONT))
    return label if len(label) <= most else label[: most - 1] + "…"


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_text: Callable[[float], str] = _whole,
    heat: bool = False,
    width: float = WIDTH,
    height: float = 260,
) -> Markup:
    """Vertical bars: one group per category, one bar per series (offered/answered/... per day).

    ``heat`` colours single-series bars by their share of the highest (classes ``heat-0`` to
    ``heat-5``), for the busiest hours; the height says the same, so colour is only a help.
    Every bar carries a ``<title>`` (category, series, value) as its tooltip.
    """
    chart_id = _ident(chart_id)
    for serie in series:
        _ident(serie.key)
        if len(serie.values) != len(categories):
            raise ValueError("every series needs one value per category")
    left, right, top, bottom = 44.0, 8.0, 12.0, 40.0
    legend = len(series) > 1
    if legend:
        top += 22
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((v for s in series for v in s.values), default=0.0)
    ceiling = nice_ceiling(highest)
    out = _open(chart_id, title, description, width, height)
    hatched = [s for s in series if s.hatched]
    if hatched:
        out.append("<defs>" + "".join(_hatch(chart_id, s.key) for s in hatched) + "</defs>")
    for tick in _ticks(ceiling):
        y = top + plot_h - plot_h * tick / ceiling
        out.append(f'<line class="grid" x1="{_n(left)}" y1="{_n(y)}" x2="{_n(width - right)}"'
                   f' y2="{_n(y)}"/>')  # fmt: skip
        out.append(f'<text class="axis" x="{_n(left - 6)}" y="{_n(y + 4)}"'
                   f' text-anchor="end">{esc(value_text(tick))}</text>')  # fmt: skip
    count = max(1, len(categories))
    group = plot_w / count
    bar = min(group * 0.8 / max(1, len(series)), 56.0)  # one day must not be a wall of colour
    inner = bar * max(1, len(series))
    fits = max(1, int(plot_w // (max(3, _longest(categories)) * AXIS_FONT + 4)))
    every = max(1, math.ceil(count / fits))  # label every n-th group when they would collide
    for index, category in enumerate(categories):
        x0 = left + group * index + (group - inner) / 2
        for number, serie in enumerate(series):
            value = serie.values[index]
            h = plot_h * value / ceiling
            x, y = x0 + bar * number, top + plot_h - h
            css = f"bar s-{serie.key}"
            if heat:
                css += f" heat-{_heat(value, highest)}"
            named = f"{serie.label} " if serie.label else ""
            tip = f"{category}: {named}{value_text(value)}"
            out.append(
                f'<rect class="{css}"{_fill(chart_id, serie)} x="{_n(x)}" y="{_n(y)}"'
                f' width="{_n(max(bar - 1, 0.5))}" height="{_n(h)}"><title>{esc(tip)}</title>'
                "</rect>"
            )
        if index % every == 0:
            cx = left + group * index + group / 2
            out.append(f'<text class="axis" x="{_n(cx)}" y="{_n(top + plot_h + 16)}"'
                       f' text-anchor="middle">{esc(category)}</text>')  # fmt: skip
    out.append(f'<line class="baseline" x1="{_n(left)}" y1="{_n(top + plot_h)}"'
               f' x2="{_n(width - right)}" y2="{_n(top + plot_h)}"/>')  # fmt: skip
    if legend:
        x = left
        for serie in series:
            out.append(f'<rect class="swatch s-{serie.key}"{_fill(chart_id, serie)} x="{_n(x)}"'
                       ' y="4" width="14" height="14"/>')  # fmt: skip
            out.append(f'<text class="legend" x="{_n(x + 20)}" y="16">{esc(serie.label)}</text>')
            x += 20 + len(serie.label) * FONT + 24
    out.append("</svg>")
    return Markup("".join(out))


def bar_list(
    chart_id: str,
    title: str,
    description: str,
    items: Sequence[tuple[str, float]],
    *,
    key: str = "bar",
    value_text: Callable[[float], str] = _whole,
    width: float = WIDTH,
    row: float = 26,
) -> Markup:
    """Horizontal bars with their label before and their value after: topics, risk levels.

    The value is written out, so the chart reads without guessing lengths; a label too long
    for its column is shortened with an ellipsis (the tooltip and the table keep it whole).
    """
    chart_id, key = _ident(chart_id), _ident(key)
    label_w = min(220.0, max(60.0, _longest([label for label, _ in items]) * FONT + 12))
    value_w = 64.0
    top = 6.0
    height = top * 2 + row * max(1, len(items))
    plot_w = width - label_w - value_w
    highest = max((v for _, v in items), default=0.0) or 1.0
    out = _open(chart_id, title, description, width, height)
    for index, (label, value) in enumerate(items):
        y = top + row * index
        w = plot_w * value / highest
        out.append(f'<text class="label" x="{_n(label_w - 8)}" y="{_n(y + row / 2 + 4)}"'
                   f' text-anchor="end">{esc(_shorten(label, label_w - 12))}</text>')  # fmt: skip
        out.append(f'<rect class="bar s-{key}" x="{_n(label_w)}" y="{_n(y + 4)}"'
                   f' width="{_n(max(w, 0.5))}" height="{_n(row - 8)}">'
                   f"<title>{esc(label)}: {esc(value_text(value))}</title></rect>")  # fmt: skip
        out.append(f'<text class="value" x="{_n(label_w + w + 6)}" y="{_n(y + row / 2 + 4)}">'
                   f"{esc(value_text(value))}</text>")  # fmt: skip
    out.append("</svg>")
    return Markup("".join(out))


def _longest(labels: Sequence[str]) -> int:
    return max((len(label) for label in labels), default=0)


def _heat(value: float, highest: float) -> int:
    """0 for nothing, then 1 to 5 by share of the highest value."""
    if value <= 0 or highest <= 0:
        return 0
    return max(1, min(5, math.ceil(5 * value / highest)))
