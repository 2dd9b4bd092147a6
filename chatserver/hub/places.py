"""What waiting visitors are told of their place: at once near the front, paced far back.

Every chat that ends moves everyone in its line up one. With thousands waiting, telling all
of them at once is a storm: thousands of emits, and the next free slot waits behind them.
So this node tells

* a newcomer at the back its own place at once (nobody else's place changed);
* the first ``TOLD_AT_ONCE`` of a line every change at once;
* those behind them what changed when the line is looked at whole: at most every
  ``FAR_BACK_SECONDS``, and at once when a language of the line gets somebody on duty or has
  nobody any more (that changes what a visitor should do). What such a look finds for the far
  back goes into an outbox that ``tell_far_back`` empties at ``FAR_BACK_PER_SECOND``: the work
  of a long queue is spread over the seconds instead of landing between two assignments.

A place is told only to a visitor connected to this node, and never after the visitor was
given to a volunteer (``_tellable``): a place told after ``assigned`` would send the widget
back to "waiting" in the middle of the chat.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import Callable

from chatserver.hub.events import QueueUpdate
from chatserver.hub.floor import staffing
from chatserver.hub.queue import Owed, Staffing, Waiting, estimate_wait
from chatserver.hub.state import Node, OnNode

# the first this many in a line hear every move at once
TOLD_AT_ONCE = 20
# those behind them: their line is looked at whole at most this often (seconds)
FAR_BACK_SECONDS = 5.0
# ... and what that look found is told at this pace (places per second, this node), in
# batches of FAR_BACK_BATCH: 10,000 waiting are told in 5 s, the time between two looks
FAR_BACK_PER_SECOND = 2000.0
FAR_BACK_BATCH = 50
# a flush of places lets other work run after this many visitors (an emit that fits in the
# socket's buffer does not give the loop away by itself)
YIELD_EVERY = 100


class QueuePlaces(OnNode):
    """What this node tells its own waiting visitors of their place, and when."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self._flushing = False  # a flush of positions is running (``flush_positions``)
        self._generation = 0  # counts assignments here, so a flush knows what it read before
        self._taken: dict[str, int] = {}  # conversation id -> the assignment's generation
        # when each line's whole queue was last looked at, and which of its languages had
        # someone on duty then (a change is told to everyone at once)
        self._whole_at: dict[str, float] = {}
        self._on_duty_seen: dict[str, frozenset[str]] = {}
        self._far_back_read_at: int | None = None  # the oldest read in the outbox

    async def flush_positions(self) -> None:
        """Tell this node's waiting visitors of changed places or estimates, nobody else,
        until nothing is left to tell; one flush at a time (a second caller leaves the work
        to the running one, which looks again before it stops)."""
        if self._flushing:
            return
        self._flushing = True
        started = self._generation
        try:
            while self.node.dirty or self.node.newcomers:
                await self._flush_once()
        finally:
            self._flushing = False
            self._forget_marks(started)

    def _forget_marks(self, started: int) -> None:
        """A taken-mark matters only to a read of the queue made before it: the running
        flush's, or the oldest one still waiting in the outbox."""
        oldest = started if self._far_back_read_at is None else self._far_back_read_at
        keep_after = min(started, oldest)
        self._taken = {c: g for c, g in self._taken.items() if g > keep_after}

    async def _flush_once(self) -> None:
        """A line marked dirty is looked at: its first TOLD_AT_ONCE at once, the whole line
        when it is due (``_look_whole``), its far back then through the outbox. A newcomer
        at the back of its line changes nobody else's place or estimate, so only the
        newcomer is told: with thousands waiting, an arrival costs one position."""
        dirty, self.node.dirty = self.node.dirty, set()
        newcomers, self.node.newcomers = self.node.newcomers, {}
        if not dirty and not newcomers:
            return
        now = self.clock.now()
        read_at = self._generation  # taken after this: our snapshot of them is out of date
        presences = await self.floor.presences()
        staffed: dict[tuple[str, str], Staffing] = {}

        def on_duty(line: str, lang: str) -> Staffing:
            if (line, lang) not in staffed:
                staffed[line, lang] = staffing(presences, line, lang)
            return staffed[line, lang]

        whole = {line for line in dirty if self._look_whole(line, now, on_duty)}
        waiting = [e for e in await self.floor.waiting() if e.line in whole] if whole else []
        if front := dirty - whole:
            heads = [e for e in await self.floor.line_heads(TOLD_AT_ONCE) if e.line in front]
            waiting += heads
            # more wait behind the first: they hear it with the sweep, when the line is due
            counts = collections.Counter(entry.line for entry in heads)
            self.node.owed |= {line for line, count in counts.items() if count >= TOLD_AT_ONCE}
        if whole >= {line.id for line in self.settings.lines}:
            # the whole queue was read: whoever no longer waits (taken by another node's
            # routing, say) must hear their place anew if they come back to the queue
            still = {entry.conversation_id for entry in waiting}
            for gone in [c for c in self.node.told if c not in still]:
                del self.node.told[gone]
        positions: dict[str, int] = {}
        for count, entry in enumerate(waiting, start=1):
            if count % YIELD_EVERY == 0:  # let an assignment in between thousands of places
                await asyncio.sleep(0)
            position = positions[entry.line] = positions.get(entry.line, 0) + 1
            if not self._tellable(entry.conversation_id, read_at):
                continue
            on = on_duty(entry.line, entry.lang)
            if position > TOLD_AT_ONCE:
                self._owe(Owed(entry, position, on, read_at))
            else:
                self.node.far_back.pop(entry.conversation_id, None)  # older news
                await self._tell_place(entry, position, on, now)
        looked_at = {entry.conversation_id for entry in waiting}
        for entry in newcomers.values():
            if entry.conversation_id in looked_at:
                continue  # told above
            place = await self.floor.position(entry.conversation_id)
            if place is not None and self._tellable(entry.conversation_id, read_at):
                await self._tell_place(entry, place, on_duty(entry.line, entry.lang), now)

    def _owe(self, owed: Owed) -> None:
        if self._far_back_read_at is None:
            self._far_back_read_at = owed.read_at
        self.node.far_back[owed.entry.conversation_id] = owed  # a newer look replaces an older
        self.node.far_back_owed.set()

    async def tell_far_back(self, batch: int = FAR_BACK_BATCH) -> bool:
        """Tell up to ``batch`` far-back places from the outbox, in order of place; ``True``
        while more are owed. The server calls this at ``FAR_BACK_PER_SECOND``
        (``app.py``); tests call it until it returns ``False``."""
        now = self.clock.now()
        for conversation_id in list(itertools.islice(self.node.far_back, batch)):
            owed = self.node.far_back.pop(conversation_id, None)  # gone while we told others
            if owed is not None and self._tellable(conversation_id, owed.read_at):
                await self._tell_place(owed.entry, owed.position, owed.staffing, now)
        if self.node.far_back:
            return True
        self._far_back_read_at = None
        self.node.far_back_owed.clear()
        return False

    def _look_whole(
        self, line_id: str, now: float, on_duty: Callable[[str, str], Staffing]
    ) -> bool:
        """Whether a dirty line is looked at whole now, not only its first TOLD_AT_ONCE: when
        FAR_BACK_SECONDS have passed since the last whole look, or when a language of the
        line has somebody on duty where it had nobody (or the other way round), which
        everyone waiting must hear (the widget then shows where else to turn)."""
        line = self.node.line(line_id)
        staffed = frozenset(
            lang for lang in line.languages if not on_duty(line_id, lang).nobody_on_duty
        )
        due = now - self._whole_at.get(line_id, float("-inf")) >= FAR_BACK_SECONDS
        if not due and self._on_duty_seen.get(line_id) == staffed:
            return False
        self._whole_at[line_id] = now
        self._on_duty_seen[line_id] = staffed
        self.node.owed.discard(line_id)
        return True

    def _tellable(self, conversation_id: str, read_at: int) -> bool:
        """This node tells the visitor (it is connected here), and the visitor was not given
        to a volunteer after the queue was read: a place told after ``assigned`` would send
        the widget back to "waiting" in the middle of the chat."""
        if conversation_id not in self.node.here:
            return False  # told by the node the visitor is connected to
        return self._taken.get(conversation_id, 0) <= read_at

    def mark_taken(self, conversation_id: str) -> None:
        """The visitor left the queue for a volunteer: no place is told from older reads."""
        self._generation += 1
        self._taken[conversation_id] = self._generation

    async def _tell_place(
        self, entry: Waiting, position: int, on_duty: Staffing, now: float
    ) -> None:
        """One waiting visitor's place, estimate and alternatives, if they changed."""
        line = self.node.line(entry.line)
        estimate = estimate_wait(
            position,
            on_duty,
            self.node.durations[entry.line],
            self.settings.routing.assumed_chat_seconds,
        )
        # nobody on duty: say so and show where else to turn at once, not after a wait
        show_alternatives = bool(line.alternatives) and (
            on_duty.nobody_on_duty or now - entry.since >= line.alternatives_after_seconds
        )
        told = (position, estimate, show_alternatives)
        if self.node.told.get(entry.conversation_id) == told:
            return
        self.node.told[entry.conversation_id] = told
        await self.bus.publish(
            QueueUpdate(
                entry.conversation_id,
                entry.lang,
                position,
                estimate,
                line.alternatives if show_alternatives else (),
                nobody_on_duty=on_duty.nobody_on_duty,
                entered=entry.since,
            )
        )

    async def position(self, conversation_id: str) -> int | None:
        return await self.floor.position(conversation_id)
