"""Who is on the floor right now: volunteers' presence and load, visitors' connections.

This is live state, not records: it can be rebuilt from the store after a restart (open
conversations carry their volunteer) and, in the distributed mode, lives in Redis instead of
this process. The hub is the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatserver.hub.model import Account, OperatorState


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

    def on_duty_for(self, line: str) -> bool:
        """Counts towards the wait estimate of ``line``: online, available, serving it."""
        return (
            self.state is OperatorState.AVAILABLE
            and self.online
            and (not self.account.lines or line in self.account.lines)
        )


@dataclass
class VisitorLink:
    """How many connections a conversation's visitor has, and since when it has none."""

    connections: int = 0
    gone_since: float | None = None
