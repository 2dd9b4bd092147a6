"""Whose page sent a request: this server's own, a listed site's, or another site's.

A browser says it twice, and no script can forge either: ``Sec-Fetch-Site`` (``same-origin``,
``same-site``, ``cross-site``, or ``none`` when a person typed the address) and ``Origin``
(``scheme://host[:port]`` of the page, on every cross-origin request, every POST and every
WebSocket handshake). This module reads them the way Go's ``http.CrossOriginProtection``
does: ``Sec-Fetch-Site`` first; without it, ``Origin`` against the ``Host`` the request was
sent to; without either, the request does not come from a browser at all (a script, the
command line, a monitoring probe), and forging a browser's request is the only attack these
checks are for, so it passes.

Only the host is compared, not the scheme: behind a proxy that ends TLS the server sees
``http`` while the page says ``https``, and comparing schemes would refuse the helpline's own
pages whenever ``abuse.trusted_proxies`` was left out. A proxy that rewrites ``Host`` must be
listed in ``abuse.trusted_proxies`` so its ``X-Forwarded-Host`` is believed (README).

Used by the HTTP check of state-changing requests (``web/cross_site.py``), the socket.io
namespaces (``realtime/origins.py``) and the session cookie's ``Secure`` flag.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from urllib.parse import urlsplit

from aiohttp import web

from chatserver.privacy.pseudonyms import is_trusted_proxy

BROWSER_SAYS_OURS = ("same-origin", "none")  # ``none``: typed, bookmarked, not from a page


def _forwarded(request: web.Request, header: str, trusted_proxies: Iterable[str]) -> str | None:
    """The first value of a proxy's ``X-Forwarded-*`` header, believed from a trusted peer
    only: from anyone else it is just something the client made up."""
    value = request.headers.get(header)
    if not value or not is_trusted_proxy(str(request.remote or ""), trusted_proxies):
        return None
    return value.split(",", 1)[0].strip().lower() or None


def own_host(request: web.Request, trusted_proxies: Iterable[str] = ()) -> str:
    """``host[:port]`` the browser sent the request to, as its ``Origin`` would name it."""
    forwarded = _forwarded(request, "X-Forwarded-Host", trusted_proxies)
    return forwarded or request.headers.get("Host", "").strip().lower()


def over_tls(request: web.Request, trusted_proxies: Iterable[str] = ()) -> bool:
    """Whether the browser's connection is encrypted: ours, or a trusted proxy's that says
    ``X-Forwarded-Proto: https``. What decides the ``Secure`` flag of a cookie."""
    if request.secure:
        return True
    return _forwarded(request, "X-Forwarded-Proto", trusted_proxies) == "https"


def host_of(origin: str) -> str | None:
    """``host[:port]`` of an ``Origin`` value; None for ``null`` or anything malformed."""
    try:
        parts = urlsplit(origin.strip().lower())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        return None
    return parts.netloc


def from_other_site(headers: Mapping[str, str], own: str, listed: Collection[str] = ()) -> bool:
    """Whether a browser sent this from a page that is neither ours (``own`` is our
    ``host[:port]``) nor one of the ``listed`` origins (``scheme://host[:port]``)."""
    site = headers.get("Sec-Fetch-Site")
    origin = headers.get("Origin")
    if site is not None and site.strip().lower() in BROWSER_SAYS_OURS:
        return False
    if origin is None:
        return site is not None  # a browser's cross-site request that hides its page
    if origin.strip().lower() in listed:
        return False
    return site is not None or host_of(origin) != own
