"""What only the Redis store promises: it refuses a Redis that would lose or keep what it must
not, an erased text is gone from Redis's data directory byte for byte after the scrub, and an
acknowledged record survives Redis being killed.

Each test starts its own ``redis-server`` (never the shared one on 6379): the contract tests'
server is shared by many tests, and these read and kill theirs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chatserver.backends.base import StatsDelta, StoreUnusable
from chatserver.backends.redis_store import RedisStore
from chatserver.hub.followup.model import Letter, LetterThread, Space
from chatserver.hub.model import Role
from tests.redis_server import NO_PERSISTENCE, PRODUCTION, RedisServer, _free_port

from .conftest import Opener
from .records import T0, account, conversation, ended, hold, message

MARKER = "PANGOLIN-5120-erase-me"
# plain bytes on disk: with LZF compression (Redis's default for the rewritten base file) an
# erased text could hide in a compressed run, and the test would pass without proving a thing
READABLE = (*PRODUCTION, "--rdbcompression", "no")


def _raw(folder: Path) -> bytes:
    """Every file of Redis's data directory (the append-only folder too), as a thief reads."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    (tmp_path / "redis").mkdir()
    running = RedisServer.start(tmp_path / "redis", READABLE)
    try:
        yield running
    finally:
        if running.pidfile.exists():
            running.stop()


# the start-up check ---------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_redis_without_an_append_only_file_is_refused(tmp_path: Path) -> None:
    """The person starting the server reads which setting would lose chat records, and how
    to fix it, before anything is written (Debian's default Redis keeps no append-only file)."""
    running = RedisServer.start(tmp_path, NO_PERSISTENCE)
    try:
        with pytest.raises(StoreUnusable) as refused:
            await RedisStore(running.url).open()
    finally:
        running.stop()
    said = str(refused.value)
    assert "appendonly is no" in said and "CONFIG SET appendonly yes" in said
    assert "appendfsync is everysec" in said  # every wrong setting at once, not one per start


@pytest.mark.asyncio
async def test_each_setting_that_would_lose_or_keep_records_is_named(
    server: RedisServer, opened: Opener
) -> None:
    """fsync once a second, RDB snapshots (a copy erased text lingers in) and eviction are
    each refused by name with the fix; with all four right, the store opens."""
    admin = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    try:
        for name, wrong, fix in (
            ("appendfsync", "everysec", "appendfsync always"),
            ("save", "3600 1", "save ''"),
            ("maxmemory-policy", "allkeys-lru", "maxmemory-policy noeviction"),
        ):
            right = str(admin.config_get(name)[name])
            admin.config_set(name, wrong)
            with pytest.raises(StoreUnusable) as refused:
                await RedisStore(server.url).open()
            assert f"{name} is {wrong}" in str(refused.value)
            assert f"CONFIG SET {fix}" in str(refused.value)
            admin.config_set(name, right)
        await opened(RedisStore(server.url))  # all four right: accepted
        assert admin.dbsize() == 0  # the refusals wrote nothing
    finally:
        admin.close()


@pytest.mark.asyncio
async def test_an_unreachable_redis_is_refused_without_its_password() -> None:
    """Nothing listens there: one line that says so, and never the password of the URL."""
    url = f"redis://:sekrit@127.0.0.1:{_free_port()}/0"
    with pytest.raises(StoreUnusable) as refused:
        await RedisStore(url).open()
    said = str(refused.value)
    assert "cannot be reached" in said and "127.0.0.1" in said and "sekrit" not in said


# erasure on disk ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_erased_text_is_gone_from_the_redis_data_directory(
    server: RedisServer, opened: Opener
) -> None:
    """'Delete my conversation', a released hold and a forgotten space: after the scrub, the
    words cannot be read back from any file Redis keeps, while another visitor's are there."""
    store = RedisStore(server.url, scrub_delay=None)
    await opened(store)
    await store.save_conversation(ended("secret", T0, T0 + 10))
    await store.save_conversation(conversation("kept"))
    for seq in range(1, 60):
        await store.append_message(message("secret", seq, f"{MARKER} {seq} " + "x" * 200))
        await store.append_message(message("kept", seq, f"KEPT-TEXT {seq}"))
    await store.add_hold(hold("secret", reason=f"{MARKER} plans for friday"))
    await store.save_space(Space("s1", "chat", "nl", "hash1", T0, T0))
    await store.save_thread(LetterThread("t1", "s1", "chat", "nl", T0, T0, note=f"{MARKER} n"))
    await store.add_letter(Letter("t1", 1, Role.VISITOR, f"{MARKER} brief", f"<p>{MARKER}</p>", T0))
    assert MARKER.encode() in _raw(server.folder)

    assert await store.erase_messages("secret") == 59
    assert await store.release_hold("secret")
    assert await store.erase_space("s1") == 1
    assert MARKER.encode() in _raw(server.folder)  # a DEL alone leaves the text on disk

    await store.scrub()
    on_disk = _raw(server.folder)
    assert MARKER.encode() not in on_disk
    assert b"KEPT-TEXT 59" in on_disk  # the check does read the data that is there
    assert len(await store.messages("kept")) == 59


@pytest.mark.asyncio
async def test_the_scrub_follows_an_erase_by_itself(server: RedisServer, opened: Opener) -> None:
    """Nobody has to remember to clean up after a 'delete my conversation': it happens."""
    store = RedisStore(server.url, scrub_delay=0.01)
    await opened(store)
    await store.save_conversation(conversation("c1"))
    await store.append_message(message("c1", 1, f"{MARKER} once"))
    scrubbed = asyncio.Event()
    real_scrub = store.scrub

    async def watched_scrub() -> None:
        await real_scrub()
        scrubbed.set()

    store.scrub = watched_scrub  # type: ignore[method-assign]
    await store.erase_messages("c1")
    await asyncio.wait_for(scrubbed.wait(), timeout=10)
    assert MARKER.encode() not in _raw(server.folder)


# durability -----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_acknowledged_records_survive_redis_being_killed(
    server: RedisServer, opened: Opener
) -> None:
    """Redis crashes (SIGKILL) right after the writes were acknowledged and is started again
    on its data directory: every account, message and count is there."""
    store = RedisStore(server.url)
    await opened(store)
    await store.add_account(account(1))
    await store.save_conversation(conversation("c1"))
    await asyncio.gather(*(store.append_message(message("c1", seq)) for seq in range(1, 101)))
    await asyncio.gather(
        *(store.add_stats(StatsDelta("general", T0, offered=1)) for _ in range(20))
    )
    server.kill()
    await store.close()

    again = RedisServer.start(server.folder, READABLE)
    try:
        second = await opened(RedisStore(again.url))
        assert await second.account("op1") == account(1)
        assert await second.messages("c1") == [message("c1", seq) for seq in range(1, 101)]
        [hour] = await second.hour_stats("general", T0, T0 + 1)
        assert hour.offered == 20
        await second.close()
    finally:
        again.stop()


@pytest.mark.asyncio
async def test_live_only_fields_are_never_stored(server: RedisServer, opened: Opener) -> None:
    """How many chats shared the visitor's connection is derived from the connection, of
    which nothing is kept: it comes back as 0, and no key or field names an identity."""
    store = RedisStore(server.url)
    await opened(store)
    await store.save_conversation(conversation("c1", shared_connection=3))
    found = await store.conversation("c1")
    assert found is not None and found.shared_connection == 0
    admin = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    try:
        names = [k for k in admin.scan_iter()] + [
            f for k in admin.scan_iter() if admin.type(k) == "hash" for f in admin.hkeys(k)
        ]
    finally:
        admin.close()
    assert names and not any(
        word in name.lower()
        for name in names
        for word in ("addr", "ip", "agent", "cookie", "shared")
    )


@pytest.mark.asyncio
async def test_every_key_lives_under_the_prefix_and_the_records_namespace(
    server: RedisServer, opened: Opener
) -> None:
    """Two helplines' records on one Redis never meet, and the records never touch a key of
    the floor that shares their prefix: every key starts with the prefix and ``rec:``."""
    one, two = RedisStore(server.url, "one:"), RedisStore(server.url, "two:")
    for store in (one, two):
        await opened(store)
        await store.add_account(account(1))
        await store.save_conversation(ended("c1", T0, T0 + 10))
        await store.append_message(message("c1", 1))
        await store.add_stats(StatsDelta("general", T0, offered=1, topics=("school",)))
        await store.add_hold(hold("c1"))
        await store.save_space(Space("s1", "chat", "nl", "hash1", T0, T0))
    await one.erase_messages("c1")
    assert len(await two.messages("c1")) == 1
    admin = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    try:
        keys = list(admin.scan_iter())
    finally:
        admin.close()
    assert keys and all(k.startswith(("one:rec:", "two:rec:")) for k in keys)
    assert any(k.startswith("one:") for k in keys) and any(k.startswith("two:") for k in keys)


@pytest.mark.asyncio
async def test_two_nodes_racing_for_a_username_or_a_seq_get_one_winner(
    server: RedisServer, opened: Opener
) -> None:
    """Several nodes write the same records: a username can be taken once and a message seq
    stored once, however the writes of two nodes interleave."""
    nodes = [RedisStore(server.url), RedisStore(server.url)]
    for node in nodes:
        await opened(node)
    await nodes[0].save_conversation(conversation("c1"))
    accounts = [account(n, username="anouk") for n in range(1, 21)]
    added = await asyncio.gather(
        *(nodes[n % 2].add_account(a) for n, a in enumerate(accounts)), return_exceptions=True
    )
    assert sum(r is None for r in added) == 1
    assert all(isinstance(r, ValueError) for r in added if r is not None)
    assert len(await nodes[1].accounts()) == 1
    sent = await asyncio.gather(
        *(nodes[n % 2].append_message(message("c1", 1, f"copy {n}")) for n in range(20)),
        return_exceptions=True,
    )
    assert sum(r is None for r in sent) == 1
    [kept] = await nodes[0].messages("c1")
    assert kept.text == f"copy {sent.index(None)}"
