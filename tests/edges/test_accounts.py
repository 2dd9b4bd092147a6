"""The login lockout, the TOTP replay guard and pending enrolments hold across nodes.

Each test runs on memory (one process) and on Redis (two nodes on one redis-server).
"""

from __future__ import annotations

import pytest

from chatserver import accounts
from chatserver.accounts.throttle import LoginThrottle
from chatserver.errors import Locked
from tests.edges.kit import EdgeKit

PASSWORD = "Welkom01!!Welkom"


async def test_the_lockout_counted_on_one_node_holds_on_the_other(edges: EdgeKit) -> None:
    """Failures spread over two nodes lock the name for that source on both, the lock grows
    and caps at fifteen minutes, and a success forgets it."""
    a, b = edges.nodes
    locks, now = [], 0.0
    for n in range(12):
        await (a, b)[n % 2].throttle.failed("anna", "src", now)
        try:
            await (b, a)[n % 2].throttle.check("anna", "src", now)
            locks.append(0)
        except Locked as error:
            locks.append(error.details["retry_after"])
            now += error.details["retry_after"]
    assert locks == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    await b.throttle.check("anna", "elsewhere", now)  # the volunteer's own connection
    await a.throttle.succeeded("anna", "src")
    await b.throttle.check("anna", "src", now)


async def test_a_source_guessing_many_names_is_stopped_on_every_node(edges: EdgeKit) -> None:
    """One source trying a password on many usernames gets one budget across nodes; it
    leaks back one failure per refill period; a success does not buy guesses."""
    a, b = edges.nodes
    for n in range(LoginThrottle.SOURCE_FREE):
        await (a, b)[n % 2].throttle.failed(f"name{n}", "src", 0.0)
    for node in (a, b):
        with pytest.raises(Locked) as locked:
            await node.throttle.check("anyone", "src", 0.0)
        assert locked.value.details["retry_after"] == LoginThrottle.SOURCE_REFILL
    await a.throttle.succeeded("name0", "src")
    with pytest.raises(Locked):
        await b.throttle.check("anyone", "src", 1.0)
    await b.throttle.check("anyone", "src", LoginThrottle.SOURCE_REFILL)


async def test_a_totp_code_used_on_one_node_is_refused_on_the_other(edges: EdgeKit) -> None:
    """A code seen over someone's shoulder works once, whichever node it is tried on."""
    a, b = edges.nodes
    assert await a.throttle.fresh_step("acc1", 100) is True
    assert await b.throttle.fresh_step("acc1", 100) is False
    assert await b.throttle.fresh_step("acc1", 99) is False
    assert await b.throttle.fresh_step("acc2", 100) is True
    assert await b.throttle.fresh_step("acc1", 101) is True
    assert await a.throttle.fresh_step("acc1", 101) is False


async def test_an_enrolment_started_on_one_node_is_found_on_the_other(edges: EdgeKit) -> None:
    """The QR code shown by node A, the code typed on node B: B finds the same secret; a new
    login replaces it, it expires after ten minutes, and finishing on A ends it for B."""
    a, b = edges.nodes
    anna = accounts.new_account("anna", PASSWORD, "supervisor", None)
    token, pending = await a.enrolments.start(anna, 0.0)
    assert await b.enrolments.get(token, 599.0) == pending
    again, newer = await b.enrolments.start(anna, 10.0)  # logging in again replaces it
    assert await a.enrolments.get(token, 11.0) is None
    assert await a.enrolments.get(again, 11.0) == newer and newer.secret != pending.secret
    assert await a.enrolments.get(again, 10.0 + a.enrolments.TTL) is None
    third, _ = await a.enrolments.start(anna, 20.0)
    await a.enrolments.finish(third)
    assert await b.enrolments.get(third, 21.0) is None
    assert await b.enrolments.get(None, 0.0) is None
