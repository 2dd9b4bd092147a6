"""Letters in the console and on the supervisor's floor (issue 12), in real Chromium against
a real server: a visitor's letter appears in the letters pane live, beside the chats; the
volunteer reads it (sanitized), answers it from the keyboard and the answer is what the
visitor's link shows; a thread handed to a colleague shows under their letters with the note;
the supervisor sees waiting and overdue letters per line and closes a link; the statistics'
CSV counts letters and agreed chats. Every view passes axe."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from chatserver.backends.base import StatsDelta
from chatserver.errors import LinkUnknown
from chatserver.hub.model import Role
from tests.console.conftest import AXE, SHOTS, Console, console_on, shoot
from tests.console.test_accessibility import violations
from tests.console.test_stats import get, supervisor_cookie
from tests.console.test_supervisor import open_floor
from tests.e2e.conftest import running
from tests.e2e.letters_settings import ANSWER_WITHIN_HOURS, with_letters

HOUR = 3600.0


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

    space = await followup.spaces.find(key)
    view = await followup.spaces.view(space)
    [(_, letters)] = view.threads
    assert [(x.role, x.text, x.author_alias) for x in letters][-1] == (
        Role.OPERATOR,
        "Wat naar. Wat houdt je wakker?",
        "Anna",
    )
    assert thread.id == letters[0].thread_id

    # the visitor writes back while Anna still has the thread open: offered, not reloaded
    console.env.clock.advance(60)
    await followup.letters.write(space, "De zorgen over school", thread.id)
    await expect(page.locator("#letters-count")).to_have_text("1")
    newer = page.get_by_role("button", name="Er is een nieuwe brief in dit gesprek")
    await newer.click()
    await expect(page.locator("#letter-log .msg")).to_have_count(3)
    await expect(page.locator("#letter-log .msg").last).to_contain_text("zorgen over school")
    await expect(newer).to_be_hidden()


async def test_the_letters_pane_works_by_keyboard_alone(letters_console: Console) -> None:
    """Open the pane, reach the letter, read, answer with Ctrl+Enter and close it with Escape,
    without a mouse; focus lands where the volunteer goes on."""
    console = letters_console
    await console.env.server.followup.letters.write_first("chat", "nl", "Hallo daar", True)
    page = await console.volunteer("anna", "Anna")
    toggle = page.locator("#letters-toggle")
    await expect(toggle).to_have_attribute(
        "aria-label", "Brieven: 1 wachten op antwoord, 0 te laat"
    )
    await toggle.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#letters-heading")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Brieven sluiten")).to_be_focused()
    await expect(page.locator("#letters-queue .letter-open")).to_be_visible()  # list fetched
    await page.keyboard.press("Tab")
    first = page.locator("#letters-queue .letter-open").first
    await expect(first).to_be_focused()
    # another letter arrives while the volunteer is on this row: the list is drawn again,
    # and the keyboard stays where it was
    console.env.clock.advance(60)
    await console.env.server.followup.letters.write_first("chat", "en", "Hello", True)
    await expect(page.locator("#letters-queue .letter-open")).to_have_count(2)
    await expect(first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#letter-title")).to_be_focused()
    await expect(page.locator("#letter-log")).to_contain_text("Hallo daar")
    await page.keyboard.press("Tab")
    await expect(page.locator("#letter-log")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Jouw antwoord")).to_be_focused()
    await page.keyboard.type("Fijn dat je schrijft.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#letter-status")).to_have_text("Je antwoord is verstuurd.")
    await page.keyboard.press("Escape")
    await expect(page.locator("#letters")).to_be_hidden()
    await expect(toggle).to_be_focused()
    await expect(toggle).to_have_attribute("aria-expanded", "false")


async def test_a_letter_given_to_a_colleague_shows_under_their_letters_with_the_note(
    letters_console: Console,
) -> None:
    """Anna gives the thread to Ben (chosen from the colleagues online, as for a chat) with a
    note; Ben's open pane shows it under his letters at once, and the note when he opens it."""
    console = letters_console
    env = console.env
    await console.context.add_init_script(script=AXE.read_text())
    _, _, thread = await env.server.followup.letters.write_first("chat", "nl", "Help", True)
    anna = await console.volunteer("anna", "Anna", lines=("chat",))
    await env.account("ben", alias="Ben", lines=("chat",))
    ben = await console.login("ben", context=await console.new_context())
    await expect(ben.locator("#status-text")).to_contain_text("Pauze")
    await open_letters(ben)
    await expect(ben.locator("#letters-mine-empty")).to_be_visible()

    await open_letters(anna)
    await anna.locator("#letters-queue .letter-item").get_by_role("button").click()
    await anna.get_by_role("button", name="Aan een collega geven").click()
    dialog = anna.get_by_role("dialog", name="Aan een collega geven")
    await dialog.get_by_label("Aan wie?").select_option(label="Ben")
    await dialog.get_by_label("Notitie voor je collega").fill("Vraagt naar slaap")
    assert await violations(anna) == []
    await dialog.get_by_role("button", name="Overdragen").click()
    await expect(dialog).to_be_hidden()
    await expect(anna.locator("#letters-status")).to_have_text("De brief is aan Ben gegeven.")

    # still waiting, so still in Anna's queue: Ben's to answer now
    await anna.locator("#letters-queue .letter-item").get_by_role("button").click()
    await expect(anna.locator("#letter-owned")).to_have_text(
        "Ben heeft deze brief opgepakt: Ben beantwoordt hem of geeft hem door."
    )
    await expect(anna.get_by_label("Jouw antwoord")).to_be_hidden()

    mine = ben.locator("#letters-mine .letter-item")
    await expect(mine).to_have_count(1)  # live, through letters_changed
    await expect(mine).to_contain_text("Door jou opgepakt")
    await mine.get_by_role("button").click()
    await expect(ben.locator("#letter-note")).to_have_text(
        "Notitie van je collega: Vraagt naar slaap"
    )
    stored = await env.server.followup.letters.store.thread(thread.id)
    ben_account = await env.hub.store.account_by_username("ben")
    assert stored is not None and ben_account is not None and stored.owner == ben_account.id


async def test_the_supervisor_sees_overdue_letters_and_closes_a_link(
    letters_console: Console,
) -> None:
    """Past the line's promise the floor counts the letter as overdue (in words, not only in
    colour); Close link, confirmed, makes the visitor's link open nothing."""
    console = letters_console
    env = console.env
    await console.context.add_init_script(script=AXE.read_text())
    followup = env.server.followup
    _, key, _ = await followup.letters.write_first("chat", "nl", "Eerste", True)
    env.clock.advance((ANSWER_WITHIN_HOURS + 1) * HOUR)  # the promise has passed
    await followup.letters.write_first("evening", "nl", "Tweede", True)
    page = await open_floor(console)
    await page.set_viewport_size({"width": 1280, "height": 720})

    chat = page.locator('#followup-lines tbody tr[data-line="chat"]')
    await expect(chat.locator("td")).to_have_text(["1", "⚠ 1", "1"])
    evening = page.locator('#followup-lines tbody tr[data-line="evening"]')
    await expect(evening.locator("td")).to_have_text(["1", "0", "1"])
    letters = page.locator("#followup-letters tbody tr")
    await expect(letters).to_have_count(2)
    await expect(letters.first).to_contain_text("Te laat")
    await expect(page.locator("#no-followup-today")).to_be_visible()
    assert await violations(page) == []
    await page.screenshot(path=str(SHOTS / "supervisor-followup.png"), full_page=True)

    await letters.first.get_by_role("button", name="Link sluiten").click()
    dialog = page.get_by_role("dialog", name="Link sluiten?")
    await expect(dialog).to_be_visible()
    assert await violations(page) == []
    await dialog.get_by_role("button", name="Ja, link sluiten").click()
    await expect(page.locator("#notice")).to_have_text("De link is gesloten.")
    await expect(letters.first).to_contain_text("Gesloten")
    with pytest.raises(LinkUnknown):
        await followup.spaces.find(key)


async def test_the_csv_counts_letters_and_agreed_chats(tmp_path: Path) -> None:
    """Letters received and answered and agreed chats by outcome are CSV columns with the
    right counts per hour; no text of a letter is in the export or on the page."""
    async with running(tmp_path, with_letters()) as env:
        followup = env.server.followup
        anna = await env.hub.store.account(await env.account("anna", alias="Anna"))
        assert anna is not None
        for text in ("geheime brief een", "geheime brief twee"):
            _, _, thread = await followup.letters.write_first("chat", "nl", text, True)
        await followup.letters.answer(anna, thread.id, "geheim antwoord")
        now = env.clock.now()
        await followup.spaces.record(StatsDelta("evening", now, appointments_booked=2))
        await followup.spaces.record(
            StatsDelta("evening", now, appointments_kept=1, appointments_cancelled=1)
        )
        cookie = await supervisor_cookie(env)
        export = await get(env, cookie, "/supervisor/stats.csv?line=all&period=day")
        body = await export.text()
        rows = {r["line"]: r for r in csv.DictReader(io.StringIO(body))}
        columns = ["letters_received", "letters_answered", "appointments_booked"]
        columns += ["appointments_kept", "appointments_missed", "appointments_cancelled"]
        assert [rows["chat"][c] for c in columns] == ["2", "1", "0", "0", "0", "0"]
        assert [rows["evening"][c] for c in columns] == ["0", "0", "2", "1", "0", "1"]
        page = await get(env, cookie, "/supervisor/stats?line=all&period=day&lang=nl")
        html = await page.text()
        assert "<dt>Brieven ontvangen</dt><dd>2</dd>" in html
        assert "<dt>Afspraken afgezegd</dt><dd>1</dd>" in html
        assert "geheim" not in body and "geheim" not in html
