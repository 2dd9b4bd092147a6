"""Canned responses (standaardzinnen): inserted into the compose box, edited, then sent."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import Console, shoot


async def test_a_canned_response_is_inserted_edited_and_sent(console: Console) -> None:
    env = console.env
    page = await console.volunteer()
    visitor, _ = await env.start()
    await page.get_by_text("Beschikbaar", exact=True).click()
    await expect(page.get_by_role("tab")).to_have_count(1)

    box = page.get_by_label("Jouw bericht aan de hulpvrager")
    await box.fill("Dag! ")
    choose = page.get_by_label("Standaardzinnen")
    await expect(choose).to_be_visible()
    # the line's canned responses, in the console's language
    await expect(choose.locator("option")).to_have_text(
        ["Kies een standaardzin", "Welkom", "Even wachten"]
    )
    await choose.select_option(label="Welkom")
    await visitor.settle()
    assert not [m for m in visitor.pending("message") if m.get("role") == "operator"]
    await page.get_by_role("button", name="Invoegen").click()
    # inserted at the cursor (after what was typed), not sent
    await expect(box).to_have_value("Dag! Hoi, fijn dat je er bent.")
    await expect(box).to_be_focused()
    await expect(choose).to_have_value("")
    await shoot(page, "canned")
    await visitor.settle()
    assert not [m for m in visitor.pending("message") if m.get("role") == "operator"]

    # the volunteer edits it and sends
    await box.press("End")
    await box.type(" Waar wil je over praten?")
    await box.press("Enter")
    reply = await visitor.until("message", lambda m: m["role"] == "operator")
    assert reply["text"] == "Dag! Hoi, fijn dat je er bent. Waar wil je over praten?"
    await expect(box).to_have_value("")


async def test_only_an_admin_sees_the_link_to_the_administration(console: Console) -> None:
    volunteer = await console.volunteer()
    await expect(volunteer.get_by_role("link", name="Beheer")).to_have_count(0)

    await console.env.account("beheer", role="admin")
    account = await console.env.hub.store.account_by_username("beheer")
    assert account is not None and account.totp_secret
    context = await console.new_context()
    page = await console.login("beheer", otp=console.otp(account.totp_secret), context=context)
    await expect(page).to_have_url(f"{console.env.url}/console?lang=nl")
    link = page.get_by_role("link", name="Beheer")
    await expect(link).to_have_attribute("href", "/admin?lang=nl")
