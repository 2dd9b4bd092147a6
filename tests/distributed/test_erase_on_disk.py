"""Issue 13: "forget and the purge leave the text unrecoverable from Redis's data directory
within a bounded time" — checked on the bytes of every file under Redis's ``--dir``, with the
cluster running.

Two ``chatserver serve --redis`` nodes on one Redis with the production persistence settings
(and LZF compression off, so a text cannot hide in a compressed run of the rewritten file and
pass the check unread). One visitor is on node chat1, their volunteer on node chat2: the
visitor's "delete my conversation" reaches chat1, the volunteer's messages were stored by
chat2. Within ``retention.scrub_after_seconds`` (1 s here) plus the append-only rewrite, both
sides' words are in no file. A second chat ends and ``chatserver purge --redis`` erases it
(``transcripts_days = 0``): when the command returns, its words are in no file either. A third
chat is still going: its words stay, so the check does read what is there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.distributed.cluster import chatserver, cluster
from tests.distributed.crowd import Visitor, Volunteer, closing_time, volunteer_accounts
from tests.redis_server import PRODUCTION, RedisServer

READABLE = (*PRODUCTION, "--rdbcompression", "no")
SCRUB = """
[retention]
transcripts_days = 0
scrub_after_seconds = 1
"""
FORGOTTEN, PURGED, KEPT = "OKAPI-3141 vergeten", "TAPIR-2718 opgeschoond", "GNU-1618 bewaard"
DEADLINE = 15.0  # the scrub's second, the rewrite, and a busy machine


@pytest.fixture
def readable_redis(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer.start(folder, READABLE)
    try:
        yield server
    finally:
        server.stop()


def on_disk(server: RedisServer) -> bytes:
    """Every file of Redis's data directory (the append-only folder too), as a thief reads."""
    return b"".join(p.read_bytes() for p in sorted(server.folder.rglob("*")) if p.is_file())


async def gone_from_disk(server: RedisServer, text: str) -> None:
    """Polls the files: the scrub runs on a node's timer, with nothing to await from here."""
    deadline = time.monotonic() + DEADLINE
    while text.encode() in on_disk(server):
        assert time.monotonic() < deadline, f"{text!r} is still on disk after {DEADLINE} s"
        await asyncio.sleep(0.1)


async def chat(visitor: Visitor, volunteer: Volunteer, words: str) -> str:
    """A chat that starts, is answered, and has the words on both sides."""
    await visitor.start()
    await visitor.until(visitor.answered, "a volunteer answers")
    await visitor.send(f"{words} (de bezoeker)")
    await volunteer.send(visitor.conversation_id, f"{words} (de vrijwilliger)")
    return visitor.conversation_id


async def test_forget_and_the_purge_leave_no_text_in_redis_files(
    readable_redis: RedisServer, tmp_path: Path
) -> None:
    redis = readable_redis
    async with cluster(redis, tmp_path / "nodes", SCRUB) as nodes:
        await volunteer_accounts(redis.url, ["anna"], capacity=3)
        one, two = await asyncio.gather(nodes.start("chat1"), nodes.start("chat2"))
        volunteer = Volunteer("anna")
        pages = [Visitor(name) for name in ("vergeet", "klaar", "blijft")]
        try:
            await volunteer.connect(two.url)
            for page in pages:
                await page.connect(one.url)
            forgetting, ending, staying = pages
            await chat(forgetting, volunteer, FORGOTTEN)
            ended = await chat(ending, volunteer, PURGED)
            await chat(staying, volunteer, KEPT)
            disk = on_disk(redis)
            assert FORGOTTEN.encode() in disk and PURGED.encode() in disk  # fsynced, readable

            answer = await forgetting.call("forget", {})
            assert answer["ok"] and answer["erased"] >= 2, answer
            refused = await volunteer.call(
                "message", {"conversation_id": forgetting.conversation_id, "text": "nog iets"}
            )
            assert refused["error"]["code"] in ("forgotten", "ended"), refused  # not kept
            await gone_from_disk(redis, FORGOTTEN)

            wrapped = await volunteer.call(
                "end", {"conversation_id": ended, "wrapup": {"topics": ["other"]}}
            )
            assert wrapped["ok"], wrapped
            code, out, err = await chatserver("purge", *nodes.redis_args())
            assert code == 0, out + err
            assert PURGED.encode() not in on_disk(redis), out  # scrubbed before it returned

            assert KEPT.encode() in on_disk(redis)  # the check reads what is there
        finally:
            await closing_time((one, two), [volunteer, *pages])
