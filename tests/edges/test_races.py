"""Check-and-count is one step: requests racing on two nodes are counted exactly.

On Redis each check-and-count is one script or one command, so no two nodes can both read
"one left" and both take it; in memory asyncio runs one call at a time. Either way the
numbers come out exact, which is what keeps a limit a limit under a script's burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import pytest

from chatserver.accounts.throttle import LoginThrottle
from chatserver.errors import Locked, RateLimited
from tests.edges.kit import LIMITS, EdgeKit

ADDRESS = "203.0.113.7"


async def _passed(calls: Sequence[Awaitable[object]]) -> int:
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(r is None or isinstance(r, (bool, RateLimited)) for r in results), results
    return sum(1 for r in results if r is None)


async def test_a_burst_over_two_nodes_gets_exactly_one_bucket(edges: EdgeKit) -> None:
    """Forty messages fired at once through two nodes: exactly the burst goes through."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    await a.guard.started(source, "c1")
    calls = [(a, b)[n % 2].guard.check_message("c1", source) for n in range(40)]
    assert await _passed(calls) == LIMITS.burst


async def test_a_totp_step_raced_on_two_nodes_is_used_once(edges: EdgeKit) -> None:
    """The same code submitted ten times at once through two nodes logs in once."""
    a, b = edges.nodes
    fresh = await asyncio.gather(*((a, b)[n % 2].throttle.fresh_step("acc", 7) for n in range(10)))
    assert fresh.count(True) == 1


async def test_failures_raced_on_two_nodes_are_all_counted(edges: EdgeKit) -> None:
    """A source's failures fired at once through two nodes spend its budget exactly: one
    short of it is still allowed, the last one locks."""
    a, b = edges.nodes
    budget = LoginThrottle.SOURCE_FREE
    await asyncio.gather(
        *((a, b)[n % 2].throttle.failed(f"n{n}", "src", 0.0) for n in range(budget - 1))
    )
    await b.throttle.check("anyone", "src", 0.0)
    await a.throttle.failed("last", "src", 0.0)
    with pytest.raises(Locked):
        await b.throttle.check("anyone", "src", 0.0)
