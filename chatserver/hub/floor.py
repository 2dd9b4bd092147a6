"""A volunteer's presence on the floor, and who is on duty for a line.

Live state, not records: the floor (``floor_state.py``, in memory or in Redis) keeps it and
hands out copies of it; routing and the wait estimate read those copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chatserver.hub.model import Account, OperatorState
from chatserver.hub.queue import Staffing


@dataclass
class Presence:
    """A volunteer (or supervisor) who is logged in, or recently was."""

    account: Account
    state: OperatorState = OperatorState.PAUSED
    connections: int = 0
    disconnected_at: float | None = None
    idle_since: float = 0.0  # last time a slot freed or the volunteer became available
    cooldown_until: float = 0.0
    held: set[str] = field(default_factory=set)  # conversation ids it holds (active or wrap-up)
    reserved: set[str] = field(default_factory=set)  # handovers offered to it, not yet answered
    taken_over: set[str] = field(default_factory=set)  # held by takeover, may exceed capacity

    @property
    def id(self) -> str:
        return self.account.id

    @property
    def load(self) -> int:
        return len(self.held)

    @property
    def is_supervisor(self) -> bool:
        return self.account.role in ("supervisor", "admin")

    @property
    def may_back_up(self) -> bool:
        """Can be called in as backup colleague (achterwacht): flagged, or a supervisor."""
        return self.account.backup or self.is_supervisor

    @property
    def online(self) -> bool:
        return self.connections > 0

    def can_take(self, line: str, lang: str, now: float) -> bool:
        """Routing may offer this volunteer a new conversation on ``line`` in ``lang``."""
        return (
            self.state is OperatorState.AVAILABLE
            and self.online
            and self.load + len(self.reserved) < self.account.capacity
            and self.cooldown_until <= now
            and self.account.serves(line, lang)
        )

    def on_duty_for(self, line: str, lang: str | None = None) -> bool:
        """Counts towards the wait estimate of ``line``: online, available, serving it (and,
        when given, the visitor's language)."""
        return (
            self.state is OperatorState.AVAILABLE
            and self.online
            and (not self.account.lines or line in self.account.lines)
            and (lang is None or lang in self.account.languages)
        )

    @property
    def free_slots(self) -> int:
        """Slots for a new visitor; a takeover may push the load past capacity, never below 0."""
        return max(0, self.account.capacity - self.load - len(self.reserved))

    def open_slots(self, now: float) -> int:
        """Free slots routing may fill now: none while paused, away, offline or cooling down.
        (Counting a paused volunteer's free slots made every routing pass read the whole
        queue for a slot nobody could give: thousands of entries per start.)"""
        ready = self.state is OperatorState.AVAILABLE and self.online and self.cooldown_until <= now
        return self.free_slots if ready else 0


def staffing(presences: Iterable[Presence], line: str, lang: str | None = None) -> Staffing:
    """Who is on duty for ``line`` (in ``lang``): the wait estimate's view of the floor."""
    on_duty = [p for p in presences if p.on_duty_for(line, lang)]
    return Staffing(
        slots=sum(p.account.capacity for p in on_duty),
        free=sum(p.free_slots for p in on_duty),
    )
