"""Relaying the shared floor's messages to this node's sockets, and repairing a lost feed.

In the Redis mode every message is numbered, kept and published by the floor in one step;
each node tells its own sockets from the floor's feed (``Hub.relay_posts``), so a
conversation arrives in sequence order on every node. Redis pub/sub is at-most-once: what is
published while a node is not subscribed never reaches it, and after a broken subscription
nothing is caught up (distributed-notes.md). So a node whose feed broke lets its own sockets
go: every client reconnects (through the load balancer, to any node) and resumes from the
last sequence number it saw, which the store and the floor can answer.

The order matters, and so does the way:

* **Subscribed again first, then the sockets go.** A client that resumed before the feed
  stood again would get the transcript up to now and then miss whatever was posted before
  the subscription: it would never hear it. After the subscription, everything posted
  reaches the sockets, and a resuming client's transcript covers the rest. This also keeps
  clients connected while Redis is down (issue 13: "keep their clients connected"), where a
  reconnect could only meet ``unavailable``.
* **The Engine.IO connection is closed, not the socket.io socket.** A socket.io disconnect
  from the server tells a client not to come back (the widget would stay "disconnected");
  an Engine.IO close looks like a network drop, and every client reconnects by itself
  (``release.py``, as on SIGTERM, but without the ``draining`` notice: nothing restarts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import socketio

from chatserver.hub.hub import Hub
from chatserver.realtime.release import release_sockets

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # waits before subscribing again, then 5 s


async def relay_forever(
    hub: Hub, sio: socketio.AsyncServer, subscribed: asyncio.Event | None = None
) -> None:
    """Until cancelled: relay the feed; when it breaks, wait a little (longer each time it
    fails at once), subscribe again, and once subscribed let this node's sockets go."""
    failures = 0
    broken = False
    while True:
        ready = asyncio.Event()
        watcher = asyncio.create_task(_on_ready(ready, subscribed, sio if broken else None))
        try:
            await hub.relay_posts(ready)
        except asyncio.CancelledError:
            watcher.cancel()
            raise
        except Exception as error:  # Redis gone or restarted: the feed missed posts
            log.warning("the floor's feed broke (%s); subscribing again", type(error).__name__)
        if ready.is_set():  # the sockets of the last break go before a new break counts
            with contextlib.suppress(Exception):
                await watcher
        watcher.cancel()
        failures = 0 if ready.is_set() else failures + 1
        broken = True
        await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])


async def _on_ready(
    ready: asyncio.Event, subscribed: asyncio.Event | None, repair: socketio.AsyncServer | None
) -> None:
    await ready.wait()
    if subscribed is not None:
        subscribed.set()
    if repair is not None:
        log.warning("the floor's feed is back; this node's clients resume")
        await drop_local_sockets(repair)


async def drop_local_sockets(sio: socketio.AsyncServer) -> None:
    """Close every Engine.IO connection of this node (not of others); their clients connect
    again by themselves and resume from their last sequence number."""
    await release_sockets(sio, retry_after=1, notice=False)
