"""Everything a volunteer or administrator reads is in their own language.

A Dutch visitor's system lines are stored in Dutch (what the visitor read); an English console
words them in English from their code. The audit log names every action in the reader's
language, never as a key such as ``handover_declined``.
"""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.console.conftest import Console, shoot
from tests.console.test_admin_pages import admin_login
from tests.console.test_admin_pages import shoot as admin_shoot

RAW_KEY = re.compile(r"^[a-z]+(_[a-z]+)+$")


async def english_volunteer(console: Console, username: str, alias: str) -> Page:
    await console.env.account(username, alias=alias)
    page = await console.login(username, lang="en")
    await expect(page).to_have_url(f"{console.env.url}/console?lang=en")
    await expect(page.locator("#status-text")).to_contain_text("Paused")
    return page


async def test_an_english_console_reads_a_dutch_visitors_system_lines_in_english(
    console: Console,
) -> None:
    """Dutch visitor, English volunteer: "Anna took the conversation." and "The visitor has
    left the chat." in the console, while the visitor read (and the store keeps) Dutch."""
    env = console.env
    page = await english_volunteer(console, "anna", "Anna")
    await page.get_by_text("Available", exact=True).click()
    visitor, ack = await env.start()  # Dutch
    await expect(page.get_by_role("tab")).to_have_count(1)
    system = page.locator(".panel:not([hidden]) .msg.role-system")
    await expect(system).to_have_count(1)
    await expect(system.locator(".body")).to_have_text("Anna took the conversation.")
    await expect(system.locator(".who")).to_have_text("System")
    told = await visitor.until("message", lambda m: m["role"] == "system")
    assert told["text"] == "Anna is er om met je te praten."

    await visitor.call("message", {"text": "hoi"})
    await visitor.call("leave", {})
    await expect(system).to_have_count(2)
    await expect(system.nth(1).locator(".body")).to_have_text("The visitor has left the chat.")
    await expect(page.locator(".panel:not([hidden])")).not_to_contain_text("hulpvrager")
    await shoot(page, "system-lines-english")
    stored = [m.text for m in await env.hub.store.messages(ack["conversation_id"])]
    assert "De hulpvrager heeft de chat verlaten." in stored

    # after a reload the transcript in `assigned` is worded the same way
    await page.reload()
    await expect(system).to_have_count(2)
    await expect(system.first.locator(".body")).to_have_text("Anna took the conversation.")


async def test_the_audit_log_names_every_action_in_the_readers_language(
    console: Console,
) -> None:
    """A declined and an unanswered handover and a risk flag: the administrator reads them as
    words in English (and in Dutch), the risk level as a word too, and never a raw key."""
    env = console.env
    anna = await env.operator("anna", alias="Anna")
    bram = await env.operator("bram", status="paused", alias="Bram")
    _, ack = await env.start()
    said = {"conversation_id": ack["conversation_id"]}
    await anna.next("assigned")
    await bram.call("status", {"state": "available"})
    assert (await anna.call("handover", {**said, "to": bram.operator_id, "note": ""}))["ok"]
    await bram.next("handover_offered")
    assert (await bram.call("handover_decline", said))["ok"]
    assert (await anna.call("handover", {**said, "to": bram.operator_id, "note": ""}))["ok"]
    await env.advance(61)  # Bram does not answer
    assert (await anna.call("flag", {**said, "risk": "acute"}))["ok"]

    page = await admin_login(console, "/admin/audit", lang="en")
    table = page.locator("#audit")
    declined = table.locator('tr[data-action="handover_declined"]')
    await expect(declined).to_contain_text("Declined a handover")
    await expect(declined).to_contain_text("bram")
    await expect(table.locator('tr[data-action="handover_timeout"]')).to_contain_text(
        "Did not answer a handover"
    )
    flagged = table.locator('tr[data-action="flag"]')
    await expect(flagged).to_contain_text("Flagged a risk")
    await expect(flagged.locator("td").nth(4)).to_have_text("Acute")
    for cell in await table.locator("tbody td").all_inner_texts():
        assert not RAW_KEY.match(cell.strip()), cell
    await admin_shoot(page, "audit-english", full_page=False)

    await page.goto(f"{env.url}/admin/audit?lang=nl")
    await expect(declined).to_contain_text("Wees een overdracht af")
    await expect(flagged.locator("td").nth(4)).to_have_text("Acuut")
    for cell in await table.locator("tbody td").all_inner_texts():
        assert not RAW_KEY.match(cell.strip()), cell
