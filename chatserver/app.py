"""Wiring: one aiohttp application carrying the socket.io server, the hub and the store.

Start-up and shutdown live in one ``cleanup_ctx``: open the store, pick up open
conversations, start the sweeper; on the way down, report draining, stop the sweeper and flush
the store (``shutdown.py`` drains the clients before that, on SIGTERM). Shared objects hang
on the typed ``web.AppKey``s of ``web/keys.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from chatserver.clock import Clock
from chatserver.edges import Edges, memory_edges
from chatserver.hub.events import Ended, Event, Subscriber
from chatserver.hub.floor_state import FloorState
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.followup.spaces import FollowUpStores
from chatserver.hub.hub import Hub
from chatserver.hub.places import FAR_BACK_BATCH, FAR_BACK_PER_SECOND
from chatserver.monitoring import Metrics
from chatserver.node_life import NodeLife
from chatserver.privacy.abuse import Limits, SourceGuard
from chatserver.privacy.sanitize import to_html
from chatserver.realtime.bridge import OPERATOR, SUPERVISORS, VISITOR, Bridge
from chatserver.realtime.dashboard import DashboardFeed
from chatserver.realtime.fanout import NodeRedisManager
from chatserver.realtime.manager import LocalManager
from chatserver.realtime.operator import OperatorNamespace
from chatserver.realtime.origins import OriginPolicy
from chatserver.realtime.relay import drop_local_sockets, relay_forever
from chatserver.realtime.release import release_sockets
from chatserver.realtime.server import GuardedServer
from chatserver.realtime.visitor import VisitorNamespace
from chatserver.settings import Settings
from chatserver.web.compression import compress_text
from chatserver.web.cross_site import refuse_cross_site
from chatserver.web.draining import no_new_sockets_while_draining, no_writes_while_lapsed
from chatserver.web.error_pages import chat_errors
from chatserver.web.keys import (
    ENROLMENTS,
    FOLLOW_UP,
    HUB,
    LETTER_LIMIT,
    LINK_GUARD,
    METRICS,
    PSEUDONYMS,
    READY,
    THROTTLE,
)
from chatserver.web.proxy_warning import proxy_warning
from chatserver.web.routes import add_routes
from chatserver.web.security import security_headers

log = logging.getLogger(__name__)

RELAY_START_SECONDS = 10.0  # a node that cannot subscribe to the floor's feed does not start

# no %a (remote address), no %{User-Agent}i, no %{Referer}i: visitors stay anonymous in logs
ACCESS_LOG_FORMAT = '%t "%r" %s %b %Tfs'


@dataclass
class Server:
    app: web.Application
    hub: Hub
    sio: GuardedServer
    followup: FollowUp


def build_server(
    settings: Settings,
    store: FollowUpStores,
    clock: Clock,
    sweep_interval: float | None = 1.0,
    limits: Limits | None = None,
    node: str = "",
    edges: Edges | None = None,
    floor: FloorState | None = None,
    client_manager: Any = None,
    life: NodeLife | None = None,
) -> Server:
    """The application of one node. ``edges`` (limits, blocks, lockout, the pseudonym key):
    in this process unless given, e.g. shared through Redis (``backends/redis_edges``);
    the server closes them at shutdown, and the store.

    The distributed mode (``backends/redis_mode.py``) also gives the shared ``floor``, the
    fan-out between nodes (``client_manager``: python-socketio's Redis manager) and the
    node's membership (``life``: join at start, heartbeat, and on a lapsed lease stop
    serving and drop every socket until joined again). Without them: one process."""
    hub = Hub(settings, store, clock, floor=floor, node=node)
    abuse = settings.abuse
    # our own pages everywhere, listed sites in /visitor only, never with credentials
    origins = OriginPolicy(settings.server.cors_allowed_origins, abuse.trusted_proxies)
    sio = GuardedServer(  # refuses reserved event names and malformed packets
        node=node,  # session ids start with it: a load balancer routes polling on it
        async_mode="aiohttp",
        cors_allowed_origins=origins.engine_allows,
        cors_credentials=False,
        logger=False,
        engineio_logger=False,
        # room for the longest allowed message, escaped, plus the envelope
        max_http_buffer_size=max(64 * 1024, settings.server.max_message_length * 8 + 4096),
        # one node: rooms indexed per client, emits queued in line (the Redis manager: both)
        client_manager=client_manager if client_manager is not None else LocalManager(),
    )
    if isinstance(client_manager, NodeRedisManager):  # its events missed: clients resume
        client_manager.resubscribed = lambda: drop_local_sockets(sio)
    dashboard = DashboardFeed(
        sio, hub.dashboard, SUPERVISORS, OPERATOR, watched=hub.supervisor_online
    )
    limits = limits or default_limits(settings)
    if edges is None:
        key_period = abuse.key_rotation_hours * 3600.0
        edges = memory_edges(clock, limits, key_period, settings.follow_up.wrong_links_per_hour)
    guard = edges.guard
    hub.bus.subscribe(_release_source(guard))
    metrics = Metrics(hub, sio, (VISITOR, OPERATOR))  # hears the hub's events from here on
    store.observe_commits(metrics.committed)
    # the follow-up's services over the same store and bus; its sanitizer is looked up on
    # every use, so the timed one set below is the one applied. The hub is the floor on which
    # volunteers offer next chats (appointments).
    followup = FollowUp(settings, store, clock, hub.bus, lambda text: hub.sanitize(text), hub)
    hub.followup_sweep = followup.appointments.sweep  # booked chats past their time: missed
    links = edges.links
    visitors = VisitorNamespace(hub, guard, followup, links, abuse.trusted_proxies, origins)
    operators = OperatorNamespace(hub, guard, followup, origins)
    for namespace in (visitors, operators):
        namespace.refusal_observer = metrics.refused  # every error ack is counted by its code
        sio.register_namespace(namespace)
    hub.sanitize = metrics.timed(to_html)
    Bridge(sio, hub, dashboard)
    hub.space_purge = followup.spaces.purge_idle  # spaces idle past their term go with the rest

    app = web.Application(
        client_max_size=64 * 1024,
        # outermost first: text compressed, one warning for an unlisted proxy, headers on every
        # answer, errors as answers, forged writes refused, no new socket while the server
        # drains (shutdown.py), and no write while its lease lapsed (node_life.py)
        middlewares=[
            compress_text,
            proxy_warning(abuse.trusted_proxies),
            security_headers,
            chat_errors,
            refuse_cross_site,
            no_new_sockets_while_draining,
            no_writes_while_lapsed,
        ],
    )
    app[HUB] = hub
    app[METRICS] = metrics
    app[READY] = {"ready": False, "draining": False}
    app[THROTTLE] = edges.throttle
    app[ENROLMENTS] = edges.enrolments
    app[PSEUDONYMS] = edges.pseudonyms
    app[FOLLOW_UP] = followup
    app[LINK_GUARD] = links  # one count of wrong links for the HTTP routes and /visitor
    app[LETTER_LIMIT] = edges.letters
    add_routes(app)
    sio.attach(app)

    state = app[READY]
    if life is not None:
        life.lapsed = _stop_serving(state, sio)
        life.rejoined = _serve_again(state)
        life.reap = hub.reap_node  # a previous run's connections: its people hear they left

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.open()
        try:  # the shared configuration, then the node's name (NodeRefused), then the feed
            if life is not None:
                await life.start()
            relay = await _start_relay(hub, sio) if hub.floor_shared else None
        except BaseException:
            if life is not None:
                await life.stop()
            await store.close()
            await edges.close()
            raise
        await hub.recover()
        sweeper = (
            asyncio.create_task(_sweep_forever(hub, sweep_interval, state))
            if sweep_interval
            else None
        )
        teller = asyncio.create_task(_tell_far_back_forever(hub), name="far-back places")
        state["ready"] = True
        yield
        state["draining"] = True
        await dashboard.close()
        for task in (sweeper, relay, teller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if life is not None:
            await life.stop()
        await store.close()
        await edges.close()

    app.cleanup_ctx.append(lifecycle)
    return Server(app, hub, sio, followup)


def _release_source(guard: SourceGuard) -> Subscriber:
    """A conversation that ended no longer counts towards its source's limit."""

    async def on_event(event: Event) -> None:
        if isinstance(event, Ended):
            await guard.finished(event.conversation_id)

    return on_event


async def _start_relay(hub: Hub, sio: GuardedServer) -> asyncio.Task[None]:
    """A shared floor's messages reach this node's sockets from its feed; serve nobody
    before the feed is subscribed, or the first messages could pass this node by."""
    subscribed = asyncio.Event()
    relay = asyncio.create_task(relay_forever(hub, sio, subscribed), name="relay")
    await asyncio.wait_for(subscribed.wait(), RELAY_START_SECONDS)
    return relay


def default_limits(settings: Settings) -> Limits:
    """The abuse limits of ``[abuse]``."""
    abuse = settings.abuse
    return Limits(
        abuse.messages_per_minute,
        abuse.burst,
        abuse.conversations_per_source,
        abuse.conversations_ceiling,
    )


def _stop_serving(state: dict[str, bool], sio: GuardedServer) -> Callable[[], Awaitable[None]]:
    """The node's lease lapsed (``node_life.py``): not ready (``/healthz`` 503, no new socket,
    every HTTP write ``unavailable``, the sweeper pauses), and every socket let go, so its
    client resumes on a live node."""

    async def stop() -> None:
        state["ready"] = False
        await release_sockets(sio, retry_after=1)

    return stop


def _serve_again(state: dict[str, bool]) -> Callable[[], Awaitable[None]]:
    async def serve() -> None:
        state["ready"] = True

    return serve


async def _tell_far_back_forever(hub: Hub) -> None:
    """Far-back places (``hub/places.py``) at their pace: a batch, then a pause, so a long
    queue's places are spread over the seconds between two looks at the line."""
    pause = FAR_BACK_BATCH / FAR_BACK_PER_SECOND
    while True:
        await hub.far_back_owed.wait()
        try:
            await hub.tell_far_back(FAR_BACK_BATCH)
        except Exception:  # one failed batch must not stop the places for good
            log.exception("telling far-back places failed")
        await asyncio.sleep(pause)


async def _sweep_forever(hub: Hub, interval: float, state: dict[str, bool]) -> None:
    while True:
        await asyncio.sleep(interval)
        if not state["ready"]:  # a node whose lease lapsed writes nothing until it rejoined
            continue
        try:
            await hub.sweep()
        except Exception:  # one failed sweep must not stop the next
            log.exception("sweep failed")
