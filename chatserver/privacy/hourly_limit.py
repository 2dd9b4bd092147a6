"""At most so many of something per source and clock hour: the shape of the follow-up's limits.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address, and
counted per clock hour: memory stays bounded (every count starts again when the hour turns),
and the refusal can say exactly when to try again. ``link_guard.py`` (wrong links) and
``letter_limit.py`` (letters written) are the two limits of this shape, each with its words.

Where the counts live is an ``HourlyCounts``: in this process (``MemoryHourlyCounts``, the
embedded default) or shared by every node (``backends/redis_edges/hourly.py``), so a source
past its limit is refused whichever node its next request reaches.
"""

from __future__ import annotations

from typing import Protocol

from chatserver.clock import Clock
from chatserver.errors import RateLimited

HOUR = 3600


class HourlyCounts(Protocol):
    """How many a source did in one clock hour (``hour``: hours since the epoch)."""

    async def get(self, hour: int, source: str) -> int: ...

    async def add(self, hour: int, source: str) -> None: ...


class MemoryHourlyCounts:
    """The counts of this hour in this process; an earlier hour's are dropped when it turns."""

    def __init__(self) -> None:
        self._hour = -1
        self._counts: dict[str, int] = {}  # pseudonym -> counted this hour

    def _of(self, hour: int) -> dict[str, int]:
        if hour != self._hour:
            self._hour, self._counts = hour, {}
        return self._counts

    async def get(self, hour: int, source: str) -> int:
        return self._of(hour).get(source, 0)

    async def add(self, hour: int, source: str) -> None:
        counts = self._of(hour)
        counts[source] = counts.get(source, 0) + 1


class HourlyLimit:
    def __init__(
        self, clock: Clock, per_hour: int, refusal: str, counts: HourlyCounts | None = None
    ) -> None:
        self.clock = clock
        self.per_hour = per_hour
        self.refusal = refusal  # what the refused person reads (``rate_limited``)
        self.counts = counts or MemoryHourlyCounts()

    async def check(self, source: str) -> None:
        """Refuse (``rate_limited``, with when to try again) a source past its limit."""
        if await self.counts.get(self._hour(), source) >= self.per_hour:
            retry = int(HOUR - self.clock.now() % HOUR) + 1
            raise RateLimited(self.refusal, headers={"Retry-After": str(retry)},
                              retry_after=retry)  # fmt: skip

    async def count(self, source: str) -> None:
        """One more from this source."""
        await self.counts.add(self._hour(), source)

    def _hour(self) -> int:
        return int(self.clock.now() // HOUR)
