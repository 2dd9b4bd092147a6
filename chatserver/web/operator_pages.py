"""The operator side's pages: what every one of them shares, the console and its files.

The login (``login.py``), the enrolment, the supervisor's and the administration pages all
render through :func:`page`, with the console's templates and strings (``console/``).
Server-rendered with Jinja2 (autoescaping on), in Dutch or English from ``console/locales``.
Every page carries a strict Content-Security-Policy: no inline script or style, nothing from
another origin, no framing. A volunteer's screen shows what people in crisis wrote; an
injected script there would be the worst leak this server could have.

Forms work without JavaScript and carry a CSRF token in a hidden field: the session's token
after login, and before login a random token that must match a cookie set with the form
(double submit), so another site can neither act as a volunteer nor log one in as itself.
This module renders that form (:func:`login_form`); ``login.py`` answers it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from chatserver.hub.followup.oversight import letter_lines
from chatserver.hub.model import Account
from chatserver.i18n import localized
from chatserver.settings import Settings, Topic
from chatserver.web import auth, pages
from chatserver.web.keys import HUB

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
SOCKET_IO = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
LANGS = ("nl", "en")
LOGIN_CSRF_COOKIE = "login_csrf"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
# a fixed list, so no request path ever reaches the file system. The scripts are ES modules
# that import one another (console/README.md says which does what): list every one of them.
SCRIPTS = (
    "config.js", "strings.js", "dom.js", "time.js", "socket.js", "messages.js", "alerts.js",
    "console.js", "console-panel.js", "console-conversations.js", "console-actions.js",
    "console-dialogs.js", "console-letters.js", "console-appointments.js",
    "supervisor.js", "supervisor-floor.js", "supervisor-panes.js", "supervisor-followup.js",
)  # fmt: skip
STATIC = {"console.css": CSS} | {name: JS for name in SCRIPTS}

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # no transcript or token stays in a shared computer's cache
}
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
RISKS = ("none", "low", "high", "acute")
# where the login may send someone afterwards (``next``): a path on this server only, never
# "//elsewhere" or "https://…", so the login page cannot be used to bounce people offsite
NEXT_PATH = re.compile(r"^/[a-z][a-z0-9_-]*(/[a-z0-9_-]+)*$")


def _templates() -> jinja2.Environment:
    return pages.templates(CONSOLE)


def strings(lang: str) -> dict[str, str]:
    """Every text of the console, from ``console/locales/<lang>.json``."""
    return pages.locale(CONSOLE, lang)


@cache
def admin_strings(lang: str) -> dict[str, str]:
    """The console's texts with ``console/locales/admin.<lang>.json`` merged over them: what
    the administration pages, the enrolment and the error pages read.

    A file of their own, so the administration pages and the console can grow their texts
    side by side without editing one catalogue at the same time.
    """
    own = json.loads((CONSOLE / "locales" / f"admin.{lang}.json").read_text("utf-8"))
    return {**strings(lang), **own}


def language(request: web.Request) -> str:
    """``?lang=`` first, then the browser's Accept-Language, then Dutch."""
    asked = request.query.get("lang")
    if asked in LANGS:
        return asked
    best, best_q = "nl", 0.0
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower()[:2]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if code in LANGS and q > best_q:
            best, best_q = code, q
    return best


def page(template: str, status: int = 200, **values: Any) -> web.Response:
    html = _templates().get_template(template).render(**values)
    return web.Response(text=html, content_type="text/html", status=status, headers=PAGE_HEADERS)


def form_field(form: Mapping[str, object] | None, name: str, limit: int = 1024) -> str:
    """A form field as text; missing, a file upload or an oversized value counts as empty."""
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) and len(value) <= limit else ""


def next_path(value: str | None) -> str:
    """The page to go to after login: ``value`` when it is a plain local path, else /console."""
    return value if value and len(value) <= 100 and NEXT_PATH.match(value) else "/console"


def see_other(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


def _topics(topics: tuple[Topic, ...], lang: str) -> list[dict[str, str]]:
    return [{"id": t.id, "label": localized(t.label, lang)} for t in topics]


def console_config(settings: Settings, account: Account, csrf: str, lang: str) -> dict[str, Any]:
    """What console.js needs at start, rendered into the page as JSON (not a script)."""
    return {
        "lang": lang,
        "csrf": csrf,
        "me": {"id": account.id, "alias": account.alias, "role": account.role},
        "strings": strings(lang),
        "wrapup_topics": _topics(settings.wrapup_topics, lang),
        "intake_topics": _topics(settings.intake_topics, lang),
        "risks": list(RISKS),
        "lines": {line.id: localized(line.name, lang) for line in settings.lines},
        # the lines whose letters this account answers (§13.2): none, no letters pane
        "letter_lines": letter_lines(settings, account),
        # lines whose volunteers may offer a next chat at the end of one (§13.3)
        "appointment_lines": [line.id for line in settings.lines if line.follow_up.appointments],
        # per line, the canned responses in the console's language (inserted, never sent)
        "canned": {
            line.id: [
                {"id": c.id, "title": localized(c.title, lang), "text": localized(c.text, lang)}
                for c in line.canned
            ]
            for line in settings.lines
        },
    }


# -- pages -----------------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    raise see_other("/console")


async def console_page(request: web.Request) -> web.Response:
    """The volunteer's console (any role); without a session, the login page."""
    lang = language(request)
    found = await auth.current(request)
    if found is None:
        raise see_other(f"/login?lang={lang}")
    session, account = found
    config = console_config(request.app[HUB].settings, account, session.csrf, lang)
    return page(
        "console.html", lang=lang, t=strings(lang), me=account, csrf=session.csrf,
        config=config, other_lang="en" if lang == "nl" else "nl",
    )  # fmt: skip


def login_form(
    request: web.Request,
    lang: str,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    focus: str = "username",
    next_to: str = "/console",
) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        "login.html", status, lang=lang, t=strings(lang), csrf=token, error=error,
        username=username, focus=focus, other_lang="en" if lang == "nl" else "nl",
        next=next_to,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict",
        secure=auth.secure_cookies(request), path="/login",
    )  # fmt: skip
    return response


# -- files -----------------------------------------------------------------------------------


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound(text="No such file.")
    headers = {**FILE_HEADERS, "Content-Type": STATIC[name], "Cache-Control": "no-cache"}
    return web.FileResponse(CONSOLE / "static" / name, headers=headers)


async def socket_io(request: web.Request) -> web.FileResponse:
    """The socket.io client from npm (never a CDN); say how to fix it when it is missing."""
    if not SOCKET_IO.is_file():
        raise web.HTTPNotFound(
            text="socket.io.min.js is missing: run `npm ci` in the project folder.\n"
        )
    headers = {**FILE_HEADERS, "Content-Type": JS, "Cache-Control": "public, max-age=3600"}
    return web.FileResponse(SOCKET_IO, headers=headers)


@cache
def _favicon() -> bytes:
    return (CONSOLE / "static" / "favicon.ico").read_bytes()


async def favicon(request: web.Request) -> web.Response:
    """The helpline's tab icon, which every browser asks for by itself: an answer instead of a
    404 in every log, and cached for a week, since it hardly ever changes."""
    headers = {**FILE_HEADERS, "Cache-Control": "public, max-age=604800"}
    return web.Response(body=_favicon(), content_type="image/x-icon", headers=headers)


def add_console_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/console", console_page)
    app.router.add_get("/console/static/{name}", static)
    app.router.add_get("/console/vendor/socket.io.min.js", socket_io)
