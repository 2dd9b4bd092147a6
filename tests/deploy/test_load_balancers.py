"""Behind nginx or HAProxy, long-polling works across nodes without a cookie.

Visitors are promised no cookies, so no sticky cookie may say which node holds a long-polling
session. The session id does: each node names itself in the ids it makes (``--node``), and
the documented proxy configurations (docs/deployment/) route ``?sid=`` on that prefix. Each
test runs the real proxy from Debian in front of two real servers, with polling-only clients;
the control without the routing shows the clients failing, so the test can fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import socketio

from chatserver.settings import load_settings
from tests.deploy.proxies import Proxy, running_proxy
from tests.e2e.conftest import CONFIG, Env, running

LINE = "chat"
# the proxy runs on this machine: its X-Forwarded-For is believed, as deployment.md says
SETTINGS = replace(
    load_settings(CONFIG),
    abuse=replace(load_settings(CONFIG).abuse, trusted_proxies=("127.0.0.1",)),
)


@contextlib.asynccontextmanager
async def two_nodes_behind(
    name: str, tmp_path: Path, sticky: bool = True
) -> AsyncIterator[tuple[Proxy, Env, Env]]:
    async with (
        running(tmp_path / "chat1", SETTINGS, node="chat1") as one,
        running(tmp_path / "chat2", SETTINGS, node="chat2") as two,
    ):
        ports = tuple(int(env.url.rsplit(":", 1)[1]) for env in (one, two))
        try:
            async with running_proxy(name, tmp_path / name, ports, sticky) as proxy:
                yield proxy, one, two
        finally:
            # a long poll the proxy left open would hold each server's clean-up until
            # Engine.IO's next ping (25 s): end the sessions, as a draining server does
            for env in (one, two):
                for socket in list(env.server.sio.eio.sockets.values()):
                    await socket.close(wait=False)  # a CLOSE packet ends the long poll


async def polling_visitor(url: str, wait: float = 5) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url,
        namespaces=["/visitor"],
        auth={"line": LINE, "lang": "nl"},
        transports=["polling"],
        wait_timeout=wait,
    )
    return client


async def call(client: socketio.AsyncClient, event: str, payload: dict[str, Any]) -> Any:
    return await client.call(event, payload, namespace="/visitor", timeout=5)


@pytest.mark.asyncio
@pytest.mark.parametrize("proxy_name", ["nginx", "haproxy"])
async def test_polling_visitors_stay_with_their_node_without_cookies(
    proxy_name: str, tmp_path: Path
) -> None:
    """Four polling-only visitors through the proxy start chats and write; the handshakes
    spread over both nodes and every later request reaches the node that holds it."""
    async with two_nodes_behind(proxy_name, tmp_path) as (proxy, one, two):
        clients = [await polling_visitor(proxy.url) for _ in range(4)]
        try:
            for client in clients:
                started = await call(client, "start", {"consent": True})
                assert started["ok"], started
                for n in range(3):
                    sent = await call(client, "message", {"text": f"bericht {n}"})
                    assert sent["ok"], sent
            for env, node in ((one, "chat1"), (two, "chat2")):
                sids = list(env.server.sio.eio.sockets)
                assert sids, f"no session reached {node}: the handshakes did not spread"
                assert all(sid.startswith(f"{node}.") for sid in sids)
            assert all(client.transport() == "polling" for client in clients)
        finally:
            for client in clients:  # polling clients wait for their long poll otherwise
                await client.eio.disconnect(abort=True)


@pytest.mark.asyncio
@pytest.mark.parametrize("proxy_name", ["nginx", "haproxy"])
async def test_without_routing_on_the_session_id_polling_breaks(
    proxy_name: str, tmp_path: Path
) -> None:
    """The control: plain round robin sends a session's next request to the other node,
    which does not know it, and the visitor cannot even connect."""
    async with two_nodes_behind(proxy_name, tmp_path, sticky=False) as (proxy, _one, _two):
        with pytest.raises(socketio.exceptions.ConnectionError):
            client = await polling_visitor(proxy.url, wait=2)
            await client.eio.disconnect(abort=True)
