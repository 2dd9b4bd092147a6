"""HTTP routes: health, the public line API and operator login. Thin views over the hub.

No view reads or logs the client's address, user agent or referrer; the access log format
(see app.py) leaves them out too.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.errors import ChatError, UnknownLine
from chatserver.hub.hub import Hub
from chatserver.i18n import localized
from chatserver.realtime import wire

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
        "name": localized(line.name, lang),
        "languages": list(line.languages),
        "open": status.open,
        "next_open": status.next_open,
        "waiting": status.waiting,
        "estimated_wait_seconds": status.estimated_wait_seconds,
        "emergency": [wire.contact(c, lang) for c in line.emergency],
        "privacy_statement": localized(line.privacy_statement, lang),
        "intake": {
            "topics": [
                {"id": t.id, "label": localized(t.label, lang)} for t in hub.settings.intake_topics
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
    """``POST /api/session``: password, TOTP where the role needs it, lockout; see web/auth."""
    from chatserver.web import auth  # here, not at the top: auth imports HUB from here

    return await auth.api_login(request)


async def logout(request: web.Request) -> web.Response:
    """``DELETE /api/session``: needs the session's CSRF token (X-CSRF-Token); see web/auth."""
    from chatserver.web import auth

    return await auth.api_logout(request)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/lines", lines)
    app.router.add_get("/api/lines/{line}", line)
    app.router.add_post("/api/session", login)
    app.router.add_delete("/api/session", logout)
    from chatserver.web import admin, widget  # here, not at the top: they import HUB from here

    app.router.add_get("/api/audit", admin.audit_log)
    app.router.add_get("/api/holds", admin.holds)
    from chatserver.web import transcripts

    app.router.add_get("/api/conversations/{id}/transcript", transcripts.transcript)
    widget.add_widget_routes(app)
    from chatserver.web import console  # the operator console: /login, /console, its files

    console.add_console_routes(app)
    from chatserver.web import supervisor  # the live floor and statistics: /supervisor...

    supervisor.add_supervisor_routes(app)
    from chatserver.web import admin_pages, enrolment  # /admin pages; 2FA set-up at login

    enrolment.add_enrolment_routes(app)
    admin_pages.add_admin_routes(app)
