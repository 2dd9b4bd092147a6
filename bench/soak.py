"""Soak run: a busy night against a real ``chatserver serve``; does its memory level off?

A subprocess runs the server as in production (``python -m chatserver serve``, its SQLite
file in a temporary folder, ``bench/soak.toml``). This process plays the night: volunteers
(30 by default, two chats each), visitors (80 at once: each seat takes the next visitor when
one leaves) and a supervisor on the live floor (``bench/soak_people.py``). Every ``--every``
seconds it reads ``/metrics``: the server's resident memory, open file descriptors, asyncio
tasks, connections, waiting visitors and running totals; one row more, 30 s after everyone
has gone, shows what is given back. The table goes to the terminal, and to a CSV with ``--csv``.

The verdict: after the first quarter (warm-up: caches fill, the first purge runs), the median
memory of the later half of the run may be at most 5% above that of the earlier half; exit
status 1 if not. Open files and tasks follow the load and are reported the same way.

    .venv/bin/python -m bench.soak [--minutes 60] [--volunteers 30] [--visitors 80]
                                   [--every 30] [--csv soak.csv] [--seed 1]

By hand, not in the test suite; ``tests/bench/test_soak.py`` runs it tiny so it cannot rot.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import random
import signal
import socket
import statistics
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.soak_people import PASSWORD, Pace, Supervisor, Tally, Visitor, Volunteer
from chatserver import accounts
from chatserver.backends.embedded import SqliteStore

CONFIG = Path(__file__).with_name("soak.toml")
GROWTH_ALLOWED = 0.05  # the later half's median memory over the earlier half's


@dataclasses.dataclass(frozen=True)
class Plan:
    minutes: float = 60.0
    volunteers: int = 30
    visitors: int = 80
    every: float = 30.0  # seconds between samples
    pace: float = 1.0  # 1.0: people act at human speed
    seed: int = 1
    # after everyone has gone, wait this long before the last sample: engine.io lets a closed
    # connection's tasks end at its next ping (25 s), so what is not given back by then is kept
    settle: float = 30.0


@dataclasses.dataclass(frozen=True)
class Sample:
    minute: float
    rss_mb: float
    fds: int
    tasks: int
    visitors: int
    operators: int
    waiting: int
    started: int
    messages: int
    errors: int
    after: bool = False  # taken after every client had gone

    HEADER = "minute  rss_MB   fds  tasks  visitors  operators  waiting  started  messages  errors"

    def row(self) -> str:
        mark = " (after)" if self.after else ""
        return (
            f"{self.minute:6.1f}  {self.rss_mb:6.1f}  {self.fds:4d}  {self.tasks:5d}  "
            f"{self.visitors:8d}  {self.operators:9d}  {self.waiting:7d}  {self.started:7d}  "
            f"{self.messages:8d}  {self.errors:6d}{mark}"
        )


@dataclasses.dataclass
class Report:
    samples: list[Sample]
    tally: Tally
    crashed: list[str]  # people whose task raised: a bug in the soak or the server
    server_exit: int | None

    def steady(self) -> list[Sample]:
        """The samples under load, after the first quarter's warm-up."""
        during = [s for s in self.samples if not s.after]
        return during[len(during) // 4 :]

    def growth(self) -> float | None:
        """How much the later half's median memory exceeds the earlier half's (0.03: 3%)."""
        steady = self.steady()
        if len(steady) < 4:
            return None
        half = len(steady) // 2
        earlier = statistics.median(s.rss_mb for s in steady[:half])
        later = statistics.median(s.rss_mb for s in steady[half:])
        return later / earlier - 1

    def levelled(self) -> bool:
        growth = self.growth()
        return growth is None or growth <= GROWTH_ALLOWED

    def summary(self) -> list[str]:
        steady = self.steady() or self.samples
        out = []
        for name, unit in (("rss_mb", "MB"), ("fds", ""), ("tasks", "")):
            values = [getattr(s, name) for s in steady]
            out.append(
                f"{name:7s} median {statistics.median(values):7.1f}{unit}  "
                f"min {min(values):7.1f}  max {max(values):7.1f}  (under load, after warm-up)"
            )
        growth = self.growth()
        if growth is None:
            out.append("memory: too few samples to judge levelling off")
        else:
            verdict = "levels off" if self.levelled() else "KEEPS GROWING"
            out.append(f"memory {verdict}: later half {growth:+.1%} against the earlier half")
        t = self.tally
        out.append(
            f"visitors: {t.conversations} conversations, {t.answered} answered, "
            f"{t.gave_up} gave up; {t.sent} messages sent by clients"
        )
        if t.refused:
            out.append(f"refused acks: {dict(t.refused.most_common())}")
        if t.failures:
            out.append(f"client failures: {dict(t.failures.most_common())}")
        if self.crashed:
            out.append(f"crashed people: {self.crashed}")
        out.append(f"server exit status: {self.server_exit}")
        return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ChatServer:
    """``chatserver serve`` as a subprocess on a free loopback port, stopped with Ctrl-C."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = ""
        self.process: asyncio.subprocess.Process | None = None
        self.exit: int | None = None

    async def __aenter__(self) -> ChatServer:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with (self.folder / "server.log").open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "chatserver", "serve", "--config", str(CONFIG),
                "--data", str(self.folder), "--host", "127.0.0.1", "--port", str(port),
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if self.process.returncode is not None:
                    raise RuntimeError(f"the server did not start:\n{self.log_tail()}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server was not healthy within 30 s:\n{self.log_tail()}")

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # as Ctrl-C: a graceful shutdown
        try:
            self.exit = await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            self.exit = await self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = (self.folder / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


async def make_accounts(folder: Path, volunteers: int) -> tuple[list[str], str]:
    """Volunteers with two slots each and a supervisor with a TOTP secret, straight into the
    store the server will open (``chatserver operator add`` would do the same, slower)."""
    store = SqliteStore(folder / "chatserver.db")
    await store.open()
    try:
        names = [f"vrijwilliger{n:02d}" for n in range(volunteers)]
        boss = accounts.new_account("coordinator", PASSWORD, "supervisor", "Coördinator")
        await store.add_account(boss)
        for n, name in enumerate(names):  # one argon2 hash for all: same password, less wait
            await store.add_account(
                dataclasses.replace(
                    boss,
                    id=f"soak{n:02d}",
                    username=name,
                    alias=f"Vrijwilliger {n}",
                    role="volunteer",
                    capacity=2,
                    totp_secret=None,
                )
            )
    finally:
        await store.close()
    assert boss.totp_secret is not None
    return names, boss.totp_secret


async def read_metrics(http: aiohttp.ClientSession, url: str, minute: float) -> Sample:
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = sample.name + "".join(f"|{v}" for v in sample.labels.values())
            found[key] = sample.value

    def total(name: str) -> int:
        return int(sum(v for k, v in found.items() if k == name or k.startswith(name + "|")))

    return Sample(
        minute=minute,
        rss_mb=round(found["process_resident_memory_bytes"] / 2**20, 1),
        fds=total("process_open_fds"),
        tasks=total("chat_asyncio_tasks"),
        visitors=total("chat_connections|/visitor"),
        operators=total("chat_connections|/operator"),
        waiting=total("chat_waiting"),
        started=total("chat_conversations_started_total"),
        messages=total("chat_messages_total"),
        errors=total("chat_errors_total"),
    )


def say(line: str) -> None:
    print(line, flush=True)  # a row as soon as it is read, also into a pipe or a file


async def soak(plan: Plan, out: Callable[[str], None] = say) -> Report:
    pace = Pace(plan.pace, random.Random(plan.seed))
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="chatserver-soak-") as tmp:
        folder = Path(tmp)
        names, otp_secret = await make_accounts(folder, plan.volunteers)
        async with ChatServer(folder) as server:
            loop = asyncio.get_running_loop()
            begin = loop.time()
            until = begin + plan.minutes * 60

            def minute() -> float:
                return (loop.time() - begin) / 60

            staff: list[Volunteer | Supervisor] = [
                Volunteer(server.url, name, pace, tally) for name in names
            ]
            staff.append(Supervisor(server.url, "coordinator", otp_secret, pace, tally))
            people: dict[asyncio.Task[None], str] = {
                asyncio.create_task(person.run(until)): type(person).__name__ for person in staff
            }
            for seat in range(plan.visitors):  # the evening fills up over its first minute
                visitor = Visitor(server.url, pace, tally)
                arrive = pace.wait(0, 60)
                people[asyncio.create_task(_after(arrive, visitor.run(until)))] = f"seat {seat}"
            samples: list[Sample] = []
            out(Sample.HEADER)
            async with aiohttp.ClientSession() as http:
                while True:
                    samples.append(await read_metrics(http, server.url, minute()))
                    out(samples[-1].row())
                    if loop.time() >= until:
                        break
                    await asyncio.sleep(min(plan.every, until - loop.time()))
                # people finish what they are doing; then whoever is left is sent home
                done, pending = await asyncio.wait(people, timeout=30 + 20 * plan.pace)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                crashed = [
                    f"{people[t]}: {t.exception()!r}"
                    for t in done
                    if not t.cancelled() and t.exception() is not None
                ]
                after = await read_metrics(http, server.url, minute())
                for _ in range(100):  # let the server notice the last hang-ups (10 s at most)
                    if after.visitors == after.operators == 0:
                        break
                    await asyncio.sleep(0.1)
                    after = await read_metrics(http, server.url, minute())
                await asyncio.sleep(plan.settle)
                after = await read_metrics(http, server.url, minute())
                samples.append(dataclasses.replace(after, after=True))
                out(samples[-1].row())
        return Report(samples, tally, crashed, server.exit)


async def _after(delay: float, work: Coroutine[Any, Any, None]) -> None:
    await asyncio.sleep(delay)
    await work


def write_csv(path: Path, samples: list[Sample]) -> None:
    fields = [f.name for f in dataclasses.fields(Sample)]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(fields)
        for sample in samples:
            row = dataclasses.replace(sample, minute=round(sample.minute, 2))
            writer.writerow([getattr(row, name) for name in fields])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument("--volunteers", type=int, default=30)
    parser.add_argument("--visitors", type=int, default=80, help="visitors at once")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--csv", type=Path, help="also write the samples to this CSV file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plan = Plan(args.minutes, args.volunteers, args.visitors, args.every, seed=args.seed)
    report = asyncio.run(soak(plan))
    if args.csv:
        write_csv(args.csv, report.samples)
    print()
    for line in report.summary():
        print(line)
    return 0 if report.levelled() and not report.crashed else 1


if __name__ == "__main__":
    raise SystemExit(main())
