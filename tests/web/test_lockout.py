"""The login lockout slows down guessing without locking volunteers out.

Keyed on the username alone, anyone who knew a volunteer's username could keep the account
locked for ever with one wrong password every quarter of an hour, while one source could try
a password on every username it liked. Now failures count per username *and* source, and per
source over all usernames (sources are pseudonyms of addresses, never the addresses).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from chatserver import accounts, errors
from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, PASSWORD, Env, running

ATTACKER = "203.0.113.9"
VOLUNTEER = "198.51.100.7"


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[Env]:
    """Behind a trusted proxy on 127.0.0.1, so X-Forwarded-For tells the sources apart."""
    settings = load_settings(CONFIG)
    settings = replace(settings, abuse=replace(settings.abuse, trusted_proxies=("127.0.0.1",)))
    async with running(tmp_path, settings) as env:
        yield env


async def login(env: Env, source: str, username: str, password: str) -> int:
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/api/session",
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": source},
        )
        return response.status


async def test_an_attacker_cannot_keep_a_volunteer_locked_out(proxied: Env) -> None:
    """Someone who keeps failing on anna's username, trying again whenever the lock lapses,
    is locked themselves; anna logs in from her own connection throughout."""
    await proxied.account("anna")
    for _ in range(5):
        assert await login(proxied, ATTACKER, "anna", "guess guess guess") == 401
    for _ in range(6):  # an hour and a half of trying at every chance
        assert await login(proxied, ATTACKER, "anna", "still guessing") == 429
        assert await login(proxied, VOLUNTEER, "anna", PASSWORD) == 200
        await proxied.advance(accounts.LoginThrottle.MAX_LOCK)
        assert await login(proxied, ATTACKER, "anna", "one more guess") == 401


async def test_one_source_cannot_try_every_username(proxied: Env) -> None:
    """One password against many usernames from one source stops after the source's budget
    (and then even a right password waits); another source is not affected."""
    await proxied.account("anna")
    for n in range(accounts.LoginThrottle.SOURCE_FREE):
        assert await login(proxied, ATTACKER, f"name{n}", "Welkom01!!") == 401
    assert await login(proxied, ATTACKER, "another", "Welkom01!!") == 429
    assert await login(proxied, VOLUNTEER, "anna", PASSWORD) == 200
    await proxied.advance(accounts.LoginThrottle.SOURCE_REFILL)
    assert await login(proxied, ATTACKER, "another", "Welkom01!!") == 401  # one more, slowly
    assert await login(proxied, ATTACKER, "yet-another", "Welkom01!!") == 429


async def test_a_source_budget_refills_and_a_success_does_not_buy_guesses() -> None:
    """The per-source budget leaks away with time, not with a login to one's own account."""
    throttle = accounts.LoginThrottle()
    for n in range(throttle.SOURCE_FREE):
        await throttle.failed(f"name{n}", "src", 0.0)
    with pytest.raises(errors.Locked) as locked:
        await throttle.check("anyone", "src", 0.0)
    assert locked.value.details["retry_after"] == throttle.SOURCE_REFILL
    await throttle.succeeded("name0", "src")
    with pytest.raises(errors.Locked):
        await throttle.check("anyone", "src", 1.0)
    await throttle.check("anyone", "src", throttle.SOURCE_REFILL)
    await throttle.check("anyone", "elsewhere", 0.0)
