"""The processes of a benchmark run, each its own: the servers measured (a baseline, the
chat server, the nodes of the distributed mode and their redis-server) and the load
generator's workers; and what is read from them (CPU time and memory from ``/proc``, the
server's ``/metrics``).

Every server listens on an ephemeral port of 127.0.0.1 and says where in its first lines
(``... running at http://HOST:PORT``); its output goes to a log file in the run's folder,
shown when it fails. Never port 6379: a machine may run a shared Redis there.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.load import PASSWORD
from chatserver import accounts
from chatserver.backends.base import Store
from chatserver.backends.embedded import SqliteStore
from chatserver.backends.redis_store import RedisStore
from chatserver.hub.model import Account

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("bench.toml")
STARTUP = 120.0  # seconds for a server to listen: recovering 10,000 chats on a busy machine
STOP = 60.0
URL = re.compile(r"running at (http://\S+)")
SHARED_REDIS_PORT = 6379
# what docs/architecture.md asks of a Redis that keeps chat records (tests/floor does the same)
REDIS_PRODUCTION = (
    "--appendonly", "yes", "--appendfsync", "always", "--save", "",
    "--maxmemory-policy", "noeviction",
)  # fmt: skip


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port != SHARED_REDIS_PORT:
            return port


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process now (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def config_with_lines(folder: Path, lines: int) -> Path:
    """bench.toml with ``lines`` lines in all: the first as configured, the others copies
    (``chat2``, ``chat3``, ...), for the scenarios that spread visitors across lines."""
    text = CONFIG.read_text()
    _, line = text.split("[[lines]]\n", 1)
    extra = "".join(
        "\n[[lines]]\n" + line.replace('id = "chat"', f'id = "chat{n}"')
        for n in range(2, lines + 1)
    )
    path = folder / f"bench-{lines}-lines.toml"
    path.write_text(text + extra)
    return path


def line_ids(lines: int) -> list[str]:
    return ["chat"] + [f"chat{n}" for n in range(2, lines + 1)]


class Service:
    """A server as a subprocess: started, its URL read from its output, stopped by signal."""

    def __init__(self, name: str, argv: list[str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self.url = ""
        self.process: asyncio.subprocess.Process | None = None
        self.spawned = 0.0  # time.monotonic() when started
        self.listening = 0.0  # ... when it said it listens
        self._drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> Service:
        """Started, once it says it listens (within ``STARTUP`` seconds)."""
        with self.log.open("ab") as sink:
            self.spawned = time.monotonic()
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, stdout=asyncio.subprocess.PIPE, stderr=sink, cwd=ROOT
            )
        out = self.process.stdout
        assert out is not None
        try:
            async with asyncio.timeout(STARTUP):
                while not self.url:
                    line = (await out.readline()).decode(errors="replace")
                    if not line:
                        await self.process.wait()
                        raise RuntimeError(
                            f"{self.name} exited ({self.process.returncode}) before it "
                            f"listened:\n{self.tail()}"
                        )
                    found = URL.search(line)
                    if found:
                        self.url, self.listening = found[1], time.monotonic()
        except TimeoutError:
            await self.kill()
            raise RuntimeError(f"{self.name} did not listen in time:\n{self.tail()}") from None
        self._drain = asyncio.create_task(self._keep(out))
        return self

    async def _keep(self, out: asyncio.StreamReader) -> None:
        """The rest of its output into the log (a full pipe would stop the server)."""
        with self.log.open("ab") as sink:
            while chunk := await out.read(65536):
                sink.write(chunk)

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        """The exit code; SIGKILL when ``signum`` does not stop it within ``STOP`` seconds."""
        process = self.process
        if process is None:
            return 0
        if process.returncode is None:
            process.send_signal(signum)
        try:
            code = await asyncio.wait_for(process.wait(), STOP)
        except TimeoutError:
            process.kill()
            code = await process.wait()
        if self._drain is not None:
            await self._drain
        return code

    async def kill(self) -> int:
        return await self.stop(signal.SIGKILL)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def baseline(kind: str, folder: Path) -> Service:
    argv = [sys.executable, "-m", "bench.baselines", kind, "--port", "0"]
    return Service(kind, argv, folder / f"{kind}.log")


def chatserver(folder: Path, config: Path = CONFIG, name: str = "server") -> Service:
    """``chatserver serve`` on the SQLite file in ``folder``."""
    argv = [
        sys.executable, "-m", "chatserver", "serve", "--config", str(config),
        "--data", str(folder), "--host", "127.0.0.1", "--port", "0",
    ]  # fmt: skip
    return Service(name, argv, folder / f"{name}.log")


def node(folder: Path, redis_url: str, name: str, config: Path = CONFIG) -> Service:
    """One node of the distributed mode: ``chatserver serve --redis URL --node NAME``."""
    argv = [
        sys.executable, "-m", "chatserver", "serve", "--config", str(config),
        "--redis", redis_url, "--node", name, "--host", "127.0.0.1", "--port", "0",
    ]  # fmt: skip
    return Service(name, argv, folder / f"{name}.log")


class Redis:
    """A redis-server of the run's own, in the foreground, with production persistence."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Redis:
        with (self.folder / "redis.log").open("ab") as sink:
            self.process = await asyncio.create_subprocess_exec(
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                *REDIS_PRODUCTION, "--dir", str(self.folder), "--daemonize", "no",
                stdout=sink, stderr=sink,
            )  # fmt: skip
        for _ in range(500):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return self
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        log = (self.folder / "redis.log").read_text(errors="replace")
        raise RuntimeError(f"redis-server on port {self.port} did not start:\n{log}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), STOP)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def volunteer_names(count: int) -> list[str]:
    return [f"vrijwilliger{n}" for n in range(count)]


def _volunteers(count: int, capacity: int) -> list[Account]:
    """``count`` volunteers with one argon2 hash between them (same password, less wait)."""
    first = accounts.new_account("vrijwilliger0", PASSWORD, "volunteer", None, capacity=capacity)
    return [
        dataclasses.replace(first, id=f"o{n:012x}", username=name, alias=f"Vrijwilliger {n}")
        for n, name in enumerate(volunteer_names(count))
    ]


async def sqlite_volunteers(folder: Path, count: int, capacity: int = 1) -> list[str]:
    """Volunteer accounts straight into the store ``chatserver serve --data folder`` opens."""
    return await _add_volunteers(SqliteStore(folder / "chatserver.db"), count, capacity)


async def redis_volunteers(url: str, count: int, capacity: int = 1) -> list[str]:
    """The same in the distributed mode's records (what ``operator add --redis`` writes)."""
    return await _add_volunteers(RedisStore(url, "chat:", scrub_delay=None), count, capacity)


async def _add_volunteers(store: Store, count: int, capacity: int) -> list[str]:
    await store.open()
    try:
        for account in _volunteers(count, capacity):
            await store.add_account(account)
    finally:
        await store.close()
    return volunteer_names(count)


async def metrics(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The server's ``/metrics``: each sample summed over its labels, by name (and by
    ``name|label value`` as well)."""
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name] = found.get(sample.name, 0.0) + sample.value
            for value in sample.labels.values():
                key = f"{sample.name}|{value}"
                found[key] = found.get(key, 0.0) + sample.value
    return found


async def healthy(http: aiohttp.ClientSession, url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError, OSError):
        async with http.get(f"{url}/healthz") as response:
            return response.status == 200
    return False


async def until_healthy(http: aiohttp.ClientSession, url: str) -> float:
    """Asks ``/healthz`` until it answers 200 (within ``STARTUP`` seconds); when it did."""
    async with asyncio.timeout(STARTUP):
        while True:
            if await healthy(http, url):
                return time.monotonic()
            await asyncio.sleep(0.005)


class Generator:
    """The load generator: ``workers`` processes of ``python -m bench.load``, each driven by
    JSON lines (one command, one answer)."""

    def __init__(self, workers: int, folder: Path) -> None:
        self.size = max(1, workers)
        self.folder = folder
        self.processes: list[asyncio.subprocess.Process] = []
        self.locks: list[asyncio.Lock] = []
        self.pids: list[int] = []

    async def __aenter__(self) -> Generator:
        for n in range(self.size):
            with (self.folder / f"load{n}.log").open("ab") as sink:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.load", cwd=ROOT, limit=2**26,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=sink,
                )  # fmt: skip
            self.processes.append(process)
            self.locks.append(asyncio.Lock())
        hello = await self.each([{"op": "hello"}] * self.size)
        self.pids = [answer["pid"] for answer in hello]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.stdin is not None and process.returncode is None:
                with contextlib.suppress(ConnectionError):
                    process.stdin.write(b'{"op": "quit"}\n')
                    await process.stdin.drain()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), STOP)
            except TimeoutError:
                process.kill()
                await process.wait()

    def split(self, count: int) -> list[tuple[int, int]]:
        """``count`` clients as (first index, how many) per worker, as even as can be."""
        share, extra = divmod(count, self.size)
        out, first = [], 0
        for n in range(self.size):
            size = share + (n < extra)
            out.append((first, size))
            first += size
        return out

    async def ask(self, worker: int, command: dict[str, Any]) -> dict[str, Any]:
        process = self.processes[worker]
        assert process.stdin is not None and process.stdout is not None
        async with self.locks[worker]:
            process.stdin.write(json.dumps(command).encode() + b"\n")
            await process.stdin.drain()
            line = await process.stdout.readline()
        if not line:
            log = (self.folder / f"load{worker}.log").read_text(errors="replace")
            raise RuntimeError(f"load generator {worker} died:\n{log[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"load generator {worker}: {command['op']}:\n{answer['error']}")
        return answer

    async def each(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One command per worker, all at once."""
        return list(await asyncio.gather(*(self.ask(n, c) for n, c in enumerate(commands))))

    async def all(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """The same command to every worker, all at once."""
        return await self.each([dict(command) for _ in range(self.size)])
