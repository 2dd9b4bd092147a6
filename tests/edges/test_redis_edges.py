"""Redis only: the pseudonym key is shared by the nodes and never stored; edge keys stay
bounded and carry no address.

The nodes here are ``RedisPseudonyms`` objects with their own connections on the tests'
``redis-server``, which persists like production (append-only, fsync on every write), so
"never written to disk" is checked on the bytes of its data directory.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from chatserver import accounts
from chatserver.backends.redis_edges import connect
from chatserver.backends.redis_edges.pseudonyms import RedisPseudonyms, next_secret
from chatserver.clock import ManualClock
from tests.edges.kit import ANSWER_WAIT, PERIOD, redis_kit, redis_node
from tests.redis_server import RedisServer

ADDRESS = "203.0.113.7"


class Outsider:
    """Someone subscribed to the key channel: what it hears is all that went over Redis."""

    def __init__(self, url: str, channel: str) -> None:
        self.client = connect(url)
        self.channel = channel
        self.heard: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._pubsub: Any = None
        self._more = asyncio.Event()

    async def start(self) -> None:
        self._pubsub = self.client.pubsub()
        await self._pubsub.subscribe(self.channel)
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            try:
                event = await self._pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=None)  # fmt: skip
            except (aioredis.ConnectionError, RuntimeError):
                return  # stopped
            if event is not None:
                self.heard.append(str(event["data"]))
                self._more.set()

    def keys_heard(self) -> list[dict[str, Any]]:
        return [m for m in map(json.loads, self.heard) if "have" in m and m["have"] != "late"]

    async def ask(self, answers: int) -> list[dict[str, Any]]:
        """Ask the nodes for the key as a starting node would, and wait for ``answers``
        answers. A node answers after it has handled everything published before."""
        return await self.publish({"ask": "outsider"}, answers)

    async def publish(self, message: dict[str, Any], answers: int) -> list[dict[str, Any]]:
        """Publish ``message`` on the channel, and wait for ``answers`` keys handed over."""
        before = len(self.keys_heard())
        await self.client.publish(self.channel, json.dumps(message))
        async with asyncio.timeout(5):
            while len(self.keys_heard()) < before + answers:
                self._more.clear()
                await self._more.wait()
        return self.keys_heard()[before:]

    async def stop(self) -> None:
        await self._pubsub.aclose()  # first: redis-py's blocking read may not give way to
        if self._task is not None:  # a plain cancel (as in RedisPseudonyms.close)
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)
        await self.client.aclose()


async def _everything(url: str, prefix: str) -> str:
    """Every key under the prefix and every value in it, as text."""
    client = connect(url)
    try:
        parts = []
        async for key in client.scan_iter(match=f"{prefix}*"):
            kind = str(await client.type(key))
            value = {
                "string": client.get, "hash": client.hgetall, "set": client.smembers,
            }[kind](key)  # fmt: skip
            parts.append(f"{key!s}={await value!r}")
        return "\n".join(parts)
    finally:
        await client.aclose()


def _disk(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


async def test_nodes_share_one_key_that_is_never_stored(edge_redis: RedisServer,
                                                        prefix: str) -> None:  # fmt: skip
    """Two nodes give an address the same pseudonym; a third started later is handed the
    key; after the period turns all three change key together and still agree. The key went
    over pub/sub only: no Redis key holds it and Redis's data directory never saw it."""
    outsider = Outsider(edge_redis.url, f"{prefix}pseudonym-key")
    await outsider.start()
    kit = await redis_kit(edge_redis.url, prefix)
    try:
        a, b = kit.nodes
        first = a.pseudonyms.of(ADDRESS)
        assert b.pseudonyms.of(ADDRESS) == first
        c = await redis_node(kit, edge_redis.url, prefix)
        assert c.pseudonyms.of(ADDRESS) == first
        source = c.pseudonyms.of(ADDRESS)
        await c.guard.started(source, "c1")
        await c.guard.block_conversation("c1")
        kit.clock.advance(PERIOD)
        turned = {node.pseudonyms.of(ADDRESS) for node in (a, b, c)}
        assert len(turned) == 1 and first not in turned
        await outsider.ask(answers=3)  # after all that was published before
        by_period: dict[int, set[str]] = {}
        for message in outsider.keys_heard():
            by_period.setdefault(message["period"], set()).add(message["secret"])
        (earlier,), (later,) = by_period.values()  # one key per period, on every node
        assert bytes.fromhex(later) == next_secret(bytes.fromhex(earlier))  # the ratchet
        secrets = {earlier, later}
        stored = await _everything(edge_redis.url, prefix)
        disk = _disk(edge_redis.folder)
        for secret in secrets:
            assert secret not in stored and secret.encode() not in disk
            assert bytes.fromhex(secret) not in disk
        assert first in stored and first.encode() in disk  # the block, under the pseudonym,
        # is in the append-only file (so this look at the disk sees what Redis writes) ...
        assert ADDRESS not in stored and ADDRESS.encode() not in disk  # ... never the address
    finally:
        await kit.close()
        await outsider.stop()


async def test_nodes_starting_together_agree_on_one_key(edge_redis: RedisServer,
                                                        prefix: str) -> None:  # fmt: skip
    """A cold start of several nodes at once: each may make a key, and they converge on one
    before long, so a block holds across them."""
    clients = [connect(edge_redis.url) for _ in range(3)]
    clock = ManualClock()
    nodes = [RedisPseudonyms(client, clock, PERIOD, prefix, ANSWER_WAIT) for client in clients]
    outsider = Outsider(edge_redis.url, f"{prefix}pseudonym-key")
    await outsider.start()
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        keys = set()
        for _ in range(10):  # each round: every node answers once it handled what came first
            keys = {message["secret"] for message in await outsider.ask(answers=3)}
            if len(keys) == 1:
                break
        assert len(keys) == 1
        assert len({node.of(ADDRESS) for node in nodes}) == 1
    finally:
        await outsider.stop()
        for node in nodes:
            await node.close()
        for client in clients:
            await client.aclose()


async def test_when_every_node_stops_the_key_and_its_blocks_are_gone(
    edge_redis: RedisServer, prefix: str
) -> None:
    """The key exists only in the nodes' memory: after all of them stop, the next node
    makes a new one, the address is a new pseudonym, and its block no longer holds. A chat
    started under the old key cannot be blocked any more, and the volunteer is told so
    (``blocked: false``) instead of being promised a block that would stop nobody."""
    kit = await redis_kit(edge_redis.url, prefix)
    a, _ = kit.nodes
    old = a.pseudonyms.of(ADDRESS)
    await a.guard.started(old, "c1")
    await a.guard.started(old, "c2")
    await a.guard.block_conversation("c1")
    await kit.close()
    again = await redis_kit(edge_redis.url, prefix, nodes=1)
    try:
        (fresh,) = again.nodes
        new = fresh.pseudonyms.of(ADDRESS)
        assert new != old
        assert await fresh.guard.check_start(new) == 0
        assert await fresh.guard.block_conversation("c2") is False  # same period, new key
    finally:
        await again.close()


async def test_every_edge_key_has_a_ttl_and_no_address_or_cookie(
    edge_redis: RedisServer, prefix: str
) -> None:
    """Memory stays bounded whatever an attacker invents: every key Redis holds for the
    edges expires by itself; keys and values carry pseudonyms, names and numbers only."""
    kit = await redis_kit(edge_redis.url, prefix)
    client = connect(edge_redis.url)
    try:
        a, b = kit.nodes
        source = a.pseudonyms.of(ADDRESS)
        await a.guard.started(source, "c1")
        await a.guard.check_message("c1", source)
        await a.guard.block_conversation("c1")
        await a.throttle.failed("anna", source, 0.0)
        await a.throttle.fresh_step("acc1", 5)
        anna = accounts.new_account("anna", "x" * 16, "admin", None)
        token, _ = await b.enrolments.start(anna, 0.0)
        await a.links.wrong(source)
        await a.letters.written(source)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert len(keys) == 12
        for key in keys:
            assert await client.pttl(key) > 0, key
        stored = await _everything(edge_redis.url, prefix)
        assert ADDRESS not in stored and token not in stored
    finally:
        await client.aclose()
        await kit.close()


async def test_a_late_newcomers_key_does_not_replace_the_running_one(
    edge_redis: RedisServer, prefix: str
) -> None:
    """A node whose ask went unanswered in time makes its own key and announces it; the
    running nodes keep theirs (older), so their blocks hold, and they answer with theirs."""
    kit = await redis_kit(edge_redis.url, prefix)
    outsider = Outsider(edge_redis.url, f"{prefix}pseudonym-key")
    await outsider.start()
    try:
        a, b = kit.nodes
        before = a.pseudonyms.of(ADDRESS)
        (held,) = {message["secret"] for message in await outsider.ask(answers=2)}
        kit.clock.advance(60)
        late = {"have": "late", "period": int(kit.clock.now() // PERIOD),
                "secret": "00" * 32, "born": kit.clock.now()}  # fmt: skip
        answers = await outsider.publish(late, answers=2)  # both tell the newcomer theirs
        assert {message["secret"] for message in answers} == {held}
        assert a.pseudonyms.of(ADDRESS) == b.pseudonyms.of(ADDRESS) == before
    finally:
        await outsider.stop()
        await kit.close()
