"""Where an HTTP request comes from, as the limits know it: a pseudonym, never an address.

The login lockout, the link guard and the letter limit all count per source. The source is
the keyed, rotating pseudonym (``privacy/pseudonyms.py``) of the client's address: the peer,
or the client a trusted proxy names in X-Forwarded-For (``[abuse] trusted_proxies``), as for
a socket's handshake. The address itself is used for one HMAC in memory and dropped.
"""

from __future__ import annotations

from aiohttp import web

from chatserver.privacy.pseudonyms import source_address
from chatserver.web.keys import HUB, PSEUDONYMS


def client_source(request: web.Request) -> str:
    trusted = request.app[HUB].settings.abuse.trusted_proxies
    environ = {  # what source_address reads, as for a socket's handshake
        "aiohttp.request": request,
        "HTTP_X_FORWARDED_FOR": request.headers.get("X-Forwarded-For"),
    }
    return request.app[PSEUDONYMS].of(source_address(environ, trusted))
