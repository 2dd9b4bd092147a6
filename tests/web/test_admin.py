"""The audit log: administrators can check who observed, took over or handed on which chat.

Reading along and taking over are powers over someone in distress; they are acceptable only
because an administrator can see afterwards how they were used, and nobody else can.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from chatserver.backends.base import AuditEntry
from chatserver.clock import iso
from tests.e2e.conftest import Env

DAY = 24 * 3600


async def get(env: Env, path: str, cookie: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"Cookie": cookie} if cookie else {}
    async with aiohttp.ClientSession() as http, http.get(env.url + path, headers=headers) as r:
        return r.status, await r.json()


async def test_admin_reads_the_audit_log_of_the_last_week(env: Env) -> None:
    """Without a period an administrator sees the last seven days, oldest first, with names."""
    await env.account("beheer", role="admin")
    supervisor = await env.account("coordinator", role="supervisor")
    now = env.clock.now()
    store = env.hub.store
    await store.add_audit(AuditEntry(now - 8 * DAY, supervisor, "observe", "old"))
    await store.add_audit(AuditEntry(now - 60, supervisor, "takeover", "c1"))
    await store.add_audit(AuditEntry(now - 120, supervisor, "observe", "c1"))
    await store.add_audit(AuditEntry(now, "gone", "handover_offer", "c2", detail="op7"))

    status, body = await get(env, "/api/audit", await env.cookie("beheer"))

    assert status == 200 and body["ok"] is True
    assert body["entries"] == [
        {"at": iso(now - 120), "actor": supervisor, "actor_name": "coordinator",
         "action": "observe", "conversation_id": "c1", "detail": None},
        {"at": iso(now - 60), "actor": supervisor, "actor_name": "coordinator",
         "action": "takeover", "conversation_id": "c1", "detail": None},
        {"at": iso(now), "actor": "gone", "actor_name": None,
         "action": "handover_offer", "conversation_id": "c2", "detail": "op7"},
    ]  # fmt: skip


async def test_admin_chooses_the_period(env: Env) -> None:
    """since and until (epoch seconds) narrow the log; a malformed one is refused, not ignored."""
    await env.account("beheer", role="admin")
    cookie = await env.cookie("beheer")
    now = env.clock.now()
    for days in (30, 20, 10):
        await env.hub.store.add_audit(AuditEntry(now - days * DAY, "op1", f"d{days}"))

    status, body = await get(
        env, f"/api/audit?since={now - 25 * DAY}&until={now - 5 * DAY}", cookie
    )
    assert status == 200
    assert [entry["action"] for entry in body["entries"]] == ["d20", "d10"]

    for query in ("since=yesterday", "until=nan", f"since={now}&until={now - DAY}"):
        status, body = await get(env, f"/api/audit?{query}", cookie)
        assert (status, body["error"]["code"]) == (400, "invalid_payload"), query


@pytest.mark.parametrize("role", ["volunteer", "supervisor"])
async def test_only_administrators_read_the_audit_log(env: Env, role: str) -> None:
    """A volunteer or supervisor is logged in but not allowed: 403, and no entries leak."""
    await env.account("someone", role=role)
    await env.hub.store.add_audit(AuditEntry(env.clock.now(), "op1", "observe", "c1"))
    status, body = await get(env, "/api/audit", await env.cookie("someone"))
    assert status == 403
    assert body["ok"] is False and body["error"]["code"] == "forbidden"
    assert "entries" not in body


@pytest.mark.parametrize("cookie", [None, "chat_session=not-a-real-session"])
async def test_audit_log_needs_a_login(env: Env, cookie: str | None) -> None:
    """Without a valid session the answer is 401, whatever the query asks for."""
    status, body = await get(env, "/api/audit?since=0", cookie)
    assert status == 401
    assert body["ok"] is False and body["error"]["code"] == "unauthorized"


async def test_admin_lists_safeguarding_holds_and_volunteers_may_not(env: Env) -> None:
    """Administrators see which conversations are held back from the purge, why and until
    when; a volunteer is refused."""
    from chatserver.backends.base import Hold

    await env.account("beheer", role="admin")
    supervisor = await env.account("coordinator", role="supervisor")
    await env.account("vrijwilliger")
    _, ack = await env.start()
    now = env.clock.now()
    conversation = ack["conversation_id"]
    await env.hub.store.add_hold(Hold(conversation, supervisor, "nazorg", now, now + 9 * DAY))

    status, body = await get(env, "/api/holds", await env.cookie("beheer"))
    assert status == 200
    assert body["holds"] == [
        {"conversation_id": conversation, "by": supervisor, "by_name": "coordinator",
         "reason": "nazorg", "since": iso(now), "until": iso(now + 9 * DAY)}
    ]  # fmt: skip
    status, body = await get(env, "/api/holds", await env.cookie("vrijwilliger"))
    assert status == 403 and body["error"]["code"] == "forbidden"
