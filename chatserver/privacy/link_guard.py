"""Guessing follow-up links gets nowhere: wrong links are counted per source and hour.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address. A link
holds 256 random bits, so guessing cannot succeed anyway; the limit keeps a script from
hammering the store and makes a leaked list of hashes useless to probe against a live server.
Past the limit every link, right or wrong, is refused to that source until the hour is over:
a right link after many wrong ones is a guesser's jackpot, not a visitor's typo.
"""

from __future__ import annotations

from chatserver.clock import Clock
from chatserver.errors import RateLimited
from chatserver.privacy.pseudonyms import Pseudonyms

HOUR = 3600


class LinkGuard:
    def __init__(self, clock: Clock, pseudonyms: Pseudonyms, per_hour: int) -> None:
        self.clock = clock
        self.pseudonyms = pseudonyms
        self.per_hour = per_hour
        self._hour = -1
        self._wrong: dict[str, int] = {}  # pseudonym -> wrong links this hour

    def check(self, address: str) -> None:
        """Refuse (``rate_limited``, with when to try again) a source past its limit."""
        self.check_source(self.pseudonyms.of(address))

    def check_source(self, source: str) -> None:
        """As :meth:`check`, for an edge that keeps only the pseudonym (``/visitor``)."""
        if self._count(source) >= self.per_hour:
            retry = int(HOUR - self.clock.now() % HOUR) + 1
            raise RateLimited(
                "Too many links that did not work. Please try again later.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )

    def wrong(self, address: str) -> None:
        """One more wrong link from this source."""
        self.wrong_source(self.pseudonyms.of(address))

    def wrong_source(self, source: str) -> None:
        self._wrong[source] = self._count(source) + 1

    def _count(self, source: str) -> int:
        hour = int(self.clock.now() // HOUR)
        if hour != self._hour:  # a new hour: every count starts again, memory stays bounded
            self._hour, self._wrong = hour, {}
        return self._wrong.get(source, 0)
