"""While Redis cannot be reached, a node answers ``unavailable`` and keeps its clients.

Issue 13: "While Redis is unreachable the nodes answer ``start`` with a clear ``unavailable``
error, keep their clients connected, and recover by themselves." What a visitor notices: the
chat says it cannot be reached for a moment (with the emergency numbers), the page does not
lose its connection, and trying again once Redis is back starts the chat.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from chatserver.backends import redis_client
from chatserver.realtime.fanout import FANOUT_CLIENT_NAME
from tests.distributed.inprocess import COMMAND_TIMEOUT, let_go, redis_node
from tests.redis_server import RedisServer

START = {"consent": True}


async def test_a_paused_redis_answers_unavailable_and_the_chat_starts_once_it_is_back(
    redis_server: RedisServer,
) -> None:
    """Redis hangs (SIGSTOP): ``start`` is answered ``unavailable`` within the command
    timeout, with the line's emergency numbers; the socket stays connected; after SIGCONT the
    same socket starts its chat."""
    async with redis_node(redis_server.url, "n1", lease=5.0) as env:
        visitor = await env.visitor()
        redis_server.pause()
        try:
            began = time.monotonic()
            refused = await visitor.call("start", START)
            took = time.monotonic() - began
        finally:
            redis_server.resume()
        assert refused["ok"] is False
        assert refused["error"]["code"] == "unavailable", refused
        assert any(c.get("phone") == "112" for c in refused["error"]["emergency"])
        assert took < 4 * COMMAND_TIMEOUT + 1, f"answered after {took:.1f} s"
        assert visitor.client.connected
        started = await visitor.call("start", START)
        assert started["ok"], started


async def test_a_restarted_redis_is_found_again_without_restarting_the_node(
    redis_server: RedisServer,
) -> None:
    """Redis stops: ``start`` is answered ``unavailable`` at once (the connection is
    refused), the socket stays. Redis restarts on its data: the node subscribes again and
    then closes its connections (what was published meanwhile is lost, and a client that
    reconnects resumes from the last message it saw); the page reconnects and its ``start``
    works, on connections the node made again by itself."""
    async with redis_node(redis_server.url, "n1", lease=5.0) as env:
        visitor = await env.visitor()
        redis_server.stop()
        refused = await visitor.call("start", START)
        assert refused["error"]["code"] == "unavailable", refused
        assert visitor.client.connected
        redis_server.start_again()
        await let_go(visitor)
        assert visitor.pending("draining") == []  # a repair, not a restart
        again = await env.visitor()
        started = await again.call("start", START)
        assert started["ok"], started


async def test_an_idle_subscription_outlives_the_command_timeout(
    redis_server: RedisServer,
) -> None:
    """The fan-out and the floor's feed subscribe on clients with a command timeout. A
    subscription that hears nothing for longer than that must not time out and resubscribe
    (messages published meanwhile would be lost): redis-py 8.2 reads it with no timeout."""
    listener = redis_client.connect(redis_server.url, 2, socket_timeout=0.2)
    publisher = aioredis.Redis.from_url(redis_server.url)
    pubsub = listener.pubsub()
    try:
        await pubsub.subscribe("probe")
        assert (await pubsub.get_message(timeout=1))["type"] == "subscribe"
        waiting = asyncio.ensure_future(pubsub.get_message(timeout=None))
        await asyncio.sleep(1.0)  # idle for five command timeouts: the point of the test
        assert not waiting.done(), waiting.result()
        await publisher.publish("probe", "hello")
        heard = await asyncio.wait_for(waiting, 2)
        assert heard["type"] == "message" and heard["data"] == "hello"
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await publisher.aclose()


async def test_a_message_missed_while_the_feed_was_lost_reaches_the_visitor_on_resume(
    redis_server: RedisServer,
) -> None:
    """The visitor is on n1, the volunteer on n2. Redis drops every subscription (as when it
    closes pub/sub clients over their output limit), and the volunteer's next message is
    posted before n1 subscribed again: pub/sub does not keep it for n1. Once subscribed again,
    n1 closes its visitor's connection; the page reconnects with its token and the last seq
    it saw, and gets the message it missed, in order."""
    async with redis_node(redis_server.url, "n1") as one, redis_node(redis_server.url, "n2") as two:
        volunteer = await two.operator("anna", alias="Anna")
        visitor, ack = await one.start()
        conversation = (await volunteer.next("assigned"))["conversation"]["id"]
        assert (await visitor.until("assigned", lambda _: True))["operator"] == "Anna"
        said = await volunteer.call("message", {"conversation_id": conversation, "text": "eerst"})
        seen = await visitor.until("message", lambda m: m["text"] == "eerst")
        assert seen["seq"] == said["seq"]
        killer = aioredis.Redis.from_url(redis_server.url)
        try:
            await killer.client_kill_filter(_type="pubsub")
        finally:
            await killer.aclose()
        missed = await volunteer.call("message", {"conversation_id": conversation, "text": "toen"})
        assert missed["ok"], missed
        await let_go(visitor)
        assert all(m["text"] != "toen" for m in visitor.pending("message"))
        back = await one.visitor(token=ack["token"], since=seen["seq"])
        resumed = await back.until("message", lambda m: m["seq"] > seen["seq"])
        assert resumed["text"] == "toen" and resumed["seq"] == missed["seq"]


async def test_events_missed_by_a_lost_fan_out_reach_the_visitor_on_resume(
    redis_server: RedisServer,
) -> None:
    """python-socketio's own Redis listener loses its subscription (the messages' feed is
    fine) and subscribes again a second later; what other nodes published meanwhile is gone
    for this node. Here: the visitor waits on n1 and a volunteer comes on duty on n2 in that
    second, so n2 assigns and n1 never hears ``assigned``. The node lets its sockets go once
    subscribed again, and the page, back with its token, learns who is with them."""
    async with redis_node(redis_server.url, "n1") as one, redis_node(redis_server.url, "n2") as two:
        visitor, ack = await one.start()
        await visitor.until("queue", lambda _: True)
        killer = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
        try:
            listeners = [
                c["id"]
                for c in await killer.client_list(_type="pubsub")
                if c.get("name") == FANOUT_CLIENT_NAME
            ]
            # n1 listens since its first socket; n2 has none yet (python-socketio starts the
            # listener with a node's first connection)
            assert listeners, "n1 listens to the fan-out"
            for client in listeners:
                await killer.client_kill_filter(_id=client)
        finally:
            await killer.aclose()
        volunteer = await two.operator("anna", alias="Anna")
        await volunteer.until("assigned", lambda _: True)
        await let_go(visitor)  # the repair, whether or not the event got through
        back = await one.visitor(token=ack["token"])
        assert await back.until("assigned", lambda _: True) == {"operator": "Anna"}
