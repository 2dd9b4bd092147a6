"""While the server drains (a SIGTERM: ``chatserver/shutdown.py``), or is not ready (a node
whose lease lapsed, until it joined again: ``chatserver/node_life.py``), no new socket starts
here; while it is not ready, no HTTP request changes anything either.

A new Engine.IO session (a request to ``/socket.io/`` without a ``sid``) is answered ``503``
with ``Retry-After``: socket.io clients treat that as a failed attempt and try again by
themselves, with their back-off, until they reach another node or the restarted server.
Refusing a namespace instead would be a ``connect_error``, after which socket.io gives up.
Sockets that already exist are told and closed by the shutdown itself; ``/healthz`` says
``draining`` (``public_api.py``), so a load balancer sends nobody new.

A node whose lease lapsed must write nothing more (the others may have reaped it already), so
until it joined again every request that changes something (any method but ``GET``, ``HEAD``
and ``OPTIONS``: a login, a letter, a space's key, an admin's edit) is answered ``503`` with
the ``unavailable`` error, as while Redis is unreachable: nothing was done, the same request
works in a moment, here or on another node. A draining node still holds its lease and goes on
taking them until it stops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from chatserver.errors import Unavailable
from chatserver.web.keys import READY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RETRY_AFTER = "5"  # seconds: about when socket.io's back-off tries again anyway
READING = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def no_new_sockets_while_draining(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    state = request.app[READY]
    if (
        (state.get("draining") or not state.get("ready"))
        and request.path.startswith("/socket.io/")
        and "sid" not in request.query
    ):
        raise web.HTTPServiceUnavailable(
            text="Draining: this server is stopping. Connect again in a moment.\n",
            headers={"Retry-After": RETRY_AFTER},
        )
    return await handler(request)


@web.middleware
async def no_writes_while_lapsed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Not ready (a lapsed lease): every request that could write is ``unavailable``. The
    socket.io path has its own rule above (its sockets were let go, new ones are refused)."""
    if (
        not request.app[READY].get("ready")
        and request.method not in READING
        and not request.path.startswith("/socket.io/")
    ):
        raise Unavailable(headers={"Retry-After": RETRY_AFTER})
    return await handler(request)
