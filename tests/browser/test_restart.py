"""A visitor whose chat server restarts is told so, not left with a silent, dead chat."""

from __future__ import annotations

from playwright.async_api import expect

from chatserver import shutdown
from tests.browser.conftest import Site
from tests.browser.screens import start
from tests.browser.test_widget import open_chat


async def test_a_restart_is_announced_in_the_chat(site: Site) -> None:
    """The server drains: the waiting visitor reads that the chat restarts and that they will
    be reconnected, in their language; their conversation stays where it was."""
    _page, frame = await open_chat(site)
    await start(frame)
    shutdown.stop_accepting(site.env.server)
    await shutdown.release_clients(site.env.server, 10)
    await expect(frame.locator("#notice")).to_contain_text(
        "De chat start even opnieuw. We verbinden je zo weer; je gesprek blijft bewaard."
    )
    await expect(frame.locator("#waiting")).to_be_visible()
