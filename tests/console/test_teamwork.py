"""Colleagues in the console: a backup reads along and whispers, a handover is accepted."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import Console, shoot


async def test_backup_whispers_and_a_colleague_accepts_the_handover(console: Console) -> None:
    """Anna asks for backup; Bea joins from the alert and whispers (never to the visitor);
    Anna hands over to Bram with a note; Bram accepts in the dialog and holds the chat."""
    env = console.env
    anna = await console.volunteer("anna", "Anna")
    await anna.get_by_text("Beschikbaar", exact=True).click()
    await expect(anna.locator("#status-text")).to_contain_text("Beschikbaar")
    await env.account("bea", alias="Bea", backup=True)
    bea = await console.login("bea", context=await console.new_context())
    await env.account("bram", alias="Bram")
    bram = await console.login("bram", context=await console.new_context())
    await expect(bram.locator("#status-text")).to_contain_text("Pauze")

    visitor, _ = await env.start()
    await expect(anna.get_by_role("tab")).to_have_count(1)
    await visitor.call("message", {"text": "het gaat echt niet goed"})

    # backup: the request with a reason, the alert at Bea's, the join
    await anna.get_by_role("button", name="Achterwacht vragen").click()
    await anna.get_by_label("Waarom? (optioneel)").fill("Zware gedachten")
    await anna.get_by_role("dialog").get_by_role("button", name="Achterwacht vragen").click()
    alert = bea.locator("#backup-alerts")
    await expect(alert).to_contain_text("Anna vraagt om achterwacht")
    await expect(alert).to_contain_text("Reden: Zware gedachten")
    await shoot(bea, "backup-alert")
    await bea.get_by_role("button", name="Meelezen als achterwacht").click()
    await expect(bea.get_by_role("tab")).to_contain_text("meelezen")
    await expect(bea.locator(".msg.role-visitor")).to_contain_text("niet goed")
    await expect(anna.locator(".observed")).to_have_text("Leest mee: Bea (achterwacht)")

    # a whisper from Bea shows distinctly at Anna's, and the visitor never gets it
    whisper_box = bea.get_by_label("Fluister naar je collega (de hulpvrager ziet dit niet)")
    await whisper_box.fill("Vraag of er een plan is.")
    await whisper_box.press("Enter")
    whisper = anna.locator(".msg.role-whisper")
    await expect(whisper).to_contain_text("Vraag of er een plan is.")
    await expect(whisper.locator(".who")).to_have_text("Gefluisterd – Bea")
    await shoot(anna, "whisper")
    await visitor.settle()
    assert not [m for m in visitor.pending("message") if "plan" in m["text"]]

    # handover to Bram with a note: an offer Bram accepts in a dialog
    await bram.get_by_text("Beschikbaar", exact=True).click()
    await expect(bram.locator("#status-text")).to_contain_text("Beschikbaar")
    await anna.get_by_role("button", name="Overdragen").click()
    dialog = anna.get_by_role("dialog", name="Overdragen")
    await expect(dialog.get_by_label("Aan wie?").locator("option", has_text="Bram")).to_be_enabled()
    await dialog.get_by_label("Aan wie?").select_option(label="Bram – Beschikbaar, 0/1")
    await dialog.get_by_label("Notitie voor je collega").fill("Bea leest mee; vraag naar een plan.")
    await dialog.get_by_role("button", name="Overdragen").click()
    await expect(anna.locator(".action-status")).to_contain_text("Aangeboden aan Bram")
    offer = bram.get_by_role("dialog", name="Een collega wil een gesprek aan je overdragen")
    await expect(offer).to_contain_text("Anna wil een gesprek aan je overdragen.")
    await expect(offer).to_contain_text("Bea leest mee; vraag naar een plan.")
    await shoot(bram, "offer")
    await offer.get_by_role("button", name="Aannemen").click()
    await expect(bram.get_by_role("tab")).to_have_count(1)
    await expect(bram.locator(".banner.info")).to_contain_text("Notitie bij de overdracht")
    await expect(bram.locator(".msg.role-visitor")).to_contain_text("niet goed")
    await expect(anna.get_by_role("tab")).to_have_count(0)
    await expect(anna.locator("#notice")).to_have_text("Het gesprek is overgedragen.")
    assigned = await visitor.until("assigned", lambda a: a["operator"] == "Bram")
    assert assigned == {"operator": "Bram"}
