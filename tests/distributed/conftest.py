"""The distributed mode's tests: real ``redis-server`` processes with the production
persistence settings, nodes in this process (``inprocess.py``) or as real ``chatserver serve
--redis`` processes (``cluster.py``).

Each test gets a Redis of its own (function scope): these tests pause, stop and restart it,
which no other test may notice. Starting one takes a few tens of milliseconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import PRODUCTION, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    running = [RedisServer.start(folder, PRODUCTION)]
    try:
        yield running[0]
    finally:
        server = running[0]
        try:
            server.resume()  # a paused server would not hear SIGTERM
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass  # stopped by the test
        else:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
