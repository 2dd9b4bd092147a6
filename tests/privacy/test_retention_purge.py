"""Retention: what a visitor wrote disappears on the helpline's schedule, and only then.

The promise in the privacy statement ("deleted after 30 days") must hold per line, with
safeguarding holds that keep one conversation back for a limited time, and statistics that
survive because they never held text. The clock is injected: every purge is given its now.
"""

from __future__ import annotations

import pytest

from chatserver.backends.base import AuditEntry, Hold, StatsDelta
from chatserver.backends.embedded import SqliteStore
from chatserver.errors import InvalidPayload
from chatserver.hub.model import Risk, Wrapup
from chatserver.privacy.retention import PurgeReport, hold_ends, new_hold, purge
from chatserver.settings import Settings
from tests.privacy.retention_world import ALL, DAY, NOTES, NOW, chat, line_policy, policy, roles
from tests.privacy.retention_world import db as db  # the fixtures
from tests.privacy.retention_world import settings as settings
from tests.privacy.retention_world import store as store


# the purge ------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_dry_run_counts_but_removes_nothing(settings: Settings, store: SqliteStore) -> None:
    """An administrator sees what a purge would remove before anything is removed."""
    await chat(store, "old1", NOW - 40 * DAY)
    await chat(store, "old2", NOW - 31 * DAY)
    await chat(store, "new", NOW - 29 * DAY)
    for n in range(3):
        await store.add_audit(AuditEntry(NOW - 400 * DAY + n, "op1", "observe", "old1"))
    await store.add_audit(AuditEntry(NOW - DAY, "op1", "observe", "new"))

    report = await purge(store, settings, NOW, dry_run=True)
    assert report == PurgeReport(
        dry_run=True, conversations=2, messages=6, notes=4, audit_entries=3
    )
    assert report.lines() == [
        "Would remove 6 messages and 4 private notes from 2 conversations.",
        "Would remove 3 audit log entries past the term.",
    ]
    for cid in ("old1", "old2", "new"):
        assert await roles(store, cid) == ALL
    assert len(await store.audit_entries(0, NOW)) == 4
    assert await purge(store, settings, NOW, dry_run=True) == report  # still all there


@pytest.mark.asyncio
async def test_purge_removes_what_is_past_its_term_and_keeps_the_rest(
    settings: Settings, store: SqliteStore
) -> None:
    """After 30 days a transcript and its notes are gone; a newer one stays. The record,
    wrap-up and statistics of the conversation stay: they hold no text."""
    await chat(store, "old", NOW - 30 * DAY)  # exactly 30 days: due
    await chat(store, "new", NOW - 30 * DAY + 1)
    await store.save_wrapup(Wrapup("old", "op1", ("loneliness",), Risk.HIGH, NOW - 30 * DAY))
    await store.add_stats(StatsDelta("chat", NOW - 30 * DAY, answered=1, wait=100.0))
    await store.add_audit(AuditEntry(NOW - 366 * DAY, "op1", "observe", "old"))
    await store.add_audit(AuditEntry(NOW - 364 * DAY, "op1", "takeover", "old"))

    report = await purge(store, settings, NOW)
    assert report == PurgeReport(conversations=1, messages=3, notes=2, audit_entries=1)
    assert report.lines() == [
        "Removed 3 messages and 2 private notes from 1 conversation.",
        "Removed 1 audit log entry past the term.",
    ]
    assert await store.messages("old") == []
    assert await roles(store, "new") == ALL
    record = await store.conversation("old")
    assert record is not None and record.risk == Risk.HIGH and record.intake["topic"]
    assert await store.wrapup("old") is not None
    [hour] = await store.hour_stats("chat", NOW - 31 * DAY, NOW)
    assert hour.answered == 1
    assert [e.action for e in await store.audit_entries(0, NOW)] == ["takeover"]

    again = await purge(store, settings, NOW)  # nothing left to do: nothing done
    assert again == PurgeReport()
    assert again.lines() == ["Nothing was due: nothing was removed."]


@pytest.mark.asyncio
async def test_notes_kept_longer_than_the_transcript(
    settings: Settings, store: SqliteStore
) -> None:
    """A helpline keeping notes longer (for the volunteers' debriefs) loses the transcript on
    its own term and the notes on theirs."""
    settings = policy(settings, transcripts_days=7, notes_days=60)
    await chat(store, "c1", NOW)
    assert (await purge(store, settings, NOW + 6 * DAY)).messages == 0
    report = await purge(store, settings, NOW + 8 * DAY)
    assert (report.messages, report.notes) == (3, 0)
    assert await roles(store, "c1") == NOTES
    assert await purge(store, settings, NOW + 59 * DAY) == PurgeReport()
    report = await purge(store, settings, NOW + 60 * DAY)
    assert (report.conversations, report.messages, report.notes) == (1, 0, 2)
    assert report.lines() == ["Removed 2 private notes from 1 conversation."]
    assert await store.messages("c1") == []


@pytest.mark.asyncio
async def test_zero_days_removes_at_the_first_purge(settings: Settings, store: SqliteStore) -> None:
    """A line with 0 days keeps nothing after the conversation; other lines keep their term."""
    settings = line_policy(settings, "chat", transcripts=0, notes=0)
    assert settings.retention_for("chat").transcripts_days == 0
    await chat(store, "now", NOW, line="chat")
    await chat(store, "evening", NOW - DAY, line="evening")
    report = await purge(store, settings, NOW)
    assert (report.conversations, report.messages, report.notes) == (1, 3, 2)
    assert await store.messages("now") == []
    assert await roles(store, "evening") == ALL


@pytest.mark.asyncio
async def test_a_line_removed_from_the_config_still_follows_the_global_term(
    settings: Settings, store: SqliteStore
) -> None:
    """Deleting a line from the configuration never stops the purge of its old chats."""
    await chat(store, "retired-old", NOW - 31 * DAY, line="retired")
    await chat(store, "retired-new", NOW - 29 * DAY, line="retired")
    assert (await purge(store, settings, NOW)).conversations == 1
    assert await store.messages("retired-old") == []
    assert await roles(store, "retired-new") == ALL


# safeguarding holds ---------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_held_conversation_survives_until_the_hold_ends(
    settings: Settings, store: SqliteStore
) -> None:
    """A supervisor's hold keeps an acute conversation for follow-up; when the hold lapses
    the conversation goes at the next purge, and the lapse is in the audit log."""
    settings = policy(settings, transcripts_days=0, notes_days=0)
    await chat(store, "held", NOW)
    await chat(store, "other", NOW)
    await store.add_hold(new_hold(settings, "held", "sup1", "acute risk, team follows up", NOW, 7))

    report = await purge(store, settings, NOW + DAY)
    assert (report.conversations, report.held) == (1, 1)
    assert (
        report.lines()[-1] == "1 conversation due for removal was kept back by a safeguarding hold."
    )
    assert await roles(store, "held") == ALL
    assert await store.messages("other") == []

    dry = await purge(store, settings, NOW + 7 * DAY, dry_run=True)
    assert (dry.holds_lapsed, dry.conversations, dry.held) == (1, 1, 0)
    assert dry.lines()[0] == "Would release 1 safeguarding hold past its term."
    assert await store.hold("held") is not None  # a dry run releases nothing

    report = await purge(store, settings, NOW + 7 * DAY)
    assert (report.holds_lapsed, report.conversations, report.held) == (1, 1, 0)
    assert await store.messages("held") == []
    assert await store.holds() == []
    [lapse] = await store.audit_entries(NOW, NOW + 7 * DAY)
    assert (lapse.action, lapse.conversation_id, lapse.detail) == ("hold_lapsed", "held", "sup1")


@pytest.mark.asyncio
async def test_a_hold_never_outlasts_the_configured_maximum(
    settings: Settings, store: SqliteStore
) -> None:
    """Lowering hold_max_days also shortens holds already placed: no hold keeps text longer
    than the organisation's current policy allows."""
    await chat(store, "c1", NOW - 40 * DAY)
    await store.add_hold(Hold("c1", "sup1", "follow-up", NOW - 20 * DAY, NOW + 100 * DAY))
    assert (await purge(store, settings, NOW)).held == 1  # 30-day maximum: 10 days left
    shorter = policy(settings, hold_max_days=10)
    [hold] = await store.holds()
    assert hold_ends(hold, shorter) == NOW - 10 * DAY
    report = await purge(store, shorter, NOW)
    assert (report.holds_lapsed, report.messages) == (1, 3)


def test_a_new_hold_follows_the_policy(settings: Settings) -> None:
    """A hold needs a reason and lasts at most hold_max_days (the default is the maximum)."""
    hold = new_hold(settings, "c1", "sup1", "  acute risk  ", NOW)
    assert hold == Hold("c1", "sup1", "acute risk", NOW, NOW + 30 * DAY)
    assert new_hold(settings, "c1", "sup1", "x", NOW, days=1).expires_at == NOW + DAY
    for reason, days in (("", None), ("   ", 3), ("x" * 501, 3), ("ok", 0), ("ok", 31)):
        with pytest.raises(InvalidPayload):
            new_hold(settings, "c1", "sup1", reason, NOW, days)
