"""One node of the distributed mode: every handle it needs on the shared Redis, in one call.

``chatserver serve --redis URL --node NAME`` builds, on one key prefix (default ``chat:``):
the records (:class:`RedisStore`), the floor (:class:`RedisFloor`), the edges
(``redis_edges``), python-socketio's Redis manager for fan-out (channel ``<prefix>sio``), and
the node's membership (:class:`~chatserver.node_life.NodeLife`), whose first step is the
configuration check below.

**One configuration for all nodes.** Nodes with different lines, opening hours, routing or
retention would each act on the shared floor by their own rules: one would route a visitor
the other thinks is closed, purge what the other keeps. So a node stores the fingerprint of its
settings (:func:`fingerprint`) under ``<prefix>config`` if none is there, and refuses to start
when another one is. The key lapses ``ttl`` seconds after the last node holding it stopped
renewing it (every heartbeat renews it), so a deliberate change is: stop every node, start them
with the new file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatserver.backends import redis_client
from chatserver.backends.redis_edges.build import redis_edges
from chatserver.backends.redis_floor import RedisFloor
from chatserver.backends.redis_records.store import where
from chatserver.backends.redis_store import RedisStore
from chatserver.clock import Clock
from chatserver.edges import Edges
from chatserver.node_life import HEARTBEAT_SECONDS, LEASE_SECONDS, NodeLife, NodeRefused
from chatserver.privacy.abuse import Limits
from chatserver.realtime.fanout import NodeRedisManager
from chatserver.settings import Settings

DEFAULT_PREFIX = "chat:"
CONFIG_KEY = "config"


def fingerprint(settings: Settings) -> str:
    """SHA-256 of the settings in a canonical form (sorted JSON), leaving out what is each
    node's own: the file's path, the address it listens on and the unused SQLite folder."""
    tree = dataclasses.asdict(settings)
    del tree["source"]
    for key in ("host", "port", "data_dir"):
        del tree["server"][key]
    text = json.dumps(tree, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# set if absent or the same, with the lease's expiry; otherwise answer what is there
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ''
"""


class SharedConfig:
    """The settings' fingerprint under ``<prefix>config``, held while any node renews it."""

    def __init__(
        self,
        client: redis_client.GuardedRedis,
        prefix: str,
        settings: Settings,
        ttl: float,
        url: str,
    ) -> None:
        self._client = client
        self.key = prefix + CONFIG_KEY
        self.fingerprint = fingerprint(settings)
        self.source = settings.source
        self.ttl = ttl
        self.url = url
        self._claim = client.register_script(_CLAIM)

    async def claim(self) -> None:
        held = await self._claim(keys=[self.key], args=[self.fingerprint, int(self.ttl * 1000)])
        if held:
            raise NodeRefused(
                f"This node's configuration ({self.source}, fingerprint {self.fingerprint[:12]})"
                f" differs from the one the running nodes on {where(self.url)} use (fingerprint "
                f"{str(held)[:12]}). Every node must run with the same configuration file: copy"
                " it from a running node. To change the configuration of all nodes, stop every"
                f" node, then start them with the new file (the old one is forgotten {self.ttl:g}"
                " s after the last node stopped)."
            )


@dataclass
class RedisMode:
    """What one node shares with the others. The application closes the store and the edges
    at shutdown (``app.py``); :meth:`close` closes the rest."""

    store: RedisStore
    floor: RedisFloor
    edges: Edges
    manager: NodeRedisManager
    life: NodeLife
    config: SharedConfig
    closing: list[Callable[[], Awaitable[None]]]

    async def close(self) -> None:
        for close in reversed(self.closing):
            with contextlib.suppress(Exception):
                await close()
        self.closing.clear()


async def open_redis_mode(
    url: str,
    node: str,
    settings: Settings,
    clock: Clock,
    limits: Limits,
    *,
    prefix: str = DEFAULT_PREFIX,
    socket_timeout: float = redis_client.COMMAND_TIMEOUT,
    lease: float = LEASE_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> RedisMode:
    """Connect a node: the records first (a Redis that cannot keep them is refused with
    ``StoreUnusable``), then the configuration check (``NodeRefused``), then the rest.
    The node joins the floor when the application starts (``NodeLife.start``)."""
    scrub = settings.retention.scrub_after_seconds
    store = RedisStore(url, prefix, socket_timeout=socket_timeout, scrub_delay=scrub)
    await store.open()
    opened: list[Callable[[], Awaitable[None]]] = [store.close]
    try:
        client = redis_client.connect(url, 4, socket_timeout)
        opened.append(client.aclose)
        config = SharedConfig(client, prefix, settings, lease, url)
        await config.claim()
        key_period = settings.abuse.key_rotation_hours * 3600.0
        links = settings.follow_up.wrong_links_per_hour
        edges = await redis_edges(
            url, clock, limits, key_period, links, prefix, socket_timeout=socket_timeout
        )
        opened.append(edges.close)
        floor = RedisFloor(url, prefix, socket_timeout=socket_timeout)
        opened.append(floor.close)
        manager = NodeRedisManager(url, prefix, socket_timeout)
        opened.append(manager.close)
    except BaseException:
        for close in reversed(opened):
            with contextlib.suppress(Exception):
                await close()
        raise
    life = NodeLife(
        floor, node, clock, ttl=lease, interval=heartbeat, settings=config, where=where(url)
    )
    # the store and the edges are the application's to close (app.py's lifecycle)
    return RedisMode(
        store, floor, edges, manager, life, config, [client.aclose, floor.close, manager.close]
    )
