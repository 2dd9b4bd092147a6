"""The edges of one node, as one bundle: what a request meets before the hub.

The pseudonym key, the abuse limits and blocks, the login lockout with its TOTP replay
guard, pending 2FA enrolments, and the hourly limits on wrong links and letters. Each is a
small protocol with a memory version (the embedded default, built by ``memory_edges``) and a
Redis version shared by every node of the distributed mode
(``backends.redis_edges.build.redis_edges``), so ``app.build_server`` takes either and the views
never know which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatserver.accounts.enrolments import EnrolmentBook, Enrolments
from chatserver.accounts.throttle import LoginThrottle, Throttle
from chatserver.clock import Clock
from chatserver.privacy.abuse import AbuseGuard, Limits, SourceGuard
from chatserver.privacy.letter_limit import LetterLimit
from chatserver.privacy.link_guard import LinkGuard
from chatserver.privacy.pseudonyms import PseudonymKey, Pseudonyms


async def _nothing() -> None:
    return None


@dataclass
class Edges:
    pseudonyms: PseudonymKey
    guard: SourceGuard
    throttle: Throttle
    enrolments: EnrolmentBook
    links: LinkGuard
    letters: LetterLimit
    close: Callable[[], Awaitable[None]] = _nothing  # at shutdown: connections, the key


def memory_edges(
    clock: Clock, limits: Limits, key_period: float, wrong_links_per_hour: int
) -> Edges:
    """All in this process: the embedded default, as it always was."""
    pseudonyms = Pseudonyms(clock, key_period)
    return Edges(
        pseudonyms,
        AbuseGuard(clock, pseudonyms, limits),
        LoginThrottle(),
        Enrolments(),
        LinkGuard(clock, wrong_links_per_hour),
        LetterLimit(clock),
    )
