"""The lockout: failed logins per username, in memory, and TOTP codes already used."""

from __future__ import annotations

import math
from dataclasses import dataclass

from chatserver.errors import Locked


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failed logins per username, in memory: a lockout with a growing delay.

    The first ``FREE`` failures cost nothing; then the name is locked for ``FIRST_LOCK``
    seconds, and each further failure doubles that, up to ``MAX_LOCK``. Unknown usernames
    are counted like real ones, so a lockout reveals nothing about which names exist. A
    success forgets the name, and so does a day without failures. It lives in one process:
    with several nodes an attacker gets a budget per node, which is still slow. Used TOTP
    codes are remembered here too, so a code seen over someone's shoulder works only once.
    """

    FREE = 5
    FIRST_LOCK = 30.0
    MAX_LOCK = 15 * 60.0
    FORGET_AFTER = 24 * 3600.0
    MAX_TRACKED = 10_000  # bounded memory, whatever names an attacker invents

    def __init__(self) -> None:
        self._failures: dict[str, _Failures] = {}
        self._last_step: dict[str, int] = {}

    def check(self, username: str, now: float) -> None:
        """Raise ``Locked`` while the name is locked; nothing is verified meanwhile."""
        record = self._failures.get(username)
        if record is None:
            return
        if now - record.last > self.FORGET_AFTER:
            del self._failures[username]
        elif record.locked_until > now:
            wait = math.ceil(record.locked_until - now)
            raise Locked(f"Too many failed attempts. Try again in {wait} s.", retry_after=wait)

    def failed(self, username: str, now: float) -> None:
        if username not in self._failures and len(self._failures) >= self.MAX_TRACKED:
            self._forget_oldest(now)
        record = self._failures.setdefault(username, _Failures())
        record.count += 1
        record.last = now
        if record.count >= self.FREE:
            lock = min(self.FIRST_LOCK * 2 ** (record.count - self.FREE), self.MAX_LOCK)
            record.locked_until = now + lock

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

    def fresh_step(self, account_id: str, step: int) -> bool:
        """Whether this TOTP time step is newer than the last one used; remember it if so."""
        if step <= self._last_step.get(account_id, -1):
            return False
        self._last_step[account_id] = step
        return True

    def _forget_oldest(self, now: float) -> None:
        """Drop expired locks first, then the oldest records, to stay within MAX_TRACKED."""
        order = sorted(
            self._failures,
            key=lambda n: (self._failures[n].locked_until > now, self._failures[n].last),
        )
        for name in order[: max(1, len(order) // 10)]:
            del self._failures[name]
