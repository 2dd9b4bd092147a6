"""The administration pages over plain HTTP: who may open them, CSRF, the strict CSP, where
logging in may send you next, and the pages' own strings.

The browser flow (and axe-core) is in test_admin_pages.py; here everything that needs no
browser: status codes, headers, cookies and the store afterwards.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from chatserver.web import operator_pages
from chatserver.web.operator_pages import next_path
from tests.console.admin_http import NEW_PASSWORD, Browser, profile
from tests.console.admin_http import admin as admin  # the fixture
from tests.console.test_http import STRICT
from tests.e2e.conftest import Env
from tests.e2e.conftest import env as env  # the fixture

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


async def test_login_next_accepts_local_paths_only(env: Env) -> None:
    """``next`` cannot send anyone off to another site after logging in."""
    assert next_path("/admin") == "/admin"
    assert next_path("/admin/accounts/o12ab") == "/admin/accounts/o12ab"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", "/admin?x=1", "", None,
                "/admin//x", "javascript:alert(1)", "/" + "a" * 200):  # fmt: skip
        assert next_path(bad) == "/console", bad


def test_admin_strings_cover_both_languages_without_touching_the_consoles() -> None:
    """Same keys in Dutch and English, none empty, and none that changes a console text."""
    nl, en = (
        json.loads((operator_pages.CONSOLE / "locales" / f"admin.{lang}.json").read_text())
        for lang in ("nl", "en")
    )
    assert set(nl) == set(en)
    assert [k for k in nl if not nl[k].strip() or not en[k].strip()] == []
    assert set(nl) & set(operator_pages.strings("nl")) == set()
