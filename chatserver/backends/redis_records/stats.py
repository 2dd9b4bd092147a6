"""The statistics in the Redis store: one hash per line and clock hour, numbers only (a mixin
of :class:`~chatserver.backends.redis_records.store.RedisStore`).

A hash's fields are the ``HourStats`` counters by name, ``t:{topic}`` and ``r:{risk}`` for the
counted codes, ``hw:{bucket}`` and ``hd:{bucket}`` for the histograms of waits and durations.
``add_stats`` is one script of HINCRBY, HINCRBYFLOAT and a maximum: atomic, however many
nodes count at once.
"""

from __future__ import annotations

from chatserver.backends.base import HIST_BUCKETS, HourHistogram, HourStats, StatsDelta, hist_bucket
from chatserver.backends.redis_records.core import RecordsBase

HOUR = 3600
COUNTS = (
    "offered", "answered", "abandoned", "duration_count", "letters_received",
    "letters_answered", "appointments_booked", "appointments_kept", "appointments_missed",
    "appointments_cancelled",
)  # fmt: skip
FIGURES = ("wait_sum", "wait_max", "duration_sum", "duration_max")


def hour_of(at: float) -> int:
    """The start of the clock hour (UTC epoch seconds) that ``at`` falls in."""
    return int(at // HOUR) * HOUR


class StatsRecords(RecordsBase):
    async def add_stats(self, delta: StatsDelta) -> None:
        """One script: the hour's figures, topics, risk and buckets move together."""
        d = delta
        hour = hour_of(d.at)
        ops: list[str] = []

        def add(op: str, field: str, value: float) -> None:
            ops.extend((op, field, repr(value)))

        for name in COUNTS:
            value = int(d.duration is not None) if name == "duration_count" else getattr(d, name)
            if value or name == "offered":  # offered always: the hour exists once counted
                add("i", name, value)
        for kind, seconds in (("wait", d.wait), ("duration", d.duration)):
            if seconds is not None:
                add("f", f"{kind}_sum", seconds)
                add("m", f"{kind}_max", seconds)
                add("i", f"h{kind[0]}:{hist_bucket(seconds)}", 1)
        for topic in d.topics:
            add("i", f"t:{topic}", 1)
        if d.risk is not None:
            add("i", f"r:{d.risk}", 1)
        await self._write(
            "ADD_STATS",
            [self._key("hour", d.line, str(hour)), self._key("hours", d.line)],
            [str(hour), *ops],
        )

    async def _hours(
        self, line: str, since: float, until: float
    ) -> list[tuple[int, dict[str, str]]]:
        """The stored hours of ``line`` from the one holding ``since`` to before ``until``."""
        found = await self._client.zrangebyscore(
            self._key("hours", line), str(hour_of(since)), f"({until!r}"
        )
        hours = [int(h) for h in found]
        fields = await self._hashes([self._key("hour", line, str(h)) for h in hours])
        return list(zip(hours, fields, strict=True))

    async def hour_stats(self, line: str, since: float, until: float) -> list[HourStats]:
        out = []
        for hour, f in await self._hours(line, since, until):
            stats = HourStats(line, hour)
            for name in COUNTS:
                setattr(stats, name, int(f.get(name, 0)))
            for name in FIGURES:
                setattr(stats, name, float(f.get(name, 0.0)))
            stats.topics = {k[2:]: int(v) for k, v in f.items() if k.startswith("t:")}
            stats.risks = {k[2:]: int(v) for k, v in f.items() if k.startswith("r:")}
            out.append(stats)
        return out

    async def hour_histograms(self, line: str, since: float, until: float) -> list[HourHistogram]:
        out = []
        for hour, f in await self._hours(line, since, until):
            found = HourHistogram(line, hour)
            for key, value in f.items():
                kind = {"hw": found.wait, "hd": found.duration}.get(key.split(":")[0])
                bucket = int(key.split(":")[1]) if kind is not None else -1
                if kind is not None and 0 <= bucket < HIST_BUCKETS:
                    kind[bucket] += int(value)
            if any(found.wait) or any(found.duration):
                out.append(found)
        return out

    async def recent_durations(self, line: str, limit: int) -> list[float]:
        """From the ``done`` index: the line's answered, ended chats by their end."""
        if limit <= 0:
            return []
        ids = await self._client.zrevrange(self._key("done", line), 0, limit - 1)
        pipe = self._client.pipeline(transaction=False)
        for cid in ids:
            pipe.hmget(self._key("conv", str(cid)), ["assigned_at", "ended_at"])
        durations = []
        for assigned, ended in await pipe.execute():
            if assigned is not None and ended is not None:
                durations.append(float(ended) - float(assigned))
        return durations
