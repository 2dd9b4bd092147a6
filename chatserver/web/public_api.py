"""The public HTTP API: health and the lines a widget may show. Thin views over the hub.

No view reads or logs the client's address, user agent or referrer; the access log format
(see app.py) leaves them out too.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.hub.hub import Hub
from chatserver.i18n import localized
from chatserver.realtime import wire
from chatserver.web.keys import HUB, READY


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang", "nl")
    return lang if lang in ("nl", "en") else "nl"


async def line_payload(hub: Hub, line_id: str, lang: str) -> dict[str, Any]:
    """A line as the API and the widget frame show it; ``UnknownLine`` if there is none."""
    status = await hub.line_status(line_id)
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
        # a letter instead, when the chat cannot help now; answered within the line's promise
        "letters": line.follow_up.letters,
        "answer_within_hours": (
            line.follow_up.answer_within_hours if line.follow_up.letters else None
        ),
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
        {"lines": [await line_payload(hub, line.id, lang) for line in hub.settings.lines]}
    )


async def line(request: web.Request) -> web.Response:
    """``GET /api/lines/{line}``; an unknown line is ``unknown_line`` (error_pages.py)."""
    hub = request.app[HUB]
    return web.json_response(await line_payload(hub, request.match_info["line"], _lang(request)))
