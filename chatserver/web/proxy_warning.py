"""One clear warning when the server runs behind a reverse proxy it was not told about.

Behind nginx, HAProxy or a load balancer every request arrives from the proxy's address. If
that proxy is not in ``[abuse] trusted_proxies``, its ``X-Forwarded-For`` is (rightly) not
believed, so every visitor of the whole helpline looks like one connection: volunteers see
"several chats from one connection" on nearly every chat, one visitor's block blocks all,
and the flood ceiling turns people away. Nothing else would tell the operator of the server,
so the first request that shows the mistake - a forwarded header from a loopback or private
peer that is not listed - logs one warning naming the setting and what to put there.

Once per server (a process runs one): after the first warning nothing more is checked, so a
busy evening does not fill the log. The warning names the header and the kind of peer, never
an address: the peer may be a visitor on the local network, and no visitor address is logged.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from chatserver.privacy.pseudonyms import unlisted_proxy

log = logging.getLogger(__name__)

EXAMPLES = {
    "loopback": '["127.0.0.0/8", "::1"] for a proxy on this machine',
    "private network": (
        'its address, or its network such as ["10.0.0.0/8"], ["172.16.0.0/12"] or '
        '["192.168.0.0/16"]'
    ),
}


def warning_text(header: str, kind: str) -> str:
    """The warning, in words an administrator can act on without reading the code."""
    return (
        f"Requests carry {header} from a {kind} address that is not in [abuse] "
        "trusted_proxies: this looks like a reverse proxy the server was not told about. "
        "Every visitor then counts as the proxy, one connection: volunteers see 'several "
        "chats from one connection' on nearly every chat, a block hits everyone, and "
        "abuse.conversations_ceiling can turn visitors away. Fix: set abuse.trusted_proxies "
        f"in the configuration to the proxy's address, e.g. trusted_proxies = {EXAMPLES[kind]}, "
        "and let the proxy set X-Forwarded-For (README: 'Behind a reverse proxy'). Without a "
        "proxy, a client sent the header and it is ignored. This warning is logged once."
    )


def proxy_warning(trusted_proxies: tuple[str, ...]) -> Middleware:
    """The middleware: looks at requests until the first unlisted proxy, warns, then rests."""
    warned = False

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal warned
        if not warned:
            found = unlisted_proxy(request.remote or "", request.headers, trusted_proxies)
            if found is not None:
                warned = True
                log.warning("%s", warning_text(*found))
        return await handler(request)

    return middleware
