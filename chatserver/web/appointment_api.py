"""The visitor's space changes an agreed chat: cancel it, or move it to another time.

The link's key travels in the JSON body, never in the URL (docs/protocol.md §13). Like every
route that takes a key, the source's count of wrong links is checked first and a key that
opens nothing adds to it (``privacy/link_guard.py``); every such key answers ``link_unknown``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.clock import iso
from chatserver.errors import InvalidPayload, LinkUnknown
from chatserver.hub.followup.model import Appointment, Space
from chatserver.web.auth import login_source
from chatserver.web.json_body import json_body
from chatserver.web.keys import FOLLOW_UP, LINK_GUARD


async def _space(request: web.Request) -> tuple[Space, dict[str, Any]]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidPayload("Send a JSON object.")
    guard = request.app[LINK_GUARD]
    source = login_source(request)  # the rotating pseudonym of the source, never its address
    guard.check_source(source)
    try:
        space = await request.app[FOLLOW_UP].spaces.find(body.get("key"))
    except LinkUnknown:
        guard.wrong_source(source)
        raise
    return space, body


def _answer(appointment: Appointment) -> web.Response:
    return web.json_response(
        {"ok": True, "appointment": {"id": appointment.id, "at": iso(appointment.at),
                                     "state": appointment.state.value}},
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


async def cancel(request: web.Request) -> web.Response:
    """``POST /api/space/appointment/cancel`` {key, appointment_id}."""
    space, body = await _space(request)
    book = request.app[FOLLOW_UP].appointments
    return _answer(await book.cancel(space, body.get("appointment_id")))


async def move(request: web.Request) -> web.Response:
    """``POST /api/space/appointment/move`` {key, appointment_id, at}: same volunteer."""
    space, body = await _space(request)
    book = request.app[FOLLOW_UP].appointments
    return _answer(await book.move(space, body.get("appointment_id"), body.get("at")))


def add_appointment_routes(app: web.Application) -> None:
    app.router.add_post("/api/space/appointment/cancel", cancel)
    app.router.add_post("/api/space/appointment/move", move)
