"""A login session and the consoles opened with it live and end together.

A volunteer who logs out on a shared office computer, or leaves it for the night, must not
leave a console behind that still receives visitors' words; a volunteer busy in chats all
evening must not be logged out for want of page loads.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from chatserver import accounts
from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, PASSWORD, TIMEOUT, Env, Peer, running
from tests.floors import FloorKind


async def log_in(
    env: Env, username: str, **headers: str
) -> tuple[str, str, aiohttp.ClientResponse]:
    """A fresh session: the cookie header, its CSRF token and the raw response."""
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/api/session",
            json={"username": username, "password": PASSWORD},
            headers=headers,
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        return f"chat_session={response.cookies['chat_session'].value}", body["csrf"], response


async def console(env: Env, cookie: str) -> tuple[Peer, asyncio.Event]:
    """A console socket with this session, and an event set when the server closes it."""
    peer = Peer("/operator")
    closed = asyncio.Event()

    async def on_disconnect(reason: Any = None) -> None:
        closed.set()

    peer.client.on("disconnect", on_disconnect, namespace="/operator")
    await peer.client.connect(
        env.url, namespaces=["/operator"], headers={"Cookie": cookie},
        transports=["websocket"], wait_timeout=TIMEOUT,
    )  # fmt: skip
    await peer.next("status")
    env.peers.append(peer)
    return peer, closed


async def page_status(env: Env, cookie: str) -> int:
    """What the console page answers this cookie: 200, or 303 to the login."""
    async with aiohttp.ClientSession() as http:
        response = await http.get(
            f"{env.url}/console", headers={"Cookie": cookie}, allow_redirects=False
        )
        return response.status


async def test_logout_closes_the_sockets_of_that_session(env: Env) -> None:
    """Logging out on one computer closes its console at once; the same volunteer's console
    on another computer (another session) carries on."""
    await env.account("anna")
    office, csrf, _ = await log_in(env, "anna")
    home, _, _ = await log_in(env, "anna")
    office_peer, office_closed = await console(env, office)
    home_peer, home_closed = await console(env, home)
    async with aiohttp.ClientSession() as http:
        response = await http.delete(
            f"{env.url}/api/session", headers={"Cookie": office, "X-CSRF-Token": csrf}
        )
        assert response.status == 200
    await asyncio.wait_for(office_closed.wait(), TIMEOUT)
    assert not office_peer.client.connected
    assert (await home_peer.call("status", {"state": "available"}))["ok"]
    assert not home_closed.is_set()
    refused = socketio.AsyncClient(reconnection=False)
    try:
        await refused.connect(
            env.url, namespaces=["/operator"], headers={"Cookie": office},
            transports=["websocket"], wait_timeout=TIMEOUT,
        )  # fmt: skip
    except socketio.exceptions.ConnectionError:
        pass
    else:
        raise AssertionError("a logged-out session connected again")


async def test_idle_expiry_closes_the_console(env: Env) -> None:
    """A session idle for longer than the limit ends, and so does its open console."""
    await env.account("anna")
    cookie, _, _ = await log_in(env, "anna")
    _, closed = await console(env, cookie)
    await env.advance(accounts.SESSION_IDLE_SECONDS + 61)
    await asyncio.wait_for(closed.wait(), TIMEOUT)
    assert await page_status(env, cookie) == 303


async def test_socket_activity_keeps_the_session_alive(env: Env) -> None:
    """A volunteer who only works in the console (no page loads) stays logged in: every event
    on the socket counts as activity."""
    await env.account("anna")
    cookie, _, _ = await log_in(env, "anna")
    peer, closed = await console(env, cookie)
    for _ in range(3):  # three times the idle limit in all, busy on the socket throughout
        await env.advance(accounts.SESSION_IDLE_SECONDS - 120)
        assert (await peer.call("status", {"state": "available"}))["ok"]
    await env.advance(180)
    await peer.settle()
    assert not closed.is_set() and peer.client.connected
    assert await page_status(env, cookie) == 200


async def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    """Behind a proxy that ends TLS the server sees plain HTTP: the session cookie is Secure
    when a trusted proxy says the browser used HTTPS, or when configured; a forged
    X-Forwarded-Proto from anyone else changes nothing."""
    settings = load_settings(CONFIG)
    https = {"X-Forwarded-Proto": "https"}
    for trusted, always, headers, secure in (
        ((), False, https, False),
        (("127.0.0.1",), False, https, True),
        (("127.0.0.1",), False, {}, False),
        ((), True, {}, True),
    ):
        changed = replace(
            settings,
            abuse=replace(settings.abuse, trusted_proxies=trusted),
            server=replace(settings.server, secure_cookies=always),
        )
        folder = tmp_path / f"{len(trusted)}{always}{bool(headers)}"
        async with running(folder, changed, floor=floor_kind) as env:
            await env.account("anna")
            _, _, response = await log_in(env, "anna", **headers)
            assert bool(response.cookies["chat_session"]["secure"]) is secure, (trusted, always)
