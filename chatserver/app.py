"""Wiring: one aiohttp application carrying the socket.io server, the hub and the store.

Start-up and shutdown live in one ``cleanup_ctx``: open the store, pick up open
conversations, start the sweeper; on the way down, report draining, stop the sweeper and flush
the store. Shared objects hang on the typed ``web.AppKey``s of ``web/keys.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from chatserver.accounts import Enrolments, LoginThrottle
from chatserver.backends.base import Store
from chatserver.clock import Clock
from chatserver.hub.events import Ended, Event, Subscriber
from chatserver.hub.hub import Hub
from chatserver.privacy.abuse import AbuseGuard, Limits
from chatserver.privacy.pseudonyms import Pseudonyms
from chatserver.realtime.bridge import OPERATOR, SUPERVISORS, Bridge
from chatserver.realtime.dashboard import DashboardFeed
from chatserver.realtime.operator import OperatorNamespace
from chatserver.realtime.server import GuardedServer
from chatserver.realtime.visitor import VisitorNamespace
from chatserver.settings import Settings
from chatserver.web.error_pages import chat_errors
from chatserver.web.keys import ENROLMENTS, HUB, READY, THROTTLE
from chatserver.web.routes import add_routes
from chatserver.web.security import security_headers

log = logging.getLogger(__name__)

# no %a (remote address), no %{User-Agent}i, no %{Referer}i: visitors stay anonymous in logs
ACCESS_LOG_FORMAT = '%t "%r" %s %b %Tfs'


@dataclass
class Server:
    app: web.Application
    hub: Hub
    sio: GuardedServer


def build_server(
    settings: Settings,
    store: Store,
    clock: Clock,
    sweep_interval: float | None = 1.0,
    limits: Limits | None = None,
) -> Server:
    hub = Hub(settings, store, clock)
    sio = GuardedServer(  # refuses reserved event names and malformed packets
        async_mode="aiohttp",
        cors_allowed_origins=list(settings.server.cors_allowed_origins) or None,
        logger=False,
        engineio_logger=False,
        # room for the longest allowed message, escaped, plus the envelope
        max_http_buffer_size=max(64 * 1024, settings.server.max_message_length * 8 + 4096),
    )
    dashboard = DashboardFeed(sio, hub.dashboard, SUPERVISORS, OPERATOR)
    abuse = settings.abuse
    limits = limits or Limits(
        abuse.messages_per_minute, abuse.burst, abuse.conversations_per_source
    )
    guard = AbuseGuard(clock, Pseudonyms(clock, abuse.key_rotation_hours * 3600.0), limits)
    hub.bus.subscribe(_release_source(guard))
    sio.register_namespace(VisitorNamespace(hub, guard, abuse.trusted_proxies))
    sio.register_namespace(OperatorNamespace(hub, guard))
    Bridge(sio, hub, dashboard)

    app = web.Application(client_max_size=64 * 1024, middlewares=[security_headers, chat_errors])
    app[HUB] = hub
    app[READY] = {"ready": False, "draining": False}
    app[THROTTLE] = LoginThrottle()
    app[ENROLMENTS] = Enrolments()
    add_routes(app)
    sio.attach(app)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.open()
        await hub.recover()
        sweeper = (
            asyncio.create_task(_sweep_forever(hub, sweep_interval)) if sweep_interval else None
        )
        app[READY]["ready"] = True
        yield
        app[READY]["draining"] = True
        await dashboard.close()
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    return Server(app, hub, sio)


def _release_source(guard: AbuseGuard) -> Subscriber:
    """A conversation that ended no longer counts towards its source's limit."""

    async def on_event(event: Event) -> None:
        if isinstance(event, Ended):
            guard.finished(event.conversation_id)

    return on_event


async def _sweep_forever(hub: Hub, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await hub.sweep()
        except Exception:  # one failed sweep must not stop the next
            log.exception("sweep failed")
