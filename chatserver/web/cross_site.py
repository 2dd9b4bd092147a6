"""One check for every request that changes something: it must come from our own pages.

Cookies are ``SameSite=Strict`` and forms carry CSRF tokens, but the login itself had no
session yet to protect it: another site could post its own credentials to ``POST
/api/session`` (JSON sent as ``text/plain`` needs no CORS preflight) and the volunteer's
browser would be logged in to the attacker's account, typing visitors' words where the
attacker reads them later. So every ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` passes here,
whatever its route, before any view runs:

* a browser must say the request comes from one of our own pages (``Sec-Fetch-Site``, else
  ``Origin``; see ``chatserver/origins.py``), or it is refused: ``403 cross_origin``.
  A request without either header is not a browser's and passes; its session, where it
  needs one, is checked by the view as before;
* a body under ``/api/`` must be declared JSON: ``415 json_required``. A page of another site
  can only send JSON after a preflight, which this server never grants.

The Engine.IO transport (``/socket.io/``) is left to the socket layer, which checks each
namespace's origins itself (``realtime/origins.py``). The error goes to the one error
middleware (``error_pages.py``), as JSON under ``/api/`` and as a page elsewhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from chatserver import origins
from chatserver.errors import CrossOrigin, JsonRequired
from chatserver.web.keys import HUB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SOCKETS = "/socket.io/"


@web.middleware
async def refuse_cross_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a state-changing request another site's page sent (see the module docstring)."""
    if request.method in UNSAFE and not request.path.startswith(SOCKETS):
        trusted = request.app[HUB].settings.abuse.trusted_proxies
        if origins.from_other_site(request.headers, origins.own_host(request, trusted)):
            raise CrossOrigin()
        if (
            request.path.startswith("/api/")
            and request.body_exists
            and request.content_type != "application/json"
        ):
            raise JsonRequired()
    return await handler(request)
