"""The administration pages and the 2FA enrolment over plain HTTP: who may do what, CSRF,
validation, and what each action does to the account, its sessions and the audit log.

The browser flow (and axe-core) is in test_admin_pages.py; here everything that needs no
browser: status codes, headers, cookies and the store afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pyotp
import pytest
import socketio

from chatserver import accounts, errors
from chatserver.web import enrolment, operator_pages
from chatserver.web.operator_pages import next_path
from tests.console.test_http import STRICT
from tests.e2e.conftest import PASSWORD, TIMEOUT, Env
from tests.e2e.conftest import env as env  # the fixture

NEW_PASSWORD = "a brand new passphrase"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Browser:
    """An aiohttp session that keeps cookies like a browser (the server is 127.0.0.1)."""

    env: Env
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.env.url + path, allow_redirects=False) as response:
            return response.status, await response.text(), response

    async def post(self, path: str, data: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.post(
            self.env.url + path, data=data, allow_redirects=False
        ) as response:
            return response.status, await response.text(), response

    async def csrf(self, path: str = "/admin") -> str:
        status, html, _ = await self.get(path)
        assert status == 200, html
        found = CSRF.search(html)
        assert found, html
        return found.group(1)


@pytest.fixture
async def admin(env: Env) -> AsyncIterator[Browser]:
    """Logged in as the administrator ``beheer`` (with its TOTP code)."""
    await env.account("beheer", role="admin", alias="Beheer")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        body = {"username": "beheer", "password": PASSWORD}
        account = await env.hub.store.account_by_username("beheer")
        assert account is not None and account.totp_secret
        body["otp"] = env.otp(account.totp_secret)
        response = await http.post(f"{env.url}/api/session", json=body)
        assert response.status == 200
        yield Browser(env, http)


def profile(csrf: str, **changes: Any) -> list[tuple[str, str]]:
    """The account form as a browser posts it (repeated keys for checkboxes)."""
    fields: dict[str, Any] = {
        "csrf": csrf, "lang": "en", "username": "vera", "alias": "Vera", "role": "volunteer",
        "lines": ["chat"], "languages": ["nl", "en"], "capacity": "2",
        "password": PASSWORD, "password_repeat": PASSWORD,
    }  # fmt: skip
    fields.update(changes)
    form: list[tuple[str, str]] = []
    for key, value in fields.items():
        if value is None:
            continue
        if key == "backup" and value is True:
            value = "on"
        for item in value if isinstance(value, list) else [value]:
            form.append((key, item))
    return form


# -- who may ---------------------------------------------------------------------------------


async def test_admin_pages_need_a_session_and_come_back_after_login(env: Env) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/admin", "/admin/config", "/admin/audit", "/admin/accounts/new"):
            response = await http.get(f"{env.url}{path}?lang=en", allow_redirects=False)
            assert response.status == 303, path
            assert response.headers["Location"] == f"/login?lang=en&next={path}"
        login = await http.get(f"{env.url}/login?lang=en&next=/admin/config")
        assert 'name="next" value="/admin/config"' in await login.text()


@pytest.mark.parametrize("role", ["volunteer", "supervisor"])
async def test_volunteers_and_supervisors_get_403(env: Env, role: str) -> None:
    """Logged in, but not an administrator: 403 on every page and every action."""
    await env.account("someone", role=role)
    target = await env.account("target")
    cookie = await env.cookie("someone")
    async with aiohttp.ClientSession() as http:
        for path in ("/admin", "/admin/config", "/admin/audit", f"/admin/accounts/{target}"):
            response = await http.get(env.url + path, headers={"Cookie": cookie})
            assert response.status == 403, path
            assert "Only administrators" in await response.text() or "beheerders" in (
                await response.text()
            )
        refused = await http.post(
            f"{env.url}/admin/accounts/{target}/active", data={"active": "0", "csrf": "x"},
            headers={"Cookie": cookie},
        )  # fmt: skip
        assert refused.status == 403
    found = await env.hub.store.account(target)
    assert found is not None and found.active


@pytest.mark.parametrize(
    "period", ["from=9999-01-01&to=9999-12-31", "from=0001-01-01&to=0001-01-01", "to=9999-12-31"]
)
async def test_audit_dates_at_the_calendar_ends_fall_back_to_the_last_week(
    admin: Browser, period: str
) -> None:
    """Local midnight of 0001-01-01 and the day after 9999-12-31 overflowed: 500. Such a
    period is now treated as any malformed one: the last week, and a note that says why."""
    status, html, _ = await admin.get(f"/admin/audit?lang=en&{period}")
    assert status == 200
    assert 'id="period-error"' in html and "between 2000 and 2100" in html


async def test_pages_send_the_strict_csp_and_no_inline_style(admin: Browser) -> None:
    target = await admin.env.account("anna")
    for path in ("/admin", "/admin/config", "/admin/audit", "/admin/accounts/new",
                 f"/admin/accounts/{target}"):  # fmt: skip
        status, html, response = await admin.get(path)
        assert status == 200, path
        assert response.headers["Content-Security-Policy"] == STRICT
        assert response.headers["Cache-Control"] == "no-store"
        assert "<style" not in html and " style=" not in html, path
        assert "<script" not in html, path  # the administration pages need no script at all
    status, _, response = await admin.get("/admin/static/admin.css")
    assert status == 200 and response.headers["Content-Type"].startswith("text/css")


async def test_forms_without_the_csrf_token_are_refused(admin: Browser) -> None:
    """Another site cannot create an account or deactivate one with the admin's cookie."""
    target = await admin.env.account("anna")
    for path, data in (
        ("/admin/accounts", profile("forged")),
        ("/admin/accounts", [(k, v) for k, v in profile("") if k != "csrf"]),
        (f"/admin/accounts/{target}", profile("forged", capacity="5")),
        (f"/admin/accounts/{target}/password", {"password": NEW_PASSWORD}),
        (f"/admin/accounts/{target}/2fa", {"csrf": "forged"}),
        (f"/admin/accounts/{target}/active", {"active": "0"}),
    ):
        status, html, _ = await admin.post(path, data)
        assert status == 403, path
        assert "Form expired" in html or "Verlopen formulier" in html
    assert await admin.env.hub.store.account_by_username("vera") is None
    anna = await admin.env.hub.store.account(target)
    assert anna is not None and anna.active and anna.capacity == 1


async def test_unknown_account_is_a_404_page(admin: Browser) -> None:
    status, html, _ = await admin.get("/admin/accounts/o000000000000?lang=en")
    assert status == 404 and "There is no such account." in html
    status, _, _ = await admin.post(
        "/admin/accounts/nobody/active", {"csrf": await admin.csrf(), "active": "0"}
    )
    assert status == 404


# -- accounts --------------------------------------------------------------------------------


async def test_create_an_account_and_it_is_listed(admin: Browser) -> None:
    store = admin.env.hub.store
    status, _, response = await admin.post(
        "/admin/accounts", profile(await admin.csrf(), backup=True, languages=["nl"])
    )
    assert status == 303
    vera = await store.account_by_username("vera")
    assert vera is not None
    assert response.headers["Location"] == f"/admin?lang=en&done=created&who={vera.id}"
    assert (vera.alias, vera.role, vera.lines, vera.languages, vera.capacity, vera.backup) == (
        "Vera", "volunteer", ("chat",), ("nl",), 2, True,
    )  # fmt: skip
    assert vera.active and vera.totp_secret is None
    assert accounts.verify_password(vera, PASSWORD)
    status, html, _ = await admin.get(response.headers["Location"])
    assert "Account vera created." in html
    row = re.search(r'<tr data-username="vera">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.sub(r"<[^>]+>", "|", row.group(1))
    for text in ("Vera", "Volunteer", "Chat with us", "Dutch", "2", "Yes", "Active", "Not used"):
        assert f"|{text}|" in cells, text
    entries = await store.audit_entries(0, admin.env.clock.now())
    beheer = await store.account_by_username("beheer")
    assert beheer is not None
    assert [(e.actor, e.action, e.detail) for e in entries] == [
        (beheer.id, "account_create", vera.id)
    ]


async def test_a_supervisor_made_here_gets_no_secret_and_enrols_at_first_login(
    admin: Browser,
) -> None:
    """No administrator ever sees another person's TOTP secret."""
    await admin.post(
        "/admin/accounts", profile(await admin.csrf(), username="sara", role="supervisor")
    )
    sara = await admin.env.hub.store.account_by_username("sara")
    assert sara is not None and sara.role == "supervisor" and sara.totp_secret is None
    _, html, _ = await admin.get("/admin?lang=en")
    assert "At next login" in html


async def test_every_problem_is_reported_at_once_next_to_its_field(admin: Browser) -> None:
    form = profile(
        await admin.csrf(), username="Not OK!", capacity="many", languages=[],
        lines=["chat", "nonsense"], password="short", password_repeat="shorter",
    )  # fmt: skip
    status, html, _ = await admin.post("/admin/accounts", form)
    assert status == 400
    summary = re.findall(r'<li><a href="#f-([a-z_]+)">([^<]+)</a>', html)
    assert summary == [
        ("username", "Use 2 to 40 characters: a–z, 0–9, dot, underscore or hyphen."),
        ("lines", "Choose lines from the list."),
        ("languages", "Choose at least one language."),
        ("capacity", "Enter a number from 1 to 10."),
        ("password", "A password needs at least 10 characters."),
        ("password_repeat", "The two passwords are not the same."),
    ]
    assert 'id="f-capacity-error"' in html and 'aria-invalid="true"' in html
    assert 'value="not ok!"' in html  # what was typed stays (lower-cased as it would be saved)
    assert 'href="/admin/accounts/new?lang=nl"' in html  # the language switch: the form page
    assert 'value="short"' not in html  # passwords are never sent back
    assert await admin.env.hub.store.account_by_username("not ok!") is None


async def test_a_taken_username_is_refused(admin: Browser) -> None:
    await admin.env.account("vera")
    status, html, _ = await admin.post("/admin/accounts", profile(await admin.csrf()))
    assert status == 400
    assert "This username is taken." in html


async def test_edit_changes_the_profile_and_is_audited(admin: Browser) -> None:
    target = await admin.env.account("anna", alias="Anna")
    path = f"/admin/accounts/{target}"
    changes = {"capacity": "3", "alias": "Annie", "role": "supervisor", "lines": [],
               "languages": ["en"], "backup": True}  # fmt: skip
    form = [(k, v) for k, v in profile(await admin.csrf(path), **changes) if k != "username"]
    status, _, response = await admin.post(path, form)
    assert status == 303 and response.headers["Location"] == f"{path}?lang=en&done=saved"
    anna = await admin.env.hub.store.account(target)
    assert anna is not None
    assert (anna.alias, anna.role, anna.lines, anna.languages, anna.capacity, anna.backup) == (
        "Annie", "supervisor", (), ("en",), 3, True,
    )  # fmt: skip
    assert anna.username == "anna" and accounts.verify_password(anna, PASSWORD)
    _, html, _ = await admin.get(response.headers["Location"])
    assert "Changes to anna saved." in html
    assert "Not set up yet: the person sets it up at the next login." in html
    status, html, _ = await admin.post(path, [(k, v) for k, v in form if k != "capacity"] + [
        ("capacity", "11")])  # fmt: skip
    assert status == 400 and "Enter a number from 1 to 10." in html
    actions = [e.action for e in await admin.env.hub.store.audit_entries(0, 1e12)]
    assert actions == ["account_edit"]


async def test_an_admin_cannot_demote_or_deactivate_itself(admin: Browser) -> None:
    store = admin.env.hub.store
    me = await store.account_by_username("beheer")
    assert me is not None
    path = f"/admin/accounts/{me.id}"
    csrf = await admin.csrf(path)
    status, html, _ = await admin.post(path, profile(csrf, role="volunteer"))
    assert status == 400 and "You cannot change your own role" in html
    status, html, _ = await admin.post(
        f"{path}/active", {"csrf": csrf, "active": "0", "lang": "en"}
    )
    assert status == 400 and "You cannot change your own role or deactivate" in html
    still = await store.account(me.id)
    assert still is not None and still.active and still.role == "admin"
    # without a role field (the page shows none for yourself) the rest can be changed
    form = [(k, v) for k, v in profile(csrf, capacity="4") if k != "role"]
    status, _, _ = await admin.post(path, form)
    assert status == 303
    changed = await store.account(me.id)
    assert changed is not None and changed.capacity == 4 and changed.role == "admin"


async def test_reset_password_ends_the_sessions(admin: Browser) -> None:
    env = admin.env
    target = await env.account("anna")
    old_cookie = await env.cookie("anna")
    path = f"/admin/accounts/{target}/password"
    csrf = await admin.csrf()
    status, html, _ = await admin.post(path, {"csrf": csrf, "lang": "en", "password": "short",
                                              "password_repeat": "short"})  # fmt: skip
    assert status == 400 and "A password needs at least 10 characters." in html
    status, html, _ = await admin.post(path, {"csrf": csrf, "lang": "en", "password": NEW_PASSWORD,
                                              "password_repeat": "typo"})  # fmt: skip
    assert status == 400 and "The two passwords are not the same." in html
    status, _, response = await admin.post(
        path,
        {"csrf": csrf, "lang": "en", "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
    )
    assert status == 303 and response.headers["Location"].endswith("done=password")
    async with aiohttp.ClientSession() as http:
        console = await http.get(f"{env.url}/console", headers={"Cookie": old_cookie},
                                 allow_redirects=False)  # fmt: skip
        assert console.status == 303  # logged out
        old = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        assert old.status == 401
        new = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": NEW_PASSWORD}
        )
        assert new.status == 200


async def test_deactivate_ends_sessions_refuses_login_and_reactivate_undoes_it(
    admin: Browser,
) -> None:
    env = admin.env
    target = await env.account("anna")
    cookie = await env.cookie("anna")
    csrf = await admin.csrf()
    status, _, response = await admin.post(
        f"/admin/accounts/{target}/active", {"csrf": csrf, "lang": "en", "active": "0"}
    )
    assert status == 303 and response.headers["Location"].endswith("done=deactivated")
    assert await env.hub.store.delete_sessions_of(target) == 0  # none left
    async with aiohttp.ClientSession() as http:
        page = await http.get(
            f"{env.url}/console", headers={"Cookie": cookie}, allow_redirects=False
        )
        assert page.status == 303
        login = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        assert (
            login.status == 401 and (await login.json())["error"]["code"] == "invalid_credentials"
        )
    _, html, _ = await admin.get("/admin?lang=en")
    assert re.search(r'<tr class="inactive" data-username="anna">', html)
    assert "Deactivated" in html
    status, _, _ = await admin.post(
        f"/admin/accounts/{target}/active", {"csrf": csrf, "lang": "en", "active": "1"}
    )
    assert status == 303
    assert await env.cookie("anna")  # logs in again
    actions = [e.action for e in await env.hub.store.audit_entries(0, 1e12)]
    assert actions == ["account_deactivate", "account_reactivate"]


async def test_deactivating_a_volunteer_disconnects_its_live_console(admin: Browser) -> None:
    """An open console must not keep receiving visitors after its account is deactivated:
    the admin's click closes the volunteer's live socket, and it cannot connect again."""
    env = admin.env
    anna = await env.operator("anna")
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def on_disconnect(*_: Any) -> None:
        if not gone.done():
            gone.set_result(None)

    anna.client.on("disconnect", on_disconnect, namespace="/operator")
    cookie = await env.cookie("anna")  # a second session, as from another tab
    csrf = await admin.csrf()
    status, _, _ = await admin.post(
        f"/admin/accounts/{anna.operator_id}/active", {"csrf": csrf, "active": "0"}
    )
    assert status == 303
    await asyncio.wait_for(gone, TIMEOUT)
    assert not anna.client.connected
    again = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(
            env.url, namespaces=["/operator"], transports=["websocket"], wait_timeout=TIMEOUT,
            headers={"Cookie": cookie},
        )  # fmt: skip


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


async def test_login_next_accepts_local_paths_only(env: Env) -> None:
    """``next`` cannot send anyone off to another site after logging in."""
    assert next_path("/admin") == "/admin"
    assert next_path("/admin/accounts/o12ab") == "/admin/accounts/o12ab"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", "/admin?x=1", "", None,
                "/admin//x", "javascript:alert(1)", "/" + "a" * 200):  # fmt: skip
        assert next_path(bad) == "/console", bad


# -- the rules underneath ---------------------------------------------------------------------


def test_account_rules_report_every_problem_with_its_field() -> None:
    found = accounts.problems(username="X", password="short", role="boss", capacity=0, languages=())
    assert [p.details["field"] for p in found] == [
        "username", "password", "role", "capacity", "languages",
    ]  # fmt: skip
    assert accounts.problems(username="anna", password=PASSWORD, role="admin", capacity=10,
                             languages=("nl",)) == []  # fmt: skip
    with pytest.raises(errors.InvalidPayload) as raised:
        accounts.new_account("anna", PASSWORD, "volunteer", None, capacity=11)
    assert raised.value.details == {"field": "capacity"}


def test_pending_enrolments_expire_and_one_per_account() -> None:
    enrolments = accounts.Enrolments()
    anna = accounts.new_account("anna", PASSWORD, "supervisor", None)
    token, pending = enrolments.start(anna, 0.0)
    assert enrolments.get(token, 599.0) is pending
    again, newer = enrolments.start(anna, 10.0)  # logging in again replaces it
    assert enrolments.get(token, 11.0) is None and enrolments.get(again, 11.0) is newer
    assert newer.secret != pending.secret
    assert enrolments.get(again, 10.0 + accounts.Enrolments.TTL) is None
    assert enrolments.get(None, 0.0) is None


def test_admin_strings_cover_both_languages_without_touching_the_consoles() -> None:
    """Same keys in Dutch and English, none empty, and none that changes a console text."""
    import json

    nl, en = (
        json.loads((operator_pages.CONSOLE / "locales" / f"admin.{lang}.json").read_text())
        for lang in ("nl", "en")
    )
    assert set(nl) == set(en)
    assert [k for k in nl if not nl[k].strip() or not en[k].strip()] == []
    assert set(nl) & set(operator_pages.strings("nl")) == set()


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
