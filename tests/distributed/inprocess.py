"""A node of the distributed mode in the test's own event loop, built exactly as ``chatserver
serve --redis`` builds one (``open_redis_mode`` and ``build_server``), with a manual clock for
the hub and short leases and timeouts so that lapses and outages take a second, not ten.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from chatserver.app import ACCESS_LOG_FORMAT, build_server
from chatserver.backends.redis_mode import RedisMode, open_redis_mode
from chatserver.clock import ManualClock
from chatserver.settings import Settings, load_settings
from tests.e2e.conftest import CONFIG, ONE_ADDRESS, WEDNESDAY_EVENING, Env, Peer, port_of

LEASE = 1.0
HEARTBEAT = 0.2
COMMAND_TIMEOUT = 0.5


DEADLINE = 10.0


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll a state that changes on a timer or in another task, with a deadline."""
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE} s: {what}"
        await asyncio.sleep(0.05)


async def let_go(peer: Peer) -> None:
    """The server closed ``peer``'s connection (as a network drop would)."""

    async def gone() -> bool:
        return not peer.client.connected

    await until(gone, "the connection is closed")


class RedisEnv(Env):
    mode: RedisMode


@contextlib.asynccontextmanager
async def redis_node(
    url: str,
    node: str,
    settings: Settings | None = None,
    *,
    prefix: str = "chat:",
    lease: float = LEASE,
) -> AsyncIterator[RedisEnv]:
    clock = ManualClock(WEDNESDAY_EVENING)
    settings = settings or load_settings(CONFIG)
    mode = await open_redis_mode(
        url,
        node,
        settings,
        clock,
        ONE_ADDRESS,
        prefix=prefix,
        socket_timeout=COMMAND_TIMEOUT,
        lease=lease,
        heartbeat=HEARTBEAT,
    )
    try:
        server = build_server(
            settings,
            mode.store,
            clock,
            sweep_interval=None,
            limits=ONE_ADDRESS,
            node=node,
            edges=mode.edges,
            floor=mode.floor,
            client_manager=mode.manager,
            life=mode.life,
        )
        runner = web.AppRunner(server.app, access_log_format=ACCESS_LOG_FORMAT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            env = RedisEnv(f"http://127.0.0.1:{port_of(site)}", server, clock)
            env.mode = mode
            try:
                yield env
            finally:
                for peer in env.peers:
                    if peer.client.connected:
                        await peer.client.eio.disconnect(abort=True)
        finally:
            await runner.cleanup()
    finally:
        await mode.close()
