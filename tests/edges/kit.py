"""Two nodes' edges, on memory or on Redis, and one manual clock for both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from chatserver.accounts.enrolments import EnrolmentBook, Enrolments
from chatserver.accounts.throttle import LoginThrottle, Throttle
from chatserver.backends.redis_edges import connect
from chatserver.backends.redis_edges.abuse import RedisAbuseGuard
from chatserver.backends.redis_edges.enrolments import RedisEnrolments
from chatserver.backends.redis_edges.hourly import RedisHourlyCounts
from chatserver.backends.redis_edges.pseudonyms import RedisPseudonyms
from chatserver.backends.redis_edges.throttle import RedisThrottle
from chatserver.clock import ManualClock
from chatserver.privacy.abuse import AbuseGuard, Limits, SourceGuard
from chatserver.privacy.letter_limit import LetterLimit
from chatserver.privacy.link_guard import LinkGuard
from chatserver.privacy.pseudonyms import PseudonymKey, Pseudonyms

PERIOD = 86400.0
LIMITS = Limits(messages_per_minute=30, burst=10, conversations_per_source=1,
                conversations_ceiling=3)  # fmt: skip
WRONG_LINKS_PER_HOUR = 3
ANSWER_WAIT = 0.2  # how long a starting Redis node waits for another to hand it the key


@dataclass
class Node:
    """One node's edges: what app.py builds once per process."""

    pseudonyms: PseudonymKey
    guard: SourceGuard
    throttle: Throttle
    enrolments: EnrolmentBook
    links: LinkGuard
    letters: LetterLimit


@dataclass
class EdgeKit:
    name: str
    clock: ManualClock
    nodes: Sequence[Node]
    clients: list[aioredis.Redis] = field(default_factory=list)
    keyholders: list[RedisPseudonyms] = field(default_factory=list)

    async def close(self) -> None:
        for keyholder in self.keyholders:
            await keyholder.close()
        for client in self.clients:
            await client.aclose()


def memory_kit() -> EdgeKit:
    """Memory is one process: both "nodes" are the same objects, as on one server."""
    clock = ManualClock()
    pseudonyms = Pseudonyms(clock, PERIOD)
    guard = AbuseGuard(clock, pseudonyms, LIMITS)
    links = LinkGuard(clock, WRONG_LINKS_PER_HOUR)
    node = Node(pseudonyms, guard, LoginThrottle(), Enrolments(), links, LetterLimit(clock))
    return EdgeKit("memory", clock, [node, node])


async def redis_node(kit: EdgeKit, url: str, prefix: str) -> Node:
    """One more node on the kit's Redis: its own connections, its own copy of the key."""
    client = connect(url)
    kit.clients.append(client)
    pseudonyms = RedisPseudonyms(client, kit.clock, PERIOD, prefix, ANSWER_WAIT)
    kit.keyholders.append(pseudonyms)
    await pseudonyms.start()
    guard = RedisAbuseGuard(client, kit.clock, pseudonyms, LIMITS, prefix, PERIOD)
    links = LinkGuard(kit.clock, WRONG_LINKS_PER_HOUR, RedisHourlyCounts(client, "links", prefix))
    letters = LetterLimit(kit.clock, counts=RedisHourlyCounts(client, "letters", prefix))
    return Node(pseudonyms, guard, RedisThrottle(client, prefix), RedisEnrolments(client, prefix),
                links, letters)  # fmt: skip


async def redis_kit(url: str, prefix: str, nodes: int = 2) -> EdgeKit:
    kit = EdgeKit("redis", ManualClock(), [])
    kit.nodes = [await redis_node(kit, url, prefix) for _ in range(nodes)]
    return kit
