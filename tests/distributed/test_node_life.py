"""A node's lease: one name, one live node; a lapsed lease drops the node's sockets.

What people notice: a second server started by mistake under a running node's name refuses
to start (two nodes under one name would reap each other's visitors); a node restarted
under its own name after a crash comes back by itself; and a node cut off from Redis for
longer than its lease lets its visitors go (their pages reconnect, through the load balancer
to a live node) and then serves again, instead of writing over what the others did meanwhile.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import redis.asyncio as aioredis

from chatserver import shutdown
from chatserver.backends.redis_floor import RedisFloor
from chatserver.clock import SystemClock
from chatserver.node_life import NodeLife, NodeRefused
from tests.distributed.inprocess import LEASE, RedisEnv, let_go, redis_node, until
from tests.e2e.conftest import PASSWORD, TIMEOUT, Peer
from tests.redis_server import RedisServer


async def health(env: RedisEnv) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{env.url}/healthz") as answer:
        return answer.status


async def serving_again(env: RedisEnv) -> None:
    async def healthy() -> bool:
        return await health(env) == 200

    await until(healthy, "the node joined again")


async def test_a_second_node_under_a_running_nodes_name_refuses_to_start(
    redis_server: RedisServer,
) -> None:
    """Node n1 runs; another n1 waits one lease length for the name, then refuses, naming
    the fix; the running n1 goes on serving."""
    async with redis_node(redis_server.url, "n1") as env:
        floor = RedisFloor(redis_server.url)
        try:
            twin = NodeLife(floor, "n1", SystemClock(), ttl=LEASE, interval=0.2)
            began = time.monotonic()
            with pytest.raises(NodeRefused, match="its own --node name"):
                await twin.start()
            assert time.monotonic() - began >= LEASE  # it did wait for a lapse
        finally:
            await floor.close()
        assert await health(env) == 200
        assert (await (await env.visitor()).call("start", {"consent": True}))["ok"]


async def test_a_node_restarted_under_its_name_after_a_crash_joins(
    redis_server: RedisServer,
) -> None:
    """The previous run of n1 died holding the name (its lease still runs, nobody renews
    it): the new n1 starts once the lease lapsed, and serves."""
    floor = RedisFloor(redis_server.url)
    try:
        assert await floor.join("n1", LEASE)  # the crashed run's lease
    finally:
        await floor.close()
    began = time.monotonic()
    async with redis_node(redis_server.url, "n1") as env:
        assert time.monotonic() - began < LEASE + 3
        assert await health(env) == 200
        assert (await (await env.visitor()).call("start", {"consent": True}))["ok"]


async def test_a_node_whose_lease_lapsed_lets_its_sockets_go_and_serves_again(
    redis_server: RedisServer,
) -> None:
    """Redis hangs for longer than the lease: when it answers again the node finds its
    lease gone. Its visitor is told (``draining``) and its connection closed, so the page
    reconnects elsewhere; the node joins again by itself (``/healthz`` 200), and a new
    visitor can start a chat on it."""
    async with redis_node(redis_server.url, "n1") as env:
        visitor = await env.visitor()
        redis_server.pause()
        await asyncio.sleep(LEASE * 1.5)  # a hang longer than the lease: what is tested
        redis_server.resume()
        assert await visitor.next("draining") == {"retry_after": 1}

        await let_go(visitor)

        await serving_again(env)
        again = await env.visitor()
        assert (await again.call("start", {"consent": True}))["ok"]


async def test_one_node_letting_go_leaves_the_other_nodes_clients_alone(
    redis_server: RedisServer,
) -> None:
    """n1's lease is taken from it (as when the others reaped it), then n1 is stopped with
    SIGTERM's drain: both times only n1's visitor is told and let go; the visitor on n2 hears
    no ``draining`` and stays connected (the notice goes to this node's sockets, not through
    the Redis manager to every node's)."""
    async with redis_node(redis_server.url, "n1") as one, redis_node(redis_server.url, "n2") as two:
        here, there = await one.visitor(), await two.visitor()
        reaper = aioredis.Redis.from_url(redis_server.url)
        try:
            await reaper.delete("chat:node:n1")
        finally:
            await reaper.aclose()
        assert await here.next("draining") == {"retry_after": 1}
        await serving_again(one)
        fresh = await one.visitor()
        shutdown.stop_accepting(one.server)
        await shutdown.release_clients(one.server, 10)
        assert await fresh.next("draining") == {"retry_after": 10}
        await there.settle()
        assert there.pending("draining") == []
        assert there.client.connected


async def test_a_lapsed_node_writes_nothing_over_http_until_it_serves_again(
    redis_server: RedisServer,
) -> None:
    """n1 lapses and cannot join again for as long as another configuration is claimed on the
    shared Redis (the settings are checked with every heartbeat). Meanwhile a volunteer's
    login there is answered ``503 unavailable`` and leaves no session in Redis, and so is a
    logout; once the other configuration is gone, n1 joins again and the same login works."""
    async with redis_node(redis_server.url, "n1") as env:
        await env.account("anna")
        visitor = await env.visitor()
        shared = aioredis.Redis.from_url(redis_server.url)
        try:
            await shared.set("chat:config", "another configuration's fingerprint")
            assert await visitor.next("draining") == {"retry_after": 1}
            assert await health(env) == 503

            async with aiohttp.ClientSession() as http:
                login = {"username": "anna", "password": PASSWORD}
                async with http.post(f"{env.url}/api/session", json=login) as answer:
                    assert answer.status == 503
                    assert (await answer.json())["error"]["code"] == "unavailable"
                    assert "chat_session" not in answer.cookies
                async with http.delete(f"{env.url}/api/session") as answer:
                    assert answer.status == 503
            assert [key async for key in shared.scan_iter("chat:rec:sess:*")] == []

            await shared.delete("chat:config")
            await serving_again(env)
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{env.url}/api/session", json=login) as answer,
            ):
                assert answer.status == 200
            assert len([key async for key in shared.scan_iter("chat:rec:sess:*")]) == 1
        finally:
            await shared.aclose()


async def test_a_lapsed_node_gives_up_the_leader_lease(redis_server: RedisServer) -> None:
    """n1 leads the sweep; when its lease lapses it resigns at once, so another node can take
    the floor-wide work (reaping, grace periods) without waiting out n1's leader lease."""
    async with redis_node(redis_server.url, "n1") as env:
        assert await env.mode.floor.lead("n1", 60.0)  # a lease that would outlast the test
        shared = aioredis.Redis.from_url(redis_server.url)
        try:
            assert await shared.get("chat:leader") == b"n1"
            await shared.delete("chat:node:n1")

            async def resigned() -> bool:
                return await shared.get("chat:leader") is None

            await until(resigned, "n1 gave up the leader lease")
        finally:
            await shared.aclose()


async def test_a_node_that_missed_its_lapse_lets_new_connections_go(
    redis_server: RedisServer,
) -> None:
    """n1 stops renewing its lease (paused) but still serves: it has not noticed yet. The
    others find its lease gone and reap it. A volunteer's console and a returning visitor
    that reach n1 now are not put on the floor from it: each is told ``draining`` and let go,
    so it reconnects to a live node, and neither looks online from n1 for ever."""
    async with redis_node(redis_server.url, "n1") as env:
        visitor, ack = await env.start()
        await visitor.disconnect()
        anna = await env.account("anna")
        cookie = await env.cookie("anna")

        await env.mode.life.stop()  # no more heartbeats; the node itself goes on serving
        floor = env.mode.floor

        async def reaped() -> bool:
            if "n1" not in await floor.dead_nodes():
                return False
            await floor.reap("n1", env.clock.now())
            return True

        await until(reaped, "n1's lease lapsed and n1 was reaped")

        console = Peer("/operator")
        await console.client.connect(
            env.url,
            namespaces=["/operator"],
            headers={"Cookie": cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        env.peers.append(console)
        assert await console.next("draining") == {"retry_after": 1}
        await let_go(console)
        assert await floor.presence(anna) is None

        back = await env.visitor(token=ack["token"])
        assert await back.next("draining") == {"retry_after": 1}
        await let_go(back)
        conversation = await floor.conversation(ack["conversation_id"])
        assert conversation is not None and conversation.visitor_connections == 0
        assert await floor.dead_nodes() == []
