"""Every ``ChatError`` over HTTP, answered in one place: the JSON error body or an error page.

Views raise (or let the hub's errors pass) and never choose a status: the error carries it
(``chatserver/errors.py``). This middleware is to HTTP what ``realtime/acks.py`` is to
sockets, so a client hears the same code and message over either transport.

Which answer a route gets is decided by its path, not by the error: the JSON API (``/api/``,
``/healthz`` and the widget's ``/widget/config/``) answers ``{"ok": false, "error": {"code",
"message", ...}}``; every other route is a page that a person reads, and answers the
console's message page in that person's language, with a link back. A page view that knows
better words gives the error an :class:`~chatserver.errors.ErrorPage`; otherwise the page
says what the error's code means (``error_<code>`` in ``console/locales``).

Unexpected exceptions are not handled here: ``security.py`` logs them without the client's
address and answers ``internal``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from chatserver.errors import ChatError
from chatserver.web.keys import METRICS, PAGE_LANG
from chatserver.web.operator_pages import admin_strings, language, page

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

JSON_PATHS = ("/api/", "/healthz", "/widget/config/")


def answers_json(request: web.Request) -> bool:
    """Whether the route is part of the JSON API (else it is a page)."""
    return request.path.startswith(JSON_PATHS)


def json_error(error: ChatError) -> web.Response:
    body = {"ok": False, "error": error.as_dict()}
    return web.json_response(body, status=error.status, headers=error.headers)


def error_page(request: web.Request, error: ChatError) -> web.Response:
    lang = request.get(PAGE_LANG) or language(request)
    t = admin_strings(lang)
    if error.page is not None:
        title, text, back = t[error.page.title], t[error.page.text], error.page.back
    else:
        title, text = t["error_page_title"], t.get(f"error_{error.code}", error.message)
        back = "/console"
    response = page("message.html", error.status, lang=lang, t=t, title=title, text=text, back=back)
    response.headers.update(error.headers)
    return response


@web.middleware
async def chat_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A ``ChatError`` from any view becomes its answer, with the error's status and headers."""
    try:
        return await handler(request)
    except ChatError as error:
        if METRICS in request.app:
            request.app[METRICS].http_refused(error.code)
        return json_error(error) if answers_json(request) else error_page(request, error)
