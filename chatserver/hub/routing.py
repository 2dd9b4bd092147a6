"""Who gets the next visitor: the rule a coordinator can read in one place.

A waiting visitor goes to a volunteer who is available, online, serves the visitor's line and
language, has a free slot and is not cooling down after a previous chat. Among those, the one
with the fewest chats goes first, then the one who has been idle longest: work is spread
evenly and nobody sits unused while a colleague juggles two chats.

A visitor handed back to the queue is not offered straight back to the volunteer who handed
them back, while a colleague on duty could take them: that is what "back to the queue" means.
But the wish lapses, at once when nobody else on duty serves the visitor's line and language
and after ``routing.handback_avoid_seconds`` otherwise, so later visitors cannot keep
overtaking them.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatserver.hub.floor import Presence
from chatserver.hub.queue import Waiting


def plan_assignments(
    waiting: Iterable[Waiting], presences: list[Presence], now: float
) -> list[tuple[Waiting, Presence]]:
    """Match visitors, in queue order, to volunteers; the caller applies the pairs atomically.

    ``waiting`` must be in global order (priority, then arrival). A visitor nobody can serve
    (say, a language no volunteer on duty speaks) does not block those behind them. Stops as
    soon as no volunteer has a free slot, so a long queue costs nothing while everyone is busy.
    """
    free = {p.id: p.open_slots(now) for p in presences}
    pairs: list[tuple[Waiting, Presence]] = []
    for entry in waiting:
        if not any(slots > 0 for slots in free.values()):
            break
        eligible = [
            p
            for p in presences
            if free.get(p.id, 0) > 0
            and p.can_take(entry.line, entry.lang, now)
            and not shuns(entry, p, presences, now)
        ]
        if not eligible:
            continue
        chosen = min(
            eligible,
            key=lambda p: (p.account.capacity - free[p.id], p.idle_since, p.id),
        )
        free[chosen.id] -= 1
        pairs.append((entry, chosen))
    return pairs


def shuns(entry: Waiting, presence: Presence, presences: Iterable[Presence], now: float) -> bool:
    """Whether routing keeps ``entry`` from ``presence`` now, because ``presence`` just handed
    the visitor back and another colleague on duty could serve them instead."""
    if not entry.avoids(presence.id, now):
        return False
    return any(p.id not in entry.avoid and p.on_duty_for(entry.line, entry.lang) for p in presences)
