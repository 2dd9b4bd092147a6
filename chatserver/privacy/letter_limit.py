"""Letters written per source and hour: a script cannot fill the volunteers' letter queue.

A letter is not a chat message: it is written slowly, once, and every one of them lands in
front of a volunteer who promised to answer within hours. A person writes one letter and
perhaps a second to add something; a school or shelter behind one address may hold a few
people who write the same evening. ``PER_HOUR`` (10) is far above that and far below what
would bury a line's real letters under a flood. First letters (each a new space in the store)
and letters written back in a space count alike.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address, and
counted per clock hour like the link guard (``link_guard.py``): memory stays bounded, and the
count starts again every hour. Only letters that were kept count; a refused one (empty, too
long, a line without letters) costs nothing.
"""

from __future__ import annotations

from chatserver.clock import Clock
from chatserver.errors import RateLimited
from chatserver.privacy.pseudonyms import Pseudonyms

HOUR = 3600


class LetterLimit:
    PER_HOUR = 10

    def __init__(self, clock: Clock, pseudonyms: Pseudonyms, per_hour: int = PER_HOUR) -> None:
        self.clock = clock
        self.pseudonyms = pseudonyms
        self.per_hour = per_hour
        self._hour = -1
        self._written: dict[str, int] = {}  # pseudonym -> letters kept this hour

    def check(self, address: str) -> None:
        """Refuse (``rate_limited``, with when to try again) a source past its letters."""
        if self._count(self.pseudonyms.of(address)) >= self.per_hour:
            retry = int(HOUR - self.clock.now() % HOUR) + 1
            raise RateLimited(
                "Many letters came from this connection in the last hour. Your letter was not "
                "sent; please try again later. If you need help now, call one of the numbers.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )

    def written(self, address: str) -> None:
        """One more letter kept from this source."""
        source = self.pseudonyms.of(address)
        self._written[source] = self._count(source) + 1

    def _count(self, source: str) -> int:
        hour = int(self.clock.now() // HOUR)
        if hour != self._hour:  # a new hour: every count starts again
            self._hour, self._written = hour, {}
        return self._written.get(source, 0)
