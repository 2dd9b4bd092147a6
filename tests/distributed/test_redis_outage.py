"""Issue 13: "Redis paused and restarted under load".

Two ``chatserver serve --redis`` nodes behind the documented nginx or HAProxy, 20 busy chats
through it (every fourth page and console long-polling only). While messages are on their
way, Redis hangs (SIGSTOP) or crashes (SIGKILL) and is started again on its port and its
append-only file, as systemd would. What people notice, and what is checked:

* a visitor who asks for a chat meanwhile is told at once that the chat cannot be reached
  (``unavailable``, with the emergency numbers) and keeps the page's connection; trying again
  once Redis is back starts the chat;
* everyone else stays connected or reconnects by themselves (a hang longer than the nodes'
  leases makes them let their sockets go; a restart breaks their subscriptions, and they let
  their sockets go once subscribed again) and resumes from the newest message they saw;
* a message answered ``unavailable`` is sent again, and no acknowledged message is lost or
  kept twice (append-only, fsynced on every write), nor shown twice; no chat ends or reaches
  another volunteer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests.distributed.busy import Progress, evening, exchange, talk
from tests.distributed.cluster import cluster
from tests.distributed.crowd import Person, Visitor, closing_time
from tests.redis_server import RedisServer

VISITORS = 20


def pause(server: RedisServer) -> Callable[[], None]:
    """SIGSTOP: every connection stays open and nothing is answered; SIGCONT to end it."""
    server.pause()
    return server.resume


def crash(server: RedisServer) -> Callable[[], None]:
    """SIGKILL: nothing is flushed on the way out; started again on its port and files."""
    server.kill()

    def again() -> None:
        server.start_again()

    return again


def connected(person: Person) -> bool:
    return person.up.is_set()


@pytest.mark.parametrize(("outage", "proxy"), [(pause, "nginx"), (crash, "haproxy")])
async def test_chats_go_on_after_redis_hung_or_crashed_and_nothing_acknowledged_is_lost(
    redis_server: RedisServer,
    tmp_path: Path,
    outage: Callable[[RedisServer], Callable[[], None]],
    proxy: str,
) -> None:
    async with cluster(redis_server, tmp_path / "nodes") as nodes:
        config = nodes.config.read_text()
        nodes.config.write_text(config.replace("queue_limit = 5", f"queue_limit = {VISITORS}"))
        alive = await asyncio.gather(nodes.start("chat1"), nodes.start("chat2"))
        async with nodes.behind(proxy, *alive) as balancer:
            met = await evening(redis_server.url, balancer.url, VISITORS)
            newcomer = Visitor("nieuwkomer")
            try:
                await newcomer.connect(balancer.url)
                await asyncio.gather(*(exchange(chat, "voor") for chat in met.chats))
                answered = Progress(len(met.chats) * 2)  # a fifth of the messages below
                busy = [asyncio.ensure_future(talk(chat, answered)) for chat in met.chats]
                await answered.reached.wait()
                back = outage(redis_server)  # while the other messages are on their way
                try:
                    refused = await newcomer.call(
                        "start", {"consent": True}, again_if_unavailable=False
                    )
                    still = connected(newcomer)
                finally:
                    back()
                assert refused["ok"] is False and refused["error"]["code"] == "unavailable"
                assert any(c.get("phone") == "112" for c in refused["error"]["emergency"])
                assert still, "the page lost its connection with the refusal"

                await asyncio.gather(*busy)  # every message acknowledged in the end
                await newcomer.start()  # the same page tries again: the chat starts
                await asyncio.gather(*(exchange(chat, "na") for chat in met.chats))
                for person in [*met.people, newcomer]:
                    await person.until(partial(connected, person), "connected after the outage")
                await met.check(redis_server.url)
            finally:
                await closing_time(alive, [*met.people, newcomer])
