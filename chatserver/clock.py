"""Time is injected so opening hours, waits, grace periods and retention are testable.

The hub never calls ``time`` or ``datetime.now`` itself. Tests use :class:`ManualClock` and
advance it, then let the hub sweep; production uses :class:`SystemClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC), as a float."""
        ...


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def iso(ts: float) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond: what the wire carries."""
    return to_datetime(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: float | datetime = 1_800_000_000.0) -> None:
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float | datetime) -> None:
        self._now = when.timestamp() if isinstance(when, datetime) else float(when)
