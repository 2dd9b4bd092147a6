"""WCAG 2.2 AA for the console: axe-core finds nothing on the login page and the console,
in its quiet state, in a conversation, and with a dialog open; and it works by keyboard."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import AXE, Console, shoot

RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}


async def violations(page: Page) -> list[dict[str, Any]]:
    result = await page.evaluate(f"axe.run(document, {json.dumps(RULES)})")
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


async def test_login_page_has_no_violations(console: Console) -> None:
    await console.context.add_init_script(script=AXE.read_text())
    await console.env.account("anna")
    page = await console.context.new_page()
    await page.goto(f"{console.env.url}/login")
    assert await violations(page) == []
    page = await console.login("anna", password="wrong password")
    await expect(page.get_by_role("alert")).to_be_visible()
    assert await violations(page) == []


async def test_console_has_no_violations_in_any_state(console: Console) -> None:
    await console.context.add_init_script(script=AXE.read_text())
    page = await console.volunteer()
    assert await violations(page) == []

    await page.get_by_text("Beschikbaar", exact=True).click()
    visitor, _ = await console.env.start(topic="loneliness")
    await visitor.call("message", {"text": "hallo"})
    await expect(page.locator(".msg.role-visitor")).to_have_count(1)
    await page.get_by_label("Nieuwe notitie").fill("rustig gesprek")
    await page.get_by_role("button", name="Notitie opslaan").click()
    await expect(page.locator(".note-list .msg")).to_have_count(1)
    assert await violations(page) == []

    await visitor.call("leave", {"reason": "quick_exit"})
    await expect(page.locator(".banner.safety")).to_be_visible()
    assert await violations(page) == []

    await page.get_by_role("button", name="Afronden", exact=True).click()
    dialog = page.get_by_role("dialog", name="Gesprek afronden")
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    await expect(dialog.locator("#wrapup-risk-error")).to_be_visible()
    assert await violations(page) == []


async def test_keyboard_only_volunteer_sets_status_and_replies(console: Console) -> None:
    """Status switch by arrow keys, tab to the conversation and the compose box, Enter sends."""
    page = await console.volunteer()
    await page.locator("#status-paused").focus()
    await page.keyboard.press("ArrowLeft")  # radio group: moves to "Beschikbaar"
    await expect(page.locator("#status-text")).to_contain_text("Beschikbaar")
    visitor, _ = await console.env.start()
    tab = page.get_by_role("tab")
    await expect(tab).to_have_count(1)
    await tab.focus()
    await expect(tab).to_have_attribute("aria-selected", "true")
    box = page.get_by_label("Jouw bericht aan de hulpvrager")
    await box.focus()
    await page.keyboard.type("Fijn dat je er bent.")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("Waar wil je het over hebben?")
    await page.keyboard.press("Enter")
    reply = await visitor.until("message", lambda m: m["role"] == "operator")
    assert reply["text"] == "Fijn dat je er bent.\nWaar wil je het over hebben?"
    focused = await page.evaluate("document.activeElement.tagName")
    assert focused == "TEXTAREA"
    await shoot(page, "keyboard")


async def test_narrow_screen_needs_no_sideways_scrolling(console: Console) -> None:
    """At 320 px wide (also 1280 px at 400% zoom) the console reflows into one column."""
    page = await console.volunteer()
    await page.set_viewport_size({"width": 320, "height": 640})
    await page.get_by_text("Beschikbaar", exact=True).click()
    visitor, _ = await console.env.start()
    await visitor.call("message", {"text": "een heel lang woord: " + "a" * 80})
    await expect(page.locator(".msg.role-visitor")).to_have_count(1)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    await shoot(page, "narrow")
    assert overflow <= 0
