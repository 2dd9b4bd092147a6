"""Leaving, on purpose or in a hurry (issue 10): ending asks first and a shaky double tap
says no, the quick exit stays instant, Escape twice leaves only outside fields and panels,
and the goodbye says take care once, with the numbers.

Each test measures what the visitor would notice in real Chromium and leaves screenshots in
``tests/artifacts/widget/`` (see screens.py).
"""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import Site
from tests.browser.screens import (
    EVENING_NUMBERS,
    box,
    clipped,
    end_by_volunteer,
    on_phone,
    say,
    shot,
    start,
    widget,
    with_volunteer,
)

# ------------------------------------------------------------------------------ ending


async def test_ending_the_conversation_asks_first(site: Site) -> None:
    """A tap on 'end' asks 'really?'; a second tap in the same spot says no; Escape and 'no'
    go back with focus on 'end'; only 'yes' ends. Quick exit stays instant meanwhile."""
    page, frame = await on_phone(site)
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    leave = frame.locator("#leave")
    question = frame.locator("#leave-question")

    # a shaky double tap: the second tap lands on "no", which took the place of "end"
    spot = await box(page, "#leave")
    await leave.dblclick()
    await expect(frame.locator("#leave-confirm")).to_be_hidden()
    await expect(leave).to_be_focused()
    await leave.click()
    await expect(question).to_be_focused()
    no = await box(page, "#leave-no")
    yes = await box(page, "#leave-yes")
    x, y = (spot["left"] + spot["right"]) / 2, (spot["top"] + spot["bottom"]) / 2
    assert no["left"] <= x <= no["right"] and yes["right"] < x, (spot, no, yes)
    assert abs(y - (no["top"] + no["bottom"]) / 2) < 40
    await expect(question).to_contain_text("niet meer voortzetten")
    await shot(page, "end-confirm-320")
    await frame.locator("#leave-no").click()
    await expect(frame.locator("#leave-confirm")).to_be_hidden()
    await expect(leave).to_be_focused()

    # keyboard: Enter twice on "end" does not end; Escape goes back
    await page.keyboard.press("Enter")
    await expect(question).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(frame.locator("#leave-confirm")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(frame.locator("#leave-confirm")).to_be_hidden()
    await expect(leave).to_be_focused()
    await volunteer.settle()
    assert volunteer.pending("visitor_left") == []
    await expect(frame.locator("#chat")).to_be_visible()

    await leave.click()
    await frame.locator("#leave-yes").click()
    await expect(frame.locator("#ended")).to_be_visible()
    left = await volunteer.next("visitor_left")
    assert left == {"conversation_id": conversation, "reason": "left"}


async def test_quick_exit_is_instant_while_ending_is_being_confirmed(site: Site) -> None:
    """The confirmation is no modal: the quick exit in the header still leaves at once."""
    page, frame = await on_phone(site)
    await start(frame)
    await frame.locator("#leave").click()
    await expect(frame.locator("#leave-confirm")).to_be_visible()
    await frame.locator("#quick-exit").click()
    await page.wait_for_url(site.exit_url, timeout=1000)


# ------------------------------------------------------------------------------ Escape


async def test_escape_twice_in_a_field_or_a_panel_does_not_leave(site: Site) -> None:
    """Escape is 'clear' in a text field and 'close' in a panel, so two of them there do not
    fire the quick exit (on the website or in the chat); Escape twice elsewhere and Shift
    three times in the message box still do."""
    page = await site.open()
    start_url = page.url
    await page.locator("#search").focus()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.click("#helpline-chat-launcher")
    frame = page.frame_locator("#helpline-chat-frame")
    await start(frame)

    await frame.locator("#text").focus()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await frame.locator("#help-toggle").click()
    await page.keyboard.press("Escape")
    await expect(frame.locator("#help")).to_be_hidden()
    await page.keyboard.press("Escape")
    await frame.locator("#leave").click()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await expect(frame.locator("#leave-confirm")).to_be_hidden()
    assert page.url == start_url
    await expect(frame.locator("#waiting")).to_be_visible()

    await frame.locator("#text").focus()
    for _ in range(3):
        await page.keyboard.press("Shift")
    await page.wait_for_url(site.exit_url, timeout=2000)


async def test_escape_twice_outside_fields_still_leaves(site: Site) -> None:
    """On the chat's own text (not a field), Escape twice is the quick exit."""
    page, frame = await on_phone(site)
    await frame.locator("#main").focus()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.wait_for_url(site.exit_url, timeout=2000)


# ------------------------------------------------------------------------------ goodbye


async def test_goodbye_says_take_care_once_and_lists_the_numbers(site: Site) -> None:
    """The volunteer ends the chat: one 'Pas goed op jezelf', the emergency numbers, and the
    choice to delete the conversation."""
    page, frame = await on_phone(site, "evening")
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    await say(volunteer, conversation, "Fijn dat je er was.")
    await end_by_volunteer(volunteer, conversation)
    await expect(frame.locator("#ended")).to_be_visible()
    text = await widget(page).evaluate("document.body.innerText")
    assert text.count("Pas goed op jezelf") == 1, text
    await expect(frame.locator("#ended-reason")).to_have_text(
        "De vrijwilliger heeft het gesprek beëindigd."
    )
    for number in EVENING_NUMBERS:
        await expect(frame.locator(f'#ended-contacts a[href="tel:{number}"]')).to_be_visible()
    await expect(frame.locator("#forget")).to_be_attached()
    await shot(page, "goodbye-320")
    assert (await clipped(page, "#ended"))["found"] == []
