"""One node's membership of the distributed mode: join, keep the lease, let go when it lapses.

Why: a node that dies (SIGKILL, a lost machine) cannot say so. Each node therefore holds a
short lease on the floor (``FloorState.join`` / ``heartbeat``, a Redis key with a TTL) and
renews it every ``interval`` seconds; when it lapses, the leader takes the node's
connections off the floor (``reap``) and the ordinary grace periods run, so its visitors and
volunteers carry on from whichever node they reconnect to.

The other side of that bargain is what this module enforces: **a node that finds its own
lease gone must write nothing more**, because the others may already have reaped it. It may
only have been paused (a long GC, a stalled VM, Redis unreachable longer than the lease), so it
does not exit: it stops serving (``/healthz`` answers 503, no new socket is taken, every HTTP
write is answered ``unavailable``, the sweeper pauses, the leader lease is given up), drops
every socket it holds (their clients reconnect through the load balancer to a
survivor, or back here later, and resume), takes what is left of its old connections off the
floor itself, and joins again under the same name. Then it serves again.

At start-up the same name may still be leased by this node's previous run (a restart within
the lease) or by another live node (a second ``--node chat1`` by mistake). The lease of a
stopped process lapses within ``ttl``; a live node renews it. So the node waits one lease
length for the name, and refuses to start if it is still taken.

A configuration check (``backends.redis_mode.SharedConfig``) rides along: claimed before
joining and renewed with every heartbeat, so nodes with different settings never serve
together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from chatserver.clock import Clock
from chatserver.hub.floor_records import FloorRefused
from chatserver.hub.floor_state import FloorState

log = logging.getLogger(__name__)

LEASE_SECONDS = 5.0  # a dead node's sockets are reaped within about this long
HEARTBEAT_SECONDS = 1.0  # four missed beats in a row before the lease lapses


class NodeRefused(Exception):
    """This node must not serve: its name or its configuration collides with running nodes.
    The message is for the administrator: what is wrong and what to do."""


class SharedSettings(Protocol):
    """Whatever every node must agree on, held while any node runs (see ``redis_mode``)."""

    async def claim(self) -> None:
        """Hold it for this node, or raise :class:`NodeRefused` when others hold another."""
        ...


Step = Callable[[], Awaitable[None]]


class NodeLife:
    """Join, heartbeat, lapse and rejoin for the node ``node`` on ``floor``.

    ``lapsed`` is called once when the lease is found gone: stop serving and drop every
    socket. ``rejoined`` when the node holds a fresh lease again: serve. Both are set by the
    application (``app.py``) before :meth:`start`.
    """

    def __init__(
        self,
        floor: FloorState,
        node: str,
        clock: Clock,
        *,
        ttl: float = LEASE_SECONDS,
        interval: float = HEARTBEAT_SECONDS,
        settings: SharedSettings | None = None,
        where: str = "Redis",
    ) -> None:
        if not node:
            raise ValueError("a node of the distributed mode needs a name")
        self.floor = floor
        self.node = node
        self.clock = clock
        self.ttl = ttl
        self.interval = interval
        self.settings = settings
        self.where = where
        self.lapsed: Step = _nothing
        self.rejoined: Step = _nothing
        # takes a lapsed node's connections off the floor, ``False`` while its lease runs;
        # the application sets the hub's ``reap_node``, which also tells who is gone
        self.reap: Callable[[str], Awaitable[bool]] = self._reap_quietly
        self.serving = False
        self._beating: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ start and stop
    async def start(self) -> None:
        """Claim the shared settings and the node's name, then keep the lease.

        Raises :class:`NodeRefused` when the settings differ from the running nodes' or a
        live node holds the name after one lease length of waiting.
        """
        if self.settings is not None:
            await self.settings.claim()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ttl + self.interval
        while not await self._join():
            if loop.time() > deadline:
                raise NodeRefused(
                    f"Another node named {self.node!r} is running on {self.where}. Give every "
                    "node its own --node name (the load balancer routes on it); if that node "
                    f"was just stopped, its lease lapses within {self.ttl:g} s: start again."
                )
            await asyncio.sleep(self.interval / 4)  # polling a lease: nothing to await
        self.serving = True
        self._beating = asyncio.create_task(self._beat_forever(), name=f"heartbeat {self.node}")
        log.info("node %s joined (lease %g s)", self.node, self.ttl)

    async def stop(self) -> None:
        """Stop renewing and give up the leader lease; the node lease lapses on its own
        (a restart under the same name waits for it), and the leader reaps what is left."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None
        try:
            await self.floor.resign(self.node)
        except Exception:  # Redis gone at shutdown: the leader lease lapses by itself
            log.warning("node %s: could not resign the leader lease", self.node)

    # ------------------------------------------------------------------ the lease
    async def _join(self) -> bool:
        """Take the name: first take this name's leftover connections off the floor (a
        previous run that crashed), which the floor refuses while a live lease holds it."""
        if not await self.reap(self.node):
            return False  # alive: ours still lapsing, or another node's
        return await self.floor.join(self.node, self.ttl)

    async def _reap_quietly(self, node: str) -> bool:
        try:
            await self.floor.reap(node, self.clock.now())
        except FloorRefused:
            return False
        return True

    async def _beat_forever(self) -> None:
        unreachable = False
        while True:
            await asyncio.sleep(self.interval)
            try:
                if self.serving:
                    held = await self.floor.heartbeat(self.node, self.ttl)
                    if held and self.settings is not None:
                        await self.settings.claim()
                    if not held:
                        await self._lapse()
                else:
                    await self._rejoin()
            except NodeRefused as refused:  # the settings of the nodes now running differ
                log.error("node %s: %s", self.node, refused)
                if self.serving:
                    await self._lapse()
            except Exception as error:  # Redis unreachable: keep the sockets, try again
                if not unreachable:
                    log.warning("node %s: heartbeat failed (%s); retrying", self.node, error)
                unreachable = True
            else:
                if unreachable:
                    log.info("node %s: heartbeat works again", self.node)
                unreachable = False

    async def _lapse(self) -> None:
        log.error(
            "node %s: its lease lapsed (paused, or cut off from Redis for over %g s); it drops "
            "its sockets, writes nothing more, and joins again",
            self.node,
            self.ttl,
        )
        self.serving = False
        await self.lapsed()
        try:  # the sweep's work must not wait a leader lease out on a node that writes nothing
            await self.floor.resign(self.node)
        except Exception:  # Redis unreachable: the leader lease lapses by itself
            log.warning("node %s: could not resign the leader lease", self.node)

    async def _rejoin(self) -> None:
        if self.settings is not None:
            await self.settings.claim()
        if await self._join():
            self.serving = True
            log.info("node %s joined again", self.node)
            await self.rejoined()


async def _nothing() -> None:
    return None
