"""What survives a restart: a store closed and another opened on the same storage, on every
backend.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from chatserver.backends.base import Session, StatsDelta
from chatserver.hub.model import ConversationState, Risk, Wrapup

from .conftest import Opener, StoreFactory
from .records import T0, account, audit, conversation, ended, hold, message


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
    # picked up with its last stored seq (the record itself was saved before the messages)
    assert await second.open_conversations() == [replace(chat, last_seq=50)]
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
