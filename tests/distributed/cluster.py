"""Real ``chatserver serve --redis URL --node NAME`` processes on one ``redis-server``.

What an administrator runs, run here: each node is ``python -m chatserver`` on an ephemeral
port of 127.0.0.1 (``--port 0``; the URL is read from what it prints), its log in a file of
the test's folder (shown when a node fails), accounts made with ``chatserver operator add
--redis``. The Redis has the production persistence settings (``PRODUCTION``). Stopping is
SIGTERM and waiting, as systemd does; ``kill`` is SIGKILL, as a crash.

``Cluster.behind(proxy, *nodes)`` puts the documented nginx or HAProxy configuration in front of
the nodes (``tests/deploy/proxies.py``), for tests that go through a load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.proxies import Proxy, running_proxy
from tests.e2e.conftest import CONFIG, PASSWORD
from tests.redis_server import RedisServer

STARTUP = 30.0  # seconds for a node to listen: Python start-up on a busy 2-core machine
STOP = 15.0

# every test client comes from 127.0.0.1: lift the per-address limits, as tests/e2e does
LIFTED_LIMITS = """
[abuse]
messages_per_minute = 6000
burst = 100
conversations_per_source = 10000
conversations_ceiling = 10000
trusted_proxies = ["127.0.0.1"]
"""


def node_config(folder: Path, extra: str = "") -> Path:
    """The end-to-end tests' configuration, limits lifted, plus ``extra`` TOML."""
    path = folder / "chatserver.toml"
    path.write_text(CONFIG.read_text() + LIFTED_LIMITS + extra)
    return path


class NodeFailed(AssertionError):
    pass


@dataclass
class Node:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    url: str = ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self) -> int:
        """SIGTERM, and wait for the exit (the node drains within its shutdown bound)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), STOP)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise NodeFailed(
                f"node {self.name} did not stop in {STOP} s:\n{self.output()}"
            ) from None

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


async def chatserver(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """One ``python -m chatserver`` command to its end: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(
        process.communicate(stdin.encode() if stdin is not None else None), STARTUP
    )
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class Cluster:
    redis: RedisServer
    folder: Path
    config: Path
    nodes: list[Node] = field(default_factory=list)
    spawned: int = 0

    def redis_args(self, config: Path | None = None) -> list[str]:
        return ["--config", str(config or self.config), "--redis", self.redis.url]

    async def start(self, name: str, config: Path | None = None) -> Node:
        """A node that listens, or ``NodeFailed`` with its log."""
        node = await self.spawn(name, config)
        assert node.process.stdout is not None
        try:
            async with asyncio.timeout(STARTUP):
                while not node.url:
                    line = (await node.process.stdout.readline()).decode()
                    if not line:
                        await node.process.wait()
                        raise NodeFailed(
                            f"node {name} exited with {node.process.returncode} before it "
                            f"listened:\n{node.output()}"
                        )
                    found = re.search(r"running at (http://\S+)", line)
                    if found:
                        node.url = found[1]
        except TimeoutError:
            await node.kill()
            raise NodeFailed(
                f"node {name} did not listen in {STARTUP} s:\n{node.output()}"
            ) from None
        return node

    async def spawn(self, name: str, config: Path | None = None) -> Node:
        """The process, started; not waited for (see :meth:`start`)."""
        self.spawned += 1
        log = self.folder / f"{name}-{self.spawned}.log"  # a second n2 keeps its own
        with log.open("w") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chatserver", "serve", *self.redis_args(config),
                "--node", name, "--host", "127.0.0.1", "--port", "0",
                stdout=asyncio.subprocess.PIPE, stderr=sink,
            )  # fmt: skip
        node = Node(name, process, log)
        self.nodes.append(node)
        return node

    async def account(self, username: str, role: str = "volunteer", *options: str) -> None:
        """``chatserver operator add --redis``: what an administrator of the nodes runs."""
        code, out, err = await chatserver(
            "operator", "add", username, "--role", role, "--password-stdin",
            *self.redis_args(), *options, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert code == 0, out + err

    @contextlib.asynccontextmanager
    async def behind(self, proxy: str, *nodes: Node) -> AsyncIterator[Proxy]:
        """nginx or HAProxy, configured as docs/deployment/ says, in front of ``nodes``,
        which must be named ``chat1``, ``chat2`` ... in that order (the names the
        configuration routes long-polling on)."""
        assert [node.name for node in nodes] == [f"chat{n}" for n in range(1, len(nodes) + 1)]
        ports = tuple(node.port for node in nodes)
        async with running_proxy(proxy, self.folder / proxy, ports) as running:
            yield running

    async def stop(self) -> None:
        failures = []
        for node in self.nodes:
            try:
                await node.stop()
            except NodeFailed as failed:
                failures.append(str(failed))
        assert not failures, "\n".join(failures)


@contextlib.asynccontextmanager
async def cluster(redis: RedisServer, folder: Path, extra: str = "") -> AsyncIterator[Cluster]:
    """Nodes started by the test (``await cluster.start("n1")``), all stopped at the end."""
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  # a test's tmp folder
    running = Cluster(redis, folder, node_config(folder, extra))
    try:
        yield running
    finally:
        for node in running.nodes:
            if node.process.returncode is None:
                with contextlib.suppress(NodeFailed):
                    await node.stop()
