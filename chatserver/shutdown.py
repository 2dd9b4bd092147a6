"""Serving until told to stop, and stopping well: drain, flush, and be gone in bounded time.

``chatserver serve`` runs :func:`serve`. On SIGTERM (or Ctrl-C) the process used to wait for
every open WebSocket to time out on its own, 45 seconds with a single client connected, while
visitors and volunteers got no word. Now it drains, within ``server.shutdown_seconds``:

1. it stops taking new chats: ``/healthz`` answers ``503 {"status": "draining"}``, ``start``
   answers ``draining`` (with the line's emergency contacts) and a new socket ``503``;
2. it stops listening, so a load balancer and reconnecting clients go elsewhere;
3. it tells every connected client (``draining``, with ``retry_after``) and closes their
   connections the way a network drop would: socket.io clients reconnect by themselves, to
   another node or to the restarted server, and resume their conversations (their records
   are in the store, and a dropped visitor keeps their place for the grace period);
4. aiohttp lets the requests in progress finish, then the application's cleanup stops the
   sweeper and closes the store, whose group-commit writer commits everything queued.
   Every acknowledged message was already on disk (write before ack); nothing queued is lost.

Exit code 0 when all of this finished within the bound; 1 (and a log line) if it did not,
at the bound.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from aiohttp import web

from chatserver import collector, event_loop
from chatserver.app import ACCESS_LOG_FORMAT, Server
from chatserver.realtime.release import release_sockets
from chatserver.web.keys import READY

log = logging.getLogger(__name__)


def stop_accepting(server: Server) -> None:
    """Step 1: say ``draining`` on ``/healthz``, refuse new chats and new sockets."""
    server.app[READY]["draining"] = True
    server.hub.stop_accepting()


async def release_clients(server: Server, retry_after: int) -> None:
    """Step 3: tell every socket, then close every Engine.IO connection (clients reconnect
    by themselves, as after a network drop; a socket.io disconnect would stop them)."""
    await release_sockets(server.sio, retry_after)


async def drain_and_stop(server: Server, runner: web.AppRunner, seconds: int) -> None:
    """Steps 1-4, in order (see the module docstring)."""
    stop_accepting(server)
    for site in list(runner.sites):
        await site.stop()
    await release_clients(server, seconds)
    await runner.cleanup()


async def serve_until_stopped(
    server: Server, host: str, port: int, seconds: int, started: Callable[[str], None]
) -> int:
    runner = web.AppRunner(
        server.app, access_log_format=ACCESS_LOG_FORMAT, shutdown_timeout=max(1.0, seconds - 2)
    )
    await runner.setup()  # opens the store: a damaged one stops here (StoreUnusable)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0]
    started(f"http://{host}:{bound[1]}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("draining: no new chats; closing connections (at most %s s)", seconds)
    try:
        await asyncio.wait_for(drain_and_stop(server, runner, seconds), seconds)
    except TimeoutError:
        # What is unfinished now cannot finish: the database thread that would keep the
        # process alive is left behind. Every acknowledged write is on disk already.
        log.error("shutdown took longer than %s s; stopping anyway", seconds)
        logging.shutdown()
        os._exit(1)
    log.info("stopped")
    return 0


def serve(
    server: Server, host: str, port: int, seconds: int, started: Callable[[str], None]
) -> int:
    """Run until SIGTERM or SIGINT, then drain (see the module docstring); the exit code.

    ``started`` gets the URL once the server listens (with the real port when ``port`` is 0).
    """
    collector.settle_for_serving()
    return event_loop.run(serve_until_stopped(server, host, port, seconds, started))
