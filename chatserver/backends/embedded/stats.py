"""The statistics half of the embedded store: figures per line and clock hour, numbers only.

A mixin of :class:`~chatserver.backends.embedded.store.SqliteStore` (as the hub's actions are
mixins of its core): the queries live here, the connection and the writer in the store.
"""

from __future__ import annotations

import json

from chatserver.backends.base import HIST_BUCKETS, HourHistogram, HourStats, StatsDelta, hist_bucket
from chatserver.backends.embedded.rows import hour_of
from chatserver.backends.embedded.writer import Queries, Statement
from chatserver.hub.model import ConversationState

# the follow-up's counters (letters, appointments): a column each, added to like ``offered``
FOLLOW_UP_COUNTS = (
    "letters_received", "letters_answered", "appointments_booked", "appointments_kept",
    "appointments_missed", "appointments_cancelled",
)  # fmt: skip


class StatsQueries(Queries):
    async def add_stats(self, delta: StatsDelta) -> None:
        """One atomic write: the hour's figures, its topics and its risk move together."""
        hour = hour_of(delta.at)
        wait = delta.wait if delta.wait is not None else 0.0
        duration = delta.duration if delta.duration is not None else 0.0
        counts = [getattr(delta, name) for name in FOLLOW_UP_COUNTS]
        statements: list[Statement] = [
            (
                "INSERT INTO stats_hourly (line, hour, offered, answered, abandoned, wait_sum,"
                " wait_max, duration_sum, duration_count, duration_max, "
                + ", ".join(FOLLOW_UP_COUNTS)
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                + ", ?" * len(FOLLOW_UP_COUNTS)
                + ") ON CONFLICT (line, hour) DO UPDATE SET"
                " offered = offered + excluded.offered,"
                " answered = answered + excluded.answered,"
                " abandoned = abandoned + excluded.abandoned,"
                " wait_sum = wait_sum + excluded.wait_sum,"
                " wait_max = max(wait_max, excluded.wait_max),"
                " duration_sum = duration_sum + excluded.duration_sum,"
                " duration_count = duration_count + excluded.duration_count,"
                " duration_max = max(duration_max, excluded.duration_max), "
                + ", ".join(f"{name} = {name} + excluded.{name}" for name in FOLLOW_UP_COUNTS),
                (
                    delta.line,
                    hour,
                    delta.offered,
                    delta.answered,
                    delta.abandoned,
                    wait,
                    wait,
                    duration,
                    int(delta.duration is not None),
                    duration,
                    *counts,
                ),
            )
        ]
        for topic in delta.topics:
            statements.append(_count("stats_topics", "topic", delta.line, hour, topic))
        if delta.risk is not None:
            statements.append(_count("stats_risks", "risk", delta.line, hour, delta.risk))
        for kind, seconds in (("wait", delta.wait), ("duration", delta.duration)):
            if seconds is not None:
                statements.append(
                    (
                        "INSERT INTO stats_hist (line, hour, kind, bucket, count)"
                        " VALUES (?, ?, ?, ?, 1) ON CONFLICT (line, hour, kind, bucket)"
                        " DO UPDATE SET count = count + 1",
                        (delta.line, hour, kind, hist_bucket(seconds)),
                    )
                )
        await self._write(*statements)

    async def hour_stats(self, line: str, since: float, until: float) -> list[HourStats]:
        """Every stored hour of ``line`` from the one holding ``since`` up to ``until``."""
        rows = await self._read(
            "SELECT h.line, h.hour, h.offered, h.answered, h.abandoned, h.wait_sum, h.wait_max,"
            " h.duration_sum, h.duration_count, h.duration_max,"
            + "".join(f" h.{name}," for name in FOLLOW_UP_COUNTS)
            + " (SELECT json_group_object(t.topic, t.count) FROM stats_topics t"
            "  WHERE t.line = h.line AND t.hour = h.hour),"
            " (SELECT json_group_object(r.risk, r.count) FROM stats_risks r"
            "  WHERE r.line = h.line AND r.hour = h.hour)"
            " FROM stats_hourly h WHERE h.line = ? AND h.hour >= ? AND h.hour < ?"
            " ORDER BY h.hour",
            (line, hour_of(since), until),
        )
        return [
            HourStats(
                line=row[0],
                hour=row[1],
                offered=row[2],
                answered=row[3],
                abandoned=row[4],
                wait_sum=row[5],
                wait_max=row[6],
                duration_sum=row[7],
                duration_count=row[8],
                duration_max=row[9],
                **{name: row[10 + i] for i, name in enumerate(FOLLOW_UP_COUNTS)},
                topics=json.loads(row[10 + len(FOLLOW_UP_COUNTS)] or "{}"),
                risks=json.loads(row[11 + len(FOLLOW_UP_COUNTS)] or "{}"),
            )
            for row in rows
        ]

    async def hour_histograms(self, line: str, since: float, until: float) -> list[HourHistogram]:
        """Per hour, the counts of waits and durations in each ``HIST_BOUNDS`` bucket."""
        rows = await self._read(
            "SELECT hour, kind, bucket, count FROM stats_hist"
            " WHERE line = ? AND hour >= ? AND hour < ? ORDER BY hour",
            (line, hour_of(since), until),
        )
        hours: dict[int, HourHistogram] = {}
        for hour, kind, bucket, count in rows:
            found = hours.setdefault(hour, HourHistogram(line, hour))
            if 0 <= bucket < HIST_BUCKETS and kind in ("wait", "duration"):
                getattr(found, kind)[bucket] += count
        return list(hours.values())

    async def recent_durations(self, line: str, limit: int) -> list[float]:
        rows = await self._read(
            "SELECT ended_at - assigned_at FROM conversations"
            " WHERE line = ? AND state = ? AND answered = 1"
            " AND assigned_at IS NOT NULL AND ended_at IS NOT NULL"
            " ORDER BY ended_at DESC LIMIT ?",
            (line, ConversationState.ENDED.value, limit),
        )
        return [row[0] for row in rows]


def _count(table: str, column: str, line: str, hour: int, key: str) -> Statement:
    return (
        f"INSERT INTO {table} (line, hour, {column}, count) VALUES (?, ?, ?, 1)"
        f" ON CONFLICT (line, hour, {column}) DO UPDATE SET count = count + 1",
        (line, hour, key),
    )
