"""Guessing follow-up links gets nowhere: wrong links are counted per source and hour.

Keyed on the rotating pseudonym of the source (``pseudonyms.py``), never the address; the
counting is ``hourly_limit.py``'s. A link holds 256 random bits, so guessing cannot succeed
anyway; the limit keeps a script from hammering the store and makes a leaked list of hashes
useless to probe against a live server.
Past the limit every link, right or wrong, is refused to that source until the hour is over:
a right link after many wrong ones is a guesser's jackpot, not a visitor's typo.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from chatserver.clock import Clock
from chatserver.errors import LinkUnknown
from chatserver.privacy.hourly_limit import HourlyCounts, HourlyLimit

T = TypeVar("T")


class LinkGuard(HourlyLimit):
    """Wrong links per source and hour: ``check`` before a key is looked up, ``wrong`` when
    it opened nothing."""

    def __init__(self, clock: Clock, per_hour: int, counts: HourlyCounts | None = None) -> None:
        super().__init__(
            clock, per_hour, "Too many links that did not work. Please try again later.", counts
        )

    async def wrong(self, source: str) -> None:
        """One more wrong link from this source (its pseudonym)."""
        await self.count(source)

    async def opening(self, source: str, open_link: Callable[[], Awaitable[T]]) -> T:
        """What every edge that takes a link does, HTTP and socket alike: refuse a source
        past its limit before looking, and count a link that opened nothing."""
        await self.check(source)
        try:
            return await open_link()
        except LinkUnknown:
            await self.wrong(source)
            raise
