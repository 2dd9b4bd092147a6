"""The visitor's space changes an agreed chat: cancel it, or move it to another time.

The link's key travels in the JSON body, never in the URL (docs/protocol.md §13). Like every
route that takes a key, the source's count of wrong links is checked first and a key that
opens nothing adds to it (``privacy/link_guard.py``); every such key answers ``link_unknown``.
"""

from __future__ import annotations

from aiohttp import web

from chatserver.clock import iso
from chatserver.hub.followup.model import Appointment
from chatserver.web.keys import FOLLOW_UP
from chatserver.web.space_api import opened_space


def _answer(appointment: Appointment) -> web.Response:
    return web.json_response(
        {"ok": True, "appointment": {"id": appointment.id, "at": iso(appointment.at),
                                     "state": appointment.state.value}},
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


async def cancel(request: web.Request) -> web.Response:
    """``POST /api/space/appointment/cancel`` {key, appointment_id}."""
    space, body = await opened_space(request)
    book = request.app[FOLLOW_UP].appointments
    return _answer(await book.cancel(space, body.get("appointment_id")))


async def move(request: web.Request) -> web.Response:
    """``POST /api/space/appointment/move`` {key, appointment_id, at}: same volunteer."""
    space, body = await opened_space(request)
    book = request.app[FOLLOW_UP].appointments
    return _answer(await book.move(space, body.get("appointment_id"), body.get("at")))


def add_appointment_routes(app: web.Application) -> None:
    app.router.add_post("/api/space/appointment/cancel", cancel)
    app.router.add_post("/api/space/appointment/move", move)
