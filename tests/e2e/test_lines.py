"""Opening hours and limits as a visitor meets them, and the public line API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp

from tests.e2e.conftest import Env

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_closed_line_refuses_and_names_next_opening(env: Env) -> None:
    """On Saturday the evening line is closed: start says so, with Monday 19:00 and 112."""
    env.clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=AMSTERDAM))
    visitor = await env.visitor("evening")
    answer = await visitor.call("start", {"consent": True})
    error = answer["error"]
    assert error["code"] == "closed"
    assert error["next_open"] == "2026-11-30T18:00:00.000Z"  # Monday 19:00 in Amsterdam
    assert any(c.get("phone") == "112" for c in error["emergency"])

    async with aiohttp.ClientSession() as http:
        listed = await (await http.get(f"{env.url}/api/lines/evening?lang=en")).json()
    assert listed["open"] is False and listed["next_open"] == "2026-11-30T18:00:00.000Z"
    assert listed["emergency"][0]["label"] == "In danger: 112"


async def test_full_queue_refuses(env: Env) -> None:
    """The sixth visitor on a line with room for five is told the queue is full."""
    for _ in range(5):
        await env.start()
    visitor = await env.visitor()
    assert (await visitor.call("start", {"consent": True}))["error"]["code"] == "queue_full"


async def test_consent_is_required(env: Env) -> None:
    """Nobody enters the queue without accepting the privacy statement."""
    visitor = await env.visitor()
    assert (await visitor.call("start", {"consent": False}))["error"]["code"] == "consent_required"
    assert (await env.hub.line_status("chat")).waiting == 0


async def test_public_line_api_and_health(env: Env) -> None:
    """The website can show whether a line is open and how many people wait."""
    await env.start()
    async with aiohttp.ClientSession() as http:
        health = await http.get(f"{env.url}/healthz")
        assert health.status == 200 and await health.json() == {"status": "ok"}
        lines = (await (await http.get(f"{env.url}/api/lines")).json())["lines"]
        chat = next(line for line in lines if line["id"] == "chat")
        assert chat["open"] is True and chat["waiting"] == 1 and chat["next_open"] is None
        assert chat["name"] == "Chat met ons"
        missing = await http.get(f"{env.url}/api/lines/nope")
        assert missing.status == 404
        assert (await missing.json())["error"]["code"] == "unknown_line"
