"""At most so many of something per source and clock hour: the shape of the follow-up's limits.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address, and
counted per clock hour: memory stays bounded (every count starts again when the hour turns),
and the refusal can say exactly when to try again. ``link_guard.py`` (wrong links) and
``letter_limit.py`` (letters written) are the two limits of this shape, each with its words.
"""

from __future__ import annotations

from chatserver.clock import Clock
from chatserver.errors import RateLimited

HOUR = 3600


class HourlyLimit:
    def __init__(self, clock: Clock, per_hour: int, refusal: str) -> None:
        self.clock = clock
        self.per_hour = per_hour
        self.refusal = refusal  # what the refused person reads (``rate_limited``)
        self._hour = -1
        self._counts: dict[str, int] = {}  # pseudonym -> counted this hour

    def check(self, source: str) -> None:
        """Refuse (``rate_limited``, with when to try again) a source past its limit."""
        if self._count(source) >= self.per_hour:
            retry = int(HOUR - self.clock.now() % HOUR) + 1
            raise RateLimited(self.refusal, headers={"Retry-After": str(retry)},
                              retry_after=retry)  # fmt: skip

    def count(self, source: str) -> None:
        """One more from this source."""
        self._counts[source] = self._count(source) + 1

    def _count(self, source: str) -> int:
        hour = int(self.clock.now() // HOUR)
        if hour != self._hour:
            self._hour, self._counts = hour, {}
        return self._counts.get(source, 0)
