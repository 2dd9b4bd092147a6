"""Logging in to the console in a real browser: password, lockout, second factor, logout."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import Console, shoot


async def test_wrong_password_shows_an_error_and_keeps_the_username(console: Console) -> None:
    """A typo gets a clear message in the volunteer's language, and no session."""
    await console.env.account("anna")
    page = await console.login("anna", password="wrong password")
    await expect(page.get_by_role("alert")).to_have_text("Gebruikersnaam of wachtwoord klopt niet.")
    await expect(page.get_by_label("Gebruikersnaam")).to_have_value("anna")
    await expect(page.locator("#password")).to_be_focused()
    await shoot(page, "login-error")
    assert not [c for c in await console.context.cookies() if c["name"] == "chat_session"]


async def test_five_failures_lock_the_username_for_a_while(console: Console) -> None:
    """After five wrong passwords even the right one waits: guessing becomes slow."""
    await console.env.account("anna")
    for _ in range(5):
        page = await console.login("anna", password="guess guess guess")
        await expect(page.get_by_role("alert")).to_contain_text("klopt niet")
        await page.close()
    page = await console.login("anna")
    await expect(page.get_by_role("alert")).to_have_text(
        "Te veel mislukte pogingen. Probeer het over 30 seconden opnieuw."
    )
    await expect(page).to_have_url(f"{console.env.url}/login")
    await console.env.advance(31)
    await page.locator("#password").fill("correct horse battery")
    await page.locator("#password").press("Enter")
    await expect(page).to_have_url(f"{console.env.url}/console?lang=nl")


async def test_supervisor_needs_the_code_from_the_authenticator(console: Console) -> None:
    """Without a TOTP code a supervisor is refused; with a valid one it reaches the console."""
    await console.env.account("sara", role="supervisor", alias="Sara")
    account = await console.env.hub.store.account_by_username("sara")
    assert account is not None and account.totp_secret
    page = await console.login("sara")
    await expect(page.get_by_role("alert")).to_contain_text("vraagt om een verificatiecode")
    await expect(page.locator("#otp")).to_be_focused()
    await page.locator("#password").fill("correct horse battery")
    await page.locator("#otp").fill("000000")
    await page.locator("#otp").press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("klopt niet of is verlopen")
    await page.locator("#password").fill("correct horse battery")
    await page.locator("#otp").fill(console.otp(account.totp_secret))
    await page.locator("#otp").press("Enter")
    await expect(page).to_have_url(f"{console.env.url}/console?lang=nl")
    await expect(page.locator(".brand .me")).to_have_text("Sara")


async def test_english_login_and_logout(console: Console) -> None:
    """The page speaks English when asked; logging out ends the session and goes back."""
    await console.env.account("anna")
    page = await console.login("anna", lang="en")
    await expect(page).to_have_url(f"{console.env.url}/console?lang=en")
    await expect(page.locator("#status-text")).to_contain_text("Paused")
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(f"{console.env.url}/login?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    await page.goto(f"{console.env.url}/console?lang=en")
    await expect(page).to_have_url(f"{console.env.url}/login?lang=en")


async def test_browser_language_chooses_the_login_language(console: Console) -> None:
    """Without ?lang= the browser's Accept-Language decides."""
    context = await console.new_context()
    await context.set_extra_http_headers({"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    page = await context.new_page()
    await page.goto(f"{console.env.url}/login")
    await expect(page.get_by_label("Username")).to_be_visible()
    await shoot(page, "login")
