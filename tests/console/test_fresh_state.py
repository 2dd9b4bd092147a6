"""No stale state in the console: what a volunteer reads is what is true now.

A backup or supervisor reading along sees the risk go up the moment it is flagged (and the
volunteer sees what the backup flags); "backup requested" becomes "Bea is reading along"
when she joins; the wrap-up starts from the risk flagged in the chat; a passing notice fades
or is closed with ×.
"""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import Console, shoot
from tests.console.test_supervisor import open_floor
from tests.e2e.conftest import Peer

PANEL = ".panel:not([hidden])"


async def anna_in_a_chat(console: Console) -> tuple[Page, Peer]:
    page = await console.volunteer("anna", "Anna")
    await page.get_by_text("Beschikbaar", exact=True).click()
    await expect(page.locator("#status-text")).to_contain_text("Beschikbaar")
    visitor, _ = await console.env.start()
    await expect(page.get_by_role("tab")).to_have_count(1)
    return page, visitor


async def test_readers_along_see_the_risk_go_up_without_a_reload(console: Console) -> None:
    """Anna asks for backup: her status line says so, then "Bea leest mee als achterwacht."
    when Bea joins. Anna flags high: Bea's console and the supervisor's pane say "Hoog" at
    once. Bea flags acute: Anna's console says "Acuut" and who set it."""
    anna, _ = await anna_in_a_chat(console)
    await console.env.account("bea", alias="Bea", backup=True)
    bea = await console.login("bea", context=await console.new_context())
    await expect(bea.locator("#status-text")).to_contain_text("Pauze")

    await anna.get_by_role("button", name="Achterwacht vragen").click()
    await anna.get_by_role("dialog").get_by_role("button", name="Achterwacht vragen").click()
    status = anna.locator(f"{PANEL} .action-status")
    await expect(status).to_have_text("Achterwacht gevraagd. Je ziet het zodra iemand meeleest.")
    await bea.get_by_role("button", name="Meelezen als achterwacht").click()
    await expect(status).to_have_text("Bea leest mee als achterwacht.")
    await expect(anna.locator(f"{PANEL} .observed")).to_have_text("Leest mee: Bea (achterwacht)")

    sara = await open_floor(console, context=await console.new_context())
    await sara.locator("#conversations tbody tr").get_by_role("button", name="Meelezen").click()
    pane = sara.locator(".pane")
    await expect(pane.locator(".facts")).to_contain_text("Geen")

    await anna.get_by_label("Risico markeren").select_option("high")
    await anna.get_by_role("button", name="Markeren").click()
    await expect(bea.locator(f"{PANEL} .facts .risk")).to_contain_text("Hoog")
    await expect(bea.locator(f"{PANEL} .action-status")).to_have_text(
        "Anna zette het risico op: Hoog."
    )
    await expect(pane.locator(".facts")).to_contain_text("Hoog")
    await shoot(bea, "risk-seen-by-backup")

    await bea.get_by_label("Risico markeren").select_option("acute")
    await bea.get_by_role("button", name="Markeren").click()
    await expect(anna.locator(f"{PANEL} .facts .risk")).to_contain_text("Acuut")
    await expect(status).to_have_text("Bea zette het risico op: Acuut.")
    await expect(pane.locator(".facts")).to_contain_text("Acuut")
    await shoot(anna, "risk-set-by-backup")


async def test_the_wrapup_starts_from_the_flagged_risk(console: Console) -> None:
    """Flagged high in the chat: the wrap-up has "Hoog" chosen and says why; the volunteer can
    still change it. A chat never flagged starts with nothing chosen."""
    anna, _ = await anna_in_a_chat(console)
    await anna.get_by_label("Risico markeren").select_option("high")
    await anna.get_by_role("button", name="Markeren").click()
    await expect(anna.locator(f"{PANEL} .facts .risk")).to_contain_text("Hoog")

    await anna.get_by_role("button", name="Gesprek beëindigen").click()
    dialog = anna.get_by_role("dialog", name="Gesprek afronden")
    await expect(dialog.get_by_label("Hoog")).to_be_checked()
    await expect(dialog.locator("#wrapup-risk-hint")).to_contain_text("(Hoog)")
    await shoot(anna, "wrapup-preselected")
    await dialog.get_by_label("Laag").check()  # the volunteer's own assessment wins
    await dialog.get_by_label("Eenzaamheid").check()
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    await expect(anna.get_by_role("tab")).to_have_count(0)

    await expect(anna.locator("#status-paused")).to_be_checked()  # the pause after a heavy chat
    await anna.get_by_text("Beschikbaar", exact=True).click()
    await console.env.start()
    await expect(anna.get_by_role("tab")).to_have_count(1)
    await anna.get_by_role("button", name="Gesprek beëindigen").click()
    await expect(dialog.locator('input[name="wrisk"]:checked')).to_have_count(0)
    await expect(dialog.locator("#wrapup-risk-hint")).to_be_hidden()


async def test_a_passing_notice_fades_or_is_closed(console: Console) -> None:
    """A passing notice ("Gesprek afgerond.") goes by itself after a few seconds, not while
    the pointer is on it; "Je leest niet meer mee." can be closed at once with ×, by keyboard
    too, and focus goes back to the page."""
    await console.context.clock.install()
    anna, _ = await anna_in_a_chat(console)
    await anna.get_by_role("button", name="Gesprek beëindigen").click()
    dialog = anna.get_by_role("dialog", name="Gesprek afronden")
    await dialog.get_by_label("Eenzaamheid").check()
    await dialog.get_by_label("Geen").check()
    await dialog.get_by_role("button", name="Afronden en sluiten").click()
    notice = anna.locator("#notice")
    close = anna.get_by_role("button", name="Melding sluiten")
    await expect(notice).to_have_text("Gesprek afgerond.")
    await expect(close).to_be_visible()
    await shoot(anna, "notice")
    await notice.hover()
    await console.context.clock.fast_forward(20_000)
    await expect(notice).to_have_text("Gesprek afgerond.")  # held while pointed at
    await anna.locator("#main").hover()
    await console.context.clock.fast_forward(10_000)
    await expect(notice).to_be_hidden()
    await expect(close).to_be_hidden()

    # a backup who stops reading along: the notice, closed by keyboard
    await console.env.account("bea", alias="Bea", backup=True)
    bea = await console.login("bea", context=await console.new_context())
    await console.env.start()
    await console.env.account("carl", alias="Carl")
    await anna.get_by_role("button", name="Achterwacht vragen").click()
    await anna.get_by_role("dialog").get_by_role("button", name="Achterwacht vragen").click()
    await bea.get_by_role("button", name="Meelezen als achterwacht").click()
    await bea.get_by_role("button", name="Stoppen met meelezen").click()
    await expect(bea.locator("#notice")).to_have_text("Je leest niet meer mee.")
    bea_close = bea.get_by_role("button", name="Melding sluiten")
    await bea_close.focus()
    await bea_close.press("Enter")
    await expect(bea.locator("#notice")).to_be_hidden()
    await expect(bea.locator("#main")).to_be_focused()
