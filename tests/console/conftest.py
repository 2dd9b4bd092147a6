"""The operator console in real headless Chromium (Debian's), against a real server.

Same approach as tests/browser: Playwright drives /usr/lib/chromium/chromium (no browser
download), the server runs in the test's event loop with a manual clock, and visitors are
python-socketio clients (``env.start()``). Screenshots go to artefacts/screenshots/console-*.png
in the repository (git-ignored), where a person can look at them after a run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from chatserver import accounts
from tests.chromium import AXE as AXE  # re-exported for the tests here
from tests.e2e.conftest import PASSWORD, Env, running

SHOTS = Path(__file__).resolve().parents[2] / "artefacts" / "screenshots"
SHOTS.mkdir(parents=True, exist_ok=True)


@dataclass
class Console:
    """A running server and a browser context for one or more operators."""

    env: Env
    browser: Browser
    context: BrowserContext
    extra: list[BrowserContext] = field(default_factory=list)
    # what the browser refused under the CSP, or any script error: both are bugs here
    problems: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    async def new_context(self) -> BrowserContext:
        """A second operator needs its own cookies: a separate browser context."""
        context = await self.browser.new_context(viewport={"width": 1280, "height": 800})
        self.extra.append(context)
        return context

    async def login(
        self,
        username: str,
        otp: str | None = None,
        password: str = PASSWORD,
        lang: str = "nl",
        context: BrowserContext | None = None,
    ) -> Page:
        page = self.watch(await (context or self.context).new_page())
        await page.goto(f"{self.env.url}/login?lang={lang}")
        await page.get_by_label("Gebruikersnaam" if lang == "nl" else "Username").fill(username)
        await page.locator("#password").fill(password)
        if otp is not None:
            await page.locator("#otp").fill(otp)
        await page.locator("#password").press("Enter")
        return page

    async def volunteer(self, username: str = "anna", alias: str = "Anna", **options: Any) -> Page:
        """A volunteer account, logged in and on the console, status still paused."""
        await self.env.account(username, alias=alias, **options)
        page = await self.login(username)
        await expect(page).to_have_url(f"{self.env.url}/console?lang=nl")
        await expect(page.locator("#status-text")).to_contain_text("Pauze")
        return page

    def otp(self, secret: str) -> str:
        return pyotp.TOTP(secret, interval=accounts.TOTP_STEP).at(self.env.clock.now())


async def shoot(page: Page, name: str) -> None:
    """A screenshot as a test artefact, for a person to look at."""
    await page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=False)


@contextlib.asynccontextmanager
async def console_on(env: Env, browser: Browser) -> AsyncIterator[Console]:
    """A desktop browser context on ``env``; afterwards, no page may have logged a problem."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    made = Console(env, browser, context)
    try:
        yield made
    finally:
        for extra in made.extra:
            await extra.close()
        await context.close()
    assert made.problems == []


@pytest.fixture
async def console(browser: Browser, tmp_path: Path) -> AsyncIterator[Console]:
    async with running(tmp_path) as env, console_on(env, browser) as made:
        yield made
