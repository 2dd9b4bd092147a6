"""The whole way of a letter, every step in a browser: the visitor writes it in the widget
while the line is closed, a volunteer answers it in the console, and the visitor reads the
answer through the link in a tab of its own (issue 12's first test, end to end)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import hosting
from tests.browser.test_letters import LETTER, NARROW, SATURDAY, takes_letters, write_letter
from tests.browser.test_widget import open_chat
from tests.console.conftest import console_on

ANSWER = "Fijn dat je schreef. Wat maakt de nachten zo lang?"


async def test_a_letter_written_while_closed_is_answered_in_the_console_and_read_back(
    browser: Browser, tmp_path: Path
) -> None:
    async with hosting(browser, tmp_path, tweak=takes_letters) as site:
        site.env.clock.set(SATURDAY)  # the evening line is closed
        page, frame = await open_chat(site, "evening")
        await page.set_viewport_size(NARROW)
        await expect(frame.locator("#closed")).to_be_visible()
        link = await write_letter(frame)

        async with console_on(site.env, browser) as console:
            anna = await console.volunteer("anna", "Anna", lines=("evening",))
            await anna.get_by_role("button", name="Brieven:").click()
            item = anna.locator("#letters-queue .letter-item")
            await expect(item).to_have_count(1)
            await expect(item).to_contain_text("Avondlijn")
            await item.get_by_role("button").click()
            await expect(anna.locator("#letter-log .msg.role-visitor")).to_contain_text(LETTER)
            await anna.get_by_label("Jouw antwoord").fill(ANSWER)
            await anna.get_by_role("button", name="Antwoord versturen").click()
            await expect(anna.locator("#letter-status")).to_have_text("Je antwoord is verstuurd.")

        reader = await browser.new_context(viewport=NARROW)  # another tab, later: only the link
        try:
            space = await reader.new_page()
            await space.goto(link)
            letters = space.locator(".thread .letter")
            await expect(letters).to_have_count(2)
            await expect(letters.nth(0)).to_contain_text(LETTER)
            await expect(letters.nth(1)).to_contain_text(ANSWER)
            await expect(letters.nth(1).locator(".who")).to_have_text("Anna")
            await expect(space.locator(".thread-state")).to_have_text("Beantwoord")
        finally:
            await reader.close()
