"""Which pages may open which namespace (``server.cors_allowed_origins``).

Listing a site that embeds the widget must never refuse the server's own pages (the widget's
frame and the console connect from our own origin: refusing them is an outage), and must
never give that site the volunteers' namespace or their cookies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from chatserver.settings import load_settings
from tests.backends.factories import Backend
from tests.e2e.conftest import CONFIG, Env, running
from tests.floors import FloorKind

SITE = "https://www.example.nl"  # listed: embeds the widget
OTHER = "https://evil.example"  # not listed


@pytest.fixture
async def listed(tmp_path: Path, backend: Backend, floor_kind: FloorKind) -> AsyncIterator[Env]:
    settings = load_settings(CONFIG)
    settings = replace(settings, server=replace(settings.server, cors_allowed_origins=(SITE,)))
    async with running(tmp_path, settings=settings, backend=backend, floor=floor_kind) as env:
        yield env


class Attempts:
    """Connections made from a given page origin; what each was told when refused."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.clients: list[socketio.AsyncClient] = []

    async def connect(self, namespace: str, origin: str, **headers: str) -> Any:
        """True when connected, else the refusal's data (or "engine" when the Engine.IO
        handshake itself was refused, before any namespace)."""
        client = socketio.AsyncClient(reconnection=False)
        told: list[Any] = []

        async def refused(data: Any = None) -> None:
            told.append(data)

        client.on("connect_error", refused, namespace=namespace)
        auth = {"line": "chat"} if namespace == "/visitor" else None
        try:
            await client.connect(
                self.env.url, namespaces=[namespace], transports=["websocket"], auth=auth,
                headers={"Origin": origin, **headers}, wait_timeout=5,
            )  # fmt: skip
        except socketio.exceptions.ConnectionError:
            # a namespace's refusal carries its data; the engine's is just "Connection error"
            return told[0] if told and isinstance(told[0], dict) else "engine"
        self.clients.append(client)
        return True

    async def close(self) -> None:
        for client in self.clients:
            await client.disconnect()


@pytest.fixture
async def attempts(request: pytest.FixtureRequest) -> AsyncIterator[Attempts]:
    env = request.getfixturevalue("listed" if "listed" in request.fixturenames else "env")
    made = Attempts(env)
    yield made
    await made.close()


async def test_listing_a_site_keeps_our_own_pages_connected(
    listed: Env, attempts: Attempts
) -> None:
    """With a site listed, the widget's frame and the console (our own origin) still connect,
    over WebSocket and long-polling alike."""
    cookie = await listed.account("anna") and await listed.cookie("anna")
    assert await attempts.connect("/visitor", listed.url) is True
    assert await attempts.connect("/operator", listed.url, Cookie=cookie) is True
    assert await polling_handshake(listed, listed.url) == 200


async def polling_handshake(env: Env, origin: str) -> int:
    """The status of a long-polling transport's first request from a page of ``origin``."""
    async with aiohttp.ClientSession() as http:
        response = await http.get(
            f"{env.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
        )
        return response.status


async def test_a_listed_site_reaches_visitors_but_never_operators(
    listed: Env, attempts: Attempts
) -> None:
    """The listed site may open /visitor; /operator refuses it even with a valid session
    cookie, with the code ``cross_origin``."""
    cookie = await listed.account("anna") and await listed.cookie("anna")
    assert await attempts.connect("/visitor", SITE) is True
    told = await attempts.connect("/operator", SITE, Cookie=cookie)
    assert told["message"] == "cross_origin" and told["data"]["code"] == "cross_origin", told


async def test_a_listed_site_gets_no_credentials(listed: Env) -> None:
    """CORS for the listed site, but never ``Access-Control-Allow-Credentials``: its pages
    cannot make a browser send our cookies along."""
    async with aiohttp.ClientSession() as http:
        response = await http.get(
            f"{listed.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": SITE}
        )
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == SITE
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_other_sites_are_refused_everywhere(env: Env, attempts: Attempts) -> None:
    """With nothing listed (the default), another site's page opens neither namespace, and a
    sibling site (``Sec-Fetch-Site: same-site``) is no exception."""
    cookie = await env.account("anna") and await env.cookie("anna")
    assert await attempts.connect("/visitor", OTHER) == "engine"
    assert await attempts.connect("/operator", OTHER, Cookie=cookie) == "engine"
    assert await polling_handshake(env, OTHER) == 400
    sibling = {"Sec-Fetch-Site": "same-site"}
    assert await attempts.connect("/operator", env.url, Cookie=cookie, **sibling) == "engine"
    assert await attempts.connect("/operator", env.url, Cookie=cookie) is True
