"""A real ``redis-server`` of the tests' own, on an ephemeral port of 127.0.0.1.

Started the way testing-notes.md describes (daemonized, its own folder and pid file) and
stopped by that pid: without persistence for the floor, with the production persistence
(``PRODUCTION``) for the records. Never port 6379: a machine may run a shared Redis there.
A missing ``redis-server`` fails the run loudly with the fix; it never skips a test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

SHARED_PORT = 6379
STARTUP_SECONDS = 10.0
NO_PERSISTENCE: tuple[str, ...] = ("--save", "", "--appendonly", "no")
# what docs/architecture.md asks of a Redis that keeps chat records
PRODUCTION: tuple[str, ...] = (
    "--appendonly", "yes", "--appendfsync", "always", "--save", "",
    "--maxmemory-policy", "noeviction",
)  # fmt: skip


def _free_port() -> int:
    """A port the kernel just handed out, so no other test run is likely to hold it."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port != SHARED_PORT:
            return port


def _alive(pid: int) -> bool:
    """Running, and not merely a zombie: a daemon's parent is gone, so whoever adopted it
    may reap it late, and a zombie holds no port."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class RedisServer:
    port: int
    folder: Path
    settings: tuple[str, ...] = NO_PERSISTENCE

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.folder / "r.pid"

    @classmethod
    def start(
        cls, folder: Path, settings: tuple[str, ...] = NO_PERSISTENCE, port: int | None = None
    ) -> RedisServer:
        """A server on ``folder``; started again on the same folder, it is the same Redis
        (and on the same ``port``, the same address: what a restart looks like to clients)."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: run `bash scripts/setup-redis.sh` (Debian).")
        server = cls(port or _free_port(), folder, settings)
        subprocess.run(
            [
                binary,
                "--port",
                str(server.port),
                "--bind",
                "127.0.0.1",
                *settings,
                "--dir",
                str(folder),
                "--daemonize",
                "yes",
                "--pidfile",
                str(server.pidfile),
                "--logfile",
                str(folder / "redis.log"),
            ],
            check=True,
        )
        server._wait_until_ready()
        return server

    def _wait_until_ready(self) -> None:
        """Polls, because a daemonized server gives no other signal that it listens."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + STARTUP_SECONDS
        try:
            while True:
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping() and self.pidfile.exists():
                        return
                if time.monotonic() > deadline:
                    log = (self.folder / "redis.log").read_text(errors="replace")
                    pytest.fail(f"redis-server on port {self.port} did not start:\n{log}")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        pid = int(self.pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STARTUP_SECONDS
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)

    def start_again(self) -> RedisServer:
        """After ``stop`` or ``kill``: the same Redis again (folder, port and settings)."""
        return RedisServer.start(self.folder, self.settings, self.port)

    def pause(self) -> None:
        """SIGSTOP: Redis answers nothing, but every connection stays open (a hung host)."""
        os.kill(int(self.pidfile.read_text().strip()), signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(int(self.pidfile.read_text().strip()), signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed on the way out."""
        pid = int(self.pidfile.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STARTUP_SECONDS
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.pidfile.unlink(missing_ok=True)
