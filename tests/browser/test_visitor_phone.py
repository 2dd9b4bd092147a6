"""The chat on a phone's screen (issue 10): a launcher that tells what came in while the
chat was minimised and after a reload, room to read with the keyboard open, the typing
indicator in view, and every screen fitting 320x640 and 390x844.

Each test measures what the visitor would notice in real Chromium and leaves screenshots in
``tests/artifacts/widget/`` (see screens.py).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.async_api import expect

from tests.browser.conftest import Site
from tests.browser.screens import (
    AMSTERDAM,
    LARGE_PHONE,
    PHONE,
    SIZES,
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

# ------------------------------------------------------------------------------ the launcher


async def test_minimised_chat_counts_what_came_in_on_the_launcher(site: Site) -> None:
    """Minimised while waiting: the assignment and each message raise a badge, and the
    launcher's name says '(2 nieuwe berichten)'; opening the chat clears it."""
    page = await site.open()
    await page.click("#helpline-chat-launcher")
    frame = page.frame_locator("#helpline-chat-frame")
    await start(frame)
    await frame.locator("#close").click()
    launcher = page.locator("#helpline-chat-launcher")
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_accessible_name("Je staat in de wachtrij")

    volunteer = await site.env.operator("anna", alias="Anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek (1 nieuw bericht)")
    await say(volunteer, conversation, "Hoi, ik ben Anna.")
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek (2 nieuwe berichten)")
    await expect(launcher).to_contain_text("2")
    await shot(page, "launcher-badge-desktop")
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await shot(page, "launcher-badge-320")

    await page.set_viewport_size({"width": 1280, "height": 800})  # the launcher stays in view
    await launcher.click()
    await expect(frame.locator('.message[data-role="operator"]')).to_be_visible()
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek")
    await say(volunteer, conversation, "Ik lees met je mee.")  # open: nothing to count
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(2)
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek")


async def test_after_a_reload_the_chat_is_back_as_it_was(site: Site) -> None:
    """Open before the reload: open after it. Minimised: the launcher says there is a
    conversation and counts what arrives; nothing from before the reload counts as new."""
    page = await site.open()
    await page.click("#helpline-chat-launcher")
    frame = page.frame_locator("#helpline-chat-frame")
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    await say(volunteer, conversation, "Ben je er nog?")

    await page.reload()
    await expect(frame.locator('.message[data-role="operator"]')).to_be_visible()
    await expect(frame.locator("#text")).to_be_editable()

    await frame.locator("#close").click()
    await expect(page.locator("#helpline-chat-frame")).to_be_hidden()
    await page.reload()
    launcher = page.locator("#helpline-chat-launcher")
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek")
    await expect(page.locator("#helpline-chat-frame")).to_be_hidden()
    await say(volunteer, conversation, "Ik ben er nog, hoor.")
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek (1 nieuw bericht)")
    await launcher.click()
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(2)
    await expect(launcher).to_have_accessible_name("Terug naar je gesprek")

    # ended and started afresh: after a reload the launcher is plain again
    await end_by_volunteer(volunteer, conversation)
    await frame.locator("#restart").click()
    await expect(launcher).to_have_accessible_name("Chat met ons")
    await page.reload()
    await expect(launcher).to_have_accessible_name("Chat met ons")
    await expect(page.locator("#helpline-chat-frame")).to_have_count(0)


# ------------------------------------------------------------------------------ small screens


@pytest.mark.parametrize("size", list(SIZES))
async def test_with_the_keyboard_open_the_conversation_keeps_lines_to_read(
    site: Site, size: str
) -> None:
    """A phone's keyboard leaves about 300 px (320x640) or 450 px (390x844): the header is
    one line, helper text hides while typing, and several lines of messages stay visible,
    the newest one in view."""
    full = SIZES[size]
    page, frame = await on_phone(site, size=full)
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    for n in range(12):
        await say(volunteer, conversation, f"Bericht {n}: ik ben er voor je, vertel maar.")
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(12)
    await shot(page, f"chat-{size}")

    await frame.locator("#text").focus()
    keyboard = {"width": full["width"], "height": 300 if full is PHONE else 450}
    await page.set_viewport_size(keyboard)  # type: ignore[arg-type]
    await expect(frame.locator("#compose-hint")).to_be_hidden()
    await expect(frame.locator("#line-status")).to_be_hidden()
    header = await box(page, ".bar")
    assert header["height"] <= 56, header
    listed = await widget(page).evaluate("document.getElementById('main').clientHeight")
    lines = listed / 24  # 16 px text at line-height 1.5
    assert lines >= 5, listed
    await expect(frame.locator(".message").last).to_be_in_viewport()
    await expect(frame.locator("#text")).to_be_in_viewport()
    await expect(frame.locator("#send")).to_be_in_viewport()
    await expect(frame.locator("#quick-exit")).to_be_in_viewport()
    await page.keyboard.type("Dank je")
    await shot(page, f"chat-keyboard-{size}")

    # keyboard closed again: the helper text and "end" come back
    await frame.locator("#main").click()
    await page.set_viewport_size(full)  # type: ignore[arg-type]
    await expect(frame.locator("#leave")).to_be_visible()
    await expect(frame.locator("#compose-hint")).to_be_visible()


async def test_typing_indicator_stays_right_above_the_composer(site: Site) -> None:
    """In a long conversation 'Anna typt…' is shown just above the message box, also when
    the visitor has scrolled back up to read, never at the bottom of the list out of sight."""
    page, frame = await on_phone(site)
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    for n in range(30):
        await say(volunteer, conversation, f"Regel {n} van een lang gesprek.")
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(30)
    await widget(page).evaluate("document.getElementById('main').scrollTop = 0")
    await volunteer.call("typing", {"conversation_id": conversation, "active": True})
    typing = frame.locator("#typing")
    await expect(typing).to_have_text("Anna typt…")
    await expect(typing).to_be_in_viewport()
    above, composer = await box(page, "#typing"), await box(page, "#text")
    assert 0 <= composer["top"] - above["bottom"] <= 40, (above, composer)
    await shot(page, "typing-long-chat-320")
    await volunteer.call("typing", {"conversation_id": conversation, "active": False})
    await site.env.advance(1)  # a change within half a second is told by the next sweep
    await expect(typing).to_be_hidden()


# ------------------------------------------------------------------------------ a tour


async def test_every_screen_fits_both_phone_sizes(site: Site) -> None:
    """Intro, waiting, chat, goodbye and closed at 320x640 and 390x844: nothing sticks out or
    is cut off, and the quick exit and direct help are always in view (screenshots of all)."""
    page, frame = await on_phone(site, "evening", size=LARGE_PHONE)

    async def check(name: str, section: str) -> None:
        for size, viewport in SIZES.items():
            await page.set_viewport_size(viewport)  # type: ignore[arg-type]
            await expect(frame.locator("#quick-exit")).to_be_in_viewport()
            await expect(frame.locator("#help-toggle")).to_be_in_viewport()
            result = await clipped(page, section)
            assert result["found"] == [], (name, size, result)
            assert (await clipped(page, ".bar"))["found"] == [], (name, size)
            await shot(page, f"tour-{name}-{size}")

    await check("intro", "#intro")
    await start(frame)
    await frame.locator("#text").fill("Ik weet het even niet meer.")
    await frame.locator("#text").press("Enter")
    await check("waiting", "#waiting")
    volunteer, conversation = await with_volunteer(site, frame)
    await say(volunteer, conversation, "Hoi, ik ben Anna. Fijn dat je schrijft. https://www.113.nl")
    await check("chat", "#chat")
    await frame.locator("#leave").click()
    await check("end-confirm", "#composer")
    await frame.locator("#leave-yes").click()
    await expect(frame.locator("#ended")).to_be_visible()
    await check("goodbye", "#ended")
    site.env.clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=AMSTERDAM))
    page, frame = await on_phone(site, "evening", size=LARGE_PHONE)
    await expect(frame.locator("#closed")).to_be_visible()
    await check("closed", "#closed")
