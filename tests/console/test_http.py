"""The console's HTTP side without a browser: headers, redirects, CSRF, lockout, 2FA on the API."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import aiohttp
import pyotp
import pytest

from chatserver import accounts, errors
from chatserver.settings import AccountSettings, load_settings
from chatserver.web.operator_pages import CONSOLE, POLICY
from tests.e2e.conftest import PASSWORD, Env
from tests.e2e.conftest import env as env  # the fixture

STRICT = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


async def post_login(env: Env, **body: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{env.url}/api/session", json=body)
        await response.read()
        return response


def test_the_policy_is_the_strict_one() -> None:
    """No inline script or style, nothing from elsewhere, no framing, no <base> tricks."""
    assert POLICY == STRICT


async def test_console_pages_send_the_strict_csp(env: Env) -> None:
    """/login and /console (logged in) both carry the CSP and are never cached."""
    async with aiohttp.ClientSession() as http:
        login = await http.get(f"{env.url}/login")
        assert login.status == 200
        assert login.headers["Content-Security-Policy"] == STRICT
        assert login.headers["Cache-Control"] == "no-store"
        await env.account("anna")
        cookie = await env.cookie("anna")
        page = await http.get(f"{env.url}/console", headers={"Cookie": cookie})
        assert page.status == 200
        assert page.headers["Content-Security-Policy"] == STRICT
        html = await page.text()
    assert "<style" not in html and " style=" not in html
    assert re.findall(r"<script(?![^>]*(?:src=|type=\"application/json\"))", html) == []


async def test_console_without_a_session_redirects_to_login(env: Env) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{env.url}/console?lang=en", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/login?lang=en"
        forged = await http.get(
            f"{env.url}/console", headers={"Cookie": "chat_session=forged"}, allow_redirects=False
        )
        assert forged.status == 303 and forged.headers["Location"].startswith("/login")
        root = await http.get(f"{env.url}/", allow_redirects=False)
        assert root.status == 303 and root.headers["Location"] == "/console"


async def test_static_files_and_socket_io_client_are_served_locally(env: Env) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/console/static/console.js", "/console/static/console.css",
                     "/console/vendor/socket.io.min.js"):  # fmt: skip
            response = await http.get(env.url + path)
            assert response.status == 200, path
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        missing = await http.get(f"{env.url}/console/static/..%2Fchatserver%2Fsettings.py")
        assert missing.status == 404


async def test_every_module_the_pages_import_is_served_as_javascript(env: Env) -> None:
    """The console and the floor are ES modules that import one another: a module missing
    from the server's fixed list, or served with another type, would leave a blank page."""
    static = CONSOLE / "static"
    scripts = sorted(path.name for path in static.glob("*.js"))
    imports = {
        path.name: set(re.findall(r'\bfrom "\./([\w-]+\.js)"', path.read_text()))
        for path in static.glob("*.js")
    }
    assert set().union(*imports.values()) <= set(scripts)
    # and no cycle: each module is evaluated after everything it imports, so a module can
    # use its imports at once (a cycle would hand one of them a half-made module)
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for imported in imports[name]:
                visit(imported, (*path, name))
            done.add(name)

    for name in scripts:
        visit(name, ())
    async with aiohttp.ClientSession() as http:
        for name in scripts:
            response = await http.get(f"{env.url}/console/static/{name}")
            assert response.status == 200, name
            assert response.headers["Content-Type"].startswith("text/javascript"), name


async def test_logout_needs_the_csrf_token(env: Env) -> None:
    """DELETE /api/session with the cookie but without X-CSRF-Token is refused (403 csrf)."""
    await env.account("anna")
    # unsafe: aiohttp keeps no cookies for IP addresses otherwise (the server is 127.0.0.1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login = await http.post(
            f"{env.url}/api/session", json={"username": "anna", "password": PASSWORD}
        )
        csrf = (await login.json())["csrf"]
        refused = await http.delete(f"{env.url}/api/session")
        assert refused.status == 403
        assert (await refused.json())["error"]["code"] == "csrf"
        wrong = await http.delete(f"{env.url}/api/session", headers={"X-CSRF-Token": "nope"})
        assert wrong.status == 403
        still = await http.get(f"{env.url}/console", allow_redirects=False)
        assert still.status == 200  # the session survived the forged requests
        done = await http.delete(f"{env.url}/api/session", headers={"X-CSRF-Token": csrf})
        assert done.status == 200 and (await done.json()) == {"ok": True}
        gone = await http.get(f"{env.url}/console", allow_redirects=False)
        assert gone.status == 303


async def test_logout_form_without_its_token_is_refused(env: Env) -> None:
    await env.account("anna")
    cookie = await env.cookie("anna")
    async with aiohttp.ClientSession() as http:
        refused = await http.post(
            f"{env.url}/logout", data={"csrf": "forged"}, headers={"Cookie": cookie},
            allow_redirects=False,
        )  # fmt: skip
        assert refused.status == 403
        page = await http.get(f"{env.url}/console", headers={"Cookie": cookie})
        assert page.status == 200


async def test_login_form_without_its_token_is_refused(env: Env) -> None:
    """Another site cannot post the login form: the token must match the form's cookie."""
    await env.account("anna")
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/login", data={"username": "anna", "password": PASSWORD, "csrf": "x"},
            allow_redirects=False,
        )  # fmt: skip
        assert response.status == 403
        assert "chat_session" not in response.cookies


async def test_api_lockout_answers_429_with_retry_after(env: Env) -> None:
    """Five failures lock the name: 429 ``locked`` with ``retry_after``, doubling next time."""
    await env.account("anna")
    for _ in range(5):
        wrong = await post_login(env, username="anna", password="not the password")
        assert wrong.status == 401
    locked = await post_login(env, username="anna", password=PASSWORD)
    assert locked.status == 429
    assert locked.headers["Retry-After"] == "30"
    await env.advance(30)
    again = await post_login(env, username="anna", password="still not it")
    assert again.status == 401
    longer = await post_login(env, username="anna", password=PASSWORD)
    assert longer.status == 429 and longer.headers["Retry-After"] == "60"
    await env.advance(60)
    assert (await post_login(env, username="anna", password=PASSWORD)).status == 200


async def test_unknown_names_are_locked_like_real_ones(env: Env) -> None:
    """A lockout tells an attacker nothing about which usernames exist."""
    for _ in range(5):
        await post_login(env, username="nobody", password="whatever it is")
    assert (await post_login(env, username="nobody", password="x")).status == 429


async def test_api_second_factor_for_supervisors(env: Env) -> None:
    """No code: 401 otp_required; a wrong code: invalid_otp; the right one, once only."""
    await env.account("sara", role="supervisor")
    account = await env.hub.store.account_by_username("sara")
    assert account is not None and account.totp_secret
    missing = await post_login(env, username="sara", password=PASSWORD)
    assert missing.status == 401
    code = pyotp.TOTP(account.totp_secret).at(env.clock.now())
    async with aiohttp.ClientSession() as http:
        body = {"username": "sara", "password": PASSWORD}
        response = await http.post(f"{env.url}/api/session", json=body)
        assert (await response.json())["error"]["code"] == "otp_required"
        response = await http.post(f"{env.url}/api/session", json={**body, "otp": "123456"})
        assert (await response.json())["error"]["code"] == "invalid_otp"
        response = await http.post(f"{env.url}/api/session", json={**body, "otp": code})
        assert response.status == 200
        replay = await http.post(f"{env.url}/api/session", json={**body, "otp": code})
        assert replay.status == 401 and (await replay.json())["error"]["code"] == "invalid_otp"
        bad = await http.post(f"{env.url}/api/session", json={**body, "otp": 123456})
        assert bad.status == 400


def test_new_accounts_get_a_secret_only_where_the_role_needs_it() -> None:
    volunteer = accounts.new_account("anna", PASSWORD, "volunteer", None)
    supervisor = accounts.new_account("sara", PASSWORD, "supervisor", "Sara")
    admin = accounts.new_account("beheer", PASSWORD, "admin", None)
    assert volunteer.totp_secret is None
    assert supervisor.totp_secret and admin.totp_secret
    uri = accounts.provisioning_uri(supervisor)
    assert uri.startswith("otpauth://totp/Chatserver:sara?secret=" + supervisor.totp_secret)
    assert "issuer=Chatserver" in uri
    assert accounts.provisioning_qr_svg(uri).startswith("<svg")
    with pytest.raises(ValueError):
        accounts.provisioning_uri(volunteer)


async def test_lockout_grows_and_caps_at_fifteen_minutes() -> None:
    throttle = accounts.LoginThrottle()
    locks = []
    now = 0.0
    for _ in range(12):
        await throttle.failed("anna", "source", now)
        try:
            await throttle.check("anna", "source", now)
            locks.append(0)
        except errors.Locked as error:
            locks.append(error.details["retry_after"])
            now += error.details["retry_after"]
    assert locks == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    await throttle.succeeded("anna", "source")
    await throttle.check("anna", "source", now)  # a success forgets the failures


async def test_two_factor_roles_come_from_the_configuration(tmp_path: Path) -> None:
    """With ``[accounts] two_factor_roles = []`` a supervisor logs in with a password alone,
    through the API and the form; the default still asks the same role for a code."""
    from tests.e2e.conftest import CONFIG, running

    base = load_settings(CONFIG)
    assert accounts.requires_two_factor("supervisor", base.accounts.two_factor_roles)
    settings = replace(base, accounts=AccountSettings(two_factor_roles=()))
    async with running(tmp_path, settings) as env:
        roles = env.hub.settings.accounts.two_factor_roles
        sara = accounts.new_account("sara", PASSWORD, "supervisor", "Sara", two_factor_roles=roles)
        assert sara.totp_secret is None
        await env.hub.store.add_account(sara)
        response = await post_login(env, username="sara", password=PASSWORD)
        assert response.status == 200
        jar = aiohttp.CookieJar(unsafe=True)  # keeps the login_csrf cookie of 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            form = await http.get(f"{env.url}/login?lang=en")
            token = re.search(r'name="csrf" value="([^"]+)"', await form.text())
            assert token is not None
            done = await http.post(
                f"{env.url}/login",
                data={"csrf": token[1], "username": "sara", "password": PASSWORD, "lang": "en"},
                allow_redirects=False,
            )
            assert done.status == 303
            assert done.headers["Location"] == "/console?lang=en"
