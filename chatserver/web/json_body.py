"""The JSON body of a request, parsed as the sockets parse their payloads.

``request.json()`` is Python's ``json.loads``: JSON nested thousands deep raised
``RecursionError`` and a 5000-digit number a bare ``ValueError``, both answered ``500``, and
a lone surrogate reached the store as text it cannot write. ``client_json`` makes each of
them one ``invalid_payload`` (``400``), answered by the error middleware like any other.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.client_json import BadJson, loads
from chatserver.errors import InvalidPayload


async def json_body(request: web.Request) -> Any:
    """The body as JSON (``client_max_size`` bounds how much is read), or InvalidPayload."""
    try:
        return loads(await request.read())
    except BadJson as error:
        reason = "" if error.reason == BadJson.NOT_JSON else f" {error.reason}"
        raise InvalidPayload(f"Send JSON.{reason}") from None
