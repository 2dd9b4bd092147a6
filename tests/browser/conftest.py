"""Real headless Chromium (Debian's) driven by Playwright, against a real server.

The widget is embedded in a host page served from another origin (another port than the
chat server's ``127.0.0.1``), exactly as on a helpline's website: a cross-origin iframe.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page

from chatserver.privacy.abuse import Limits
from chatserver.settings import LineSettings, load_settings
from tests.chromium import AXE as AXE  # re-exported for the tests here
from tests.e2e.conftest import CONFIG, ONE_ADDRESS, Env, port_of, running

HOST_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Stichting Voorbeeld</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Stichting Voorbeeld</h1><p>Praat met ons, anoniem.</p>
<form role="search"><label>Zoeken <input id="search" type="search"></label></form></main>
<script src="{chat}/widget.js" data-line="{line}" data-lang="{lang}" async></script>
</body></html>"""
NEUTRAL_PAGE = "<!doctype html><html lang='nl'><title>Het weer</title><h1>Het weer</h1></html>"


@dataclass
class Site:
    """A helpline's website (host origin) embedding the chat server's widget."""

    env: Env
    host: str  # the website's origin, e.g. http://127.0.0.1:41234
    context: BrowserContext

    @property
    def exit_url(self) -> str:
        return f"{self.host}/weer"

    async def open(self, line: str = "chat", lang: str = "nl") -> Page:
        page = await self.context.new_page()
        await page.goto(f"{self.host}/?line={line}&lang={lang}")
        return page


@pytest.fixture
async def site(browser: Browser, tmp_path: Path) -> AsyncIterator[Site]:
    async with hosting(browser, tmp_path) as website:
        yield website


@contextlib.asynccontextmanager
async def hosting(
    browser: Browser,
    tmp_path: Path,
    limits: Limits = ONE_ADDRESS,
    tweak: Callable[[LineSettings], LineSettings] = lambda line: line,
) -> AsyncIterator[Site]:
    """A website on its own origin and the chat server it embeds: these abuse limits, and
    each line of the test configuration passed through ``tweak``."""

    async def host_page(request: web.Request) -> web.Response:
        html = HOST_PAGE.format(
            chat=chat_url,
            line=request.query.get("line", "chat"),
            lang=request.query.get("lang", "nl"),
        )
        return web.Response(text=html, content_type="text/html")

    async def neutral(request: web.Request) -> web.Response:
        return web.Response(text=NEUTRAL_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", host_page)
    app.router.add_get("/weer", neutral)
    runner = web.AppRunner(app)
    await runner.setup()
    # another origin, same site: like www.example.org embedding chat.example.org (browsers
    # block third-party storage, so the chat should live on a subdomain of the website)
    host_site = web.TCPSite(runner, "127.0.0.1", 0)
    await host_site.start()
    host = f"http://127.0.0.1:{port_of(host_site)}"

    settings = load_settings(CONFIG)
    lines = tuple(
        tweak(dataclasses.replace(line, embed_origins=(host,), exit_url=f"{host}/weer"))
        for line in settings.lines
    )
    async with running(tmp_path, dataclasses.replace(settings, lines=lines), limits) as env:
        chat_url = env.url
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        try:
            yield Site(env, host, context)
        finally:
            await context.close()
            await runner.cleanup()
