"""Fan-out between nodes: python-socketio's Redis manager, as the distributed mode uses it.

Every emit is delivered to this node's own sockets at once and published on one Redis channel
(``<prefix>sio``), from which every other node delivers it to its members of the room. Pub/sub
is at-most-once: what is published while a node is not subscribed is gone, so clients resume
from the last sequence number they saw (../shared/distributed-notes.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from chatserver.backends.redis_client import CONNECT_TIMEOUT


class NodeRedisManager(socketio.AsyncRedisManager):
    """``socketio.AsyncRedisManager`` on channel ``<prefix>sio``, with bounded publishes and a
    way to stop its listener at shutdown.

    A publish gives up after ``socket_timeout`` like every other command (one retry on a broken
    connection only), so an emit never holds a handler for long while Redis is unreachable.
    The subscription itself blocks with no timeout (redis-py 8.2: a blocking pub/sub read
    ignores ``socket_timeout``), so an idle listener does not loop on reconnects.
    """

    def __init__(self, url: str, prefix: str, socket_timeout: float) -> None:
        options: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": min(CONNECT_TIMEOUT, socket_timeout),
            "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        }
        super().__init__(url, channel=prefix + "sio", redis_options=options)

    async def close(self) -> None:
        thread = getattr(self, "thread", None)
        if isinstance(thread, asyncio.Task):
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await thread
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()
