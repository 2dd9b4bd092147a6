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
with the new file. Beside it, ``<prefix>config:sections`` holds a digest of each section of
the settings, so that a refusal can name the sections that differ (digests only: no setting's
value is stored).

The administrator's commands on the shared records (``chatserver purge --redis``,
``chatserver operator add --redis``) are held to the same configuration (:meth:`SharedConfig.
check`): a purge with other retention terms would erase what the running nodes keep. They do
not claim it: with no node running there is nothing to differ from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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


def _shared_tree(settings: Settings) -> dict[str, Any]:
    """The settings every node must agree on, leaving out what is each node's own: the
    file's path, the address it listens on and the unused SQLite folder."""
    tree = dataclasses.asdict(settings)
    del tree["source"]
    for key in ("host", "port", "data_dir"):
        del tree["server"][key]
    return tree


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(settings: Settings) -> str:
    """SHA-256 of the shared settings in a canonical form (sorted JSON)."""
    return _digest(_shared_tree(settings))


def section_digests(settings: Settings) -> dict[str, str]:
    """A digest per section of the shared settings (``retention``, ``lines`` ...)."""
    return {name: _digest(value) for name, value in _shared_tree(settings).items()}


# set if absent or the same, with the lease's expiry, and the sections' digests beside it;
# otherwise answer what is there
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], unpack(ARGV, 3))
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return ''
"""

# what the running nodes hold: their fingerprint and their sections' digests
_HELD = """
return {redis.call('GET', KEYS[1]) or '', redis.call('HGETALL', KEYS[2])}
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
        self.sections_key = self.key + ":sections"
        self.fingerprint = fingerprint(settings)
        self.sections = section_digests(settings)
        self.source = settings.source
        self.ttl = ttl
        self.url = url
        self._claim = client.register_script(_CLAIM)
        self._held = client.register_script(_HELD)

    async def claim(self) -> None:
        flat = [part for pair in sorted(self.sections.items()) for part in pair]
        held = await self._claim(
            keys=[self.key, self.sections_key],
            args=[self.fingerprint, int(self.ttl * 1000), *flat],
        )
        if held:
            raise NodeRefused(
                f"This node's configuration ({self.source}, fingerprint {self.fingerprint[:12]})"
                f" differs from the one the running nodes on {where(self.url)} use (fingerprint "
                f"{str(held)[:12]}). Every node must run with the same configuration file: copy"
                " it from a running node. To change the configuration of all nodes, stop every"
                f" node, then start them with the new file (the old one is forgotten {self.ttl:g}"
                " s after the last node stopped)."
            )

    async def check(self, command: str) -> None:
        """For an administrator's ``command`` on the shared records: raise
        :class:`NodeRefused` when the running nodes hold another configuration, naming the
        sections that differ and the fix. Claims nothing."""
        held, flat = await self._held(keys=[self.key, self.sections_key])
        if not held or held == self.fingerprint:
            return
        theirs = dict(zip(flat[::2], flat[1::2], strict=True))
        differ = sorted(
            name for name in self.sections.keys() | theirs.keys()
            if self.sections.get(name) != theirs.get(name)
        )  # fmt: skip
        what = ", ".join(f"[{name}]" for name in differ) if differ else "some setting"
        raise NodeRefused(
            f"{self.source} (fingerprint {self.fingerprint[:12]}) is not the configuration the "
            f"running nodes on {where(self.url)} use (fingerprint {str(held)[:12]}): {what} "
            f"differ{'s' if len(differ) == 1 else ''}. `chatserver {command}` acts on the "
            "records those nodes share, so it must use their configuration: run it again with "
            "--config naming the same file as the nodes'. Nothing was changed."
        )


async def check_shared_config(url: str, prefix: str, settings: Settings, command: str) -> None:
    """``chatserver {command} --redis``: the running nodes' configuration, or
    :class:`NodeRefused` (see :meth:`SharedConfig.check`)."""
    client = redis_client.connect(url, 1)
    try:
        await SharedConfig(client, prefix, settings, LEASE_SECONDS, url).check(command)
    finally:
        await client.aclose()


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
