"""Two-step verification over plain HTTP: an administrator resets it, the account enrols again
at its next login, and a pending enrolment expires or starts over when the account changed.
"""

from __future__ import annotations

import dataclasses
import re

import aiohttp
import pyotp

from chatserver import accounts
from chatserver.web import enrolment
from tests.console.admin_http import CSRF, Browser
from tests.console.admin_http import admin as admin  # the fixture
from tests.console.test_http import STRICT
from tests.e2e.conftest import PASSWORD, Env
from tests.e2e.conftest import env as env  # the fixture

# -- two-step verification -------------------------------------------------------------------


async def test_reset_two_factor_then_enrol_over_http(admin: Browser) -> None:
    """Reset: secret gone, sessions ended. Login: the enrolment page with a QR code and the
    secret; a wrong code is refused; the right one stores the secret and opens the session."""
    env = admin.env
    target = await env.account("sara", role="supervisor")
    old = await env.hub.store.account(target)
    assert old is not None and old.totp_secret
    status, _, _ = await admin.post(f"/admin/accounts/{target}/2fa", {"csrf": await admin.csrf()})
    assert status == 303
    reset = await env.hub.store.account(target)
    assert reset is not None and reset.totp_secret is None

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        sara = Browser(env, http)
        api = await http.post(
            f"{env.url}/api/session", json={"username": "sara", "password": PASSWORD}
        )
        assert api.status == 401
        assert (await api.json())["error"]["code"] == "enrolment_required"
        csrf = await sara.csrf("/login?lang=en")
        status, _, response = await sara.post(
            "/login", {"csrf": csrf, "lang": "en", "username": "sara", "password": PASSWORD}
        )
        assert status == 303
        assert response.headers["Location"] == "/login/enrol?lang=en&next=/console"
        cookie = response.cookies[enrolment.COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/login/enrol" and cookie["max-age"] == "600"
        assert "chat_session" not in response.cookies

        status, html, response = await sara.get("/login/enrol?lang=en")
        assert status == 200 and response.headers["Content-Security-Policy"] == STRICT
        assert "<svg" in html and " style=" not in html and "<style" not in html
        found = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html)
        assert found is not None
        secret = found.group(1).replace(" ", "")
        assert len(secret) == 32
        form_csrf = CSRF.search(html)
        assert form_csrf is not None
        fields = {"csrf": form_csrf.group(1), "lang": "en", "next": "/console"}

        status, html, _ = await sara.post("/login/enrol", {**fields, "otp": "000000"})
        assert status == 401 and "That code is not right." in html
        status, _, _ = await sara.post("/login/enrol", {**fields, "csrf": "forged", "otp": "1"})
        assert status == 403
        unchanged = await env.hub.store.account(target)
        assert unchanged is not None and unchanged.totp_secret is None  # nothing stored yet

        code = pyotp.TOTP(secret).at(env.clock.now())
        status, _, response = await sara.post("/login/enrol", {**fields, "otp": code})
        assert status == 303 and response.headers["Location"] == "/console?lang=en"
        assert "chat_session" in response.cookies
        enrolled = await env.hub.store.account(target)
        assert enrolled is not None and enrolled.totp_secret == secret
        status, _, _ = await sara.get("/console")
        assert status == 200
    actions = [e.action for e in await env.hub.store.audit_entries(0, 1e12)]
    assert actions == ["account_two_factor", "two_factor_enrol"]
    # the code that enrolled cannot log in a second time; the next one can
    async with aiohttp.ClientSession() as http:
        body = {"username": "sara", "password": PASSWORD, "otp": code}
        again = await http.post(f"{env.url}/api/session", json=body)
        assert again.status == 401
        await env.advance(accounts.TOTP_STEP)
        body["otp"] = pyotp.TOTP(secret).at(env.clock.now())
        assert (await http.post(f"{env.url}/api/session", json=body)).status == 200


async def test_an_enrolment_expires_after_ten_minutes(env: Env) -> None:
    await env.account("sara", role="supervisor")
    sara = await env.hub.store.account_by_username("sara")
    assert sara is not None
    await env.hub.store.update_account(dataclasses.replace(sara, totp_secret=None))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        browser = Browser(env, http)
        csrf = await browser.csrf("/login?lang=en")
        await browser.post("/login", {"csrf": csrf, "lang": "en", "username": "sara",
                                      "password": PASSWORD})  # fmt: skip
        _, html, _ = await browser.get("/login/enrol?lang=en")
        form_csrf = CSRF.search(html)
        assert form_csrf is not None
        await env.advance(accounts.Enrolments.TTL + 1)
        status, html, _ = await browser.post(
            "/login/enrol", {"csrf": form_csrf.group(1), "lang": "en", "otp": "123456"}
        )
        assert status == 400 and "took longer than 10 minutes" in html
        assert 'action="/login"' in html  # the login form, to start over
        status, _, response = await browser.get("/login/enrol?lang=en")
        assert status == 303 and response.headers["Location"] == "/login?lang=en"


async def test_enrol_page_without_a_pending_enrolment_goes_to_login(env: Env) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{env.url}/login/enrol?lang=en", allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/login?lang=en"
        forged = await http.get(
            f"{env.url}/login/enrol", headers={"Cookie": "enrolment=guess"}, allow_redirects=False
        )
        assert forged.status == 303


async def test_pending_enrolments_expire_and_one_per_account() -> None:
    enrolments = accounts.Enrolments()
    anna = accounts.new_account("anna", PASSWORD, "supervisor", None)
    token, pending = await enrolments.start(anna, 0.0)
    assert await enrolments.get(token, 599.0) is pending
    again, newer = await enrolments.start(anna, 10.0)  # logging in again replaces it
    assert await enrolments.get(token, 11.0) is None and await enrolments.get(again, 11.0) is newer
    assert newer.secret != pending.secret
    assert await enrolments.get(again, 10.0 + accounts.Enrolments.TTL) is None
    assert await enrolments.get(None, 0.0) is None


async def test_an_account_enrolled_meanwhile_must_log_in_again(env: Env) -> None:
    """Two tabs enrolling at once: the second code finds a secret stored and starts over."""
    await env.account("sara", role="supervisor")
    sara = await env.hub.store.account_by_username("sara")
    assert sara is not None and sara.totp_secret
    kept = sara.totp_secret
    await env.hub.store.update_account(dataclasses.replace(sara, totp_secret=None))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        browser = Browser(env, http)
        csrf = await browser.csrf("/login?lang=en")
        await browser.post("/login", {"csrf": csrf, "lang": "en", "username": "sara",
                                      "password": PASSWORD})  # fmt: skip
        _, html, _ = await browser.get("/login/enrol?lang=en")
        secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', html)
        form_csrf = CSRF.search(html)
        assert secret is not None and form_csrf is not None
        await env.hub.store.update_account(dataclasses.replace(sara, totp_secret=kept))
        code = pyotp.TOTP(secret.group(1).replace(" ", "")).at(env.clock.now())
        status, html, response = await browser.post(
            "/login/enrol", {"csrf": form_csrf.group(1), "lang": "en", "otp": code}
        )
        assert status == 401 and "This account was changed in the meantime." in html
        assert "chat_session" not in response.cookies
    stored = await env.hub.store.account_by_username("sara")
    assert stored is not None and stored.totp_secret == kept  # the other tab's secret stays
