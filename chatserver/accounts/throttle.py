"""The lockout: failed logins per username and source, per source, and TOTP codes used.

A source is a pseudonym of the address a login comes from (the keyed, daily-rotating HMAC
of ``privacy/pseudonyms.py``), never the address itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from chatserver.errors import Locked

K = TypeVar("K")
R = TypeVar("R")


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


@dataclass
class _Budget:
    """A source's failures as a leaky bucket: ``spent`` drains by one every refill period."""

    spent: float = 0.0
    at: float = 0.0


class Throttle(Protocol):
    """The lockout's memory, as the login routes use it: in this process (``LoginThrottle``,
    the embedded default) or shared by every node (``backends/redis_edges/throttle.py``).
    ``now`` is the caller's clock, so a lock lasts the same on either."""

    async def check(self, username: str, source: str, now: float) -> None: ...

    async def failed(self, username: str, source: str, now: float) -> None: ...

    async def succeeded(self, username: str, source: str) -> None: ...

    async def fresh_step(self, account_id: str, step: int) -> bool: ...


class LoginThrottle:
    """Failed logins, in memory: a delay that grows for whoever fails, not for everyone.

    Two limits, both on guessing, neither a way to lock someone else out:

    * **Per username and source.** The first ``FREE`` failures of a name from one source cost
      nothing; then that name is locked *for that source* for ``FIRST_LOCK`` seconds, and each
      further failure doubles it, up to ``MAX_LOCK``. Tries during a lock are refused before
      any check and do not count, so the lock never extends itself. Keyed on the username
      alone, anyone who knew a volunteer's username could keep the account locked for ever
      with one try every quarter of an hour; now the volunteer logs in from their own
      connection while someone else's is locked.
    * **Per source, over all usernames**: ``SOURCE_FREE`` failures at once, then one more
      every ``SOURCE_REFILL`` seconds (a leaky bucket). One source cannot try one password on
      every username it can think of. A success does not refill it: an insider's own account
      must not buy guesses at colleagues' passwords. Generous enough for an office of
      volunteers sharing one address and mistyping now and then.

    Unknown usernames are counted like real ones, so a lockout reveals nothing about which
    names exist. A success forgets that name's failures from that source; a day without
    failures forgets everything. This class keeps it in one process (the embedded default);
    with several nodes ``backends/redis_edges/throttle.py`` keeps the same counts in Redis,
    so an attacker gets one budget, not one per node. What is left: many sources together (a botnet)
    get ``FREE`` tries each and then the growing delay, per source, which the password rules
    (at least ``MIN_PASSWORD`` characters) and the second factor of supervisors and
    administrators must carry. Used TOTP codes are remembered here too, so a code seen over
    someone's shoulder works only once.
    """

    FREE = 5
    FIRST_LOCK = 30.0
    MAX_LOCK = 15 * 60.0
    SOURCE_FREE = 20
    SOURCE_REFILL = 180.0  # one more failure every three minutes: 20 an hour, sustained
    FORGET_AFTER = 24 * 3600.0
    MAX_TRACKED = 10_000  # bounded memory, whatever names and sources an attacker invents

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._sources: dict[str, _Budget] = {}
        self._last_step: dict[str, int] = {}

    async def check(self, username: str, source: str, now: float) -> None:
        """Raise ``Locked`` while this name is locked for this source, or the source has no
        failures left; nothing is verified meanwhile."""
        wait = max(self._pair_wait(username, source, now), self._source_wait(source, now))
        if wait > 0:
            seconds = math.ceil(wait)
            raise Locked(f"Too many failed attempts. Try again in {seconds} s.",
                         retry_after=seconds)  # fmt: skip

    async def failed(self, username: str, source: str, now: float) -> None:
        key = (username, source)
        if key not in self._failures:
            self._bound(self._failures, lambda r: (r.locked_until > now, r.last))
        record = self._failures.setdefault(key, _Failures())
        record.count += 1
        record.last = now
        if record.count >= self.FREE:
            lock = min(self.FIRST_LOCK * 2 ** (record.count - self.FREE), self.MAX_LOCK)
            record.locked_until = now + lock
        if source not in self._sources:
            self._bound(self._sources, lambda b: (b.spent > 0, b.at))
        budget = self._sources.setdefault(source, _Budget(0.0, now))
        budget.spent = self._drained(budget, now) + 1
        budget.at = now

    async def succeeded(self, username: str, source: str) -> None:
        self._failures.pop((username, source), None)

    async def fresh_step(self, account_id: str, step: int) -> bool:
        """Whether this TOTP time step is newer than the last one used; remember it if so."""
        if step <= self._last_step.get(account_id, -1):
            return False
        self._last_step[account_id] = step
        return True

    def _pair_wait(self, username: str, source: str, now: float) -> float:
        record = self._failures.get((username, source))
        if record is None:
            return 0.0
        if now - record.last > self.FORGET_AFTER:
            del self._failures[(username, source)]
            return 0.0
        return record.locked_until - now

    def _source_wait(self, source: str, now: float) -> float:
        """Seconds until the source may fail once more (0: it may now)."""
        budget = self._sources.get(source)
        if budget is None:
            return 0.0
        spent = self._drained(budget, now)
        if spent <= 0:
            del self._sources[source]
            return 0.0
        return (spent - self.SOURCE_FREE + 1) * self.SOURCE_REFILL

    def _drained(self, budget: _Budget, now: float) -> float:
        return max(0.0, budget.spent - (now - budget.at) / self.SOURCE_REFILL)

    def _bound(self, records: dict[K, R], order: Callable[[R], Any]) -> None:
        """Before adding to a full table: drop a tenth, harmless ones (no lock) and oldest
        first, so memory stays within ``MAX_TRACKED``."""
        if len(records) < self.MAX_TRACKED:
            return
        for key in sorted(records, key=lambda k: order(records[k]))[: max(1, len(records) // 10)]:
            del records[key]
