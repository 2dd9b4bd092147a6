"""Supervisors watch the floor: dashboard, observing, broadcasts, and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from chatserver.realtime.dashboard import DashboardFeed
from tests.e2e.conftest import Env, Peer


async def _dashboard_until(
    supervisor: Peer, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The first pushed dashboard that satisfies ``check`` (pushes are coalesced)."""
    board: dict[str, Any] = await supervisor.until("dashboard", check)
    return board


def _line(board: dict[str, Any], line: str = "chat") -> dict[str, Any]:
    return next(item for item in board["lines"] if item["id"] == line)


async def test_dashboard_follows_a_scripted_evening(env: Env) -> None:
    """Queue, volunteers, chats, risk and backup requests show up live on the dashboard."""
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    assert (await boss.call("monitor", {}))["ok"]
    first = await boss.next("dashboard")
    assert _line(first)["waiting"] == 0 and first["conversations"] == []

    await env.start()
    await env.start()
    await env.advance(90)
    board = await _dashboard_until(boss, lambda b: _line(b)["waiting"] == 2)
    assert _line(board)["longest_wait_seconds"] >= 90

    anna = await env.operator("anna", alias="Anna")
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    board = await _dashboard_until(
        boss, lambda b: _line(b)["waiting"] == 1 and _line(b)["active"] == 1
    )
    assert _line(board)["busy"] == 1 and _line(board)["paused"] == 1
    row = next(c for c in board["conversations"] if c["id"] == conversation)
    assert row["operator"] == "Anna" and row["risk"] == "none" and row["waited_seconds"] >= 90

    await anna.call("flag", {"conversation_id": conversation, "risk": "high"})
    await anna.call("backup_request", {"conversation_id": conversation, "reason": "zwaar"})
    board = await _dashboard_until(boss, lambda b: b["backup_requests"] != [])
    assert board["backup_requests"][0]["operator"] == "Anna"
    row = next(c for c in board["conversations"] if c["id"] == conversation)
    assert row["risk"] == "high"
    operator = next(o for o in board["operators"] if o["alias"] == "Anna")
    assert operator["load"] == 1 and operator["state"] == "available"
    assert "zwaar" not in str([c for c in board["conversations"]])  # no text in chat rows


async def test_observe_is_told_to_the_volunteer_and_audited(env: Env) -> None:
    """A supervisor reads along: the volunteer knows, the visitor does not, the admin sees it."""
    anna = await env.operator("anna")
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    visitor, _ = await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    watched = await boss.call("observe", {"conversation_id": conversation})
    assert watched["ok"] and watched["conversation"]["id"] == conversation
    assert (await anna.next("observed"))["by"] == "Sara"
    await visitor.call("message", {"text": "hallo"})
    assert (await boss.until("message", lambda m: m["role"] == "visitor"))["text"] == "hallo"
    await visitor.settle()
    assert visitor.pending("observed") == []
    assert (await boss.call("unobserve", {"conversation_id": conversation}))["ok"]
    assert (await anna.next("observed"))["active"] is False

    entries = await env.hub.store.audit_entries(0, env.clock.now() + 1)
    observe = [e for e in entries if e.action == "observe"]
    assert observe and observe[0].conversation_id == conversation
    assert observe[0].actor == boss.operator_id
    assert all("hallo" not in str(vars(e)) for e in entries)


async def test_broadcast_reaches_every_operator(env: Env) -> None:
    """A supervisor's broadcast reaches every operator online."""
    boss = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    team = [await env.operator(name) for name in ("anna", "bram")]
    assert (await boss.call("broadcast", {"text": "Druk vanavond, hou vol"}))["ok"]
    for peer in (*team, boss):
        assert await peer.next("broadcast") == {"text": "Druk vanavond, hou vol", "from": "Sara"}


async def test_volunteers_cannot_supervise_or_touch_others_chats(env: Env) -> None:
    """Monitor, observe and broadcast are for supervisors; others' chats are off limits."""
    anna = await env.operator("anna")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    bram = await env.operator("bram", status="paused")
    attempts = [
        ("monitor", {}),
        ("observe", {"conversation_id": conversation}),
        ("broadcast", {"text": "hoi"}),
        ("backup_join", {"conversation_id": conversation}),
        ("whisper", {"conversation_id": conversation, "text": "psst"}),
        ("takeover", {"conversation_id": conversation}),
        ("flag", {"conversation_id": conversation, "risk": "acute"}),
        ("handover", {"conversation_id": conversation, "to": "queue"}),
        ("handover_accept", {"conversation_id": conversation}),
        ("message", {"conversation_id": conversation, "text": "hoi"}),
        ("end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}),
    ]
    for event, data in attempts:
        answer = await bram.call(event, data)
        assert answer["error"]["code"] == "forbidden", (event, answer)
    assert anna.operator_id is not None
    assert (await env.hub.held(anna.operator_id))[0].risk.value == "none"
    await bram.settle()
    assert bram.pending("dashboard") == [] and bram.pending("broadcast") == []


async def test_audit_log_follows_the_retention_policy(env: Env) -> None:
    """Audit entries older than retention.audit_days disappear; newer ones stay."""
    anna = await env.operator("anna")
    boss = await env.operator("sara", status="paused", role="supervisor")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    await boss.call("observe", {"conversation_id": conversation})
    await env.advance(1)
    assert [e.action for e in await env.hub.store.audit_entries(0, env.clock.now())] == ["observe"]
    days = env.hub.settings.retention.audit_days
    await env.advance(days * 86400 - 10)
    # a year without activity ended every login and closed its console: anna logs in again,
    # within the grace period, and still holds the chat
    anna = await env.operator("anna")
    assert (await anna.call("backup_request", {"conversation_id": conversation}))["ok"]
    await env.advance(3600)
    remaining = await env.hub.store.audit_entries(0, env.clock.now())
    assert [e.action for e in remaining] == ["backup_request"]


async def test_no_dashboard_is_made_while_no_supervisor_is_online() -> None:
    """A snapshot reads the whole floor (on a shared floor, a round trip per open chat):
    nobody can be watching it unless a supervisor is online, so it is not made until then."""
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sent: list[str] = []
    made: list[int] = []
    online = [False]

    async def emit(event: str, data: Any, **_: Any) -> None:
        sent.append(event)

    async def snapshot() -> dict[str, Any]:
        made.append(1)
        return {}

    async def watched() -> bool:
        return online[0]

    sio.emit = emit
    feed = DashboardFeed(sio, snapshot, "supervisors", "/operator", 0.0, watched)
    for someone_online in (False, True):
        online[0] = someone_online
        feed.changed()
        assert feed._pending is not None
        await feed._pending
    assert (made, sent) == ([1], ["dashboard"])
