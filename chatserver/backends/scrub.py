"""When the scrub after an erase runs: one schedule for both stores.

An erase removes text from the records at once, but only a rebuild makes it unrecoverable
from the disk: SQLite's ``VACUUM`` (embedded/store.py) or Redis's append-only rewrite
(redis_records/persistence.py). A rebuild copies everything, so erases are gathered: the
first asks for a scrub ``delay`` seconds later, those that follow ride along, and the store's
``scrub()`` (called by the purge, and by ``close``) runs it at once.

The stores differ in one rule, ``retry_failed``: Redis tries a failed rewrite again after
``delay`` (it runs beside the writes); a failed VACUUM (usually a full disk: it needs room
for a copy) waits for the next erase or ``close``, since every attempt pauses all writes.
Either way an erase that came while a scrub ran gets one of its own afterwards: the running
one may have started before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class ScrubSchedule:
    """Erases ask (:meth:`ask`), the store's scrub answers them all (:meth:`run`).

    ``scrub`` is the store's public ``scrub()``, looked up when it is due (tests watch it);
    ``delay`` ``None`` schedules nothing, leaving scrubs to explicit calls and ``close``.
    """

    def __init__(
        self,
        scrub: Callable[[], Awaitable[None]],
        delay: float | None,
        *,
        what: str,
        retry_failed: bool,
    ) -> None:
        self.delay = delay
        self.due = False  # something was erased since the last scrub that succeeded
        self._scrub = scrub
        self._what = what  # names the rebuild in the log ("VACUUM")
        self._retry_failed = retry_failed
        self._task: asyncio.Task[None] | None = None

    def ask(self) -> None:
        """Something was erased: scrub ``delay`` from now, unless a scrub is already coming."""
        self.due = True
        if self.delay is not None and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._later(self.delay), name=f"scrub: {self._what}")

    async def _later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        failed = False
        try:
            await self._scrub()
        except Exception:
            failed = True
            log.error(
                "%s after an erase failed; %s",
                self._what,
                f"it is tried again in {delay} s"
                if self._retry_failed
                else "it is tried again at the next erase or close",
                exc_info=True,
            )
        # this task still ran when a later erase asked, so that erase could not schedule one
        self._task = None
        if self.due and (self._retry_failed or not failed):
            self.ask()

    async def run(self, rebuild: Callable[[], Awaitable[None]]) -> None:
        """``rebuild`` if an erase asked for it since the last one; due again if it fails.
        The caller keeps other scrubs and writes out of the way (a lock, the writer's gate)."""
        if not self.due:
            return
        self.due = False
        try:
            await rebuild()
        except BaseException:
            self.due = True
            raise

    async def stop(self) -> None:
        """No scrub later (``close`` scrubs itself, at once)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
