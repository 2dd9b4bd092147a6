"""WCAG 2.2 AA for the widget: axe-core finds nothing, at desktop size, 320 px and 200% zoom."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import FrameLocator, Page, expect

from tests.browser.conftest import AXE, Site
from tests.browser.screens import start
from tests.browser.test_widget import open_chat

AXE_SETUP = AXE.read_text() + ';axe.configure({allowedOrigins: ["<unsafe_all_origins>"]});'
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "iframes": True,
}


async def violations(page: Page) -> list[dict[str, Any]]:
    """Run axe in the host page and inside the cross-origin widget frame."""
    result = await page.evaluate(f"axe.run(document, {json.dumps(RULES)})")
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


async def test_no_accessibility_violations_in_any_state(site: Site) -> None:
    """Intro, waiting and conversation all pass axe (WCAG 2.x A and AA rules)."""
    await site.context.add_init_script(script=AXE_SETUP)
    page, frame = await open_chat(site)
    assert await violations(page) == []
    await start(frame)
    assert await violations(page) == []
    volunteer = await site.env.operator("anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await volunteer.call("message", {"conversation_id": conversation, "text": "Hoi, ik ben er."})
    await expect(frame.locator('.message[data-role="operator"]')).to_have_count(1)
    assert await violations(page) == []


async def test_keyboard_only_visitor_can_start_and_write(site: Site) -> None:
    """Tab to the launcher, open it, consent, start and write without a mouse."""
    page = await site.open()
    focused = None
    for _ in range(5):  # past the website's own search field; the launcher comes last
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement && document.activeElement.id")
        if focused == "helpline-chat-launcher":
            break
    assert focused == "helpline-chat-launcher"
    await page.keyboard.press("Enter")
    frame = page.frame_locator("#helpline-chat-frame")
    await expect(frame.locator("#consent")).to_be_visible()
    await frame.locator("#consent").focus()
    await page.keyboard.press("Space")
    await frame.locator("#start").focus()
    await page.keyboard.press("Enter")
    await expect(frame.locator("#waiting")).to_be_visible()
    await frame.locator("#text").focus()
    await page.keyboard.type("hallo")
    await page.keyboard.press("Enter")
    await expect(frame.locator('.message[data-role="visitor"]')).to_have_count(1)


async def test_narrow_screen_and_zoom_need_no_sideways_scrolling(site: Site) -> None:
    """At 320 px wide (which is also 640 px at 200% zoom) nothing overflows sideways."""
    page, frame = await open_chat(site)
    await page.set_viewport_size({"width": 320, "height": 640})
    await start(frame)
    widget = page.frame(url=lambda url: "/widget/frame" in url)
    assert widget is not None
    overflow = await widget.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await expect(frame.locator("#quick-exit")).to_be_in_viewport()


async def test_no_violations_in_the_new_screens(site: Site) -> None:
    """Direct help open, 'really end?', the goodbye with its numbers, the launcher with a
    badge, the one-line header with the keyboard open, and a refusal all pass axe."""
    await site.context.add_init_script(script=AXE_SETUP)
    page, frame = await open_chat(site, "evening")
    await frame.locator("#help-toggle").click()
    await expect(frame.locator("#help")).to_be_visible()
    assert await violations(page) == []
    await frame.locator("#help-close").click()
    await start(frame)
    volunteer = await site.env.operator("anna", alias="Anna")
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    await frame.locator("#leave").click()
    await expect(frame.locator("#leave-confirm")).to_be_visible()
    assert await violations(page) == []
    await frame.locator("#leave-no").click()

    await frame.locator("#close").click()
    await volunteer.call("message", {"conversation_id": conversation, "text": "Ben je er?"})
    launcher = page.locator("#helpline-chat-launcher")
    await expect(launcher).to_have_accessible_name(re.compile("nieuw"))
    assert await violations(page) == []
    await launcher.click()

    await page.set_viewport_size({"width": 320, "height": 300})
    await frame.locator("#text").focus()
    await expect(frame.locator("#compose-hint")).to_be_hidden()
    assert await violations(page) == []
    await page.set_viewport_size({"width": 1280, "height": 800})

    await volunteer.call(
        "end", {"conversation_id": conversation, "wrapup": {"topics": [], "risk": "none"}}
    )
    await expect(frame.locator("#ended-contacts")).to_be_visible()
    assert await violations(page) == []

    await frame.locator("#restart").click()
    await site.context.set_offline(True)
    try:
        await start_refused(frame)
        await expect(frame.locator("#retry")).to_be_visible()
        assert await violations(page) == []
    finally:
        await site.context.set_offline(False)


async def start_refused(frame: FrameLocator) -> None:
    await frame.locator("#consent").check()
    await frame.locator("#start").click()
    await expect(frame.locator("#closed")).to_be_visible()
