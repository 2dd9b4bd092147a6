"""Issue 13, item 2: supervision is the same whichever node a client is on. A supervisor whose
console reached node n2 watches a chat between a visitor and a volunteer who both reached n1:
the live dashboard changes as the visitor starts and is assigned, reading along brings the
chat's messages, and a broadcast reaches the volunteer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.distributed.cluster import cluster
from tests.distributed.test_conversation import console_on, visitor_on
from tests.e2e.conftest import Peer
from tests.redis_server import RedisServer

# a supervisor logs in without a second factor here: what is tested is the floor, not TOTP
ONE_FACTOR = """
[accounts]
two_factor_roles = ["admin"]
"""


def shows(chat: str, state: str, operator: str | None) -> Any:
    def matches(dashboard: dict[str, Any]) -> bool:
        return any(
            c["id"] == chat and c["state"] == state and c["operator"] == operator
            for c in dashboard["conversations"]
        )

    return matches


async def test_a_supervisor_on_one_node_supervises_a_chat_on_another(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    async with cluster(redis_server, tmp_path / "nodes", ONE_FACTOR) as nodes:
        await nodes.account("anna", "volunteer", "--alias", "Anna")
        await nodes.account("sue", "supervisor", "--alias", "Sue")
        one, two = await nodes.start("n1"), await nodes.start("n2")
        peers: list[Peer] = []
        try:
            supervisor = await console_on(two.url, "sue")
            peers.append(supervisor)
            assert (await supervisor.call("monitor", {}))["ok"]
            assert (await supervisor.next("dashboard"))["conversations"] == []

            volunteer = await console_on(one.url, "anna")
            peers.append(volunteer)
            visitor = await visitor_on(one.url)
            peers.append(visitor)
            started = await visitor.call("start", {"consent": True})
            assert started["ok"], started
            chat = started["conversation_id"]
            await supervisor.until("dashboard", shows(chat, "waiting", None))
            assert (await volunteer.call("status", {"state": "available"}))["ok"]
            await supervisor.until("dashboard", shows(chat, "active", "Anna"))
            assert (await volunteer.next("assigned"))["conversation"]["id"] == chat

            observed = await supervisor.call("observe", {"conversation_id": chat})
            assert observed["ok"], observed
            assert observed["conversation"]["id"] == chat
            told = await volunteer.next("observed")
            assert (told["by"], told["kind"], told["active"]) == ("Sue", "observer", True)

            assert (await visitor.call("message", {"text": "hallo"}))["ok"]
            sent = await volunteer.call("message", {"conversation_id": chat, "text": "hoi"})
            assert sent["ok"], sent
            heard = [(await supervisor.next("message")) for _ in range(2)]
            assert [(m["conversation_id"], m["role"], m["text"]) for m in heard] == [
                (chat, "visitor", "hallo"),
                (chat, "operator", "hoi"),
            ]

            said = await supervisor.call("broadcast", {"text": "Druk vanavond: hou vol."})
            assert said["ok"], said
            broadcast = await volunteer.next("broadcast")
            assert broadcast["text"] == "Druk vanavond: hou vol."
            assert broadcast["from"] == "Sue"
        finally:
            for peer in peers:
                await peer.client.eio.disconnect(abort=True)
