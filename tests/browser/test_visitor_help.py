"""Help within reach on a phone (issue 10): 'Direct hulp' in every state, the emergency
numbers with the alternatives after a long wait, kind refusals that say what to do next and
fit a small screen, a lost connection, and when a closed line opens again.

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

import pytest
from playwright.async_api import Browser, FrameLocator, Page, WebSocketRoute, expect

from chatserver.settings import Contact, LineSettings
from tests.browser.conftest import Site, hosting
from tests.browser.screens import (
    AMSTERDAM,
    EVENING_NUMBERS,
    PHONE,
    clipped,
    end_by_volunteer,
    on_phone,
    shot,
    start,
    widget,
    with_volunteer,
)
from tests.e2e.conftest import ONE_ADDRESS

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


async def test_without_the_socket_io_client_starting_says_no_connection(site: Site) -> None:
    """A proxy or a flaky network that drops the socket.io client: the chat still shows,
    and starting says 'no connection' with the numbers and 'try again', not nothing."""
    no_client = re.compile(r".*/widget/vendor/socket\.io\.min\.js")
    await site.context.route(no_client, lambda route: route.abort())
    page, frame = await on_phone(site)
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#closed-title")).to_have_text("Geen verbinding")
    await expect(frame.locator("#retry")).to_be_visible()
    await expect(frame.locator('#closed a[href="tel:112"]')).to_be_visible()
    await shot(page, "refused-no-client-320")


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


# ------------------------------------------------------------------------------ closed


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
