"""Two chat servers sharing their edges through Redis: what a visitor or an attacker notices.

Each server has its own store and hub (the floor stays each server's own here, to show the
edges alone at work; tests/distributed shares the floor too); only the edges are, as
``build_server(edges=...)`` takes them. A visitor blocked through one server is refused by
the other; a password guessed on one is locked on the other.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from chatserver.backends.redis_edges.build import redis_edges
from chatserver.clock import ManualClock
from chatserver.privacy.abuse import Limits
from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, PASSWORD, WEDNESDAY_EVENING, Env, running
from tests.edges.kit import ANSWER_WAIT
from tests.redis_server import RedisServer


@contextlib.asynccontextmanager
async def two_servers(tmp_path: Path, url: str, prefix: str) -> AsyncIterator[tuple[Env, Env]]:
    settings = load_settings(CONFIG)
    clock = ManualClock(WEDNESDAY_EVENING)
    period = settings.abuse.key_rotation_hours * 3600.0
    links = settings.follow_up.wrong_links_per_hour
    edges = [await redis_edges(url, clock, Limits(), period, links, prefix, ANSWER_WAIT)
             for _ in range(2)]  # fmt: skip
    async with (
        running(tmp_path / "a", settings, edges=edges[0], clock=clock) as a,
        running(tmp_path / "b", settings, edges=edges[1], clock=clock) as b,
    ):
        yield a, b


async def test_a_visitor_blocked_on_one_server_is_refused_by_the_other(
    tmp_path: Path, edge_redis: RedisServer, prefix: str
) -> None:
    """The volunteer on server A blocks; the same connection's next chat reaches server B
    and gets the neutral refusal with the emergency numbers; a new day lifts it on both."""
    async with two_servers(tmp_path, edge_redis.url, prefix) as (a, b):
        volunteer = await a.operator("anna")
        await a.start()
        conversation = (await volunteer.next("assigned"))["conversation"]["id"]
        assert (await volunteer.call("block", {"conversation_id": conversation}))["blocked"]
        refused = await (await b.visitor()).call("start", {"consent": True})
        assert refused["error"]["code"] == "blocked"
        assert any(c.get("phone") == "112" for c in refused["error"]["emergency"])
        a.clock.advance(86400)  # one clock for both servers: a new key on both
        assert (await (await b.visitor()).call("start", {"consent": True}))["ok"]


async def test_a_password_guessed_on_one_server_is_locked_on_the_other(
    tmp_path: Path, edge_redis: RedisServer, prefix: str
) -> None:
    """Five wrong passwords on server A lock the name for that connection on server B too,
    even with the right password: guessing gets one budget, not one per server."""
    async with two_servers(tmp_path, edge_redis.url, prefix) as (a, b):
        await a.account("anna")
        await b.account("anna")
        async with aiohttp.ClientSession() as http:
            for _ in range(5):
                wrong = {"username": "anna", "password": "guess guess guess"}
                assert (await http.post(f"{a.url}/api/session", json=wrong)).status == 401
            right = {"username": "anna", "password": PASSWORD}
            assert (await http.post(f"{b.url}/api/session", json=right)).status == 429
