"""A next chat in the console (docs/protocol.md §13.3): Anna offers it in the wrap-up with a
date, a time and a note; the visitor's yes shows in the chat and under "Mijn afspraken"; at
the time the visitor's link brings the chat straight to Anna, with her note and, as the
visitor allowed, the earlier chat to reread."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from chatserver.settings import FollowUpSettings, load_settings
from tests.console.conftest import AXE, Console, console_on, shoot
from tests.console.test_accessibility import violations
from tests.e2e.conftest import CONFIG, running

HOUR = 3600
# epoch milliseconds as <input type="datetime-local"> takes them: in the browser's own zone
LOCAL_INPUT = """(ms) => {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
    + `T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


@pytest.fixture
async def console(browser: Browser, tmp_path: Path) -> AsyncIterator[Console]:
    settings = load_settings(CONFIG)
    lines = tuple(
        dataclasses.replace(line, follow_up=FollowUpSettings(appointments=True))
        for line in settings.lines
    )
    settings = dataclasses.replace(settings, lines=lines)
    async with running(tmp_path, settings) as env, console_on(env, browser) as made:
        yield made


async def test_a_volunteer_offers_a_next_chat_and_gets_it_at_the_time(console: Console) -> None:
    env = console.env
    await console.context.add_init_script(script=AXE.read_text())
    anna = await console.volunteer("anna", "Anna")
    await anna.get_by_text("Beschikbaar", exact=True).click()
    await expect(anna.locator("#status-text")).to_contain_text("Beschikbaar")
    visitor, _ = await env.start()
    await visitor.call("message", {"text": "Ik slaap zo slecht"})
    await expect(anna.locator(".msg.role-visitor")).to_have_count(1)
    await visitor.call("leave", {"reason": "left"})
    await expect(anna.locator(".act-end")).to_have_text("Afronden")  # the wrap-up

    await anna.get_by_role("button", name="Volgend gesprek aanbieden").click()
    dialog = anna.get_by_role("dialog", name="Volgend gesprek aanbieden")
    await dialog.get_by_role("button", name="Aanbod versturen").click()
    await expect(dialog.locator("#appt-at-error")).to_have_text("Kies een datum en tijd.")
    # the browser's own clock, not the server's manual one: a time an hour from the
    # server's now, written in this computer's local time as the field expects
    at = env.clock.now() + HOUR
    local = await anna.evaluate(LOCAL_INPUT, at * 1000)
    await dialog.get_by_label("Datum en tijd").fill(local)
    await dialog.get_by_label("Notitie voor een collega").fill("Vraag naar het slapen.")
    assert await violations(anna) == []
    await shoot(anna, "appointment-offer")
    await dialog.get_by_role("button", name="Aanbod versturen").click()
    await expect(dialog).to_be_hidden()
    await expect(anna.locator(".action-status")).to_contain_text("Volgend gesprek aangeboden")

    offered = await visitor.next("appointment_offered")
    assert datetime.fromisoformat(offered["at"]).timestamp() == at
    ack = await visitor.call("appointment_accept", {"share": True, "keep": False})
    assert ack["ok"], ack
    await expect(anna.locator(".banners")).to_contain_text("aangenomen")
    await anna.locator(".act-end").click()
    wrapup = anna.get_by_role("dialog", name="Gesprek afronden")
    await wrapup.get_by_label("Anders").check()
    await wrapup.get_by_label("Geen").check()
    await wrapup.get_by_role("button", name="Afronden").click()
    await expect(anna.get_by_role("tab")).to_have_count(0)

    await anna.get_by_role("button", name="Mijn afspraken").click()
    mine = anna.get_by_role("dialog", name="Mijn afspraken")
    await expect(mine.locator("#appt-list li")).to_have_count(1)
    await expect(mine).to_contain_text("Vraag naar het slapen.")
    await shoot(anna, "appointment-mine")
    await mine.get_by_role("button", name="Sluiten").click()

    await env.advance(HOUR)
    again = await env.visitor()
    ack = await again.call("start", {"consent": True, "appointment": ack["key"]})
    assert ack["ok"], ack
    await expect(anna.get_by_role("tab")).to_have_count(1)
    await expect(anna.locator(".banners")).to_contain_text("Notitie: Vraag naar het slapen.")
    earlier = anna.locator("details.earlier")
    await earlier.locator("summary").click()
    await expect(earlier).to_contain_text("Ik slaap zo slecht")
    assert await violations(anna) == []
    await shoot(anna, "appointment-agreed-chat")
