"""The storage contract: what volunteers, visitors and supervisors rely on after a write.

The first part runs against every backend (see ``conftest.py``); the last part checks what only
the embedded SQLite store promises about its file on disk, its commits and its schema.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from chatserver.backends import embedded
from chatserver.backends.base import (
    HIST_BOUNDS,
    AuditEntry,
    Hold,
    HourHistogram,
    HourStats,
    Session,
    StatsDelta,
    Store,
    hist_bucket,
)
from chatserver.backends.embedded import SqliteStore
from chatserver.hub.model import (
    Account,
    Conversation,
    ConversationState,
    Message,
    Risk,
    Role,
    Wrapup,
)
from chatserver.privacy.sanitize import to_html

from .conftest import Opener, StoreFactory

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
HOUR0 = int(T0 // 3600) * 3600


def account(n: int = 1, **changes: object) -> Account:
    base = Account(
        id=f"op{n}",
        username=f"volunteer{n}",
        alias=f"Sam{n}",
        role="volunteer",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        lines=("general", "youth"),
        languages=("nl",),
        capacity=2,
        backup=True,
        active=False,
        totp_secret="JBSWY3DPEHPK3PXP",
        created_at=T0 - 86400,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def conversation(cid: str = "c1", **changes: object) -> Conversation:
    base = Conversation(
        id=cid,
        line="general",
        lang="nl",
        state=ConversationState.WAITING,
        token_hash=f"hash-{cid}",
        created_at=T0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def message(cid: str, seq: int, text: str | None = None, **changes: object) -> Message:
    """A message as the hub posts it: with its HTML made once, kept beside its text."""
    text = text if text is not None else f"message {seq} of {cid}"
    base = Message(
        id=f"{cid}-{seq}",
        conversation_id=cid,
        seq=seq,
        role=Role.VISITOR,
        text=text,
        at=T0 + seq,
        html=to_html(text),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def ended(cid: str, assigned_at: float | None, ended_at: float, **changes: object) -> Conversation:
    return conversation(
        cid,
        state=ConversationState.ENDED,
        assigned_at=assigned_at,
        answered=assigned_at is not None,
        ended_at=ended_at,
        **changes,
    )


# accounts and sessions -----------------------------------------------------------------------
@pytest.mark.asyncio
async def test_account_round_trip(store: Store) -> None:
    """An administrator's new volunteer can log in with every setting they were given."""
    volunteer = account(1)
    await store.add_account(volunteer)
    assert await store.account("op1") == volunteer
    assert await store.account_by_username("volunteer1") == volunteer
    assert await store.account("nobody") is None
    assert await store.account_by_username("nobody") is None


@pytest.mark.asyncio
async def test_usernames_are_case_insensitive_and_unique(store: Store) -> None:
    """A volunteer logs in however they type their name, and no one can take it twice."""
    await store.add_account(account(1, username="Anouk"))
    found = await store.account_by_username("ANOUK")
    assert found is not None and found.id == "op1"
    assert found.username == "anouk"
    with pytest.raises(ValueError):
        await store.add_account(account(2, username="anouk"))
    assert [a.id for a in await store.accounts()] == ["op1"]


@pytest.mark.asyncio
async def test_accounts_lists_everyone(store: Store) -> None:
    """The admin page shows every account, with defaults kept as they were."""
    await store.add_account(account(2))
    await store.add_account(Account("op1", "alice", "Al", "admin", "h"))
    listed = {a.id: a for a in await store.accounts()}
    assert listed == {"op1": Account("op1", "alice", "Al", "admin", "h"), "op2": account(2)}


@pytest.mark.asyncio
async def test_session_round_trip_touch_and_delete(store: Store) -> None:
    """A volunteer stays logged in while active and is logged out for good after logout."""
    await store.add_account(account(1))
    session = Session("tokenhash", "op1", "csrf-value", T0, T0)
    await store.add_session(session)
    assert await store.session("tokenhash") == session
    await store.touch_session("tokenhash", T0 + 60)
    assert await store.session("tokenhash") == dataclasses.replace(session, last_seen=T0 + 60)
    await store.delete_session("tokenhash")
    assert await store.session("tokenhash") is None
    await store.delete_session("tokenhash")  # logging out twice is harmless


@pytest.mark.asyncio
async def test_update_account_replaces_every_field_by_id(store: Store) -> None:
    """An administrator's edit, a password or 2FA reset and a deactivation all stick, and
    nothing else changes: not the id, not the creation time, not another account."""
    await store.add_account(account(1))
    await store.add_account(account(2))
    changed = dataclasses.replace(
        account(1),
        username="Renamed",
        alias="Robin",
        role="supervisor",
        password_hash="$argon2id$new",
        lines=(),
        languages=("en", "nl"),
        capacity=3,
        backup=False,
        active=True,
        totp_secret=None,
        created_at=0.0,  # ignored: an account is created once
    )
    await store.update_account(changed)
    expected = dataclasses.replace(changed, username="renamed", created_at=T0 - 86400)
    assert await store.account("op1") == expected
    assert await store.account_by_username("RENAMED") == expected
    assert await store.account_by_username("volunteer1") is None
    assert await store.account("op2") == account(2)
    await store.update_account(dataclasses.replace(expected, totp_secret="NEWSECRETNEWSECR"))
    found = await store.account("op1")
    assert found is not None and found.totp_secret == "NEWSECRETNEWSECR"
    with pytest.raises(ValueError):  # another account's username
        await store.update_account(dataclasses.replace(expected, username="volunteer2"))
    with pytest.raises(KeyError):
        await store.update_account(account(9))
    assert await store.account("op9") is None


@pytest.mark.asyncio
async def test_delete_sessions_of_ends_only_that_operators_sessions(store: Store) -> None:
    """Deactivating someone logs them out everywhere (every browser), and nobody else."""
    await store.add_account(account(1))
    await store.add_account(account(2))
    for name, operator in (("a", "op1"), ("b", "op1"), ("c", "op2")):
        await store.add_session(Session(name, operator, "csrf", T0, T0))
    assert await store.delete_sessions_of("op1") == 2
    assert await store.session("a") is None and await store.session("b") is None
    assert await store.session("c") is not None
    assert await store.delete_sessions_of("op1") == 0


@pytest.mark.asyncio
async def test_expire_sessions_ends_only_the_idle_ones(store: Store) -> None:
    """Idle sessions end, and say which, so their open consoles can be closed; one touched
    since is kept."""
    await store.add_account(account(1))
    for name, seen in (("old", T0), ("older", T0 - 10), ("fresh", T0 + 100)):
        await store.add_session(Session(name, "op1", "csrf", T0 - 10, seen))
    assert sorted(await store.expire_sessions(T0 + 1)) == ["old", "older"]
    assert await store.session("old") is None and await store.session("fresh") is not None
    assert await store.expire_sessions(T0 + 1) == []


# conversations ---------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_conversation_round_trip_every_field(store: Store) -> None:
    """A conversation comes back exactly as the hub left it, intake and risk included."""
    full = conversation(
        "c1",
        state=ConversationState.WRAPUP,
        intake={"age": "16-18", "topic": "eenzaamheid — 'ik'"},
        priority=3,
        operator_id="op1",
        assigned_at=T0 + 30,
        ended_at=T0 + 900,
        ended_by="visitor",
        end_reason="left",
        risk=Risk.HIGH,
        last_seq=42,
        answered=True,
    )
    await store.save_conversation(full)
    assert await store.conversation("c1") == full
    assert await store.conversation_by_token("hash-c1") == full
    assert await store.conversation("c2") is None
    assert await store.conversation_by_token("unknown") is None


@pytest.mark.asyncio
async def test_saving_again_replaces_the_record_and_keeps_messages(store: Store) -> None:
    """A state change of a chat never loses its transcript."""
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1))
    active = conversation("c1", state=ConversationState.ACTIVE, operator_id="op1", answered=True)
    await store.save_conversation(active)
    assert await store.conversation("c1") == active
    assert [m.seq for m in await store.messages("c1")] == [1]


@pytest.mark.asyncio
async def test_open_conversations_leave_out_ended_ones(store: Store) -> None:
    """After a restart, waiting and active chats are picked up again; ended ones are not."""
    await store.save_conversation(conversation("w", created_at=T0 + 2))
    await store.save_conversation(conversation("a", state=ConversationState.ACTIVE))
    await store.save_conversation(conversation("u", state=ConversationState.WRAPUP))
    await store.save_conversation(ended("e", T0 + 5, T0 + 50))
    assert sorted(c.id for c in await store.open_conversations()) == ["a", "u", "w"]


@pytest.mark.asyncio
async def test_wrapup_round_trip(store: Store) -> None:
    """A volunteer's wrap-up codes and risk level are kept for the statistics."""
    await store.save_conversation(conversation("c1"))
    wrapup = Wrapup("c1", "op1", ("loneliness", "school"), Risk.ACUTE, T0 + 1000)
    await store.save_wrapup(wrapup)
    assert await store.wrapup("c1") == wrapup
    assert await store.wrapup("c2") is None
    corrected = dataclasses.replace(wrapup, topics=(), risk=Risk.LOW)
    await store.save_wrapup(corrected)
    assert await store.wrapup("c1") == corrected


# messages -----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_messages_in_seq_order_and_after_seq(store: Store) -> None:
    """A visitor who reconnects gets exactly the messages they missed, in order."""
    await store.save_conversation(conversation("c1"))
    await store.save_conversation(conversation("c2"))
    for seq in (3, 1, 2):
        await store.append_message(message("c1", seq))
    note = message("c1", 4, "private note", role=Role.NOTE, author="op1")
    await store.append_message(note)
    await store.append_message(message("c2", 1))
    assert [m.seq for m in await store.messages("c1")] == [1, 2, 3, 4]
    assert await store.messages("c1", after_seq=2) == [message("c1", 3), note]
    assert await store.messages("c1", after_seq=4) == []
    assert await store.messages("nobody") == []


@pytest.mark.asyncio
async def test_a_message_keeps_the_alias_its_author_had(store: Store) -> None:
    """A transcript names "Sam" above Sam's words later on, whatever Sam is called by then."""
    await store.save_conversation(conversation("c1"))
    said = message("c1", 1, "Ik ben er", role=Role.OPERATOR, author="op1", author_alias="Sam")
    await store.append_message(said)
    await store.append_message(message("c1", 2))
    assert await store.messages("c1") == [said, message("c1", 2)]
    assert (await store.messages("c1"))[1].author_alias is None


@pytest.mark.asyncio
async def test_a_system_line_keeps_its_code_and_parameters(store: Store) -> None:
    """A volunteer's console words "Sam is here" in its own language later on: the code and
    its parameters come back with the stored (visitor's language) text."""
    await store.save_conversation(conversation("c1"))
    line = message(
        "c1", 1, "Sam is er om met je te praten.", role=Role.SYSTEM, code="assigned",
        params={"alias": "Sam"},
    )  # fmt: skip
    await store.append_message(line)
    await store.append_message(message("c1", 2))
    assert await store.messages("c1") == [line, message("c1", 2)]
    plain = (await store.messages("c1"))[1]
    assert (plain.code, plain.params) == (None, {})


@pytest.mark.asyncio
async def test_concurrent_messages_all_land(store: Store) -> None:
    """On a busy evening, every acknowledged message of every chat is in the transcript."""
    chats = [f"c{n}" for n in range(10)]
    for cid in chats:
        await store.save_conversation(conversation(cid))
    await asyncio.gather(
        *(store.append_message(message(cid, seq)) for seq in range(1, 21) for cid in chats)
    )
    for cid in chats:
        assert await store.messages(cid) == [message(cid, seq) for seq in range(1, 21)]


@pytest.mark.asyncio
async def test_a_failing_write_fails_alone(store: Store) -> None:
    """One bad write (a taken seq) is refused, while the messages sent alongside it arrive."""
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1, "the original"))
    results = await asyncio.gather(
        *(store.append_message(message("c1", seq)) for seq in range(2, 12)),
        store.append_message(message("c1", 1, "an impostor")),
        *(store.append_message(message("c1", seq)) for seq in range(12, 22)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], ValueError)
    stored = await store.messages("c1")
    assert [m.seq for m in stored] == list(range(1, 22))
    assert stored[0].text == "the original"


@pytest.mark.asyncio
async def test_erase_messages(store: Store) -> None:
    """'Delete my conversation' removes that transcript at once and nobody else's."""
    await store.save_conversation(conversation("c1"))
    await store.save_conversation(conversation("c2"))
    for seq in range(1, 6):
        await store.append_message(message("c1", seq))
    await store.append_message(message("c2", 1))
    assert await store.erase_messages("c1") == 5
    assert await store.messages("c1") == []
    assert await store.messages("c2") == [message("c2", 1)]
    assert await store.conversation("c1") is not None  # the record (no text) stays
    assert await store.erase_messages("c1") == 0


TRANSCRIPT = ("visitor", "operator", "system")
NOTES = ("note", "whisper")


async def _all_roles(store: Store, cid: str) -> None:
    """One message of every role: the three of the transcript, then a note and a whisper."""
    for seq, role in enumerate(Role, start=1):
        await store.append_message(message(cid, seq, f"{role} text of {cid}", role=role))


@pytest.mark.asyncio
async def test_erase_transcript_by_role(store: Store) -> None:
    """The purge can erase a transcript while the volunteers' notes keep their own term."""
    for cid in ("c1", "c2"):
        await store.save_conversation(conversation(cid))
        await _all_roles(store, cid)
    assert await store.erase_transcript("c1", TRANSCRIPT) == 3
    assert [m.role for m in await store.messages("c1")] == [Role.NOTE, Role.WHISPER]
    assert await store.erase_transcript("c1", TRANSCRIPT) == 0  # erasing again is harmless
    assert await store.erase_transcript("c1", ()) == 0
    assert await store.erase_transcript("c1", NOTES) == 2
    assert await store.messages("c1") == []
    assert len(await store.messages("c2")) == 5  # nobody else's
    assert await store.erase_transcript("c2") == 5  # None: every role, like erase_messages
    assert await store.conversation("c1") is not None  # the record (no text) stays


@pytest.mark.asyncio
async def test_ended_conversations(store: Store) -> None:
    """The purge finds the conversations ended before a moment, per line, oldest first."""
    await store.save_conversation(ended("late", T0, T0 + 300))
    await store.save_conversation(ended("early", T0, T0 + 100))
    await store.save_conversation(ended("youth", None, T0 + 50, line="youth"))
    await store.save_conversation(conversation("waiting"))
    await store.save_conversation(conversation("wrapup", state=ConversationState.WRAPUP))
    ids = [c.id for c in await store.ended_conversations(T0 + 1000)]
    assert ids == ["youth", "early", "late"]
    assert [c.id for c in await store.ended_conversations(T0 + 300)] == ["youth", "early"]
    assert [c.id for c in await store.ended_conversations(T0 + 1000, "general")] == [
        "early",
        "late",
    ]
    assert await store.ended_conversations(T0 + 50) == []  # strictly before
    [youth] = await store.ended_conversations(T0 + 1000, "youth")
    assert youth == ended("youth", None, T0 + 50, line="youth")


@pytest.mark.asyncio
async def test_ended_conversations_with_text_left(store: Store) -> None:
    """Once erased, a conversation is no longer work for the purge: years of records stay
    (for the statistics) without every purge walking through them again."""
    for cid in ("bare", "notes", "full"):
        await store.save_conversation(ended(cid, T0, T0 + 10))
    await _all_roles(store, "notes")
    await store.erase_transcript("notes", TRANSCRIPT)
    await _all_roles(store, "full")

    def found(conversations: list[Conversation]) -> list[str]:
        return sorted(c.id for c in conversations)

    assert found(await store.ended_conversations(T0 + 20)) == ["bare", "full", "notes"]
    assert found(await store.ended_conversations(T0 + 20, with_roles=TRANSCRIPT)) == ["full"]
    assert found(await store.ended_conversations(T0 + 20, with_roles=NOTES)) == ["full", "notes"]
    assert found(await store.ended_conversations(T0 + 20, "general", NOTES)) == ["full", "notes"]
    assert await store.ended_conversations(T0 + 20, with_roles=()) == []


def hold(cid: str = "c1", **changes: object) -> Hold:
    base = Hold(cid, "sup1", "acute risk, follow-up by the team", T0, T0 + 7 * 86400)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


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
def audit(at: float, action: str = "observe", **changes: object) -> AuditEntry:
    base = AuditEntry(at=at, actor="op9", action=action, conversation_id="c1")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


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


# restart ------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_everything_survives_a_restart(make_store: StoreFactory, opened: Opener) -> None:
    """After the server restarts, accounts, chats, transcripts and statistics are all there."""
    first = await opened(make_store())
    volunteer = account(1)
    chat = conversation("c1", state=ConversationState.ACTIVE, operator_id="op1", answered=True)
    session = Session("tokenhash", "op1", "csrf", T0, T0)
    wrapup = Wrapup("c1", "op1", ("school",), Risk.LOW, T0)
    await first.add_account(volunteer)
    await first.add_session(session)
    await first.save_conversation(chat)
    await asyncio.gather(*(first.append_message(message("c1", seq)) for seq in range(1, 51)))
    await first.save_wrapup(wrapup)
    await first.add_stats(StatsDelta("general", T0, offered=1, topics=("school",)))
    await first.close()
    await first.close()  # closing twice is harmless

    second = await opened(make_store())
    assert await second.account("op1") == volunteer
    assert await second.session("tokenhash") == session
    assert await second.open_conversations() == [chat]
    assert await second.messages("c1") == [message("c1", seq) for seq in range(1, 51)]
    assert await second.wrapup("c1") == wrapup
    [hour] = await second.hour_stats("general", T0, T0 + 1)
    assert hour.offered == 1 and hour.topics == {"school": 1}


@pytest.mark.asyncio
async def test_audit_log_survives_a_restart(make_store: StoreFactory, opened: Opener) -> None:
    """Who read along or took over is still known after the server restarts."""
    first = await opened(make_store())
    entries = [audit(T0 + n, action) for n, action in enumerate(("observe", "takeover"))]
    await asyncio.gather(*(first.add_audit(entry) for entry in entries))
    await first.close()
    second = await opened(make_store())
    assert await second.audit_entries(T0, T0 + 10) == entries


@pytest.mark.asyncio
async def test_holds_survive_a_restart(make_store: StoreFactory, opened: Opener) -> None:
    """A safeguarding hold still protects its conversation after the server restarts."""
    first = await opened(make_store())
    await first.save_conversation(ended("c1", T0, T0 + 10))
    await first.add_hold(hold("c1"))
    await first.close()
    second = await opened(make_store())
    assert await second.holds() == [hold("c1")]


@pytest.mark.asyncio
async def test_open_is_idempotent(make_store: StoreFactory, opened: Opener) -> None:
    """Starting the server twice on the same data, or opening twice, breaks nothing."""
    first = await opened(make_store())
    await first.open()
    await first.save_conversation(conversation("c1"))
    await first.close()
    second = await opened(make_store())
    assert await second.conversation("c1") == conversation("c1")


# the embedded store only ------------------------------------------------------------------------
MARKER = "QUOKKA-7731-erase-me"


def _raw(path: Path) -> bytes:
    """The database file and its WAL/SHM companions, byte for byte, as a thief would read them."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            data += part.read_bytes()
    return data


@pytest.mark.asyncio
async def test_erased_text_is_gone_from_the_disk(sqlite_path: Path, opened: Opener) -> None:
    """A visitor's erased words cannot be read back from the database or WAL file, even if
    the server is killed right after erasing."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(conversation("secret"))
    await store.save_conversation(conversation("kept"))
    for seq in range(1, 200):  # enough to spread over many pages
        await store.append_message(message("secret", seq, f"{MARKER} {seq} " + "x" * 300))
        await store.append_message(message("kept", seq, f"KEPT-TEXT {seq}"))
    assert MARKER.encode() in _raw(sqlite_path)

    assert await store.erase_messages("secret") == 199
    on_disk = _raw(sqlite_path)  # still open: what a kill -9 would leave behind
    assert MARKER.encode() not in on_disk
    assert b"KEPT-TEXT 199" in on_disk  # the check does read the data that is there

    await store.close()
    after = _raw(sqlite_path)
    assert MARKER.encode() not in after
    assert b"KEPT-TEXT 199" in after


@pytest.mark.asyncio
async def test_erased_text_leaves_no_fragments_after_busy_use(
    sqlite_path: Path, opened: Opener
) -> None:
    """Even after a long evening of chats ending and being erased (b-tree pages rebalanced
    many times), a scrub leaves no fragment of any erased transcript on the disk. (Without
    the scrub, this very sequence leaves pieces of the last erased chat in unused page space.)
    """
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    chats = [f"c{n}" for n in range(8)]
    for cid in chats:
        await store.save_conversation(conversation(cid))
    seqs = dict.fromkeys(chats, 0)

    async def chatter(rounds: int, among: list[str]) -> None:
        for n in range(rounds):
            cid = among[(n * 5 + n // 7) % len(among)]
            seqs[cid] += 1
            size = (5, 50, 300, 1000, 5000, 20000)[(n * 7) % 6] * ((n * 13) % 5) // 4
            await store.append_message(message(cid, seqs[cid], f"<{MARKER}:{cid}>" + "é" * size))

    await chatter(900, chats)
    erased: list[str] = []
    for cid in ("c3", "c0", "c6"):
        await store.erase_messages(cid)
        erased.append(cid)
        await chatter(300, [c for c in chats if c not in erased])
    await store.erase_messages("c5")
    erased.append("c5")
    await store.scrub()
    on_disk = _raw(sqlite_path)
    for cid in chats:
        assert (f"<{MARKER}:{cid}>".encode() in on_disk) == (cid not in erased), cid
    await store.close()
    after = _raw(sqlite_path)
    assert not [cid for cid in erased if f"<{MARKER}:{cid}>".encode() in after]


@pytest.mark.asyncio
async def test_a_partial_erase_is_gone_from_the_disk(sqlite_path: Path, opened: Opener) -> None:
    """Erasing a transcript but keeping its notes removes the transcript's words from the
    file and WAL at once, and after the scrub; the notes are still readable."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(ended("c1", T0, T0 + 10))
    for seq in range(1, 150):
        role = Role.NOTE if seq % 3 == 0 else Role.VISITOR
        text = f"NOTE-KEPT {seq}" if role == Role.NOTE else f"{MARKER} {seq} " + "y" * 200
        await store.append_message(message("c1", seq, text, role=role))
    assert await store.erase_transcript("c1", TRANSCRIPT) == 100
    for data in (_raw(sqlite_path), await _raw_after_scrub(store, sqlite_path)):
        assert MARKER.encode() not in data
        assert b"NOTE-KEPT 147" in data
    assert len(await store.messages("c1")) == 49


async def _raw_after_scrub(store: SqliteStore, path: Path) -> bytes:
    await store.scrub()
    return _raw(path)


@pytest.mark.asyncio
async def test_a_released_hold_leaves_no_reason_on_disk(sqlite_path: Path, opened: Opener) -> None:
    """A hold's reason may describe the visitor's situation: released, it is erased too."""
    store = SqliteStore(sqlite_path, scrub_delay=None)
    await opened(store)
    await store.save_conversation(ended("c1", T0, T0 + 10))
    await store.add_hold(hold("c1", reason=f"{MARKER} plans for friday"))
    assert MARKER.encode() in _raw(sqlite_path)
    assert await store.release_hold("c1")
    assert MARKER.encode() not in _raw(sqlite_path)
    await store.close()
    assert MARKER.encode() not in _raw(sqlite_path)


@pytest.mark.asyncio
async def test_scrub_follows_an_erase_by_itself(sqlite_path: Path, opened: Opener) -> None:
    """Nobody has to remember to clean up after a 'delete my conversation': it happens."""
    store = SqliteStore(sqlite_path, scrub_delay=0.01)
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1))
    vacuumed = asyncio.Event()
    real_scrub = store.scrub

    async def watched_scrub() -> None:
        await real_scrub()
        vacuumed.set()

    store.scrub = watched_scrub  # type: ignore[method-assign]
    await store.erase_messages("c1")
    await asyncio.wait_for(vacuumed.wait(), timeout=5)


@pytest.mark.asyncio
async def test_concurrent_writes_share_commits(sqlite_store: SqliteStore) -> None:
    """Many volunteers typing at once do not wait for one disk flush each (group commit)."""
    await sqlite_store.save_conversation(conversation("c1"))
    before = sqlite_store.commits
    await asyncio.gather(*(sqlite_store.append_message(message("c1", s)) for s in range(1, 201)))
    used = sqlite_store.commits - before
    assert 1 <= used < 200
    assert len(await sqlite_store.messages("c1")) == 200


@pytest.mark.asyncio
async def test_a_failing_write_in_a_batch_commits_the_rest_once(
    sqlite_store: SqliteStore,
) -> None:
    """A refused write costs its neighbours neither their data nor an extra disk flush."""
    await sqlite_store.save_conversation(conversation("c1"))
    await sqlite_store.append_message(message("c1", 1))
    before = sqlite_store.commits
    results = await asyncio.gather(
        sqlite_store.append_message(message("c1", 2)),
        sqlite_store.append_message(message("c1", 1, "duplicate")),
        sqlite_store.append_message(message("c1", 3)),
        return_exceptions=True,
    )
    assert results[0] is None and isinstance(results[1], ValueError) and results[2] is None
    assert sqlite_store.commits - before == 1
    assert [m.text for m in await sqlite_store.messages("c1")] == [
        message("c1", s).text for s in (1, 2, 3)
    ]


@pytest.mark.asyncio
async def test_a_write_is_all_or_nothing(sqlite_store: SqliteStore) -> None:
    """A write of several statements that fails half-way leaves no half of itself behind."""
    await sqlite_store.save_conversation(conversation("c1"))
    half = sqlite_store._write(
        ("UPDATE conversations SET priority = 9 WHERE id = ?", ("c1",)),
        ("INSERT INTO no_such_table VALUES (1)", ()),
    )
    results = await asyncio.gather(
        half, sqlite_store.append_message(message("c1", 1)), return_exceptions=True
    )
    assert isinstance(results[0], sqlite3.OperationalError) and results[1] is None
    stored = await sqlite_store.conversation("c1")
    assert stored is not None and stored.priority == 0
    assert len(await sqlite_store.messages("c1")) == 1


@pytest.mark.asyncio
async def test_message_for_unknown_conversation_is_refused(sqlite_store: SqliteStore) -> None:
    """A message can never end up detached from a conversation (and so escape its purge)."""
    with pytest.raises(ValueError):
        await sqlite_store.append_message(message("ghost", 1))


@pytest.mark.asyncio
async def test_durability_and_privacy_pragmas(sqlite_store: SqliteStore) -> None:
    """An acknowledged message survives a power cut, and erased rows are overwritten."""
    db = sqlite_store._db
    assert db is not None
    expected = {"journal_mode": "wal", "synchronous": 2, "secure_delete": 1, "foreign_keys": 1}
    for pragma, value in expected.items():
        [row] = await db.execute_fetchall(f"PRAGMA {pragma}")
        assert row[0] == value, pragma


@pytest.mark.asyncio
async def test_schema_version_and_migrations(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """An upgrade of chatserver migrates an existing file once and keeps its data."""
    store = SqliteStore(sqlite_path)
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await store.close()
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)

    later = [*embedded.MIGRATIONS, ("CREATE TABLE later_feature (x INTEGER)",)]
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", later)
    for _ in range(2):  # the second start finds nothing left to do
        store = SqliteStore(sqlite_path)
        await opened(store)
        assert await store.conversation("c1") == conversation("c1")
        await store.close()
        assert _user_version(sqlite_path) == len(later)


@pytest.mark.asyncio
async def test_a_file_from_before_the_audit_log_gains_it(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading from the first release keeps its chats and starts auditing."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:1])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    assert _user_version(sqlite_path) == 1
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    await store.add_audit(audit(T0))
    assert await store.audit_entries(T0, T0) == [audit(T0)]
    assert await store.conversation("c1") == conversation("c1")


@pytest.mark.asyncio
async def test_a_file_from_before_holds_gains_them(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps its chats and audit log, and supervisors can place holds."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:2])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(ended("c1", T0, T0 + 10))
    await store.add_audit(audit(T0))
    await store.close()
    assert _user_version(sqlite_path) == 2
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    await store.add_hold(hold("c1"))
    assert await store.holds() == [hold("c1")]
    assert await store.audit_entries(T0, T0) == [audit(T0)]
    assert await store.conversation("c1") == ended("c1", T0, T0 + 10)


@pytest.mark.asyncio
async def test_a_file_from_before_histograms_gains_them(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps its hourly figures; histograms start from the upgrade on."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:3])
    store = await opened(SqliteStore(sqlite_path))
    await store.add_stats(StatsDelta("general", T0, offered=1))
    await store.close()
    assert _user_version(sqlite_path) == 3
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert [h.offered for h in await store.hour_stats("general", T0, T0 + 3600)] == [1]
    assert await store.hour_histograms("general", T0, T0 + 3600) == []
    await store.add_stats(StatsDelta("general", T0, answered=1, wait=70.0))
    [hour] = await store.hour_histograms("general", T0, T0 + 3600)
    assert hour.wait == [0, 0, 1, 0, 0, 0, 0, 0]


@pytest.mark.asyncio
async def test_a_file_from_before_author_aliases_keeps_its_messages(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps every message; the volunteers' ones gain their alias."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:4])
    store = await opened(SqliteStore(sqlite_path))
    await store.add_account(account(1))
    await store.save_conversation(conversation("c1"))
    await store.close()
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote them
        raw.executemany(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("c1", 1, "c1-1", "visitor", "hallo?", T0 + 1, None),
                ("c1", 2, "c1-2", "operator", "Ik ben er", T0 + 2, "op1"),
                ("c1", 3, "c1-3", "note", "rustig", T0 + 3, "op1"),
                ("c1", 4, "c1-4", "operator", "van wie?", T0 + 4, "op-unknown"),
            ],
        )
    assert _user_version(sqlite_path) == 4
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    kept = await store.messages("c1")
    assert [(m.seq, m.role, m.text, m.author) for m in kept] == [
        (1, Role.VISITOR, "hallo?", None),
        (2, Role.OPERATOR, "Ik ben er", "op1"),
        (3, Role.NOTE, "rustig", "op1"),
        (4, Role.OPERATOR, "van wie?", "op-unknown"),
    ]
    assert [m.author_alias for m in kept] == [None, "Sam1", "Sam1", None]
    later = message("c1", 5, "nog iets", role=Role.OPERATOR, author="op1", author_alias="Sam")
    await store.append_message(later)
    assert (await store.messages("c1", after_seq=4)) == [later]


@pytest.mark.asyncio
async def test_a_file_from_before_kept_html_gains_it_for_every_message(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """A helpline upgrading keeps every message, and each gains its sanitized HTML at the
    upgrade, so replaying an old transcript parses nothing."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:5])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    texts = ["zie www.113.nl", "<b>vet</b> & meer", "gewoon tekst"]
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote them
        raw.executemany(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author,"
            " author_alias) VALUES ('c1', ?, ?, 'visitor', ?, ?, NULL, NULL)",
            [(n, f"c1-{n}", text, T0 + n) for n, text in enumerate(texts, start=1)],
        )
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    kept = await store.messages("c1")
    assert [m.text for m in kept] == texts
    assert [m.html for m in kept] == [to_html(text) for text in texts]
    assert kept[0].html is not None and 'href="http://www.113.nl"' in kept[0].html


@pytest.mark.asyncio
async def test_a_file_from_before_system_codes_keeps_its_system_lines(
    sqlite_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Opener
) -> None:
    """After the upgrade, system lines written before it are kept as they were (shown as
    their stored text) and new ones carry their code."""
    monkeypatch.setattr(embedded.schema, "MIGRATIONS", embedded.MIGRATIONS[:5])
    store = await opened(SqliteStore(sqlite_path))
    await store.save_conversation(conversation("c1"))
    await store.close()
    with sqlite3.connect(sqlite_path) as raw:  # as the release before this one wrote it
        raw.execute(
            "INSERT INTO messages (conversation_id, seq, id, role, text, at, author, author_alias)"
            " VALUES ('c1', 1, 'c1-1', 'system', 'Sam is er.', ?, NULL, NULL)",
            (T0 + 1,),
        )
    assert _user_version(sqlite_path) == 5
    monkeypatch.undo()

    store = await opened(SqliteStore(sqlite_path))
    assert _user_version(sqlite_path) == len(embedded.MIGRATIONS)
    [old] = await store.messages("c1")
    assert (old.text, old.code, old.params) == ("Sam is er.", None, {})
    later = message("c1", 2, "x", role=Role.SYSTEM, code="requeued")
    await store.append_message(later)
    assert await store.messages("c1", after_seq=1) == [later]


@pytest.mark.asyncio
async def test_a_newer_database_is_refused(sqlite_path: Path) -> None:
    """Running an older chatserver on a newer file stops at start-up instead of damaging it."""
    with sqlite3.connect(sqlite_path) as raw:
        raw.execute(f"PRAGMA user_version = {len(embedded.MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        await SqliteStore(sqlite_path).open()


@pytest.mark.asyncio
async def test_no_column_can_hold_a_visitor_identity(sqlite_store: SqliteStore) -> None:
    """Privacy by construction: there is nowhere to put an address, user agent or cookie."""
    await sqlite_store.close()
    forbidden = re.compile(r"^ip$|^ip_|addr|agent|cookie|fingerprint|remote", re.IGNORECASE)
    with sqlite3.connect(sqlite_store.path) as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        columns = [c[1] for t in tables for c in raw.execute(f"PRAGMA table_info({t})")]
    assert columns and not [c for c in columns if forbidden.search(c)]


@pytest.mark.asyncio
async def test_database_file_is_private(sqlite_store: SqliteStore, sqlite_path: Path) -> None:
    """Transcripts on disk are readable by the server's own user only."""
    await sqlite_store.save_conversation(conversation("c1"))
    for suffix in ("", "-wal"):
        mode = stat.S_IMODE(os.stat(f"{sqlite_path}{suffix}").st_mode)
        assert mode & 0o077 == 0, suffix


@pytest.mark.asyncio
async def test_in_memory_store_for_tests(opened: Opener) -> None:
    """Fast hub tests can run on ':memory:' with the same behaviour."""
    store = SqliteStore(":memory:")
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await asyncio.gather(*(store.append_message(message("c1", s)) for s in range(1, 11)))
    assert await store.erase_messages("c1") == 10
    await store.close()


@pytest.mark.asyncio
async def test_writes_after_close_are_refused(sqlite_store: SqliteStore) -> None:
    """A late write during shutdown fails loudly instead of being silently dropped."""
    await sqlite_store.close()
    with pytest.raises(RuntimeError):
        await sqlite_store.save_conversation(conversation("c1"))


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])
