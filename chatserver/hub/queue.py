"""The waiting line of one helpline service: priority first, then arrival order.

Positions are cheap to compute and updates are coalesced: the hub remembers what it last told
each visitor and only tells those whose position or estimate actually changed. With 10,000
people waiting, one assignment therefore costs one emit per position that moved, no more.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

SortKey = tuple[int, int]  # (-priority, rank): smaller sorts first


@dataclass(frozen=True, slots=True)
class Waiting:
    """One visitor in line. ``rank`` orders arrivals; a re-queued visitor gets a low rank.

    Immutable, so the floor hands out its own entries as snapshots without copying them:
    with 10,000 waiting, a look at the queue costs no 10,000 copies."""

    conversation_id: str
    line: str
    lang: str
    priority: int
    rank: int
    since: float  # when the visitor (last) entered the queue
    avoid: frozenset[str] = frozenset()  # volunteers who just handed this visitor back
    avoid_until: float = 0.0  # ... for this long at most: nobody may be overtaken for ever

    @property
    def key(self) -> SortKey:
        return (-self.priority, self.rank)

    def avoids(self, operator_id: str, now: float) -> bool:
        """Whether ``operator_id`` handed this visitor back a moment ago (and it still counts)."""
        return operator_id in self.avoid and now < self.avoid_until


class LineQueue:
    """Ordered waiting visitors of one line; insertion and removal are O(log n) + memmove."""

    def __init__(self) -> None:
        self._keys: list[tuple[SortKey, str]] = []
        self._entries: dict[str, Waiting] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._entries

    def __iter__(self) -> Iterator[Waiting]:
        for _, conversation_id in self._keys:
            yield self._entries[conversation_id]

    def add(self, entry: Waiting) -> None:
        bisect.insort(self._keys, (entry.key, entry.conversation_id))
        self._entries[entry.conversation_id] = entry

    def remove(self, conversation_id: str) -> Waiting | None:
        entry = self._entries.pop(conversation_id, None)
        if entry is not None:
            index = bisect.bisect_left(self._keys, (entry.key, conversation_id))
            del self._keys[index]
        return entry

    def get(self, conversation_id: str) -> Waiting | None:
        return self._entries.get(conversation_id)

    def position(self, conversation_id: str) -> int | None:
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        return bisect.bisect_left(self._keys, (entry.key, conversation_id)) + 1

    def first_rank(self) -> int | None:
        return min((e.rank for e in self._entries.values()), default=None)


@dataclass(frozen=True)
class Staffing:
    """Volunteers on duty for a line: their slots in all, and how many of those are free now."""

    slots: int
    free: int

    @property
    def nobody_on_duty(self) -> bool:
        return self.slots <= 0


def estimate_wait(
    position: int, staffing: Staffing, durations: Sequence[float], assumed: float
) -> int | None:
    """Seconds until a visitor at ``position`` is likely to be helped, or None if nobody is on.

    The first ``free`` visitors in line are helped now (0: the widget says so, instead of a
    made-up quarter of an hour before an idle volunteer answers at once). Everyone behind them
    needs a slot to free up, and the volunteers on duty free one on average every
    ``mean / slots`` seconds. Rounded up to whole minutes: a precise-looking number that is
    then wrong hurts more than an honest round one.
    """
    if staffing.nobody_on_duty:
        return None
    needed = position - staffing.free
    if needed <= 0:
        return 0
    mean = sum(durations) / len(durations) if durations else assumed
    seconds = needed * mean / staffing.slots
    return int(math.ceil(seconds / 60.0) * 60)


@dataclass(frozen=True, slots=True)
class Owed:
    """A far-back place a whole look at the line found, to be told at the outbox's pace
    (``places.tell_far_back``)."""

    entry: Waiting
    position: int
    staffing: Staffing
    read_at: int  # the assignment generation when the queue was read (``places._tellable``)
