"""Which pages may open which namespace: the one origin policy of the socket.io server.

``/operator`` carries a volunteer's session cookie, so only the server's own pages (the
console, the supervisor's view) may open it: any other site's page that got a socket there
would act with the volunteer's session. ``/visitor`` is reached from the widget's frame, which
this server serves itself (our own origin), and from the origins in
``server.cors_allowed_origins``, for a site that talks to the chat without the frame. Those
get no credentials: the engine never sends ``Access-Control-Allow-Credentials``, and the
visitor namespace uses no cookie anyway.

Two layers, one policy: the Engine.IO handshake refuses an origin no namespace accepts (and
answers CORS only for the ones that are), and each namespace's connect handler checks its
own list, because one Engine.IO connection may carry both namespaces. python-socketio's own
``cors_allowed_origins`` list cannot do this: a list replaces its same-origin default (so
listing a site refused our own pages) and applies to every namespace alike.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web

from chatserver import origins
from chatserver.errors import CrossOrigin
from chatserver.realtime.bridge import VISITOR


class OriginPolicy:
    def __init__(self, listed: tuple[str, ...], trusted_proxies: tuple[str, ...] = ()) -> None:
        self.listed = tuple(origin.lower() for origin in listed)
        self.trusted_proxies = trusted_proxies

    def allowed(self, namespace: str) -> tuple[str, ...]:
        """Origins besides our own that may open ``namespace``."""
        return self.listed if namespace == VISITOR else ()

    def _foreign(self, environ: dict[str, Any], listed: tuple[str, ...]) -> bool:
        request = environ.get("aiohttp.request")
        if not isinstance(request, web.Request):
            return False  # not over HTTP at all (a test's in-process client): no browser
        own = origins.own_host(request, self.trusted_proxies)
        return origins.from_other_site(request.headers, own, listed)

    def engine_allows(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """For Engine.IO's ``cors_allowed_origins``: may a page of ``origin`` connect at all?"""
        return origin is not None and not self._foreign(environ, self.listed)

    def check(self, namespace: str, environ: dict[str, Any]) -> None:
        """Refuse the connection (``cross_origin``) unless ``namespace`` accepts the page."""
        if self._foreign(environ, self.allowed(namespace)):
            error = CrossOrigin()
            raise socketio.exceptions.ConnectionRefusedError(error.code, error.as_dict())
