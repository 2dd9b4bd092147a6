"""``GET /space``: the page behind a visitor's link, where letters and answers are read.

The server never sees which space is asked for: the key is in the URL's fragment, which a
browser does not send. So the page is the same for everyone; its script (``space.js``)
takes the key from the fragment, keeps it in ``sessionStorage``, removes it from the
address bar and history, and asks ``POST /api/space`` with the key in the body. What the
page is rendered with is what a link that works no more needs too: the numbers to call and
where to start a chat or a new letter, for every line.

Served like the chat frame (``widget.py``): a strict Content-Security-Policy without inline
code, no referrer (the fragment never leaves with a click), no caching; and it is nobody's
frame (``frame-ancestors 'none'``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.clock import iso
from chatserver.i18n import localized
from chatserver.realtime import wire
from chatserver.web.keys import HUB
from chatserver.web.widget import (
    FRAME_POLICY,
    LANGS,
    SPACE_REUSED,
    SPACE_SCRIPTS,
    SPACE_STYLES,
    page,
    strings,
)

SPACE_POLICY = f"{FRAME_POLICY} 'none'"


async def space(request: web.Request) -> web.Response:
    settings = request.app[HUB].settings
    asked = request.query.get("lang")
    lang = asked if asked in LANGS else "nl"
    contacts: list[dict[str, Any]] = []
    for line in settings.lines:  # every line's numbers, each once: the link may be of any
        for contact in line.emergency:
            item = wire.contact(contact, lang)
            if all((c.get("phone"), c.get("url")) != (item.get("phone"), item.get("url"))
                   for c in contacts):  # fmt: skip
                contacts.append(item)
    lines = [{"id": line.id, "name": localized(line.name, lang)} for line in settings.lines]
    first = settings.lines[0]
    texts = {k: v for k, v in strings(lang).items() if not k.startswith(("demo_", "launcher"))}
    config = {
        "line": None, "lang": lang, "lang_chosen": asked in LANGS, "timezone": None,
        "now": iso(request.app[HUB].clock.now()), "strings": texts, "lines": lines,
        "status": {"name": texts["space_title"], "emergency": contacts,
                   "exit_url": first.exit_url},
    }  # fmt: skip
    return page(
        "space.html",
        SPACE_POLICY,
        lang=lang,
        t=strings(lang),
        contacts=contacts,
        lines=lines,
        config=config,
        styles=SPACE_STYLES,
        scripts=(*SPACE_SCRIPTS, *SPACE_REUSED),
    )


def add_space_page_routes(app: web.Application) -> None:
    app.router.add_get("/space", space)
