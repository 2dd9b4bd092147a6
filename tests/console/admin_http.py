"""What the ``test_admin_http_*`` files share: a cookie-keeping HTTP client, the logged-in
administrator fixture, and the account form as a browser posts it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import PASSWORD, Env

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
