"""The storage contract for retention holds, hourly statistics and the audit log, on every
backend.
"""

from __future__ import annotations

import asyncio

import pytest

from chatserver.backends.base import (
    HIST_BOUNDS,
    HourHistogram,
    HourStats,
    StatsDelta,
    Store,
    hist_bucket,
)

from .records import HOUR0, T0, audit, conversation, ended, hold


# holds --------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_hold_round_trip_replace_and_release(store: Store) -> None:
    """A supervisor's hold is kept as placed, can be renewed, is listed, and can be released."""
    for cid in ("c1", "c2"):
        await store.save_conversation(ended(cid, T0, T0 + 10))
    assert await store.hold("c1") is None and await store.holds() == []
    await store.add_hold(hold("c1"))
    await store.add_hold(hold("c2", expires_at=T0 + 86400))
    assert await store.hold("c1") == hold("c1")
    assert await store.holds() == [hold("c2", expires_at=T0 + 86400), hold("c1")]  # soonest first
    renewed = hold("c1", operator_id="sup2", reason="renewed", created_at=T0 + 5)
    await store.add_hold(renewed)
    assert await store.hold("c1") == renewed
    assert await store.release_hold("c1") is True
    assert await store.release_hold("c1") is False
    assert await store.hold("c1") is None
    assert [h.conversation_id for h in await store.holds()] == ["c2"]


@pytest.mark.asyncio
async def test_hold_needs_a_conversation(store: Store) -> None:
    """A hold on an id that was never a conversation is refused, not stored."""
    with pytest.raises(ValueError):
        await store.add_hold(hold("ghost"))
    assert await store.holds() == []


# statistics ---------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_stats_accumulate_per_hour(store: Store) -> None:
    """The supervisor's hourly chart adds up every offered, answered and abandoned chat."""
    await store.add_stats(StatsDelta("general", T0, offered=1))
    await store.add_stats(StatsDelta("general", T0 + 1, offered=1))
    await store.add_stats(StatsDelta("general", T0 + 2, answered=1, wait=30.0))
    await store.add_stats(StatsDelta("general", T0 + 3, answered=1, wait=90.0))
    await store.add_stats(StatsDelta("general", T0 + 4, abandoned=1))
    await store.add_stats(StatsDelta("general", T0 + 5, duration=600.0))
    await store.add_stats(StatsDelta("general", T0 + 6, duration=1200.0))
    await store.add_stats(
        StatsDelta("general", T0 + 7, topics=("school", "loneliness"), risk="high")
    )
    await store.add_stats(StatsDelta("general", T0 + 8, topics=("school",), risk="high"))
    await store.add_stats(StatsDelta("general", T0 + 9, risk="none"))
    await store.add_stats(StatsDelta("general", T0 + 3600, offered=1))  # next hour
    await store.add_stats(StatsDelta("youth", T0, offered=5))  # another line

    hours = await store.hour_stats("general", T0, T0 + 2 * 3600)
    assert hours == [
        HourStats(
            "general",
            HOUR0,
            offered=2,
            answered=2,
            abandoned=1,
            wait_sum=120.0,
            wait_max=90.0,
            duration_sum=1800.0,
            duration_count=2,
            duration_max=1200.0,
            topics={"school": 2, "loneliness": 1},
            risks={"high": 2, "none": 1},
        ),
        HourStats("general", HOUR0 + 3600, offered=1),
    ]
    # since: from the hour holding it; until: only hours that start before it
    assert [h.hour for h in await store.hour_stats("general", HOUR0 + 3599, HOUR0 + 3600)] == [
        HOUR0
    ]
    assert await store.hour_stats("general", HOUR0 + 7200, HOUR0 + 9000) == []


@pytest.mark.asyncio
async def test_concurrent_stats_are_atomic(store: Store) -> None:
    """Counts stay exact when many chats are offered at the same moment."""
    await asyncio.gather(
        *(store.add_stats(StatsDelta("general", T0, offered=1, topics=("x",))) for _ in range(100))
    )
    [hour] = await store.hour_stats("general", T0, T0 + 3600)
    assert hour.offered == 100 and hour.topics == {"x": 100}


def test_histogram_buckets_have_fixed_bounds() -> None:
    """0-30 s, 30-60 s, 1-2, 2-5, 5-10, 10-20, 20-40 min, 40 min and more; a bound goes up."""
    assert HIST_BOUNDS == (30, 60, 120, 300, 600, 1200, 2400)
    assert [hist_bucket(s) for s in (0, 29.9, 30, 59, 60, 119, 120, 299, 300)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4,
    ]  # fmt: skip
    assert [hist_bucket(s) for s in (599, 600, 1199, 1200, 2399, 2400, 86400)] == [
        4, 5, 5, 6, 6, 7, 7,
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_waits_and_durations_are_counted_in_buckets_per_hour(store: Store) -> None:
    """Percentiles of waits and chat lengths need the spread, which sums cannot give: each
    measured wait and duration lands in its bucket of its hour; other deltas add nothing."""
    await store.add_stats(StatsDelta("general", T0, answered=1, wait=10.0))
    await store.add_stats(StatsDelta("general", T0 + 1, answered=1, wait=45.0))
    await store.add_stats(StatsDelta("general", T0 + 2, answered=1, wait=45.0))
    await store.add_stats(StatsDelta("general", T0 + 3, duration=3000.0))
    await store.add_stats(StatsDelta("general", T0 + 4, offered=1, topics=("x",), risk="low"))
    await store.add_stats(StatsDelta("general", T0 + 3600, duration=400.0))
    await store.add_stats(StatsDelta("general", T0 + 7200, offered=1))  # no measurement
    await store.add_stats(StatsDelta("youth", T0, answered=1, wait=5.0))  # another line

    assert await store.hour_histograms("general", T0, T0 + 3 * 3600) == [
        HourHistogram(
            "general", HOUR0, wait=[1, 2, 0, 0, 0, 0, 0, 0], duration=[0, 0, 0, 0, 0, 0, 0, 1]
        ),
        HourHistogram("general", HOUR0 + 3600, duration=[0, 0, 0, 0, 1, 0, 0, 0]),
    ]
    assert await store.hour_histograms("general", HOUR0 + 3600, HOUR0 + 3600) == []
    assert await store.hour_histograms("nowhere", T0, T0 + 3600) == []


@pytest.mark.asyncio
async def test_recent_durations_newest_first(store: Store) -> None:
    """The wait estimate a visitor sees rests on the line's latest answered chats."""
    await store.save_conversation(ended("old", T0, T0 + 100))
    await store.save_conversation(ended("new", T0 + 1000, T0 + 1300))
    await store.save_conversation(ended("mid", T0 + 500, T0 + 700))
    await store.save_conversation(ended("abandoned", None, T0 + 2000))
    await store.save_conversation(ended("youth", T0, T0 + 5000, line="youth"))
    await store.save_conversation(conversation("open", assigned_at=T0, answered=True))
    assert await store.recent_durations("general", 10) == [300.0, 200.0, 100.0]
    assert await store.recent_durations("general", 2) == [300.0, 200.0]
    assert await store.recent_durations("other", 10) == []


# audit log ----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_audit_round_trip(store: Store) -> None:
    """An administrator sees exactly who did what to which conversation, and when."""
    full = audit(T0, "handover_offer", detail="op2")
    bare = audit(T0 + 1, "backup_join", conversation_id=None)
    await store.add_audit(full)
    await store.add_audit(bare)
    assert await store.audit_entries(T0, T0 + 1) == [full, bare]  # both ends included
    assert await store.audit_entries(T0 + 0.5, T0 + 10) == [bare]
    assert await store.audit_entries(T0 + 2, T0 + 10) == []


@pytest.mark.asyncio
async def test_audit_entries_oldest_first_and_limited(store: Store) -> None:
    """The log reads as a story, oldest first; a long period is cut after ``limit`` entries."""
    entries = [audit(T0 + offset, f"a{offset}") for offset in (30, 10, 20, 0)]
    for entry in entries:
        await store.add_audit(entry)
    same_instant = [audit(T0 + 40, "takeover"), audit(T0 + 40, "handover_queue")]
    for entry in same_instant:
        await store.add_audit(entry)
    got = await store.audit_entries(T0, T0 + 100)
    assert [e.action for e in got] == ["a0", "a10", "a20", "a30", "takeover", "handover_queue"]
    assert [e.action for e in await store.audit_entries(T0, T0 + 100, limit=2)] == ["a0", "a10"]
    assert await store.audit_entries(T0, T0 + 100, limit=0) == []


@pytest.mark.asyncio
async def test_purge_audit_removes_only_older_entries(store: Store) -> None:
    """The retention policy removes old entries and says how many; newer ones stay."""
    for offset in range(5):
        await store.add_audit(audit(T0 + offset))
    assert await store.purge_audit(T0 + 3) == 3
    assert [e.at for e in await store.audit_entries(T0, T0 + 10)] == [T0 + 3, T0 + 4]
    assert await store.purge_audit(T0 + 3) == 0
