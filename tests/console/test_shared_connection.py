"""Several chats from one connection, as volunteers and supervisors see it in a real browser.

The console fixture lifts the per-address limits (every test client comes from 127.0.0.1);
here the shipped limits apply, so the fourth chat from that one address carries the hint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from chatserver.privacy.abuse import Limits
from tests.console.conftest import Console, console_on, shoot
from tests.console.test_supervisor import open_floor
from tests.e2e.conftest import running

HINT = "meerdere gesprekken vanaf één verbinding (4 tegelijk)"


@pytest.fixture
async def shipped_limits(browser: Browser, tmp_path: Path) -> AsyncIterator[Console]:
    async with running(tmp_path, limits=Limits()) as env, console_on(env, browser) as made:
        yield made


async def test_the_fourth_chat_from_one_connection_is_served_and_marked(
    shipped_limits: Console,
) -> None:
    """Four people behind one router (a family, a shelter) all reach a volunteer; the chat
    that made it four says "several chats from one connection" beside its intake, and the
    supervisor's floor shows the same on that chat's row, and only there."""
    console = shipped_limits
    env = console.env
    floor = await open_floor(console, context=await console.new_context())
    page = await console.volunteer(capacity=4)
    for _ in range(4):
        await env.start(topic="loneliness")
    await page.get_by_text("Beschikbaar", exact=True).click()
    await expect(page.get_by_role("tab")).to_have_count(4)
    marked = page.locator(".panel .facts .shared")
    await expect(marked).to_have_count(1)
    await expect(marked).to_contain_text("Verbinding")
    await expect(marked).to_contain_text(HINT)
    await page.get_by_role("tab").nth(3).click()
    await expect(marked).to_be_visible()
    await shoot(page, "shared-connection")

    rows = floor.locator("#conversations tbody tr")
    await expect(rows).to_have_count(4)
    hint = floor.locator("#conversations .shared-hint:not([hidden])")
    await expect(hint).to_have_count(1)
    await expect(hint).to_have_text(HINT)
