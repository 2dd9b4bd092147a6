"""HTTP routes: health, the public line API and operator login. Thin views over the hub.

No view reads or logs the client's address, user agent or referrer; the access log format
(see app.py) leaves them out too.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from chatserver import accounts
from chatserver.errors import ChatError, InvalidPayload, UnknownLine
from chatserver.hub.hub import Hub
from chatserver.realtime import wire
from chatserver.realtime.operator import SESSION_COOKIE

HUB = web.AppKey("hub", Hub)
READY = web.AppKey("ready", dict)


def error_response(error: ChatError, status: int) -> web.Response:
    return web.json_response({"ok": False, "error": error.as_dict()}, status=status)


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang", "nl")
    return lang if lang in ("nl", "en") else "nl"


def line_payload(hub: Hub, line_id: str, lang: str) -> dict[str, Any]:
    status = hub.line_status(line_id)
    line = status.line
    return {
        "id": line.id,
        "name": wire.localized(line.name, lang),
        "languages": list(line.languages),
        "open": status.open,
        "next_open": status.next_open,
        "waiting": status.waiting,
        "estimated_wait_seconds": status.estimated_wait_seconds,
        "emergency": [wire.contact(c, lang) for c in line.emergency],
        "privacy_statement": wire.localized(line.privacy_statement, lang),
        "intake": {
            "topics": [
                {"id": t.id, "label": wire.localized(t.label, lang)}
                for t in hub.settings.intake_topics
            ],
            "age_bands": list(hub.settings.age_bands),
        },
        "exit_url": line.exit_url,
    }


async def healthz(request: web.Request) -> web.Response:
    state = request.app[READY]
    if not state.get("ready") or state.get("draining"):
        return web.json_response(
            {"status": "draining" if state.get("draining") else "starting"}, status=503
        )
    return web.json_response({"status": "ok"})


async def lines(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    lang = _lang(request)
    return web.json_response(
        {"lines": [line_payload(hub, line.id, lang) for line in hub.settings.lines]}
    )


async def line(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    try:
        return web.json_response(line_payload(hub, request.match_info["line"], _lang(request)))
    except UnknownLine as error:
        return error_response(error, 404)


async def login(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error_response(InvalidPayload("Send JSON."), 400)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and 0 < len(body[k]) <= 1024 for k in ("username", "password")
    ):
        return error_response(InvalidPayload('Send {"username": "...", "password": "..."}.'), 400)
    try:
        token, session, account = await accounts.login(
            hub.store, hub.clock, body["username"], body["password"]
        )
    except ChatError as error:
        return error_response(error, 401)
    response = web.json_response(
        {
            "ok": True,
            "operator": {
                "id": account.id,
                "username": account.username,
                "alias": account.alias,
                "role": account.role,
                "lines": list(account.lines),
            },
            "csrf": session.csrf,
        }
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    await accounts.logout(request.app[HUB].store, request.cookies.get(SESSION_COOKIE))
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/lines", lines)
    app.router.add_get("/api/lines/{line}", line)
    app.router.add_post("/api/session", login)
    app.router.add_delete("/api/session", logout)
    from chatserver.web import admin, widget  # here, not at the top: they import HUB from here

    app.router.add_get("/api/audit", admin.audit_log)
    app.router.add_get("/api/holds", admin.holds)
    widget.add_widget_routes(app)
