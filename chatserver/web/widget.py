"""The visitor's widget: the embed script, the chat frame, its static files and a demo page.

The chat runs in an iframe served from this server, so the organisation's page can neither
read the conversation nor break its styling. The frame is locked down by its response headers:
a Content-Security-Policy without inline code (``frame-ancestors`` names the sites a line may
be embedded on), no referrer, no caching, no MIME sniffing. Everything the frame loads comes
from this origin; the socket.io client is served from ``node_modules`` (npm), never a CDN.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from chatserver.clock import iso
from chatserver.errors import UnknownLine
from chatserver.i18n import localized
from chatserver.settings import DEFAULT_EXIT_URL, LineSettings
from chatserver.web import pages
from chatserver.web.keys import HUB
from chatserver.web.public_api import line_payload

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
SOCKET_IO = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
LANGS = ("nl", "en")

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html"
# the frame's own files; a fixed list, so no request path ever reaches the file system.
# The scripts are ES modules that import one another (widget/README.md says which does what):
# list every one of them (frame.html preloads them all from this list).
SCRIPTS = (
    "frame.js", "config.js", "words.js", "session.js", "layout.js", "host.js", "panels.js",
    "screen.js", "queue.js", "messages.js", "socket.js", "actions.js", "quick-exit.js",
    "letters.js", "link-copy.js", "appointment.js",
)  # fmt: skip
# the visitor's own space behind a link (space.html, web/space_page.py): its own entry and
# modules, and the frame's modules it reuses (words, panels, the quick exit, copy link)
SPACE_SCRIPTS = (
    "space.js", "space-key.js", "space-api.js", "space-render.js", "space-appointment.js",
)  # fmt: skip
SPACE_REUSED = (
    "config.js", "words.js", "session.js", "panels.js", "host.js", "layout.js", "quick-exit.js",
    "link-copy.js",
)  # fmt: skip
# the frame's look, in cascade order (frame.html links them in this order)
STYLES = (
    "frame-base.css", "frame-controls.css", "frame-screens.css", "frame-conversation.css",
    "frame-letters.css", "frame-appointment.css", "frame-compact.css",
)  # fmt: skip
SPACE_STYLES = (*STYLES, "space.css")
STATIC = (
    {"demo.css": CSS, "space.css": CSS}
    | {name: CSS for name in STYLES}
    | {name: JS for name in (*SCRIPTS, *SPACE_SCRIPTS)}
)

# shared by every response of the widget: no sniffing, and no host page URL sent onwards
BASE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

FRAME_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors"
)
# the demo page is ours: it may frame the chat and run /widget.js, nothing else
DEMO_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _templates() -> jinja2.Environment:
    return pages.templates(WIDGET)


def strings(lang: str) -> dict[str, str]:
    """Every text the visitor reads, from ``widget/locales/<lang>.json``."""
    return pages.locale(WIDGET, lang)


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang", "nl")
    return lang if lang in LANGS else "nl"


def _line(request: web.Request, line_id: str | None) -> LineSettings | None:
    return request.app[HUB].settings.line(line_id) if line_id else None


def frame_policy(line: LineSettings | None) -> str:
    """Only the line's own sites (and this server) may show the chat in a frame."""
    ancestors = ["'self'", *line.embed_origins] if line is not None else ["*"]
    return f"{FRAME_POLICY} {' '.join(ancestors)}"


def page(template: str, policy: str, status: int = 200, **values: Any) -> web.Response:
    html = _templates().get_template(template).render(**values)
    headers = {**BASE_HEADERS, "Content-Security-Policy": policy, "Cache-Control": "no-store"}
    return web.Response(text=html, content_type=HTML, status=status, headers=headers)


def _file(path: Path, content_type: str, cache_control: str) -> web.FileResponse:
    headers = {**BASE_HEADERS, "Content-Type": content_type, "Cache-Control": cache_control}
    return web.FileResponse(path, headers=headers)


# where widget.js expects what the server fills in; a plain `{}` keeps the file valid JS
SERVED_MARK = "/* filled in by the chat server */ {}"


def embed_script() -> str:
    """widget.js with the default exit address and the launcher's words filled in.

    Both have one home (``settings.DEFAULT_EXIT_URL`` and ``widget/locales``); the script
    needs them before it can ask the server anything, and even when that question fails.
    """
    source = (WIDGET / "widget.js").read_text("utf-8")
    if SERVED_MARK not in source:
        raise RuntimeError(f"widget/widget.js lost its marker {SERVED_MARK!r}")
    served = {
        "exit_url": DEFAULT_EXIT_URL,
        "strings": {
            lang: {k: v for k, v in strings(lang).items() if k.startswith("launcher")}
            for lang in LANGS
        },
    }
    return source.replace(SERVED_MARK, json.dumps(served, ensure_ascii=True), 1)


async def widget_js(request: web.Request) -> web.Response:
    """The embed script; any site may load it, so it is fetchable cross-origin."""
    headers = {
        **BASE_HEADERS,
        "Cache-Control": "public, max-age=300",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return web.Response(text=embed_script(), content_type="text/javascript", headers=headers)


async def widget_config(request: web.Request) -> web.Response:
    """What the embed script needs before the frame exists: where the quick exit goes.

    The host page is another origin and ``/api/lines`` sends no CORS headers, so the script
    asks here. Nothing in it is secret; no credentials are involved.
    """
    headers = {**BASE_HEADERS, "Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
    line = _line(request, request.match_info["line_id"])
    if line is None:
        raise UnknownLine(headers=headers)  # readable cross-origin too, like the answer
    return web.json_response({"id": line.id, "exit_url": line.exit_url}, headers=headers)


async def frame(request: web.Request) -> web.Response:
    """The chat itself, rendered with the line's current state so the first paint is whole."""
    lang = _lang(request)
    line = _line(request, request.query.get("line"))
    if line is None:
        return page("notfound.html", frame_policy(None), 404, lang=lang, t=strings(lang))
    status = await line_payload(request.app[HUB], line.id, lang)
    texts = {k: v for k, v in strings(lang).items() if not k.startswith(("demo_", "not_found_"))}
    # opening hours are the line's own: shown in its time zone, whatever the device says
    # and "now" by the server's clock, so "today" and "tomorrow" do not hang on the device's
    config = {
        "line": line.id, "lang": lang, "timezone": line.timezone, "status": status,
        "now": iso(request.app[HUB].clock.now()), "strings": texts,
    }  # fmt: skip
    return page(
        "frame.html",
        frame_policy(line),
        lang=lang,
        t=strings(lang),
        line=status,
        config=config,
        styles=STYLES,
        scripts=SCRIPTS,
    )


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound(text="No such file.")
    return _file(WIDGET / "static" / name, STATIC[name], "no-cache")


async def socket_io(request: web.Request) -> web.StreamResponse:
    """The socket.io client from npm; without it the frame cannot talk, so say how to fix it."""
    if not SOCKET_IO.is_file():
        raise web.HTTPNotFound(
            text=(
                "socket.io.min.js is missing: node_modules/socket.io-client is not installed. "
                "Run `npm ci` in the project folder (scripts/serve.sh does this).\n"
            ),
            headers=BASE_HEADERS,
        )
    return _file(SOCKET_IO, JS, "public, max-age=3600")


async def demo(request: web.Request) -> web.Response:
    """A plain host page that embeds /widget.js, for trying the widget out."""
    lang = _lang(request)
    line = _line(request, request.query.get("line"))
    lines = request.app[HUB].settings.lines
    chosen = line or lines[0]
    return page(
        "demo.html", DEMO_POLICY, lang=lang, t=strings(lang), line=chosen.id,
        origin=f"{request.scheme}://{request.host}",
        lines=[(item.id, localized(item.name, lang)) for item in lines],
    )  # fmt: skip


def add_widget_routes(app: web.Application) -> None:
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/widget/config/{line_id}", widget_config)
    app.router.add_get("/widget/frame", frame)
    app.router.add_get("/widget/static/{name}", static)
    app.router.add_get("/widget/vendor/socket.io.min.js", socket_io)
    app.router.add_get("/widget/demo", demo)
