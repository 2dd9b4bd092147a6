"""``GET /space`` over plain HTTP: the page behind a visitor's link is locked down like the
chat frame (no inline code, no referrer, no caching) and is nobody's frame; it is the same
page for every link, since the key never reaches the server in a URL."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import Env
from tests.web.test_widget_routes import Page, fetch

SPACE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


async def test_the_space_page_is_locked_down_and_framed_by_nobody(env: Env) -> None:
    """Strict CSP without inline code or styles, no referrer (a click never carries the page
    onwards), no caching, and not to be shown in anyone's frame."""
    status, headers, body = await fetch(env, "/space")
    assert status == 200
    assert headers["Content-Security-Policy"] == SPACE_CSP
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    page = Page()
    page.feed(body.decode())
    assert page.styles == [] and page.handlers == []
    for attributes, text in page.scripts:
        if attributes.get("src"):
            assert str(attributes["src"]).startswith("/") and not text.strip()
        else:
            assert attributes.get("type") == "application/json"
    for needed in ("quick-exit", "help-toggle", "unknown", "space", "appointment", "threads"):
        assert needed in page.ids, needed
    assert page.ids["appointment"] == "section"


async def test_the_space_page_speaks_the_asked_language_and_knows_every_number(env: Env) -> None:
    """``?lang=en`` is English; without it Dutch until the space says otherwise. A link that
    no longer works needs the numbers before any script asks: every line's, each once."""
    _, _, body = await fetch(env, "/space?lang=en")
    html = body.decode()
    assert '<html lang="en">' in html and "Your letters" in html
    block = re.search(r'<script type="application/json" id="config">(.*?)</script>', html, re.S)
    assert block is not None
    config = json.loads(block.group(1))
    assert config["lang"] == "en" and config["lang_chosen"] is True
    phones = [c["phone"] for c in config["status"]["emergency"]]
    assert phones == ["112", "0800-0113"]
    assert [line["id"] for line in config["lines"]] == ["chat", "evening"]
    _, _, body = await fetch(env, "/space?lang=xx")
    assert '<html lang="nl">' in body.decode()
    assert '"lang_chosen": false' in body.decode()
