"""What makes Redis fit to be the record, checked before the first write, and the append-only
rewrite that makes an erase final on its disk.

Redis keeps data on disk only as configured. The records need every write in the append-only
file and fsynced before Redis answers (``appendonly yes``, ``appendfsync always``: write
before acknowledge), no RDB snapshots (``save ""``: a snapshot is a second copy that keeps
erased text until the next one is written) and a memory policy that never evicts a record to
make room (``maxmemory-policy noeviction``: a full Redis refuses writes, and the writer hears
of it). :func:`check` reads these with CONFIG GET and refuses with the setting and the fix.

An erased text stays in the append-only file (the ``DEL`` is appended, the old ``HSET`` is
still there) until Redis rewrites the file from its memory: :func:`rewrite` asks for that
(BGREWRITEAOF) and waits until it is done.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.exceptions import ResponseError

from chatserver.backends.base import StoreUnusable

# (setting, the value the records need, why), in the order a refusal names them
REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("appendonly", "yes", "every write kept in the append-only file"),
    ("appendfsync", "always", "write before acknowledge"),
    ("save", "", "no RDB snapshots: a snapshot keeps erased text until the next one"),
    ("maxmemory-policy", "noeviction", "Redis must never drop a record to make room"),
)
POLL = 0.01  # seconds between looks at a running rewrite (it has no event to wait for)
REWRITE_TIMEOUT = 300.0


def _shown(value: str) -> str:
    return value if value else '""'


async def check(client: Any, where: str) -> None:
    """Refuse (``StoreUnusable``) a Redis whose persistence cannot keep chat records."""
    try:
        found: dict[str, str] = {}
        for name, _, _ in REQUIRED:
            found.update(await client.config_get(name))
    except ResponseError as error:  # CONFIG renamed or disabled, as managed services do
        raise StoreUnusable(
            f"Redis at {where} does not answer CONFIG GET ({error}), so its persistence"
            " cannot be checked. Chat records need a Redis of their own where CONFIG is"
            " allowed."
        ) from None
    wrong = [
        f"{name} is {_shown(found.get(name, '?'))}; chat records need {name}"
        f" {_shown(needed)} ({why})"
        for name, needed, why in REQUIRED
        if found.get(name) != needed
    ]
    if wrong:
        fixes = " and ".join(
            f"CONFIG SET {name} {needed or chr(39) * 2}"
            for name, needed, _ in REQUIRED
            if found.get(name) != needed
        )
        raise StoreUnusable(
            f"Redis at {where}: "
            + "; ".join(wrong)
            + f". Set it in redis.conf, or at once with {fixes} (and CONFIG REWRITE to keep it)."
        )


async def rewrite(client: Any) -> None:
    """Rewrite the append-only file from memory (BGREWRITEAOF) and wait until it is done.

    A rewrite already running may have forked before the erase, so it could keep the text:
    then this waits for it and asks for another. ``RuntimeError`` if the rewrite failed.
    """
    deadline = time.monotonic() + REWRITE_TIMEOUT
    while True:
        try:
            await client.bgrewriteaof()
            break
        except ResponseError as error:
            if "in progress" not in str(error):
                raise
        await _settled(client, deadline)
    await _settled(client, deadline)
    info = await client.info("persistence")
    if info.get("aof_last_bgrewrite_status") != "ok":
        raise RuntimeError(
            "Redis could not rewrite its append-only file; erased text stays in it until a"
            " rewrite succeeds (see the Redis log)."
        )


async def _settled(client: Any, deadline: float) -> None:
    """Until no rewrite runs and none is scheduled."""
    while True:
        info = await client.info("persistence")
        if not int(info.get("aof_rewrite_in_progress", 0)) and not int(
            info.get("aof_rewrite_scheduled", 0)
        ):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("Redis's append-only rewrite did not finish in time.")
        await asyncio.sleep(POLL)
