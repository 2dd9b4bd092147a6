"""A conversation's lock lives exactly as long as someone holds it or waits for it."""

from __future__ import annotations

import asyncio

from chatserver.hub.locks import KeyedLocks


async def test_a_lock_is_kept_while_waited_for_and_dropped_after() -> None:
    """A message waiting for its conversation's lock and the erase of "delete my
    conversation" take turns on the same lock, in the order they came, even when the
    conversation ended meanwhile; once nobody holds or waits, no lock is kept (a busy
    evening of conversations leaves none behind)."""
    locks = KeyedLocks()
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def take(name: str, hold: bool = False) -> None:
        async with locks["c1"]:
            order.append(name)
            if hold:
                holding.set()
                await release.wait()

    first = asyncio.create_task(take("storing", hold=True))
    await holding.wait()
    waiting = asyncio.create_task(take("next message"))
    erase = asyncio.create_task(take("erase"))
    await asyncio.sleep(0)  # both are now queued behind the holder
    assert len(locks) == 1
    release.set()
    await asyncio.gather(first, waiting, erase)
    assert order == ["storing", "next message", "erase"]
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_no_lock_behind() -> None:
    """A handler cancelled while it waits (its client went away) frees its place."""
    locks = KeyedLocks()
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with locks["c1"]:
            holding.set()
            await release.wait()

    async def wait() -> None:
        async with locks["c1"]:
            pass

    holder = asyncio.create_task(hold())
    await holding.wait()
    waiter = asyncio.create_task(wait())
    await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    await asyncio.gather(holder, waiter, return_exceptions=True)
    assert len(locks) == 0
