"""A next chat agreed in the widget (docs/protocol.md §13.3), in real Chromium at 320 px.

The visitor reads the volunteer's offer in their own words, accepts with their choices, and
sees the link once, with a copy button and advice to keep it safe, also on the goodbye
screen. At the agreed time the space page hands the key to the frame, which starts the chat
straight with the agreed volunteer. Screenshots go to ``tests/artifacts/widget/``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from chatserver.clock import iso
from chatserver.settings import FollowUpSettings
from tests.browser.conftest import Site, hosting
from tests.browser.screens import (
    CLIPPED,
    PHONE,
    clipped,
    end_by_volunteer,
    on_phone,
    shot,
    start,
    with_volunteer,
)
from tests.browser.test_accessibility import AXE_SETUP, violations
from tests.e2e.conftest import Peer

DAY = 86400
# epoch milliseconds as <input type="datetime-local"> takes them: in the browser's own zone
LOCAL_INPUT = """(ms) => {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
    + `T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


async def clipped_page(page: Page) -> dict[str, Any]:
    """What sticks out sideways on a page of its own (the space), as screens.clipped does
    for the chat frame."""
    found: dict[str, Any] = await page.evaluate(CLIPPED, "main")
    return found


HOUR = 3600


@pytest.fixture
async def site(browser: Browser, tmp_path: Path) -> AsyncIterator[Site]:
    async with hosting(
        browser,
        tmp_path,
        tweak=lambda line: dataclasses.replace(line, follow_up=FollowUpSettings(appointments=True)),
    ) as website:
        yield website


async def test_the_visitor_accepts_an_offer_and_sees_the_link_once(site: Site) -> None:
    """The offer says "morgen om 20:00" and names Anna in the first choice; after accepting
    the link to the space is there to copy, fits 320 px, passes axe, and stays in view on
    the goodbye screen."""
    await site.context.add_init_script(script=AXE_SETUP)
    page, frame = await on_phone(site)
    await start(frame)
    volunteer, conversation = await with_volunteer(site, frame)
    tomorrow = site.env.clock.now() + DAY
    ack = await volunteer.call(
        "appointment_offer", {"conversation_id": conversation, "at": iso(tomorrow), "note": "x"}
    )
    assert ack["ok"], ack
    offer = frame.locator("#offer")
    await expect(offer).to_be_visible()
    await expect(frame.locator("#offer-text")).to_have_text(
        "Anna biedt je een volgend gesprek aan: morgen om 20:00."
    )
    await expect(frame.locator("#offer-share-label")).to_contain_text("Anna mag dit gesprek")
    assert (await clipped(page, "#offer"))["found"] == []
    assert await violations(page) == []
    await shot(page, "appointment-offer-320")

    await frame.locator("#offer-share").check()
    await frame.locator("#offer-accept").click()
    link = frame.locator("#booked-link")
    await expect(frame.locator("#offer-booked")).to_be_visible()
    await expect(frame.locator("#booked-when")).to_have_text("Met Anna, morgen om 20:00.")
    value = await link.input_value()
    assert re.fullmatch(rf"{re.escape(site.env.url)}/space\?lang=nl#[\w-]{{43}}", value), value
    await expect(frame.locator("#booked-advice")).to_contain_text("maar één keer")
    assert (await volunteer.next("appointment_booked"))["conversation_id"] == conversation
    assert (await clipped(page, "#offer"))["found"] == []
    assert await violations(page) == []
    await shot(page, "appointment-booked-320")

    await end_by_volunteer(volunteer, conversation)
    await expect(frame.locator("#ended")).to_be_visible()
    await expect(link).to_have_value(value)
    await frame.locator("#offer").scroll_into_view_if_needed()
    await shot(page, "appointment-ended-320")


async def test_the_space_hands_the_key_over_and_the_chat_opens_with_the_volunteer(
    site: Site,
) -> None:
    """The key in this tab's sessionStorage (as the space page leaves it) makes the frame's
    start the agreed chat: the intro says so, and Anna answers at once."""
    env = site.env
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    cid = visitor.conversation_id
    await anna.next("assigned")
    at = env.clock.now() + 3600
    await anna.call("appointment_offer", {"conversation_id": cid, "at": iso(at), "note": "n"})
    key = (await visitor.call("appointment_accept", {"share": False, "keep": True}))["key"]
    await anna.call("end", {"conversation_id": cid, "wrapup": {"topics": [], "risk": "none"}})
    await visitor.disconnect()
    await env.advance(3600)

    page = await site.context.new_page()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    frame_url = f"{env.url}/widget/frame?line=chat&lang=nl"
    await page.goto(frame_url)
    await page.evaluate(
        "(key) => sessionStorage.setItem('helpline-appointment', key)", json.dumps({"key": key})
    )
    await page.goto(frame_url)
    await expect(page.locator("#intro-agreed")).to_be_visible()
    await page.locator("#consent").check()
    await page.locator("#start").click()
    await expect(page.locator("#chat")).to_be_visible()
    await expect(page.locator("#line-name")).to_have_text("Anna")
    assigned = await anna.until("assigned", lambda a: "appointment" in a)
    assert assigned["appointment"]["at"] == iso(at)
    await expect(page.locator("#waiting-agreed")).to_be_hidden()
    # used once: the key leaves the tab's storage when the start is acknowledged
    await page.wait_for_function("sessionStorage.getItem('helpline-appointment') === null")
    await expect(page.locator("#intro-agreed")).to_be_hidden()
    await shot(page, "appointment-started-320")


async def booked_by_link(site: Site) -> tuple[Peer, str, float]:
    """Anna agreed a chat in an hour with a visitor, who has the link's key; the chat ended."""
    env = site.env
    anna = await env.operator("anna", alias="Anna")
    visitor, _ = await env.start()
    cid = visitor.conversation_id
    await anna.next("assigned")
    at = env.clock.now() + HOUR
    await anna.call("appointment_offer", {"conversation_id": cid, "at": iso(at), "note": "n"})
    key = (await visitor.call("appointment_accept", {"share": False, "keep": False}))["key"]
    await anna.call("end", {"conversation_id": cid, "wrapup": {"topics": [], "risk": "none"}})
    await visitor.disconnect()
    return anna, key, at


async def test_the_space_moves_the_chat_and_at_its_time_starts_it_with_the_volunteer(
    site: Site,
) -> None:
    """In the space the agreed chat says when it can be started; the visitor moves it an
    hour later; at the new time "Start het gesprek" opens the chat frame in the same tab and
    Anna gets the visitor straight away."""
    env = site.env
    anna, key, at = await booked_by_link(site)
    await site.context.add_init_script(script=AXE_SETUP)
    page = await site.context.new_page()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.goto(f"{env.url}/space#{key}")
    item = page.locator("#appointments li")
    await expect(item).to_contain_text("met Anna")
    await expect(item).to_contain_text("Je kunt het gesprek hier starten vanaf")
    await expect(page.get_by_role("button", name="Start het gesprek")).to_have_count(0)

    await page.get_by_role("button", name="Verzetten").click()
    later = at + HOUR
    local = await page.evaluate(LOCAL_INPUT, later * 1000)
    await page.get_by_label("Nieuwe datum en tijd").fill(local)
    assert await violations(page) == []
    await shot(page, "space-appointment-move-320")
    await page.get_by_role("button", name="Gesprek verzetten").click()
    await expect(page.locator("#appointment-status")).to_contain_text("Je gesprek is verzet naar")
    assert (await anna.until("appointment_changed", lambda c: c["at"] == iso(later)))["state"] == (
        "booked"
    )

    await env.advance(2 * HOUR - 5 * 60)  # five minutes before the new time
    await page.reload()  # the page reads the server's (manual) clock when it is rendered
    start = page.get_by_role("button", name="Start het gesprek")
    await expect(start).to_be_visible()
    assert (await clipped_page(page))["found"] == []
    assert await violations(page) == []
    await shot(page, "space-appointment-start-320")
    await start.click()
    await expect(page).to_have_url(re.compile(r"/widget/frame\?line=chat&lang=nl$"))
    await expect(page.locator("#intro-agreed")).to_be_visible()
    await page.locator("#consent").check()
    await page.locator("#start").click()
    await expect(page.locator("#line-name")).to_have_text("Anna")
    assigned = await anna.until("assigned", lambda a: "appointment" in a)
    assert assigned["appointment"]["at"] == iso(later)


async def test_the_space_cancels_the_chat_after_asking_once_more(site: Site) -> None:
    env = site.env
    anna, key, _at = await booked_by_link(site)
    page = await site.context.new_page()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.goto(f"{env.url}/space#{key}")
    await page.get_by_role("button", name="Gesprek afzeggen").click()
    await expect(page.get_by_text("Dit gesprek afzeggen?")).to_be_focused()
    await shot(page, "space-appointment-cancel-320")
    await page.get_by_role("button", name="Ja, afzeggen").click()
    await expect(page.locator("#appointment-status")).to_have_text("Je gesprek is afgezegd.")
    await expect(page.locator("#appointments li")).to_contain_text("geannuleerd")
    await expect(page.get_by_role("button", name="Verzetten")).to_have_count(0)
    await anna.until("appointment_changed", lambda c: c["state"] == "cancelled")


async def test_with_the_volunteer_away_the_agreed_chat_waits_first_in_line_and_says_why(
    site: Site,
) -> None:
    """Anna is away at the time: "Start het gesprek" in the space puts the visitor first in
    line, and the waiting screen says why it is not Anna."""
    env = site.env
    anna, key, _at = await booked_by_link(site)
    await anna.call("status", {"state": "away"})
    await env.advance(HOUR)
    page = await site.context.new_page()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.goto(f"{env.url}/space#{key}")
    await page.get_by_role("button", name="Start het gesprek").click()
    await page.locator("#consent").check()
    await page.locator("#start").click()
    await expect(page.locator("#waiting")).to_be_visible()
    await expect(page.locator("#position")).to_have_text("1")
    await expect(page.locator("#waiting-agreed")).to_contain_text("Je bent als eerste aan de beurt")
    await shot(page, "appointment-waiting-320")
