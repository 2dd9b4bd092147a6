"""Two nodes' edges, on memory or on Redis, and one manual clock for both.

Built by the same functions the server uses (``chatserver.edges.memory_edges`` and
``backends.redis_edges.build.redis_edges``), so what is tested is what a node runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatserver.backends.redis_edges.build import redis_edges
from chatserver.clock import ManualClock
from chatserver.edges import Edges, memory_edges
from chatserver.privacy.abuse import Limits

PERIOD = 86400.0
LIMITS = Limits(messages_per_minute=30, burst=10, conversations_per_source=1,
                conversations_ceiling=3)  # fmt: skip
WRONG_LINKS_PER_HOUR = 3
ANSWER_WAIT = 0.2  # how long a starting Redis node waits for another to hand it the key


@dataclass
class EdgeKit:
    name: str
    clock: ManualClock
    nodes: list[Edges] = field(default_factory=list)

    async def close(self) -> None:
        for node in {id(node): node for node in self.nodes}.values():
            await node.close()


def memory_kit() -> EdgeKit:
    """Memory is one process: both "nodes" are the same objects, as on one server."""
    clock = ManualClock()
    node = memory_edges(clock, LIMITS, PERIOD, WRONG_LINKS_PER_HOUR)
    return EdgeKit("memory", clock, [node, node])


async def redis_node(kit: EdgeKit, url: str, prefix: str) -> Edges:
    """One more node on the kit's Redis: its own connections, its own copy of the key."""
    node = await redis_edges(url, kit.clock, LIMITS, PERIOD, WRONG_LINKS_PER_HOUR, prefix,
                             ANSWER_WAIT)  # fmt: skip
    kit.nodes.append(node)
    return node


async def redis_kit(url: str, prefix: str, nodes: int = 2) -> EdgeKit:
    kit = EdgeKit("redis", ManualClock())
    for _ in range(nodes):
        await redis_node(kit, url, prefix)
    return kit
