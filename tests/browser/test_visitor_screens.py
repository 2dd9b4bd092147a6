"""What a person in crisis sees on a phone (issue 10): help within reach in every state, kind
refusals that fit, no accidental ending, a launcher that tells, room to read while typing.

Each test measures what the visitor would notice in real Chromium and leaves screenshots in
``tests/artifacts/widget/`` (see screens.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, FrameLocator, Page, WebSocketRoute, expect

from chatserver.settings import Contact, LineSettings
from tests.browser.conftest import Site, hosting
from tests.browser.screens import (
    LARGE_PHONE,
    PHONE,
    SIZES,
    box,
    clipped,
    on_phone,
    shot,
    widget,
)
from tests.e2e.conftest import ONE_ADDRESS, Peer

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EVENING_NUMBERS = ("112", "0800-0113")  # the evening line's emergency contacts (test.toml)


async def start(frame: FrameLocator) -> None:
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#waiting")).to_be_visible()


async def with_volunteer(site: Site, frame: FrameLocator) -> tuple[Peer, str]:
    """A volunteer takes the waiting visitor; the chat shows the conversation."""
    volunteer = await site.env.operator("anna", alias="Anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await expect(frame.locator("#chat")).to_be_visible()
    await expect(frame.locator("#waiting")).to_be_hidden()
    return volunteer, conversation


async def say(volunteer: Peer, conversation: str, text: str) -> None:
    ack = await volunteer.call("message", {"conversation_id": conversation, "text": text})
    assert ack["ok"], ack


async def end_by_volunteer(volunteer: Peer, conversation: str) -> None:
    wrapup = {"topics": [], "risk": "none"}
    ack = await volunteer.call("end", {"conversation_id": conversation, "wrapup": wrapup})
    assert ack["ok"], ack


# ------------------------------------------------------------------------------ direct help


async def help_is_at_hand(page: Page, frame: FrameLocator, name: str) -> None:
    """'Direct hulp' is in view, opens the numbers as tel: links, and closes again."""
    toggle = frame.locator("#help-toggle")
    await expect(toggle).to_be_in_viewport()
    await expect(toggle).to_have_text("Direct hulp")
    await toggle.click()
    await expect(frame.locator("#help")).to_be_visible()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(frame.locator("#help-title")).to_be_focused()
    for number in EVENING_NUMBERS:
        await expect(frame.locator(f'#help a[href="tel:{number}"]')).to_be_in_viewport()
    await shot(page, f"direct-help-{name}")
    await frame.locator("#help-close").click()
    await expect(frame.locator("#help")).to_be_hidden()
    await expect(toggle).to_be_focused()


async def test_direct_help_is_one_tap_away_in_every_state(site: Site) -> None:
    """Intro, waiting, chat, chat with the keyboard open, goodbye, closed and refused: each
    has 'Direct hulp' in view, and it shows 112 and the line's own number, ready to call."""
    page, frame = await on_phone(site, "evening")
    await help_is_at_hand(page, frame, "intro")
    await start(frame)
    await help_is_at_hand(page, frame, "waiting")
    volunteer, conversation = await with_volunteer(site, frame)
    await help_is_at_hand(page, frame, "chat")
    await frame.locator("#text").focus()
    await page.set_viewport_size({"width": 320, "height": 300})
    await expect(frame.locator("#help-toggle")).to_be_in_viewport()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await end_by_volunteer(volunteer, conversation)
    await expect(frame.locator("#ended")).to_be_visible()
    await help_is_at_hand(page, frame, "goodbye")
    # the goodbye screen lists the numbers itself too
    for number in EVENING_NUMBERS:
        await expect(frame.locator(f'#ended-contacts a[href="tel:{number}"]')).to_be_attached()

    site.env.clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=AMSTERDAM))  # Saturday: closed
    page, frame = await on_phone(site, "evening")
    await expect(frame.locator("#closed")).to_be_visible()
    await help_is_at_hand(page, frame, "closed")


async def test_alternatives_after_a_long_wait_include_the_emergency_numbers(
    browser: Browser, tmp_path: Path
) -> None:
    """After the line's threshold the waiting visitor sees other lines and the emergency
    numbers with them, each once."""

    def two_numbers(line: LineSettings) -> LineSettings:
        if line.id != "chat":
            return line
        luisterlijn = Contact(label={"nl": "Bel De Luisterlijn"}, phone="088 0767 000")
        emergency = (
            Contact(label={"nl": "Bij direct gevaar: 112"}, phone="112"),
            Contact(label={"nl": "113 Zelfmoordpreventie"}, phone="0800-0113"),
        )
        return dataclasses.replace(line, alternatives=(luisterlijn,), emergency=emergency)

    async with hosting(browser, tmp_path, tweak=two_numbers) as site:
        page, frame = await on_phone(site)
        await start(frame)
        line = site.env.hub.settings.line("chat")
        assert line is not None
        await site.env.advance(line.alternatives_after_seconds + 1)
        listed = frame.locator("#alternatives")
        await expect(listed).to_be_visible()
        await expect(listed.locator("li")).to_have_count(3)
        for number in ("0880767000", "112", "0800-0113"):
            await expect(listed.locator(f'a[href="tel:{number}"]')).to_have_count(1)
        await listed.locator("li").last.scroll_into_view_if_needed()
        await shot(page, "waiting-alternatives-320")


# ------------------------------------------------------------------------------ refusals


def rewrite_start(change: dict[str, object]) -> Callable[[WebSocketRoute], None]:
    """Route the frame's socket through Playwright and change what `start` sends: the real
    server then refuses it, as it would refuse a broken or tampered client."""

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def outgoing(message: str | bytes) -> None:
            if isinstance(message, str) and '"start"' in message:
                head, body = message.split("[", 1)
                event, payload = json.loads("[" + body)
                message = head + json.dumps([event, {**payload, **change}])
            server.send(message)

        ws.on_message(outgoing)

    return route


REFUSALS = {
    # kind: (title the visitor reads, whether "try again" is offered)
    "closed": ("We zijn nu gesloten", False),
    "queue_full": ("Het is nu erg druk", True),
    "blocked": ("Chatten lukt nu niet", False),
    "rate_limited": ("Nu even te veel gesprekken vanaf deze verbinding", True),
    "offline": ("Geen verbinding", True),
    "invalid_payload": ("Starten lukte niet", True),
}


async def refused(site: Site, kind: str) -> tuple[Page, FrameLocator]:
    """Bring the visitor to the refusal ``kind`` the way it happens for real."""
    if kind == "closed":  # the line closes while the visitor reads the intro
        site.env.clock.set(datetime(2026, 11, 25, 22, 59, tzinfo=AMSTERDAM))
        page, frame = await on_phone(site, "evening")
        await expect(frame.locator("#intro")).to_be_visible()
        site.env.clock.set(datetime(2026, 11, 25, 23, 1, tzinfo=AMSTERDAM))
        await frame.locator("#consent").check()
        await frame.locator("#start").click()
        return page, frame
    if kind == "invalid_payload":  # anything else the server refuses (here: a bad intake)
        pattern = re.compile(r".*/socket\.io/.*")
        await site.context.route_web_socket(pattern, rewrite_start({"intake": 5}))
    if kind == "queue_full":  # the chat line takes 5 waiting visitors (test.toml)
        for _ in range(5):
            await site.env.start("chat")
    page, frame = await on_phone(site)
    if kind == "blocked":  # a volunteer blocked this visitor, and the visitor tries again
        await start(frame)
        volunteer, conversation = await with_volunteer(site, frame)
        assert (await volunteer.call("block", {"conversation_id": conversation}))["ok"]
        await end_by_volunteer(volunteer, conversation)
        await frame.locator("#restart").click()
    if kind == "rate_limited":  # someone else on this connection already has a chat
        await site.env.start("chat")
    if kind == "offline":
        await site.context.set_offline(True)
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    return page, frame


@pytest.mark.parametrize("kind", list(REFUSALS))
async def test_every_refusal_is_kind_says_what_next_and_fits_a_small_phone(
    browser: Browser, tmp_path: Path, kind: str
) -> None:
    """Closed, full, blocked, too many chats, no connection, anything else: a specific title
    and text, 'try again' where that can help, the emergency numbers, and nothing clipped or
    sticking out at 320 px."""
    one_chat = dataclasses.replace(ONE_ADDRESS, conversations_ceiling=1)
    limits = one_chat if kind == "rate_limited" else ONE_ADDRESS
    async with hosting(browser, tmp_path, limits) as site:
        page, frame = await refused(site, kind)
        title, retry = REFUSALS[kind]
        screen = frame.locator("#closed")
        await expect(screen).to_be_visible()
        await expect(frame.locator("#closed-title")).to_have_text(title)
        await expect(frame.locator("#closed-title")).to_be_in_viewport()
        await expect(frame.locator("#closed-title")).to_be_focused()
        text = await frame.locator("#closed-text").inner_text()
        assert len(text) > 40, text
        assert await frame.locator("#retry").is_visible() == retry
        if kind == "closed":
            await expect(frame.locator("#next-open")).to_have_text("morgen om 19:00")
        tel = screen.locator('a[href="tel:112"]')
        await expect(tel).to_be_visible()
        await shot(page, f"refused-{kind}-320")
        await tel.scroll_into_view_if_needed()
        await expect(tel).to_be_in_viewport()
        result = await clipped(page, "#closed")
        assert result["width"] == 320 and result["found"] == [], result
        assert (await clipped(page, ".bar"))["found"] == []
        overflow = await widget(page).evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0

        if kind == "offline":  # back online: trying again simply works
            await site.context.set_offline(False)
            await frame.locator("#retry").click()
            await expect(frame.locator("#waiting")).to_be_visible()


async def test_consent_refused_by_the_server_says_what_to_do_with_the_numbers_at_hand(
    site: Site,
) -> None:
    """If the server hears no consent, the visitor is back at the box with a kind line and
    the emergency numbers below it."""
    page = await site.open()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.route_web_socket(re.compile(r".*/socket\.io/.*"), rewrite_start({"consent": False}))
    await page.click("#helpline-chat-launcher")
    frame = page.frame_locator("#helpline-chat-frame")
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#consent-error")).to_have_text(
        "Vink eerst aan dat je akkoord gaat met de privacyverklaring."
    )
    await expect(frame.locator("#consent")).to_be_focused()
    await expect(frame.locator('#intro-help a[href="tel:112"]')).to_be_visible()
    await shot(page, "refused-consent-320")
    assert (await clipped(page, "#intro"))["found"] == []


async def test_a_lost_connection_during_the_chat_shows_the_numbers(site: Site) -> None:
    """Offline in the middle of a conversation: a notice that we are reconnecting, with the
    numbers that work without the internet; it goes once the connection is back."""
    page, frame = await on_phone(site)
    await start(frame)
    await site.context.set_offline(True)
    notice = frame.locator("#notice")
    await expect(notice).to_contain_text("De verbinding is weg")
    await expect(notice.locator('a[href="tel:112"]')).to_be_visible()
    await shot(page, "connection-lost-320")
    assert (await clipped(page, "#notice"))["found"] == []
    await site.context.set_offline(False)
    await expect(notice).to_be_empty(timeout=15000)


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
    await expect(typing).to_be_hidden()


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


@pytest.mark.parametrize(
    ("day", "lang", "expected"),
    [
        (30, "nl", "vandaag om 19:00"),  # Monday noon: open this evening
        (29, "nl", "morgen om 19:00"),  # Sunday noon: open Monday evening
        (28, "nl", "maandag 30 november om 19:00"),  # Saturday: two days ahead
        (29, "en", "tomorrow at 19:00"),
        (28, "en", "on Monday 30 November at 19:00"),
    ],
)
async def test_closed_line_says_today_or_tomorrow_when_it_is(
    site: Site, day: int, lang: str, expected: str
) -> None:
    """The next opening reads 'vandaag om 19:00' or 'morgen om 19:00' when it is, otherwise
    the weekday and date, in the chat's language and the line's time zone."""
    site.env.clock.set(datetime(2026, 11, day, 12, 0, tzinfo=AMSTERDAM))
    _page, frame = await on_phone(site, "evening", lang)
    await expect(frame.locator("#closed")).to_be_visible()
    await expect(frame.locator("#next-open")).to_have_text(expected)
    sentence = await frame.locator("#closed-next").inner_text()
    assert sentence in (f"We zijn {expected} weer open.", f"We are open again {expected}.")


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
