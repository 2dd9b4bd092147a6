"""The widget over plain HTTP: what a browser is told before any script runs.

The frame's headers are its armour (who may embed it, no inline code, no referrer, no cache),
and the size budgets keep the chat usable on a slow phone. The browser tests in tests/browser
cover the behaviour; these guard the contract of the routes themselves.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest

from chatserver.settings import DEFAULT_EXIT_URL, load_settings
from chatserver.web import widget
from tests.e2e.conftest import CONFIG, Env, running

WIDGET = Path(widget.__file__).resolve().parents[2] / "widget"
# the frame's own scripts: ES modules, frame.js the one the page runs; and its stylesheets
ALL_SCRIPTS = sorted((WIDGET / "static").glob("*.js"))
# the space page's own modules (space.html) are not the frame's
FRAME_SCRIPTS = [path for path in ALL_SCRIPTS if not path.name.startswith("space")]
FRAME_STYLES = sorted((WIDGET / "static").glob("frame-*.css"))
FRAME_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors"
)
# the ids the browser tests and the DOM contract rely on
CONTRACT_IDS = [
    "quick-exit", "line-name", "line-status", "closed", "next-open", "emergency", "intro",
    "privacy", "consent", "intake-topic", "intake-age", "start", "waiting", "position", "wait",
    "queue-announcer", "alternatives", "compose", "text", "send", "messages", "typing", "ended",
    "forget", "forget-info", "forgotten", "leave", "help-toggle", "help", "help-contacts",
    "retry", "leave-confirm", "leave-question", "leave-yes", "leave-no", "ended-contacts",
]  # fmt: skip


async def fetch(env: Env, path: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(env.url + path) as response:
        return response.status, dict(response.headers), await response.read()


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))  # what `gzip -c` does


class Page(HTMLParser):
    """Collects what matters for a strict CSP: scripts, style attributes, ids."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.handlers: list[str] = []
        self.ids: dict[str, str] = {}
        self.lang: str | None = None
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "style" or "style" in attributes:
            self.styles.append(tag)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if attributes.get("id"):
            self.ids[str(attributes["id"])] = tag
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


async def frame_page(env: Env, query: str = "line=chat&lang=nl") -> tuple[dict[str, str], Page]:
    status, headers, body = await fetch(env, f"/widget/frame?{query}")
    assert status == 200, body
    page = Page()
    page.feed(body.decode())
    return headers, page


async def test_embed_script_is_javascript_and_small(env: Env) -> None:
    """Any site can load /widget.js; it stays under 5 KB gzipped so it never slows a page."""
    status, headers, body = await fetch(env, "/widget.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"helpline-chat-launcher" in body
    assert gzipped(body) < 5 * 1024


async def test_the_default_exit_address_has_one_home(env: Env) -> None:
    """The quick exit's default comes from settings.DEFAULT_EXIT_URL, served into the embed
    script and the frame's line data; no copy of it is written in the browser code."""
    for path in (WIDGET / "widget.js", *FRAME_SCRIPTS):
        assert DEFAULT_EXIT_URL not in path.read_text(), path.name
        assert "buienradar" not in path.read_text(), path.name
    _, _, body = await fetch(env, "/widget.js")
    served = body.decode()
    assert widget.SERVED_MARK not in served
    assert json.dumps(DEFAULT_EXIT_URL) in served
    assert '"launcher_unread_many": "{n} nieuwe berichten"' in served
    _, _, html = await fetch(env, "/widget/frame?line=chat&lang=nl")
    block = re.search(r'<script type="application/json" id="config">(.*?)</script>', html.decode())
    assert block is not None
    assert json.loads(block.group(1))["status"]["exit_url"] == DEFAULT_EXIT_URL


async def test_frame_may_only_be_embedded_by_the_lines_own_sites(tmp_path: Path) -> None:
    """frame-ancestors comes from the line's embed_origins; a line without them: only us."""
    settings = load_settings(CONFIG)
    chat = settings.line("chat")
    assert chat is not None
    origins = ("https://www.example.nl", "https://hulp.example.org:8443")
    lines = tuple(
        dataclasses.replace(line, embed_origins=origins) if line is chat else line
        for line in settings.lines
    )
    async with running(tmp_path, dataclasses.replace(settings, lines=lines)) as env:
        headers, _ = await frame_page(env)
        assert headers["Content-Security-Policy"] == f"{FRAME_CSP} 'self' {' '.join(origins)}"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert headers["Content-Type"].startswith("text/html")

        headers, _ = await frame_page(env, "line=evening")
        assert headers["Content-Security-Policy"] == f"{FRAME_CSP} 'self'"


@pytest.mark.parametrize("query", ["line=nope", "", "line="])
async def test_unknown_line_gets_a_404_page(env: Env, query: str) -> None:
    """A typo in data-line shows a plain "this chat does not exist", not a broken chat."""
    status, headers, body = await fetch(env, f"/widget/frame?{query}")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert "Deze chat bestaat niet" in body.decode()


async def test_frame_has_no_inline_code_or_styles(env: Env) -> None:
    """The CSP forbids inline code; the page must not need any (only a JSON data block)."""
    for query, lang in (
        ("line=chat&lang=nl", "nl"),
        ("line=chat&lang=en", "en"),
        ("line=evening", "nl"),
    ):
        _, page = await frame_page(env, query)
        for attributes, text in page.scripts:
            source = attributes.get("src")
            if source:
                assert source.startswith("/") and not text.strip()
            else:
                assert attributes.get("type") == "application/json"
                json.loads(text)
        assert page.styles == []
        assert page.handlers == []
        assert page.lang == lang


async def test_frame_carries_the_dom_contract(env: Env) -> None:
    """Every id the browser tests and screen-reader structure rely on is there, once."""
    _, page = await frame_page(env)
    missing = [i for i in CONTRACT_IDS if i not in page.ids]
    assert missing == []
    assert page.ids["compose"] == "form"
    assert page.ids["text"] == "textarea"
    assert page.ids["intake-topic"] == page.ids["intake-age"] == "select"


async def test_frame_escapes_configuration_text(env: Env) -> None:
    """Line names and statements come from config; the JSON block cannot end its script."""
    _, _, body = await fetch(env, "/widget/frame?line=chat&lang=nl")
    html = body.decode()
    block = re.search(r'<script type="application/json" id="config">(.*?)</script>', html, re.S)
    assert block is not None
    config = json.loads(block.group(1))
    assert config["line"] == "chat" and config["status"]["name"] == "Chat met ons"
    assert config["status"]["intake"]["age_bands"][0] == "<16"
    assert "<16" not in block.group(1)  # written as \u003c16


async def test_whole_frame_is_under_60_kb_gzipped(env: Env) -> None:
    """HTML, CSS, script and the socket.io client together: usable on a slow phone."""
    total = 0
    for path in (
        "/widget/frame?line=chat&lang=nl",
        *(f"/widget/static/{path.name}" for path in (*FRAME_STYLES, *FRAME_SCRIPTS)),
        "/widget/vendor/socket.io.min.js",
    ):
        status, _, body = await fetch(env, path)
        assert status == 200, path
        total += gzipped(body)
    assert total < 60 * 1024


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/widget/static/frame.js", "text/javascript"),
        ("/widget/static/frame-base.css", "text/css"),
        ("/widget/vendor/socket.io.min.js", "text/javascript"),
    ],
)
async def test_static_files_have_their_types_and_no_sniffing(
    env: Env, path: str, content_type: str
) -> None:
    """A script is only ever run as a script: correct type, and nosniff."""
    status, headers, _ = await fetch(env, path)
    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"


def imports_of(paths: list[Path]) -> dict[str, set[str]]:
    return {
        path.name: set(re.findall(r'\bfrom "\./([\w-]+\.js)"', path.read_text())) for path in paths
    }


def reached(imports: dict[str, set[str]], entry: str) -> set[str]:
    """Every module ``entry`` runs, in import order; fails on a cycle: each module is
    evaluated after everything it imports, and a cycle would hand one a half-made module."""
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for imported in imports[name]:
                visit(imported, (*path, name))
            done.add(name)

    visit(entry, ())
    return done


async def served_modules(env: Env, path: str, entry: str) -> set[str]:
    """The page's one module script is ``entry``; it preloads the others it names."""
    _, _, body = await fetch(env, path)
    html = body.decode()
    (found,) = re.findall(r'<script type="module" src="/widget/static/([\w-]+\.js)">', html)
    assert found == entry
    preloaded = re.findall(r'<link rel="modulepreload" href="/widget/static/([\w-]+\.js)">', html)
    for name in (entry, *preloaded):
        status, headers, _ = await fetch(env, f"/widget/static/{name}")
        assert status == 200, name
        assert headers["Content-Type"].startswith("text/javascript"), name
    return set(preloaded)


async def test_every_module_of_the_frame_is_served_preloaded_and_without_cycles(
    env: Env,
) -> None:
    """The chat's code is ES modules that import one another from frame.js: a module missing
    from the server's fixed list or served with another type leaves a chat that never
    starts, and one the page does not preload costs a slow phone a round trip per level."""
    imports = imports_of(FRAME_SCRIPTS)
    assert set(imports) == set(widget.SCRIPTS)
    assert reached(imports, "frame.js") == set(imports)  # nothing the frame never runs
    preloaded = await served_modules(env, "/widget/frame?line=chat&lang=nl", "frame.js")
    assert sorted(preloaded) == sorted(set(imports) - {"frame.js"})


async def test_every_module_of_the_space_page_is_served_preloaded_and_without_cycles(
    env: Env,
) -> None:
    """The space page runs space.js, its own modules and some of the frame's: each is on the
    server's list, preloaded by the page, reached from space.js, and no import cycle."""
    imports = imports_of(ALL_SCRIPTS)
    own = {name for name in imports if name.startswith("space")}
    assert own == set(widget.SPACE_SCRIPTS)
    runs = reached(imports, "space.js")
    assert own <= runs and runs - own == set(widget.SPACE_REUSED)
    preloaded = await served_modules(env, "/space", "space.js")
    assert preloaded == runs - {"space.js"}


async def test_every_stylesheet_of_the_frame_is_linked_in_cascade_order(env: Env) -> None:
    """The frame's look is several stylesheets that build on one another (base first, the
    short-screen rules last): each is served as CSS and linked by the page in that order;
    the not-found page needs only the base."""
    assert sorted(widget.STYLES) == [path.name for path in FRAME_STYLES]
    assert widget.STYLES[0] == "frame-base.css" and widget.STYLES[-1] == "frame-compact.css"
    stylesheet = r'<link rel="stylesheet" href="/widget/static/([\w-]+\.css)">'
    _, _, body = await fetch(env, "/widget/frame?line=chat&lang=nl")
    assert tuple(re.findall(stylesheet, body.decode())) == widget.STYLES
    _, _, body = await fetch(env, "/widget/frame?line=nope")
    assert re.findall(stylesheet, body.decode()) == ["frame-base.css"]
    for name in widget.STYLES:
        status, headers, _ = await fetch(env, f"/widget/static/{name}")
        assert status == 200, name
        assert headers["Content-Type"].startswith("text/css"), name


@pytest.mark.parametrize(
    "path", ["/widget/static/nope.js", "/widget/static/..%2Fwidget.js", "/widget/static/.."]
)
async def test_only_the_widgets_own_files_are_served(env: Env, path: str) -> None:
    """No request path reaches the file system beyond a fixed list."""
    status, _, _ = await fetch(env, path)
    assert status == 404


async def test_missing_socket_io_client_says_how_to_install_it(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without node_modules the frame cannot talk; the 404 names the fix."""
    monkeypatch.setattr(widget, "SOCKET_IO", tmp_path / "socket.io.min.js")
    status, _, body = await fetch(env, "/widget/vendor/socket.io.min.js")
    assert status == 404
    assert b"npm ci" in body


async def test_embed_script_learns_the_exit_address_cross_origin(env: Env) -> None:
    """The host page may read where the quick exit goes, and nothing more."""
    status, headers, body = await fetch(env, "/widget/config/chat")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body) == {"id": "chat", "exit_url": "https://www.buienradar.nl"}
    status, _, _ = await fetch(env, "/widget/config/nope")
    assert status == 404


async def test_demo_page_embeds_the_widget(env: Env) -> None:
    """/widget/demo is a plain host page for trying the widget, under a strict CSP."""
    status, headers, body = await fetch(env, "/widget/demo?line=evening&lang=en")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    page = Page()
    page.feed(body.decode())
    assert page.styles == []
    (script,) = [attributes for attributes, _ in page.scripts]
    assert script["src"] == "/widget.js"
    assert script["data-line"] == "evening" and script["data-lang"] == "en"


def test_locales_have_the_same_keys_and_cover_what_the_code_uses() -> None:
    """Dutch and English say the same things; no text shows up as a bare key."""
    nl = json.loads((WIDGET / "locales" / "nl.json").read_text("utf-8"))
    en = json.loads((WIDGET / "locales" / "en.json").read_text("utf-8"))
    assert set(nl) == set(en)
    assert all(isinstance(v, str) and v.strip() for v in [*nl.values(), *en.values()])
    frame = "\n".join(path.read_text() for path in ALL_SCRIPTS)
    used = set(re.findall(r"\bt\(\"(\w+)\"", frame))
    used |= set(re.findall(r"\bt\(\"(\w+)\"", (WIDGET / "widget.js").read_text()))
    # keys picked from a table or a condition: ["busy_title", ...], t(a ? "x_title" : "y_title")
    picked = r"\"(\w+_(?:title|text|question_\w+))\""
    used |= set(re.findall(picked, frame))
    for template in (WIDGET / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\.(\w+)", template.read_text()))
    assert used - set(nl) == set()
