"""'Delete my conversation' across two nodes: a message in flight on the other node is not kept.

On one node the conversation lock orders things: a message already numbered is stored before
the erase, and goes with it. Two nodes have two locks. Node B numbers a volunteer's message on
the shared floor just before node A's forget marks the conversation forgotten there; A erases
the store; then B's write arrives. The shared store must refuse it, or the visitor's
conversation survives their "delete my conversation" one message at a time.

Two ``Hub`` objects on one Redis floor and one Redis store (same URL, same prefix), each with
its own connections, as two processes would have. Only B's store is a test double, and only in
*when* its write lands: it pauses after the floor numbered the message, until A's forget has
finished, which is the interleaving that used to leak.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from chatserver import accounts
from chatserver.backends.redis_store import RedisStore
from chatserver.errors import Forgotten
from chatserver.hub.model import Message, OperatorState, Role
from tests.hub.two_nodes import TwoNodes, two_redis_hubs

SECRET = "OKAPI-7731 what the volunteer wrote as the visitor pressed delete"


class LateStore(RedisStore):
    """Node B's store: a volunteer's message waits, once numbered, until ``go`` is set."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url, prefix, scrub_delay=None)
        self.numbered = asyncio.Event()
        self.go = asyncio.Event()

    async def append_message(self, message: Message) -> None:
        if message.role is Role.OPERATOR:
            self.numbered.set()
            await self.go.wait()
        await super().append_message(message)


Nodes = TwoNodes[LateStore]


@pytest.fixture
async def nodes() -> AsyncIterator[Nodes]:
    async with two_redis_hubs(LateStore) as made:
        yield made


async def _everything_under(url: str, prefix: str) -> str:
    """Every value of every key under the prefix, floor and records, as one text."""
    raw = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return await _values_under(raw, prefix)
    finally:
        await raw.aclose()


async def _values_under(raw: Any, prefix: str) -> str:
    """``raw``: with ``decode_responses`` every reply is ``str``, which redis-py's annotations
    cannot say."""
    found: list[str] = []
    async for key in raw.scan_iter(match=f"{prefix}*"):
        kind = await raw.type(key)
        if kind == "string":
            found.append(str(await raw.get(key)))
        elif kind == "hash":
            found += [f"{k}={v}" for k, v in (await raw.hgetall(key)).items()]
        elif kind == "zset":
            found += await raw.zrange(key, 0, -1)
        elif kind == "set":
            found += list(await raw.smembers(key))
        elif kind == "list":
            found += await raw.lrange(key, 0, -1)
        else:
            raise AssertionError(f"{key} is a {kind} the check cannot read")
    return "\n".join(found)


async def test_a_message_in_flight_on_another_node_does_not_outlive_forget(
    nodes: Nodes,
) -> None:
    ann = accounts.new_account("ann", "x" * 12, "volunteer", None)
    await nodes.b.store.add_account(ann)
    await nodes.b.operator_connected(ann)
    await nodes.b.set_status(ann.id, OperatorState.AVAILABLE)
    conversation, _ = await nodes.a.start_conversation("c1", "chat", "nl", True)
    live = await nodes.a.floor.conversation(conversation.id)
    assert live is not None and live.operator_id == ann.id  # node A routed to ann on B
    await nodes.a.visitor_message(conversation.id, "the visitor's first words")

    sending = asyncio.create_task(nodes.b.operator_message(ann.id, conversation.id, SECRET))
    await asyncio.wait_for(nodes.store_b.numbered.wait(), timeout=10)  # numbered on the floor
    stored = await nodes.a.store.messages(conversation.id)
    assert SECRET not in [m.text for m in stored]  # still on its way from B
    assert await nodes.a.forget(conversation.id) == len(stored)
    nodes.store_b.go.set()
    with pytest.raises(Forgotten):
        await sending  # the volunteer hears it was not kept

    assert await nodes.a.store.messages(conversation.id) == []
    assert await nodes.b.store.messages(conversation.id) == []
    everything = await _everything_under(nodes.url, nodes.prefix)
    assert "first words" not in everything and "OKAPI-7731" not in everything
    with pytest.raises(Forgotten):  # and nothing more gets in from either node
        await nodes.a.visitor_message(conversation.id, "one more")
