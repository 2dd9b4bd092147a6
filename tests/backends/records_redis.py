"""The one ``redis-server`` the store contract tests run the Redis store on.

Started on first use, with the production persistence settings (``PRODUCTION``: append-only,
fsync on every write, no snapshots, no eviction) in a folder of its own, and stopped when the
test process exits (whichever tests started it). Each test reaches its own records through a key
prefix made from its folder, so tests share the server and never a key.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import uuid
from pathlib import Path

from chatserver.backends.redis_store import RedisStore
from tests.redis_server import PRODUCTION, RedisServer


class _Running:
    server: RedisServer | None = None


def records_url() -> str:
    if _Running.server is None:
        folder = Path(tempfile.mkdtemp(prefix="records-redis-"))
        _Running.server = RedisServer.start(folder, PRODUCTION)
        atexit.register(stop_records_redis)
    return _Running.server.url


def stop_records_redis() -> None:
    server, _Running.server = _Running.server, None
    if server is not None:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def store_at(folder: Path) -> RedisStore:
    """Every store made for one folder reaches the same records: a restart within a test."""
    prefix = "t" + hashlib.sha256(str(folder).encode()).hexdigest()[:12] + ":"
    return RedisStore(records_url(), prefix, scrub_delay=None)


def scratch() -> RedisStore:
    return RedisStore(records_url(), f"s{uuid.uuid4().hex[:12]}:", scrub_delay=None)
