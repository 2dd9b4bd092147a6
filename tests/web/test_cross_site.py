"""Another site's page cannot change anything here with a volunteer's browser.

The login was the gap: ``POST /api/session`` took JSON under any Content-Type and looked at no
origin, so a page anywhere could log the volunteer's browser into the attacker's account.
Every state-changing request now passes one check (``web/cross_site.py``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import aiohttp

from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, PASSWORD, Env, running

EVIL = "https://evil.example"
LOGIN = {"username": "mia", "password": PASSWORD}


async def test_another_site_cannot_log_a_browser_in(env: Env) -> None:
    """The login CSRF: a form on another site posting JSON as text/plain gets no session."""
    await env.account("mia")
    async with aiohttp.ClientSession() as http:
        for headers in (
            {"Origin": EVIL, "Content-Type": "text/plain"},  # a plain form, no preflight
            {"Origin": EVIL, "Content-Type": "application/json"},  # fetch, if CORS let it
            {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
            {"Origin": "null", "Content-Type": "text/plain"},  # a sandboxed frame
        ):
            response = await http.post(
                f"{env.url}/api/session", data=json.dumps(LOGIN), headers=headers
            )
            assert response.status == 403, headers
            assert (await response.json())["error"]["code"] == "cross_origin"
            assert "chat_session" not in response.cookies


async def test_the_login_api_takes_json_only(env: Env) -> None:
    """A body under /api/ must say it is JSON (a script without Origin too): 415."""
    await env.account("mia")
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/api/session",
            data=json.dumps(LOGIN),
            headers={"Content-Type": "text/plain"},
        )
        assert response.status == 415
        assert (await response.json())["error"]["code"] == "json_required"


async def test_our_own_pages_and_scripts_still_log_in(env: Env) -> None:
    """The console's own page (by Origin or by Sec-Fetch-Site) and a script without either
    header log in as before."""
    await env.account("mia")
    async with aiohttp.ClientSession() as http:
        for headers in ({"Origin": env.url}, {"Sec-Fetch-Site": "same-origin"}, {}):
            response = await http.post(f"{env.url}/api/session", json=LOGIN, headers=headers)
            assert response.status == 200, (headers, await response.text())
            assert "chat_session" in response.cookies


async def test_forms_of_other_sites_are_refused_with_a_page(env: Env) -> None:
    """The console's forms (login, logout, administration) answer another site's post with an
    error page in the reader's language, and nothing happens."""
    await env.account("mia")
    async with aiohttp.ClientSession() as http:
        for path in ("/login", "/logout", "/admin/accounts", "/login/enrol"):
            response = await http.post(
                f"{env.url}{path}",
                data={"username": "mia", "password": PASSWORD, "csrf": "x"},
                headers={"Origin": EVIL, "Accept-Language": "en"},
                allow_redirects=False,
            )
            assert response.status == 403, path
            assert response.content_type == "text/html"
            assert "came from another website" in await response.text()
        logout = await http.delete(f"{env.url}/api/session", headers={"Origin": EVIL})
        assert logout.status == 403


async def test_behind_a_trusted_proxy_the_forwarded_host_counts(tmp_path: Path) -> None:
    """A proxy that sends the request on to 127.0.0.1 names the browser's host in
    X-Forwarded-Host: believed from a trusted proxy, ignored from anyone else."""
    proxy_headers = {
        "Origin": "https://chat.example.nl",
        "Host": "127.0.0.1:8080",
        "X-Forwarded-Host": "chat.example.nl",
        "X-Forwarded-Proto": "https",
    }
    settings = load_settings(CONFIG)
    for trusted, status in (((), 403), (("127.0.0.1",), 200)):
        changed = replace(settings, abuse=replace(settings.abuse, trusted_proxies=trusted))
        async with running(tmp_path / str(status), settings=changed) as env:
            await env.account("mia")
            async with aiohttp.ClientSession() as http:
                response = await http.post(
                    f"{env.url}/api/session", json=LOGIN, headers=proxy_headers
                )
                assert response.status == status, trusted
