"""Numbers for people: percentiles, medians of rounds, ratios, a compact table, a JSON file."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any


def percentiles(values: Sequence[float], points: Iterable[int] = (50, 90, 99)) -> dict[str, float]:
    """``p50``, ``p90``, ``p99`` (inclusive method: within the data) and ``max``; empty when
    there are no values."""
    if not values:
        return {}
    if len(values) == 1:
        cuts = [values[0]] * 99
    else:
        cuts = statistics.quantiles(values, n=100, method="inclusive")
    found = {f"p{p}": cuts[p - 1] for p in points}
    found["max"] = max(values)
    return found


def median_of(rows: Iterable[dict[str, Any]], key: str) -> float | None:
    values = [row[key] for row in rows if row.get(key) is not None]
    return statistics.median(values) if values else None


def ratio(over: float | None, under: float | None) -> float | None:
    return over / under if over is not None and under else None


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def width(column: str) -> int:
    return max(len(column), 8)


def header(columns: Sequence[str]) -> str:
    """A table's header line; rows of :func:`line` fit under it, so each can be printed as
    soon as it is measured."""
    return "  ".join(c.rjust(width(c)) for c in columns)


def line(row: dict[str, Any], columns: Sequence[str]) -> str:
    return "  ".join(cell(row.get(c)).rjust(width(c)) for c in columns)


def summary(
    rounds: Sequence[dict[str, Any]],
    group: str,
    keys: Sequence[str],
    against: Sequence[tuple[Any, Any]] = (),
) -> tuple[list[dict[str, Any]], list[str]]:
    """Medians of ``keys`` per value of ``group`` (a target, a node count ...), and lines
    giving the ratio of the medians for each ``(numerator, denominator)`` pair in ``against``."""
    names = list(dict.fromkeys(row[group] for row in rounds))
    medians = []
    for name in names:
        mine = [row for row in rounds if row[group] == name]
        medians.append({group: name, "rounds": len(mine)} | {k: median_of(mine, k) for k in keys})
    by_name = {m[group]: m for m in medians}
    lines = []
    for top, bottom in against:
        if top in by_name and bottom in by_name:
            parts = []
            for key in keys:
                value = ratio(by_name[top][key], by_name[bottom][key])
                if value is not None:
                    parts.append(f"{key} {value:.2f}x")
            lines.append(f"{top}/{bottom} (ratio of the medians): " + ", ".join(parts))
    return medians, lines


def medians_table(
    medians: Sequence[dict[str, Any]], group: str, keys: Sequence[str], ratios: Sequence[str] = ()
) -> list[str]:
    """The lines every scenario ends with: the medians per ``group``, then the ratios."""
    columns = (group, "rounds", *keys)
    return ["medians:", header(columns), *(line(m, columns) for m in medians), *ratios]


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n")


Say = Callable[[str], None]


def say(line: str) -> None:
    print(line, flush=True)  # a round as soon as it is measured, also into a pipe
