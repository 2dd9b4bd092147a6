"""The schedule both stores scrub by (``chatserver/backends/scrub.py``): erases are gathered
into one rebuild, an erase during a rebuild gets one of its own, and a failed rebuild is tried
again after the delay or only at the next erase, as the store chose."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.backends.scrub import ScrubSchedule

DELAY = 0.01


class Rebuilds:
    """A store's ``scrub()``: counts its rebuilds; ``fail`` makes the next ones fail."""

    def __init__(self) -> None:
        self.done = 0
        self.fail = 0
        self.started = asyncio.Event()
        self.hold: asyncio.Event | None = None
        self.schedule: ScrubSchedule | None = None

    async def scrub(self) -> None:
        assert self.schedule is not None
        await self.schedule.run(self._rebuild)

    async def _rebuild(self) -> None:
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.fail:
            self.fail -= 1
            raise OSError("disk full")
        self.done += 1


def schedule(retry_failed: bool) -> tuple[ScrubSchedule, Rebuilds]:
    rebuilds = Rebuilds()
    rebuilds.schedule = ScrubSchedule(
        rebuilds.scrub, DELAY, what="Rebuild", retry_failed=retry_failed
    )
    return rebuilds.schedule, rebuilds


async def settle() -> None:
    await asyncio.sleep(DELAY * 20)


@pytest.mark.asyncio
async def test_erases_are_gathered_into_one_rebuild() -> None:
    scrubs, rebuilds = schedule(retry_failed=True)
    for _ in range(5):
        scrubs.ask()
    await settle()
    assert rebuilds.done == 1 and not scrubs.due
    await rebuilds.scrub()  # nothing erased since: nothing to do
    assert rebuilds.done == 1
    await scrubs.stop()


@pytest.mark.asyncio
async def test_an_erase_during_a_rebuild_gets_its_own() -> None:
    """The running rebuild may have copied the text before that erase came."""
    scrubs, rebuilds = schedule(retry_failed=False)
    rebuilds.hold = asyncio.Event()
    scrubs.ask()
    await asyncio.wait_for(rebuilds.started.wait(), timeout=5)
    scrubs.ask()  # while the first one runs
    rebuilds.hold.set()
    await settle()
    assert rebuilds.done == 2 and not scrubs.due
    await scrubs.stop()


@pytest.mark.asyncio
async def test_a_failed_rebuild_is_retried_after_the_delay_or_at_the_next_erase(
    caplog: pytest.LogCaptureFixture,
) -> None:
    retrying, again = schedule(retry_failed=True)
    waiting, later = schedule(retry_failed=False)
    for scrubs, rebuilds in ((retrying, again), (waiting, later)):
        rebuilds.fail = 1
        scrubs.ask()
    await settle()
    assert again.done == 1 and not retrying.due  # tried again by itself
    assert later.done == 0 and waiting.due  # kept for the next erase (or close)
    assert "Rebuild after an erase failed" in caplog.text and "disk full" in caplog.text
    waiting.ask()
    await settle()
    assert later.done == 1 and not waiting.due
    for scrubs in (retrying, waiting):
        await scrubs.stop()
