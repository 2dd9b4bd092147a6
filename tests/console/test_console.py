"""A volunteer's evening shift in the console, in a real browser, with a real visitor client."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.console.conftest import Console, shoot


async def test_volunteer_chats_with_a_visitor_from_start_to_wrapup(console: Console) -> None:
    """Available -> a visitor's chat arrives as a tab with unread count and title count ->
    reply reaches the visitor -> a note does not -> quick exit banner -> wrap-up closes it."""
    env = console.env
    page = await console.volunteer()
    await shoot(page, "empty")

    # the visitor writes while waiting; the volunteer gets it with the conversation
    visitor, _ = await env.start(topic="loneliness", age_band="16-23")
    await visitor.call("message", {"text": "hoi, ik weet niet <b>goed</b> waar ik moet beginnen"})
    await env.advance(60)
    await page.get_by_text("Beschikbaar", exact=True).click()
    await expect(page.locator("#status-text")).to_contain_text("Beschikbaar · 1 van 1")
    tab = page.get_by_role("tab")
    await expect(tab).to_have_count(1)
    await expect(page.locator(".msg.role-system")).to_contain_text("Anna")
    transcript = page.locator(".panel:not([hidden]) .transcript")
    waiting = transcript.locator(".msg.role-visitor")
    await expect(waiting).to_contain_text("<b>goed</b>")  # text, never markup
    await expect(waiting.locator(".tag")).to_have_text("geschreven tijdens het wachten")
    await expect(page.locator(".panel .facts")).to_contain_text("Eenzaamheid")
    await expect(page.locator(".panel .facts")).to_contain_text("16-23")

    # unread counts: while the page is hidden (another window in front), messages count up
    await page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true})"
    )
    await visitor.call("message", {"text": "ben je er nog?"})
    await expect(tab.locator(".badge")).to_have_text("1")
    await expect(page).to_have_title("(1) Console – Chatdienst")
    await page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    await expect(tab.locator(".badge")).to_have_count(0)
    await expect(page).to_have_title("Console – Chatdienst")

    # the reply: Enter sends, the visitor receives it
    box = page.get_by_label("Jouw bericht aan de hulpvrager")
    await box.fill("Ik ben er. Neem de tijd.")
    await box.press("Enter")
    reply = await visitor.until("message", lambda m: m["role"] == "operator")
    assert reply["text"] == "Ik ben er. Neem de tijd."
    await expect(transcript.locator(".msg.role-operator")).to_contain_text("Neem de tijd")
    await expect(box).to_have_value("")

    # a private note shows beside the transcript and never reaches the visitor
    await page.get_by_label("Nieuwe notitie").fill("Noemt eenzaamheid, geen plan.")
    await page.get_by_role("button", name="Notitie opslaan").click()
    await expect(page.locator(".note-list .msg")).to_contain_text("geen plan")
    await visitor.settle()
    assert not [m for m in visitor.pending("message") if "geen plan" in m["text"]]

    # the visitor typing shows
    await visitor.call("typing", {"active": True})
    await expect(page.locator(".panel:not([hidden]) .typing")).to_have_text("De hulpvrager typt…")
    await shoot(page, "chat")

    # quick exit: the banner says it is about the visitor's safety, not the volunteer
    await visitor.call("leave", {"reason": "quick_exit"})
    banner = page.locator(".banner.safety")
    await expect(banner).to_contain_text("waarschijnlijk voor de eigen veiligheid")
    await expect(banner).to_contain_text("Dit ligt niet aan jou.")
    # shown in full (not cut to one line): those words are for the volunteer
    await expect(banner.get_by_role("button", name="Minder")).to_have_attribute(
        "aria-expanded", "true"
    )
    await shoot(page, "quick-exit")

    # wrap-up: topics and risk are required; then the tab closes and the slot is free
    await page.get_by_role("button", name="Afronden", exact=True).click()
    dialog = page.get_by_role("dialog", name="Gesprek afronden")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    await expect(dialog.locator("#wrapup-topics-error")).to_have_text(
        "Kies minstens één onderwerp."
    )
    await dialog.get_by_label("Eenzaamheid").check()
    await dialog.get_by_label("Laag").check()
    await shoot(page, "wrapup")
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("tab")).to_have_count(0)
    await expect(page.locator("#notice")).to_have_text("Gesprek afgerond.")
    await expect(page.locator("#status-text")).to_contain_text("0 van 1")
    wrapup = await env.hub.store.wrapup(reply["id"].rsplit("-", 1)[0])
    assert wrapup is not None and list(wrapup.topics) == ["loneliness"]


async def test_acute_risk_shows_the_procedure_and_a_heavy_chat_ends_in_a_debrief_pause(
    console: Console,
) -> None:
    """Flag acute -> the line's emergency procedure; wrap-up with high risk -> a pause that
    the status switch explains (reason debrief), so nobody gets a new chat straight away."""
    page = await console.volunteer()
    await page.get_by_text("Beschikbaar", exact=True).click()
    await expect(page.locator("#empty")).to_contain_text("Je bent beschikbaar")
    visitor, _ = await console.env.start()
    await expect(page.get_by_role("tab")).to_have_count(1)
    await page.get_by_label("Risico markeren").select_option("acute")
    await page.get_by_role("button", name="Markeren").click()
    await expect(page.locator(".banner.danger .banner-text")).to_have_text(
        "Noodprocedure: Acuut: bel 112 via de achterwacht."
    )
    await expect(page.locator(".panel .facts .risk")).to_contain_text("Acuut")
    await page.get_by_role("button", name="Gesprek beëindigen").click()
    dialog = page.get_by_role("dialog", name="Gesprek afronden")
    await expect(dialog).to_contain_text("Hiermee beëindig je ook de chat voor de hulpvrager.")
    await dialog.get_by_label("Suïcidale gedachten").check()
    await dialog.get_by_label("Hoog").check()
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    await expect(page.get_by_role("tab")).to_have_count(0)
    ended = await visitor.next("ended")
    assert ended == {"by": "operator", "reason": "ended"}
    await expect(page.locator("#status-text")).to_contain_text("Even pauze na een zwaar gesprek")
    await expect(page.locator("#status-paused")).to_be_checked()


async def test_a_reload_mid_chat_brings_the_conversation_back(console: Console) -> None:
    """The server re-sends held conversations on connect; the console rebuilds the tab with
    the whole transcript, status intact, and without alerting again."""
    page = await console.volunteer()
    await page.get_by_text("Beschikbaar", exact=True).click()
    visitor, _ = await console.env.start()
    await visitor.call("message", {"text": "ben je er nog?"})
    await expect(page.locator(".msg.role-visitor")).to_have_count(1)
    await page.reload()
    await expect(page.get_by_role("tab")).to_have_count(1)
    await expect(page.locator(".msg.role-visitor")).to_have_text(re.compile("ben je er nog?"))
    await expect(page.locator("#status-available")).to_be_checked()
    await visitor.call("message", {"text": "hallo?"})
    await expect(page.locator(".msg.role-visitor")).to_have_count(2)
