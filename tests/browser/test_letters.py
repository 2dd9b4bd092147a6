"""A letter instead of a chat, and the visitor's own space behind the link, in Chromium.

When the line is closed (or full, or nobody is on duty) and takes letters, the visitor writes
a letter in the widget, sees the link once with "copy" and how to keep it safe, and later
opens the link in a fresh tab to read the volunteer's answer and write back. The key never
stays in the address bar or history; a wrong link shows a kind page with the numbers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, FrameLocator, Page, ViewportSize, expect

from chatserver.settings import FollowUpSettings, LineSettings
from tests.browser.conftest import Site, hosting
from tests.browser.screens import AMSTERDAM, ARTIFACTS
from tests.browser.test_accessibility import AXE_SETUP, violations
from tests.browser.test_widget import open_chat
from tests.web.letters import PROMISE_HOURS, SELF_HELP, answer_thread, post

NARROW = ViewportSize(width=320, height=640)  # the smallest phone still in use
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=AMSTERDAM)  # the evening line is closed
LETTER = "Ik slaap al weken slecht en weet niet met wie ik kan praten."
ANSWER = "Wat fijn dat je schrijft. Wat houdt je 's nachts wakker?"


def takes_letters(line: LineSettings) -> LineSettings:
    follow_up = FollowUpSettings(letters=True, answer_within_hours=PROMISE_HOURS)
    return replace(line, follow_up=follow_up, self_help=(SELF_HELP,))


@pytest.fixture
async def lettered(browser: Browser, tmp_path: Path) -> AsyncIterator[Site]:
    """The website and chat server, with letters on every line."""
    async with hosting(browser, tmp_path, tweak=takes_letters) as website:
        yield website


async def shoot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path


async def write_letter(frame: FrameLocator, text: str = LETTER) -> str:
    """Offer, form, consent, send; the link shown once. Returns the link."""
    await frame.locator("#letter-offer-closed .letter-open").click()
    await expect(frame.locator("#letter-title")).to_be_focused()
    await frame.locator("#letter-text").fill(text)
    await frame.locator("#letter-consent").check()
    await frame.locator("#letter-send").click()
    await expect(frame.locator("#letter-sent-title")).to_be_focused()
    link = await frame.locator("#letter-link").input_value()
    return link


async def test_a_letter_on_a_closed_line_is_answered_and_read_behind_the_link(
    lettered: Site,
) -> None:
    """Closed line: "Schrijf ons een brief", a letter, the link once with its advice and the
    promise; a volunteer answers; in a fresh tab the link shows the answer, the fragment is
    gone from the address bar, and the visitor writes back."""
    site = lettered
    site.env.clock.set(SATURDAY)
    page, frame = await open_chat(site, "evening")
    await page.set_viewport_size(NARROW)
    await expect(frame.locator("#closed")).to_be_visible()
    offer = frame.locator("#letter-offer-closed")
    await expect(offer).to_contain_text("Schrijf ons een brief")
    await expect(offer).to_contain_text(f"binnen {PROMISE_HOURS} uur")
    await offer.scroll_into_view_if_needed()
    await shoot(page, "letter-offer-320")

    await frame.locator("#letter-offer-closed .letter-open").click()
    await frame.locator("#letter-send").click()  # nothing written: a kind word, nothing sent
    await expect(frame.locator("#letter-text-error")).to_contain_text("nog leeg")
    await expect(frame.locator("#letter-text")).to_be_focused()
    await shoot(page, "letter-form-320")
    await frame.locator("#letter-back").click()
    link = await write_letter(frame)
    assert re.fullmatch(rf"{re.escape(site.env.url)}/space\?lang=nl#[\w-]{{43}}", link)
    await expect(frame.locator("#letter-link-advice")).to_have_text(
        "Bewaar deze link goed, bijvoorbeeld in een notitie die alleen jij kunt openen. "
        "Wie de link heeft, kan je brieven lezen."
    )
    await expect(frame.locator("#letter-due")).to_contain_text("uiterlijk")
    await frame.locator("#letter-copy").click()
    await expect(frame.locator("#letter-copied")).not_to_be_empty()  # copied, or selected
    await expect(frame.locator("#quick-exit")).to_be_visible()
    await expect(frame.locator("#help-toggle")).to_be_visible()
    await shoot(page, "letter-sent-320")
    await frame.locator("#letter-done").click()
    assert await frame.locator("#letter-link").input_value() == ""  # shown once

    [thread] = await site.env.server.followup.spaces.store.letter_queue()
    await answer_thread(site.env, thread.id, ANSWER)

    space = await site.context.new_page()
    await space.set_viewport_size(NARROW)
    await space.goto(link)
    await expect(space.locator("#line-name")).to_have_text("Avondlijn")
    letters = space.locator(".thread .letter")
    await expect(letters).to_have_count(2)
    await expect(letters.nth(0)).to_contain_text(LETTER)
    await expect(letters.nth(1)).to_contain_text(ANSWER)
    await expect(letters.nth(1).locator(".who")).to_have_text("Anna")
    await expect(space.locator(".thread-state")).to_have_text("Beantwoord")
    assert "#" not in space.url  # the key left the address bar and history
    await expect(space.locator("#self-help")).to_contain_text("Slecht slapen")
    await expect(space.locator('#space-contacts a[href="tel:112"]')).to_be_visible()
    await shoot(space, "space-answered-320")

    await space.locator(".reply-open").click()
    await space.locator(".reply textarea").fill("Het piekeren, vooral over school.")
    await space.locator(".reply button[type=submit]").click()
    await expect(space.locator(".thread .letter")).to_have_count(3)
    await expect(space.locator(".thread-state")).to_contain_text("Wacht op antwoord")
    await space.reload()  # the key lives on in this tab's sessionStorage
    await expect(space.locator(".thread .letter")).to_have_count(3)
    await space.set_viewport_size(ViewportSize(width=320, height=300))  # the keyboard is open
    await space.locator("#new-letter-text").focus()
    await expect(space.locator("#new-letter-text")).to_be_in_viewport()
    await expect(space.locator("#quick-exit")).to_be_in_viewport()
    overflow = await space.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await shoot(space, "space-keyboard-320")


async def test_replace_the_link_and_forget_me(lettered: Site) -> None:
    """A new link is shown once and the old one dies; "forget me" asks first, then erases
    everything, and the link opens the kind "does not work" page from then on."""
    site = lettered
    site.env.clock.set(SATURDAY)
    _page, frame = await open_chat(site, "evening")
    old = await write_letter(frame)
    space = await site.context.new_page()
    await space.goto(old)
    await expect(space.locator(".thread .letter")).to_have_count(1)
    await space.locator("#replace").click()
    await expect(space.locator("#new-link-title")).to_be_focused()
    new = await space.locator("#new-link-input").input_value()
    assert new != old and "#" in new

    stale = await site.context.new_page()
    await stale.goto(old)
    await expect(stale.locator("#unknown-title")).to_have_text("Deze link werkt niet (meer)")
    await expect(stale.locator('#unknown-contacts a[href="tel:112"]')).to_be_visible()
    await expect(stale.locator("#unknown-start a").first).to_have_attribute(
        "href", re.compile(r"^/widget/frame\?line=")
    )
    await shoot(stale, "space-unknown")

    await space.locator("#forget-open").click()
    await expect(space.locator("#forget-question")).to_be_focused()
    await space.locator("#forget-no").click()
    await expect(space.locator("#forget-open")).to_be_focused()
    await space.locator("#forget-open").click()
    await space.locator("#forget-yes").click()
    await expect(space.locator("#forgotten-title")).to_be_focused()
    assert await space.evaluate("sessionStorage.length") == 0
    again = await site.context.new_page()
    await again.goto(new)
    await expect(again.locator("#unknown")).to_be_visible()


async def test_the_space_quick_exit_forgets_the_key(lettered: Site) -> None:
    """The quick exit on the space page: the key leaves this tab's storage and the tab goes
    to the neutral page, so Back does not return to the letters."""
    site = lettered
    site.env.clock.set(SATURDAY)
    _page, frame = await open_chat(site, "evening")
    link = await write_letter(frame)
    space = await site.context.new_page()
    await space.goto(link)
    await expect(space.locator(".thread .letter")).to_have_count(1)
    await space.locator("#quick-exit").click()
    await space.wait_for_url(site.exit_url)
    assert await space.evaluate("sessionStorage.length") == 0


async def test_a_letter_when_the_queue_is_full_or_nobody_is_on_duty(lettered: Site) -> None:
    """Open, but nobody on duty: the intro and the queue offer a letter; sending it from the
    queue leaves the queue. A full queue's refusal offers it too."""
    site = lettered
    _page, frame = await open_chat(site, "chat")
    await expect(frame.locator("#letter-offer-intro")).to_be_visible()
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#letter-offer-waiting")).to_be_visible()
    await frame.locator("#letter-offer-waiting .letter-open").click()
    await expect(frame.locator("#letter-leaves-queue")).to_be_visible()
    await frame.locator("#letter-text").fill("Dan schrijf ik maar.")
    await frame.locator("#letter-consent").check()
    await frame.locator("#letter-send").click()
    await expect(frame.locator("#letter-sent")).to_be_visible()
    assert (await site.env.hub.line_status("chat")).waiting == 0  # the place was given up

    for _ in range(5):  # the chat line's queue_limit
        await site.env.start("chat")
    await frame.locator("#letter-done").click()
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#closed-title")).to_have_text("Het is nu erg druk")
    await expect(frame.locator("#letter-offer-closed")).to_be_visible()


async def test_letters_and_the_space_pass_axe(lettered: Site) -> None:
    """The offer, the letter form with an error, the link shown once, the space page with
    an answer and a reply form open, and the page of a link that does not work."""
    site = lettered
    site.env.clock.set(SATURDAY)
    await site.context.add_init_script(script=AXE_SETUP)
    page, frame = await open_chat(site, "evening")
    await expect(frame.locator("#letter-offer-closed")).to_be_visible()
    assert await violations(page) == []
    await frame.locator("#letter-offer-closed .letter-open").click()
    await frame.locator("#letter-send").click()
    await expect(frame.locator("#letter-text-error")).not_to_be_empty()
    assert await violations(page) == []
    await frame.locator("#letter-back").click()
    link = await write_letter(frame)
    assert await violations(page) == []

    [thread] = await site.env.server.followup.spaces.store.letter_queue()
    await answer_thread(site.env, thread.id, ANSWER)
    space = await site.context.new_page()
    await space.goto(link)
    await expect(space.locator(".thread .letter")).to_have_count(2)
    await space.locator(".reply-open").click()
    await space.locator("#forget-open").click()
    assert await violations(space) == []
    await space.set_viewport_size(NARROW)
    assert await violations(space) == []
    wrong = await site.context.new_page()
    await wrong.goto(f"{site.env.url}/space#{'x' * 43}")
    await expect(wrong.locator("#unknown")).to_be_visible()
    assert await violations(wrong) == []


async def test_the_space_speaks_the_language_the_letter_was_written_in(lettered: Site) -> None:
    """A link without ?lang= opens in the language of the letter (English here), the key
    carried over in the tab's storage, not in the address."""
    site = lettered
    body = {"line": "chat", "lang": "en", "text": "I cannot sleep.", "consent": True}
    written = await post(site.env, "/api/letters", body)
    key = written.json()["key"]
    page = await site.context.new_page()
    await page.goto(f"{site.env.url}/space#{key}")
    await expect(page.locator("#letters-title")).to_have_text("Your letters")
    await expect(page.locator(".reply-open")).to_have_text("Write back")
    await expect(page.locator("#line-name")).to_have_text("Chat with us")
    assert page.url == f"{site.env.url}/space?lang=en"


async def test_no_letter_is_offered_where_the_line_takes_none(site: Site) -> None:
    """Letters are the organisation's promise: a line without them offers none, closed or
    with nobody on duty."""
    site.env.clock.set(SATURDAY)
    _page, frame = await open_chat(site, "evening")
    await expect(frame.locator("#closed")).to_be_visible()
    await expect(frame.locator(".letter-offer")).to_have_count(3)
    for offer in await frame.locator(".letter-offer").all():
        await expect(offer).to_be_hidden()


async def test_after_many_wrong_links_the_page_says_wait_with_the_numbers(lettered: Site) -> None:
    """A connection that tried too many links that did not work is told kindly to try again
    in an hour, with the numbers to call, even for a right link."""
    site = lettered
    written = await post(site.env, "/api/letters", {"line": "chat", "text": "hoi", "consent": True})
    for _ in range(site.env.hub.settings.follow_up.wrong_links_per_hour):
        await post(site.env, "/api/space", {"key": "x" * 43})
    page = await site.context.new_page()
    await page.goto(f"{site.env.url}/space#{written.json()['key']}")
    await expect(page.locator("#limited-title")).to_be_focused()
    await expect(page.locator('#limited-contacts a[href="tel:112"]')).to_be_visible()


async def test_no_connection_says_so_and_trying_again_opens_the_space(lettered: Site) -> None:
    """The server cannot be reached: the page says so (calling works without internet) and
    "try again" opens the space once it can."""
    site = lettered
    written = await post(site.env, "/api/letters", {"line": "chat", "text": "hoi", "consent": True})
    page = await site.context.new_page()
    await page.route("**/api/space", lambda route: route.abort())
    await page.goto(f"{site.env.url}/space#{written.json()['key']}")
    await expect(page.locator("#loading")).to_contain_text("internetverbinding")
    await page.unroute("**/api/space")
    await page.locator("#space-retry").click()
    await expect(page.locator(".thread .letter")).to_have_count(1)
    await expect(page.locator("#space-retry")).to_be_hidden()
