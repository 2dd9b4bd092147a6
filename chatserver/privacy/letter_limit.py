"""Letters written per source and hour: a script cannot fill the volunteers' letter queue.

A letter is not a chat message: it is written slowly, once, and every one of them lands in
front of a volunteer who promised to answer within hours. A person writes one letter and
perhaps a second to add something; a school or shelter behind one address may hold a few
people who write the same evening. ``PER_HOUR`` (10) is far above that and far below what
would bury a line's real letters under a flood. First letters (each a new space in the store)
and letters written back in a space count alike.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address, and
counted per clock hour like the link guard (both are ``hourly_limit.py``'s). Only letters
that were kept count; a refused one (empty, too long, a line without letters) costs nothing.
"""

from __future__ import annotations

from chatserver.clock import Clock
from chatserver.privacy.hourly_limit import HourlyCounts, HourlyLimit


class LetterLimit(HourlyLimit):
    PER_HOUR = 10

    def __init__(
        self, clock: Clock, per_hour: int = PER_HOUR, counts: HourlyCounts | None = None
    ) -> None:
        super().__init__(
            clock,
            per_hour,
            "Many letters came from this connection in the last hour. Your letter was not "
            "sent; please try again later. If you need help now, call one of the numbers.",
            counts,
        )

    async def written(self, source: str) -> None:
        """One more letter kept from this source (its pseudonym)."""
        await self.count(source)
