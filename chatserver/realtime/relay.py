"""Relaying the shared floor's messages to this node's sockets, and repairing a lost feed.

In the Redis mode every message is numbered, kept and published by the floor in one step;
each node tells its own sockets from the floor's feed (``Hub.relay_posts``), so a
conversation arrives in sequence order on every node. Redis pub/sub is at-most-once: what is
published while a node is not subscribed never reaches it, and after a broken subscription
nothing is caught up (distributed-notes.md). So a node whose feed broke disconnects its own
sockets: every client reconnects (through the load balancer, to any node) and resumes from the
last sequence number it saw, which the store and the floor can answer. Then it subscribes
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import socketio

from chatserver.hub.hub import Hub

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits before subscribing again, then 5 s


async def relay_forever(
    hub: Hub,
    sio: socketio.AsyncServer,
    namespaces: Iterable[str],
    subscribed: asyncio.Event | None = None,
) -> None:
    """Until cancelled: relay the feed; when it breaks, drop this node's sockets, wait a
    little (longer each time it fails at once) and subscribe again."""
    namespaces = tuple(namespaces)
    failures = 0
    while True:
        ready = asyncio.Event()
        watcher = asyncio.create_task(_on_ready(ready, subscribed))
        try:
            await hub.relay_posts(ready)
        except asyncio.CancelledError:
            watcher.cancel()
            raise
        except Exception as error:  # Redis gone or restarted: the feed missed posts
            log.warning("the floor's feed broke (%s); this node's clients resume", type(error))
        watcher.cancel()
        failures = 0 if ready.is_set() else failures + 1
        await drop_local_sockets(sio, namespaces)
        await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])


async def _on_ready(ready: asyncio.Event, subscribed: asyncio.Event | None) -> None:
    await ready.wait()
    if subscribed is not None:
        subscribed.set()


async def drop_local_sockets(sio: socketio.AsyncServer, namespaces: Iterable[str]) -> None:
    """Disconnect every socket of this node (not of others: ``ignore_queue``); their clients
    connect again and resume from their last sequence number."""
    for namespace in namespaces:
        for sid, _ in list(sio.manager.get_participants(namespace, None)):
            try:
                await sio.disconnect(sid, namespace=namespace, ignore_queue=True)
            except Exception:  # one socket that will not close must not keep the others
                log.exception("could not disconnect a socket")
