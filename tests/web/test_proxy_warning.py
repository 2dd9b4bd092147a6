"""Behind a reverse proxy that is not in abuse.trusted_proxies, the server says so, once."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import aiohttp
import pytest

from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, TIMEOUT, Env, Peer, running
from tests.privacy.test_logs import IDENTIFYING

WARNING_LOGGER = "chatserver.web.proxy_warning"


async def get(env: Env, headers: dict[str, str]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{env.url}/api/lines", headers=headers) as response,
    ):
        assert response.status == 200


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == WARNING_LOGGER and r.levelno == logging.WARNING
    ]


async def test_an_unlisted_local_proxy_is_named_once_with_the_fix(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    """An nginx on this machine that nobody listed makes every visitor one connection: the
    administrator reads one warning (not one per request) that names the setting and what to
    put there, and that holds no address of anyone."""
    caplog.set_level(logging.INFO, logger=WARNING_LOGGER)
    await get(env, {})
    assert warnings(caplog) == []  # a direct visitor without a proxy: nothing to say
    await get(env, {"X-Forwarded-For": "203.0.113.77"})
    await get(env, {"Forwarded": "for=203.0.113.77"})
    visitor = Peer("/visitor")  # a socket.io connection passes the same check
    await visitor.client.connect(
        env.url,
        namespaces=["/visitor"],
        auth={"line": "chat", "lang": "nl"},
        headers={"X-Real-IP": "203.0.113.77"},
        transports=["websocket"],
        wait_timeout=TIMEOUT,
    )
    env.peers.append(visitor)
    assert (await visitor.call("start", {"consent": True}))["ok"]
    (warning,) = warnings(caplog)
    assert "abuse.trusted_proxies" in warning and "X-Forwarded-For" in warning
    assert 'trusted_proxies = ["127.0.0.0/8", "::1"]' in warning
    assert "Behind a reverse proxy" in warning
    assert not any(value in warning for value in (*IDENTIFYING, "203.0.113.77"))


async def test_a_listed_proxy_raises_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the proxy is in abuse.trusted_proxies, its forwarded headers are expected."""
    caplog.set_level(logging.INFO, logger=WARNING_LOGGER)
    settings = load_settings(CONFIG)
    abuse = dataclasses.replace(settings.abuse, trusted_proxies=("127.0.0.1",))
    async with running(tmp_path, dataclasses.replace(settings, abuse=abuse)) as env:
        await get(env, {"X-Forwarded-For": "203.0.113.77"})
        await get(env, {"X-Real-IP": "203.0.113.77", "Forwarded": "for=203.0.113.77"})
    assert warnings(caplog) == []
