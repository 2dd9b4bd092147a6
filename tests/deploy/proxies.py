"""nginx and HAProxy from Debian, run as ordinary processes on 127.0.0.1 for a test.

The configurations are the documented ones (docs/deployment/), with only the listening port
and the nodes' addresses replaced, so what the tests prove is what an administrator copies.
Pitfalls (../shared/distributed-notes.md): nginx needs its pid file and every temp path in a
folder of its own; a stray worker can keep serving an old configuration, so the port is checked
free before starting and the master is waited for after stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "deployment"
# the addresses the documented files use for the two example nodes and the proxy itself
EXAMPLE_NODES = ("127.0.0.1:8081", "127.0.0.1:8082")
EXAMPLE_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True)
class Proxy:
    name: str  # "nginx" or "haproxy"
    url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _more_nodes(text: str, count: int) -> str:
    """The documented two-node file with nodes ``chat3`` .. ``chatN`` added as the docs say
    ("add one line to each"): every line naming ``chat2`` or its address, and the block of
    ``chat2``'s own upstream or backend, again for each further node, at the example address
    ``127.0.0.1:808N``."""
    second = EXAMPLE_NODES[1]

    def copies(found: str) -> str:
        return found + "".join(
            found.replace("chat2", f"chat{n}").replace(second, f"127.0.0.1:{8080 + n}")
            for n in range(3, count + 1)
        )

    block = r"^upstream chat_node_chat2 \{\n[^}]*\}\n|^backend chat_node_chat2\n(?:[ \t]+.*\n)+"
    blocks = re.findall(block, text, flags=re.M)
    text = re.sub(block, "@BLOCK@\n", text, flags=re.M)  # a block is copied whole, below
    line = rf"^.*(?:chat2\b|{re.escape(second)}).*\n"
    text = re.sub(line, lambda found: copies(found[0]), text, flags=re.M)
    for found in blocks:
        text = text.replace("@BLOCK@\n", copies(found), 1)
    return text


def rendered(name: str, listen: int, nodes: tuple[int, ...], sticky: bool = True) -> str:
    """The documented configuration with this test's ports, and more nodes than the two
    documented if given. ``sticky=False`` drops the routing on the session id (the control
    that shows what it is for)."""
    text = (DOCS / ("nginx.conf" if name == "nginx" else "haproxy.cfg")).read_text()
    text = _more_nodes(text, len(nodes))
    text = text.replace(EXAMPLE_LISTEN, f"127.0.0.1:{listen}")
    examples = [f"127.0.0.1:{8080 + n}" for n in range(1, len(nodes) + 1)]
    for example, port in zip(examples, nodes, strict=True):
        text = text.replace(example, f"127.0.0.1:{port}")
    if not sticky:
        text = re.sub(r"^\s*~\^chat\d\\\..*$", "", text, flags=re.M)  # nginx map lines
        text = re.sub(r"^\s*use_backend .*$", "", text, flags=re.M)  # haproxy rules
    return text


async def _wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if process.returncode is not None:
            raise RuntimeError(f"the proxy exited with {process.returncode}")
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.025)
    raise RuntimeError("the proxy did not start listening")


@contextlib.asynccontextmanager
async def running_proxy(
    name: str, folder: Path, nodes: tuple[int, ...], sticky: bool = True
) -> AsyncIterator[Proxy]:
    listen = free_port()
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  # a test's tmp folder: instant
    site = rendered(name, listen, nodes, sticky)
    if name == "nginx":
        (folder / "chatserver.conf").write_text(site)
        temps = "".join(
            f"    {kind}_temp_path {folder}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        main = folder / "nginx.conf"
        main.write_text(
            f"pid {folder}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
            f"http {{\n{temps}    include {folder}/chatserver.conf;\n}}\n"
        )
        command = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(folder), "-c",
                   str(main), "-e", "stderr", "-g", "daemon off;"]  # fmt: skip
    else:
        config = folder / "haproxy.cfg"
        config.write_text(site)
        command = [shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(config), "-db"]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        await _wait_listening(listen, process)
        yield Proxy(name, f"http://127.0.0.1:{listen}")
    finally:
        if process.returncode is None:
            process.terminate()  # nginx: fast shutdown of master and workers; haproxy: stop
        await process.wait()
