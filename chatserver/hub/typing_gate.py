"""The typing indicator, told to the other side only when it changes, a few times a second.

A client may send ``typing`` as often as it likes; ours send one on the first key press and
one after a few idle seconds. A script once sent 54,900 in ten seconds, and every one reached
the volunteer's console. Here each side of each conversation is a small state: what the
typist says now (``wanted``) and what the other side was last told (``shown``). A change is
told at once unless the last one was told less than ``interval`` seconds ago; then it waits,
and :meth:`TypingGate.due` (the hub's sweep, every second) tells the latest state. So a flood
becomes at most a couple of events a second, and the last state always arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

# at most two changes a second per conversation and side: quicker than anyone reads them
INTERVAL = 0.5

Side = tuple[str, bool]  # (conversation id, typed by the volunteer)


@dataclass
class _State:
    wanted: bool = False
    shown: bool = False
    told_at: float = float("-inf")
    stale: bool = False  # a message came since: "typing" must be told again, not assumed


class TypingGate:
    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._states: dict[Side, _State] = {}
        self._waiting: set[Side] = set()  # changes held back for the interval

    def offer(self, side: Side, active: bool, now: float) -> bool:
        """The typist's state now; True if the other side is to be told at once."""
        state = self._states.get(side)
        if state is None:
            if not active:
                return False  # nothing shown, nothing to take back
            state = self._states[side] = _State()
        state.wanted = active
        if active == state.shown and not (active and state.stale):
            self._waiting.discard(side)
            return False
        if now - state.told_at < self.interval:
            self._waiting.add(side)
            return False
        self._tell(side, state, now)
        return True

    def due(self, now: float) -> list[tuple[Side, bool]]:
        """Changes held back whose interval has passed: tell these now."""
        ready = [s for s in self._waiting if now - self._states[s].told_at >= self.interval]
        told = []
        for side in sorted(ready):
            state = self._states[side]
            self._tell(side, state, now)
            told.append((side, state.shown))
        return told

    def sent(self, side: Side) -> None:
        """The typist sent a message, which the other side may take as "stopped typing": so
        typing on afterwards is told again, at once, with the new message's place (messages
        have a rate limit of their own, so this opens no flood)."""
        state = self._states.get(side)
        if state is not None:
            state.stale = True
            state.told_at = float("-inf")

    def forget(self, conversation_id: str) -> None:
        """The conversation ended or has a new volunteer: start again from "nobody types"."""
        for side in ((conversation_id, False), (conversation_id, True)):
            self._states.pop(side, None)
            self._waiting.discard(side)

    def __len__(self) -> int:
        """How many sides are remembered: only of conversations that are open."""
        return len(self._states)

    def _tell(self, side: Side, state: _State, now: float) -> None:
        state.shown = state.wanted
        state.stale = False
        state.told_at = now
        self._waiting.discard(side)
