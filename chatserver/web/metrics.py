"""``GET /metrics``: the Prometheus text page, for the organisation's scraper only.

It shows how busy the helpline is (never who), but that is still nobody else's business, so
only the addresses of ``[server] metrics_allowed`` may read it (default: the machine itself)
and everyone else gets the plain ``404`` of a path that does not exist.

Behind a reverse proxy every request comes from the proxy's address, which is often the
loopback one the default allows. So a request that carries a forwarding header is judged by
the client the proxy names, and only if the proxy is one of ``[abuse] trusted_proxies``; a
forwarded request from anyone else is refused, as we cannot tell whom it came from. The
address is used for this comparison only: never stored, never logged.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import generate_latest

from chatserver.privacy.pseudonyms import (
    FORWARDING_HEADERS,
    forwarded_client,
    is_trusted_proxy,
    within,
)
from chatserver.web.keys import HUB, METRICS

# the classic text format every Prometheus reads; our names need nothing newer
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def client_of(request: web.Request, trusted_proxies: tuple[str, ...]) -> str | None:
    """Who is asking: the peer, or the client a trusted proxy names; None if a forwarded
    header came from anyone else (we cannot tell who asks, so the page stays shut)."""
    peer = request.remote or ""
    if not any(name in request.headers for name in FORWARDING_HEADERS):
        return peer
    if not is_trusted_proxy(peer, trusted_proxies):
        return None
    return forwarded_client(
        ",".join(request.headers.getall("X-Forwarded-For", [])), trusted_proxies
    )


async def metrics(request: web.Request) -> web.Response:
    settings = request.app[HUB].settings
    client = client_of(request, settings.abuse.trusted_proxies)
    if client is None or not within(client, settings.server.metrics_allowed):
        raise web.HTTPNotFound()  # as if there were no such page
    await request.app[METRICS].live.refresh()
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"}
    )
