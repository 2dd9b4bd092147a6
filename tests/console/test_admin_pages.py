"""The administration pages and the 2FA enrolment in real headless Chromium.

An administrator logs in with a TOTP code, creates a volunteer who then logs in, changes its
capacity (the open console picks it up), deactivates it (the open console goes to the login,
the login is refused), resets a supervisor's second factor (who enrols with the QR page's
secret and gets in), reads the configuration and the audit log. axe-core finds nothing on
any of these pages. Screenshots go to artefacts/screenshots/admin-*.png. HTTP-only checks are in
the test_admin_http_*.py files.
"""

from __future__ import annotations

import dataclasses

import pyotp
from playwright.async_api import Page, expect

from chatserver import accounts
from tests.console.conftest import AXE, SHOTS, Console
from tests.console.test_accessibility import violations
from tests.e2e.conftest import PASSWORD

NEW_PASSWORD = "een nieuw wachtwoord"


async def shoot(page: Page, name: str, full_page: bool = True) -> None:
    """A screenshot as a test artefact, for a person to look at."""
    await page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=full_page)


async def admin_login(console: Console, path: str = "/admin", lang: str = "nl") -> Page:
    """``beheer`` (admin, with a TOTP secret) opens ``path``, is sent to the login and back."""
    env = console.env
    if await env.hub.store.account_by_username("beheer") is None:
        await env.account("beheer", role="admin", alias="Beheer")
    account = await env.hub.store.account_by_username("beheer")
    assert account is not None and account.totp_secret
    page = console.watch(await console.context.new_page())
    await page.goto(f"{env.url}{path}?lang={lang}")
    await expect(page).to_have_url(f"{env.url}/login?lang={lang}&next={path}")
    await page.locator("#username").fill("beheer")
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#otp").fill(console.otp(account.totp_secret))
    await page.locator("#otp").press("Enter")
    await expect(page).to_have_url(f"{env.url}{path}?lang={lang}")
    return page


async def test_admin_creates_edits_and_deactivates_a_volunteer(console: Console) -> None:
    env = console.env
    page = await admin_login(console)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    await expect(page.get_by_role("link", name="Accounts")).to_have_attribute(
        "aria-current", "page"
    )

    # create: a volunteer for one line, two chats at once
    await page.get_by_role("link", name="Nieuw account").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw account")
    await page.get_by_label("Gebruikersnaam").fill("vera")
    await page.get_by_label("Schuilnaam").fill("Vera")
    await expect(page.get_by_label("Vrijwilliger")).to_be_checked()
    await page.get_by_label("Chat met ons").check()
    await page.get_by_label("Gesprekken tegelijk").fill("2")
    await page.get_by_label("Eerste wachtwoord").fill(PASSWORD)
    await page.get_by_label("Herhaal het wachtwoord").fill("een typefout")
    await shoot(page, "new-account")
    await page.get_by_role("button", name="Account aanmaken").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("De twee wachtwoorden zijn niet gelijk.")
    await expect(page.get_by_label("Gebruikersnaam")).to_have_value("vera")
    await expect(page.get_by_label("Chat met ons")).to_be_checked()
    await shoot(page, "new-account-errors")
    await page.get_by_label("Eerste wachtwoord").fill(PASSWORD)
    await page.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Account aanmaken").click()
    await expect(page.get_by_role("status")).to_have_text("Account vera aangemaakt.")
    row = page.locator('tr[data-username="vera"]')
    await expect(row).to_contain_text("Vrijwilliger")
    await expect(row).to_contain_text("Chat met ons")
    await expect(row.locator("td.num")).to_have_text("2")
    await shoot(page, "accounts")

    # the new volunteer logs in (in its own browser context) and reaches the console
    vera = await console.login("vera", context=await console.new_context())
    await expect(vera).to_have_url(f"{env.url}/console?lang=nl")
    await expect(vera.locator("#status-text")).to_contain_text("0 van 2 gesprekken")

    # edit: capacity 3; the open console reconnects and shows it
    await row.get_by_role("link", name="vera").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Account vera")
    await page.get_by_label("Gesprekken tegelijk").fill("3")
    await page.get_by_role("button", name="Wijzigingen opslaan").click()
    await expect(page.get_by_role("status")).to_have_text("Wijzigingen voor vera opgeslagen.")
    await expect(page.get_by_label("Gesprekken tegelijk")).to_have_value("3")
    stored = await env.hub.store.account_by_username("vera")
    assert stored is not None and stored.capacity == 3
    await expect(vera.locator("#status-text")).to_contain_text("0 van 3 gesprekken")
    await shoot(page, "account")

    # a form without its CSRF token is refused, and nothing happens
    await page.evaluate(
        "document.querySelector('form[action$=\"/active\"] input[name=csrf]').remove()"
    )
    await page.get_by_role("button", name="Account deactiveren").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Verlopen formulier")
    stored = await env.hub.store.account_by_username("vera")
    assert stored is not None and stored.active
    await page.goto(f"{env.url}/admin/accounts/{stored.id}?lang=nl")

    # deactivate: the open console goes to the login, and logging in is refused
    await page.get_by_role("button", name="Account deactiveren").click()
    await expect(page.get_by_role("status")).to_have_text("vera is gedeactiveerd en uitgelogd.")
    await expect(page.get_by_role("button", name="Account weer activeren")).to_be_visible()
    await expect(vera).to_have_url(f"{env.url}/login?lang=nl")
    refused = await console.login("vera", context=vera.context)
    await expect(refused.get_by_role("alert")).to_have_text(
        "Gebruikersnaam of wachtwoord klopt niet."
    )
    await page.get_by_role("link", name="Terug naar accounts").click()
    await expect(page.locator('tr[data-username="vera"]')).to_contain_text("Gedeactiveerd")


async def test_reset_two_factor_then_the_supervisor_enrols_with_the_qr_page(
    console: Console,
) -> None:
    env = console.env
    sara_id = await env.account("sara", role="supervisor", alias="Sara")
    page = await admin_login(console, f"/admin/accounts/{sara_id}")
    await expect(page.locator("#tfa-state")).to_contain_text("Ingesteld.")
    await page.get_by_role("button", name="Tweestapsverificatie terugzetten").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "sara stelt het bij de volgende login opnieuw in"
    )
    await expect(page.locator("#tfa-state")).to_contain_text("Nog niet ingesteld")

    sara = await console.login("sara", context=await console.new_context())
    await expect(sara).to_have_url(f"{env.url}/login/enrol?lang=nl&next=/console")
    await expect(sara.get_by_role("heading", level=1)).to_have_text(
        "Tweestapsverificatie instellen"
    )
    await expect(sara.get_by_role("img", name="QR-code voor je authenticator-app")).to_be_visible()
    await shoot(sara, "enrol")
    secret = (await sara.locator("#secret").inner_text()).replace(" ", "")
    code = sara.get_by_label("Code uit de app (6 cijfers)")
    await code.fill("000000")
    await code.press("Enter")
    await expect(sara.get_by_role("alert")).to_contain_text("Die code klopt niet.")
    await expect(code).to_be_focused()
    await shoot(sara, "enrol-error")
    await code.fill(pyotp.TOTP(secret, interval=accounts.TOTP_STEP).at(env.clock.now()))
    await sara.get_by_role("button", name="Bevestigen en inloggen").click()
    await expect(sara).to_have_url(f"{env.url}/console?lang=nl")
    await expect(sara.locator(".brand .me")).to_have_text("Sara")
    stored = await env.hub.store.account(sara_id)
    assert stored is not None and stored.totp_secret == secret

    await page.reload()
    await expect(page.locator("#tfa-state")).to_contain_text("Ingesteld.")


async def test_configuration_page_shows_lines_and_hours(console: Console) -> None:
    page = await admin_login(console, "/admin/config")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Configuratie")
    await expect(page.get_by_role("heading", name="Chat met ons (chat)")).to_be_visible()
    evening = page.locator("#hours-evening")
    await expect(evening.get_by_role("row", name="Woensdag")).to_contain_text("19:00–23:00")
    await expect(evening.get_by_role("row", name="Zaterdag")).to_contain_text("Gesloten")
    always = page.locator("#hours-chat")
    await expect(always.get_by_role("row", name="Zondag")).to_contain_text("00:00–24:00")
    await expect(page.locator("#triage-title + dl")).to_contain_text("Nederlands: 2; Engels: 1")
    await expect(page.locator("body")).not_to_contain_text("zelfmoord")  # counts, never words
    await shoot(page, "config")


async def test_audit_page_lists_an_observe_entry_and_the_holds(console: Console) -> None:
    env = console.env
    await env.operator("anna")
    visitor, _ = await env.start()
    sara = await env.operator("sara", role="supervisor", status=None)
    observed = await sara.call("observe", {"conversation_id": visitor.conversation_id})
    assert observed["ok"], observed
    held = await sara.call(
        "hold", {"conversation_id": visitor.conversation_id, "reason": "Acuut, nazorg"}
    )
    assert held["ok"], held

    page = await admin_login(console, "/admin/audit")
    table = page.locator("#audit")
    observe = table.locator('tr[data-action="observe"]')
    await expect(observe).to_have_count(1)
    await expect(observe).to_contain_text("sara")
    await expect(observe).to_contain_text("Las mee (coördinator)")
    await expect(observe).to_contain_text(visitor.conversation_id or "")
    holds = page.locator("#holds")
    await expect(holds).to_contain_text("Acuut, nazorg")
    await expect(holds).to_contain_text("sara")
    await shoot(page, "audit")

    await page.get_by_label("Van").fill("2026-10-01")
    await page.get_by_label("Tot en met").fill("2026-10-31")
    await page.get_by_role("button", name="Tonen").click()
    await expect(page).to_have_url(f"{env.url}/admin/audit?lang=nl&from=2026-10-01&to=2026-10-31")
    await expect(page.get_by_text("Niets in deze periode.")).to_be_visible()
    await expect(page.locator("#holds")).to_contain_text("Acuut, nazorg")  # holds: always all


async def test_volunteers_and_supervisors_see_403(console: Console) -> None:
    volunteer = await console.volunteer()
    response = await volunteer.goto(f"{console.env.url}/admin?lang=nl")
    assert response is not None and response.status == 403
    await expect(volunteer.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    await console.env.account("sara", role="supervisor")
    account = await console.env.hub.store.account_by_username("sara")
    assert account is not None and account.totp_secret
    supervisor = await console.login(
        "sara", otp=console.otp(account.totp_secret), context=await console.new_context()
    )
    await expect(supervisor).to_have_url(f"{console.env.url}/console?lang=nl")
    for path in ("/admin", "/admin/config", "/admin/audit"):
        response = await supervisor.goto(f"{console.env.url}{path}?lang=en")
        assert response is not None and response.status == 403, path
    await expect(supervisor.get_by_role("alert")).to_have_text(
        "Only administrators can open the administration pages."
    )
    await shoot(supervisor, "forbidden")


async def test_admin_pages_have_no_accessibility_violations(console: Console) -> None:
    env = console.env
    await console.context.add_init_script(script=AXE.read_text())
    await env.operator("anna")
    visitor, _ = await env.start()
    sara = await env.operator("sara", role="supervisor", status=None)
    await sara.call("observe", {"conversation_id": visitor.conversation_id})
    await sara.call("hold", {"conversation_id": visitor.conversation_id, "reason": "Nazorg"})

    page = await admin_login(console)
    assert await violations(page) == []
    for path in ("/admin/config", "/admin/audit", "/admin/accounts/new"):
        await page.goto(f"{env.url}{path}?lang=nl")
        assert await violations(page) == [], path
    await page.get_by_role("button", name="Account aanmaken").click()  # every field wrong
    await expect(page.get_by_role("alert")).to_be_visible()
    assert await violations(page) == []
    await page.goto(f"{env.url}/admin/accounts/{sara.operator_id}?lang=en")
    assert await violations(page) == []
    await page.goto(f"{env.url}/admin/audit?lang=en&from=2026-12-01&to=2026-11-01")
    await expect(page.get_by_text("Enter the period as two dates")).to_be_visible()
    assert await violations(page) == []

    # the enrolment page, also with an error
    supervisor = await env.hub.store.account(sara.operator_id or "")
    assert supervisor is not None
    await env.hub.store.update_account(dataclasses.replace(supervisor, totp_secret=None))
    context = await console.new_context()
    await context.add_init_script(script=AXE.read_text())
    enrol = await console.login("sara", context=context)
    await expect(enrol).to_have_url(f"{env.url}/login/enrol?lang=nl&next=/console")
    await enrol.wait_for_load_state()  # styled: unstyled fields are below the target size
    assert await violations(enrol) == []
    await enrol.get_by_label("Code uit de app (6 cijfers)").fill("12")
    await enrol.get_by_role("button", name="Bevestigen en inloggen").click()
    await expect(enrol.get_by_role("alert")).to_be_visible()
    assert await violations(enrol) == []


async def test_narrow_screens_need_no_sideways_scrolling(console: Console) -> None:
    """At 320 px (also 1280 px at 400 % zoom) the pages reflow; wide tables scroll inside
    their own focusable region instead of the page."""
    page = await admin_login(console)
    await page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/admin", "/admin/accounts/new", "/admin/config", "/admin/audit"):
        await page.goto(f"{console.env.url}{path}?lang=nl")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await shoot(page, "narrow-audit", full_page=False)
