"""Transcripts disappear on schedule inside the running server, except under a hold."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chatserver.settings import load_settings
from tests.backends.factories import Backend
from tests.e2e.conftest import CONFIG, Env, running
from tests.floors import FloorKind

DAY = 86400


@pytest.fixture
async def week(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    """Transcripts and notes kept for 7 days; holds for at most 30."""
    settings = load_settings(CONFIG)
    retention = dataclasses.replace(
        settings.retention, transcripts_days=7, notes_days=7, hold_max_days=30
    )
    async with running(
        tmp_path,
        dataclasses.replace(settings, retention=retention),
        backend=backend,
        floor=floor_kind,
    ) as env:
        yield env


async def test_scheduled_purge_and_a_safeguarding_hold(week: Env) -> None:
    """After 7 days the transcript is gone, unless a supervisor held it (with a reason)."""
    env = week
    anna = await env.operator("anna")
    boss = await env.operator("sara", status="paused", role="supervisor")
    conversations = []
    for text in ("eerste gesprek", "tweede gesprek"):
        visitor, ack = await env.start()
        await visitor.call("message", {"text": text})
        conversation = ack["conversation_id"]

        # a def, not a lambda: mypy cannot type a lambda's default (which binds the loop value)
        def this_one(assigned: Any, wanted: str = conversation) -> bool:
            return bool(assigned["conversation"]["id"] == wanted)

        await anna.until("assigned", this_one)
        await anna.call(
            "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "high"}}
        )
        await anna.call("status", {"state": "available"})  # back after the debrief pause
        conversations.append(conversation)
    kept, purged = conversations

    refused = await anna.call("hold", {"conversation_id": kept, "reason": "zorgen"})
    assert refused["error"]["code"] == "forbidden"
    held = await boss.call(
        "hold", {"conversation_id": kept, "reason": "acute zorg, mogelijk nazorg", "days": 40}
    )
    assert held["error"]["code"] == "invalid_payload"  # longer than hold_max_days
    held = await boss.call(
        "hold", {"conversation_id": kept, "reason": "acute zorg, mogelijk nazorg", "days": 20}
    )
    assert held["ok"]

    await env.advance(6 * DAY)
    assert await env.hub.store.messages(purged)  # not yet
    await env.advance(2 * DAY)
    assert await env.hub.store.messages(purged) == []
    assert [m.text for m in await env.hub.store.messages(kept) if m.role == "visitor"] == [
        "eerste gesprek"
    ]
    await env.advance(13 * DAY)  # the hold has lapsed by itself
    assert await env.hub.store.messages(kept) == []
    assert await env.hub.store.conversation(kept) is not None  # statistics stay

    await env.account("root", role="admin")
    async with aiohttp.ClientSession() as http:
        http.cookie_jar.update_cookies({"chat_session": (await env.cookie("root")).split("=")[1]})
        audit = await (await http.get(f"{env.url}/api/audit?since=0")).json()
    actions = [e["action"] for e in audit["entries"]]
    assert "hold" in actions and "hold_lapsed" in actions


async def test_redaction_keeps_the_live_chat_and_cleans_the_stored_copy(
    tmp_path: Path, backend: Backend, floor_kind: FloorKind
) -> None:
    """With redact = true, the volunteer reads the number live; the transcript keeps none,
    not in its text and not in the HTML kept beside it."""
    settings = load_settings(CONFIG)
    lines = tuple(dataclasses.replace(line, redact=True) for line in settings.lines)
    async with running(
        tmp_path, dataclasses.replace(settings, lines=lines), backend=backend, floor=floor_kind
    ) as env:
        anna = await env.operator("anna")
        visitor, ack = await env.start()
        await anna.next("assigned")
        await visitor.call("message", {"text": "Bel me op 06-12345678 om 14:30, mail a@b.nl"})
        live = await anna.until("message", lambda m: m["role"] == "visitor")
        assert "06-12345678" in live["text"] and "a@b.nl" in live["text"]
        assert 'href="mailto:a@b.nl"' in live["html"]
        stored = await env.hub.store.messages(ack["conversation_id"])
        kept = next(m for m in stored if "14:30" in m.text)
        assert "06-12345678" not in kept.text and "a@b.nl" not in kept.text
        assert kept.html is not None and "14:30" in kept.html
        assert "06-12345678" not in kept.html and "a@b.nl" not in kept.html


async def test_reading_a_stored_transcript_is_for_supervisors_and_audited(env: Env) -> None:
    """After the chat ends a supervisor may read it back (audited, no text in the audit);
    a volunteer may not, and a live chat is not readable this way."""
    anna = await env.operator("anna")
    await env.operator("sara", status="paused", role="supervisor")
    visitor, ack = await env.start()
    conversation = ack["conversation_id"]
    await anna.next("assigned")
    await visitor.call("message", {"text": "ik wil iets vertellen"})
    url = f"{env.url}/api/conversations/{conversation}/transcript"
    env.clock.advance(30)  # a TOTP code is accepted once: this login needs the next one
    supervisor = {"Cookie": await env.cookie("sara")}
    async with aiohttp.ClientSession() as http:
        live = await http.get(url, headers=supervisor)
        assert live.status == 403
        await anna.call(
            "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
        )
        read = await http.get(url, headers=supervisor)
        body = await read.json()
        assert read.status == 200
        texts = [m["text"] for m in body["conversation"]["messages"]]
        assert "ik wil iets vertellen" in texts
        refused = await http.get(url, headers={"Cookie": await env.cookie("anna")})
        assert refused.status == 403
    entries = await env.hub.store.audit_entries(0, env.clock.now() + 1)
    reads = [e for e in entries if e.action == "transcript_read"]
    sara = await env.hub.store.account_by_username("sara")
    assert sara is not None
    assert [(e.actor, e.conversation_id) for e in reads] == [(sara.id, conversation)]
    assert all("vertellen" not in str(vars(e)) for e in entries)
