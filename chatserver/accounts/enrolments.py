"""Second-factor enrolments in progress: a secret shown, not yet confirmed by a code."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chatserver.accounts.credentials import new_totp_secret
from chatserver.hub.model import Account


@dataclass
class PendingEnrolment:
    """A secret shown to someone who proved the password, not yet confirmed by a code."""

    account_id: str
    username: str
    secret: str
    csrf: str  # the enrolment form's token: no session exists yet to carry one
    expires_at: float


class EnrolmentBook(Protocol):
    """Pending enrolments, as the enrolment pages use them: in this process (``Enrolments``,
    the embedded default) or shared by every node (``backends/redis_edges/enrolments.py``),
    so the code typed on one node finds the secret shown by another."""

    TTL: float

    async def start(self, account: Account, now: float) -> tuple[str, PendingEnrolment]: ...

    async def get(self, token: str | None, now: float) -> PendingEnrolment | None: ...

    async def finish(self, token: str) -> None: ...


class Enrolments:
    """Second-factor enrolments in progress, in memory, keyed by a random token (a cookie).

    The secret is made here and stored on the account only when a code from the app proves
    it was scanned: an enrolment left half-way changes nothing, and a secret nobody confirmed
    never becomes a way in. Pending ones vanish after ``TTL`` seconds, and there is one per
    account at a time (a new login replaces it). Per process, like the lockout: a restart
    just means logging in again. With several nodes ``backends/redis_edges/enrolments.py``
    keeps them in Redis, so the code may be typed on another node than the one that showed
    the QR code.
    """

    TTL = 600.0  # ten minutes to install an app and scan a code
    MAX_PENDING = 1000  # bounded memory, however many logins an attacker with passwords starts

    def __init__(self) -> None:
        self._pending: dict[str, PendingEnrolment] = {}

    async def start(self, account: Account, now: float) -> tuple[str, PendingEnrolment]:
        """A fresh secret and the token that finds it again; forgets older ones of the account."""
        self._forget(lambda p: p.expires_at <= now or p.account_id == account.id)
        if len(self._pending) >= self.MAX_PENDING:
            oldest = min(self._pending, key=lambda token: self._pending[token].expires_at)
            del self._pending[oldest]
        token = secrets.token_urlsafe(32)
        pending = PendingEnrolment(
            account.id, account.username, new_totp_secret(), secrets.token_urlsafe(24),
            now + self.TTL,
        )  # fmt: skip
        self._pending[token] = pending
        return token, pending

    async def get(self, token: str | None, now: float) -> PendingEnrolment | None:
        """The enrolment behind a cookie, or None when unknown or expired."""
        pending = self._pending.get(token or "")
        if pending is not None and pending.expires_at <= now:
            del self._pending[token or ""]
            return None
        return pending

    async def finish(self, token: str) -> None:
        self._pending.pop(token, None)

    def _forget(self, matches: Callable[[PendingEnrolment], bool]) -> None:
        for token in [t for t, p in self._pending.items() if matches(p)]:
            del self._pending[token]
