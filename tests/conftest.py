"""Fixtures every test folder may use: one Chromium for the whole session, and the store
backends the shared tests run against."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.backends.factories import BACKENDS, Backend
from tests.chromium import ARGS, CHROMIUM


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Started once for the widget's and the console's tests alike."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="session", params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each store backend in turn (see ``tests/backends/factories.py``): a test that asks for
    it, directly or through ``store``, ``make_store`` or ``env``, runs once per backend.

    Session-scoped because it only describes how to make stores (every store it makes is the
    test's own), and so property tests can use it across their examples.
    """
    chosen: Backend = request.param
    return chosen
