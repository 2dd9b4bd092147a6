"""Abuse control without identity: a keyed, rotating pseudonym of the visitor's address.

The address itself is used in memory for one HMAC and then dropped. The key lives only in
this process's memory and is replaced every period (a day by default), so a pseudonym cannot
be traced back to an address by anyone holding a copy of the server's data, and every block
keyed on it lapses when the key is replaced. Nothing here is ever written to disk or logs.

With several nodes the key must be one for all of them: ``backends/redis_edges/pseudonyms.py``
hands it between the nodes' memory over Redis pub/sub (still never stored) and ratchets it
forward each period. Both are a ``PseudonymKey``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from chatserver.clock import Clock


class PseudonymKey(Protocol):
    """The keyed pseudonym of an address: this process's own key (``Pseudonyms``, the
    embedded default) or one key shared by every node and handed between them in memory
    (``backends/redis_edges/pseudonyms.py``). Synchronous: the key is always in memory."""

    @property
    def epoch(self) -> str:
        """Which key is in use: blocks and per-source counts remember it and lapse when it
        changes (a new period, or a new key for the same period after a restart)."""
        ...

    def of(self, address: str) -> str: ...


class Pseudonyms:
    def __init__(self, clock: Clock, period_seconds: float = 86400.0) -> None:
        self.clock = clock
        self.period = period_seconds
        self._epoch = -1
        self._key = b""

    @property
    def epoch(self) -> str:
        """Which key period it is; blocks remember it and lapse when it changes (a restart
        forgets the blocks with the key)."""
        self._rotate()
        return str(self._epoch)

    def _rotate(self) -> None:
        epoch = int(self.clock.now() // self.period)
        if epoch != self._epoch:
            self._epoch = epoch
            self._key = secrets.token_bytes(32)

    def of(self, address: str) -> str:
        self._rotate()
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:24]


def source_address(environ: dict[str, Any], trusted_proxies: Iterable[str] = ()) -> str:
    """The visitor's address, in memory only: the peer, or X-Forwarded-For from a trusted proxy.

    A forwarded header from anyone else is ignored, so a visitor cannot dodge a block or a
    limit by sending one.
    """
    request = environ.get("aiohttp.request")
    peer = str(getattr(request, "remote", "") or "")
    forwarded: str | None = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded and _trusted(peer, trusted_proxies):
        return forwarded_client(forwarded, trusted_proxies) or peer
    return peer


def forwarded_client(forwarded: str, trusted_proxies: Iterable[str]) -> str | None:
    """Who reached our proxies, by a trusted proxy's X-Forwarded-For: the right-most hop that
    is not itself a trusted proxy (if every hop is one, the first); None for an empty header."""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else None


FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def unlisted_proxy(
    peer: str, headers: Mapping[str, str], trusted_proxies: Iterable[str]
) -> tuple[str, str] | None:
    """A forwarded header from a loopback or private peer that is not a trusted proxy.

    That is almost always a reverse proxy nobody listed in ``abuse.trusted_proxies``: every
    visitor then arrives from the proxy's address, looks like one connection, and shares one
    set of limits. Returns the header's name and the kind of peer ("loopback", "private
    network") for a warning, never the address; None when all is as it should be. A public
    peer sending the header is a client (or an unknown party) and is simply not believed.
    """
    header = next((name for name in FORWARDING_HEADERS if name in headers), None)
    ip = _ip(peer)
    if header is None or ip is None or _trusted(peer, trusted_proxies):
        return None
    if ip.is_loopback:
        return header, "loopback"
    if ip.is_private or ip.is_link_local:
        return header, "private network"
    return None


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, with an IPv4 peer on a dual-stack socket (``::ffff:10.0.0.2``) as IPv4,
    so a proxy listed as "10.0.0.2" is recognised however the server listens."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(address: str, proxies: Iterable[str]) -> bool:
    ip = _ip(address)
    if ip is None:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def within(address: str, networks: Iterable[str]) -> bool:
    """Is ``address`` in one of ``networks`` (addresses or networks from the configuration)?"""
    return _trusted(address, networks)


def is_trusted_proxy(address: str, proxies: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``abuse.trusted_proxies``, whose ``X-Forwarded-*``
    headers are believed (the address, the scheme and the host the browser used)."""
    return _trusted(address, proxies)
