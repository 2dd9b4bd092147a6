"""Abuse control without identity: a keyed, rotating pseudonym of the visitor's address.

The address itself is used in memory for one HMAC and then dropped. The key lives only in
this process's memory and is replaced every period (a day by default), so a pseudonym cannot
be traced back to an address by anyone holding a copy of the server's data, and every block
keyed on it lapses when the key is replaced. Nothing here is ever written to disk or logs.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from typing import Any

from chatserver.clock import Clock


class Pseudonyms:
    def __init__(self, clock: Clock, period_seconds: float = 86400.0) -> None:
        self.clock = clock
        self.period = period_seconds
        self._epoch = -1
        self._key = b""

    @property
    def epoch(self) -> int:
        """Which key period it is; blocks remember it and lapse when it changes."""
        self._rotate()
        return self._epoch

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
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded and _trusted(peer, trusted_proxies):
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # the right-most hop not itself a trusted proxy is who reached our proxies
        for hop in reversed(hops):
            if not _trusted(hop, trusted_proxies):
                return hop
    return peer


def _trusted(address: str, proxies: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_trusted_proxy(address: str, proxies: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``abuse.trusted_proxies``, whose ``X-Forwarded-*``
    headers are believed (the address, the scheme and the host the browser used)."""
    return _trusted(address, proxies)
