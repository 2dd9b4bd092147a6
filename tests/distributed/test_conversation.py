"""Issue 13, item 2: any node serves any client. A visitor whose page reached node n1 and a
volunteer whose console reached node n2 have their conversation in real time, in order, as
if there were one server: the visitor is assigned and hears the volunteer's alias, and the
messages arrive both ways, each in the order it was sent."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.distributed.cluster import cluster
from tests.e2e.conftest import PASSWORD, Peer
from tests.redis_server import RedisServer


async def visitor_on(url: str) -> Peer:
    peer = Peer("/visitor")
    await peer.client.connect(
        url,
        namespaces=["/visitor"],
        auth={"line": "chat", "lang": "nl"},
        transports=["websocket"],
        wait_timeout=10,
    )
    return peer


async def console_on(url: str, username: str) -> Peer:
    """Logged in on this node, console connected to it (paused, as every console starts)."""
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{url}/api/session", json={"username": username, "password": PASSWORD}
        )
        assert answer.status == 200, await answer.text()
        cookie = f"chat_session={answer.cookies['chat_session'].value}"
    peer = Peer("/operator")
    await peer.client.connect(
        url,
        namespaces=["/operator"],
        headers={"Cookie": cookie},
        transports=["websocket"],
        wait_timeout=10,
    )
    await peer.next("status")
    return peer


async def volunteer_on(url: str, username: str) -> Peer:
    """Logged in on this node, console connected to it, and available."""
    peer = await console_on(url, username)
    assert (await peer.call("status", {"state": "available"}))["ok"]
    return peer


async def test_a_visitor_on_one_node_and_a_volunteer_on_another_talk_in_order(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        await nodes.account("anna", "volunteer", "--alias", "Anna")
        one, two = await nodes.start("n1"), await nodes.start("n2")
        volunteer = await volunteer_on(two.url, "anna")
        visitor = await visitor_on(one.url)
        try:
            started = await visitor.call("start", {"consent": True})
            assert started["ok"], started
            assert (await visitor.until("assigned", lambda _: True))["operator"] == "Anna"
            offered = (await volunteer.next("assigned"))["conversation"]
            assert offered["id"] == started["conversation_id"]
            chat = offered["id"]

            for n in range(5):
                sent = await visitor.call("message", {"text": f"bezoeker {n}"})
                assert sent["ok"], sent
            heard = [
                (await volunteer.until("message", lambda m: m["role"] == "visitor"))["text"]
                for _ in range(5)
            ]
            assert heard == [f"bezoeker {n}" for n in range(5)]

            for n in range(5):
                sent = await volunteer.call("message", {"conversation_id": chat, "text": f"r{n}"})
                assert sent["ok"], sent
            replies = [
                (await visitor.until("message", lambda m: m["text"].startswith("r")))["text"]
                for _ in range(5)
            ]
            assert replies == [f"r{n}" for n in range(5)]
        finally:
            for peer in (visitor, volunteer):
                await peer.client.eio.disconnect(abort=True)
