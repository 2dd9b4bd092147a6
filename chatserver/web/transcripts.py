"""Stored transcripts, for supervisors only, after the conversation has ended; every read is
audited (who, when, which conversation), so that access to what visitors wrote can be
checked afterwards. The hub decides who may read; this view only translates to HTTP."""

from __future__ import annotations

from aiohttp import web

from chatserver import accounts
from chatserver.errors import Forbidden, Unauthorized
from chatserver.realtime import wire
from chatserver.realtime.operator import SESSION_COOKIE
from chatserver.web.keys import HUB
from chatserver.web.public_api import error_response


async def transcript(request: web.Request) -> web.Response:
    """``GET /api/conversations/{id}/transcript``: messages, notes and whispers of an ended chat."""
    hub = request.app[HUB]
    found = await accounts.authenticate(hub.store, hub.clock, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return error_response(Unauthorized(), 401)
    try:
        conversation, messages = await hub.read_transcript(found[1], request.match_info["id"])
    except Forbidden as error:
        return error_response(error, 403)
    body = wire.conversation(
        conversation, [wire.operator_message(m, hub.alias(m.author or "")) for m in messages]
    )
    response = web.json_response({"ok": True, "conversation": body})
    response.headers["Cache-Control"] = "no-store"
    return response
