"""Stored transcripts, for supervisors only, after the conversation has ended; every read is
audited (who, when, which conversation), so that access to what visitors wrote can be
checked afterwards. The hub decides who may read; this view only translates to HTTP."""

from __future__ import annotations

from aiohttp import web

from chatserver.errors import Unauthorized
from chatserver.realtime import wire
from chatserver.web import auth
from chatserver.web.keys import HUB


async def transcript(request: web.Request) -> web.Response:
    """``GET /api/conversations/{id}/transcript``: messages, notes and whispers of an ended chat."""
    hub = request.app[HUB]
    found = await auth.current(request)
    if found is None:
        raise Unauthorized()
    conversation, messages = await hub.read_transcript(found[1], request.match_info["id"])
    body = wire.conversation(
        conversation, [wire.operator_message(m, hub.alias(m.author or "")) for m in messages]
    )
    response = web.json_response({"ok": True, "conversation": body})
    response.headers["Cache-Control"] = "no-store"
    return response
