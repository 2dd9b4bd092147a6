"""The benchmark suite of issue 14: the server in a process of its own, measured against two
baselines, with the load generated in other processes. One command per scenario:

    .venv/bin/python -m bench.suite closed    # N conversations ping-ponging: round trips/s
    .venv/bin/python -m bench.suite open      # a fixed message rate: delivery latency
    .venv/bin/python -m bench.suite capacity  # K visitors waiting: join time, memory, routing
    .venv/bin/python -m bench.suite startup   # restart with N open conversations
    .venv/bin/python -m bench.suite nodes     # the relay over 1, 2, 3 nodes on one Redis

Each prints one line per round as it is measured, then the medians (and the ratios of the
medians); ``--json FILE`` also writes every raw number. ``--help`` on each lists its sizes.
bench/README.md says what each measures and how. Timing never goes into a pass/fail test;
``tests/bench/test_suite.py`` runs every scenario tiny so none can rot.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs, report
from bench.load import SAY, TIMEOUT, WRAPUP, login, new_session, raise_file_limit
from bench.procs import Generator, Service
from bench.report import Say, say
from bench.wire import Socket

BASELINES = ("raw", "sio")
LEAD = 0.3  # seconds between sending a round's command and its start, for every worker to have it


@dataclass
class Target:
    """What a round measures: a baseline, the server, or the nodes of the distributed mode."""

    name: str
    urls: list[str]
    pids: list[int]  # the processes whose CPU time counts as the target's
    server: bool  # the chat server: volunteers log in, visitors start; else a baseline
    redis_pid: int | None = None


@dataclass
class Run:
    """What every scenario shares: its folder, the load generator and an HTTP session."""

    folder: Path
    gen: Generator
    http: aiohttp.ClientSession
    out: Say


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def running(
    scenario: Callable[[Run], Coroutine[Any, Any, dict[str, Any]]], workers: int, out: Say
) -> dict[str, Any]:
    """Run ``scenario`` in a fresh folder with ``workers`` load-generator processes."""
    raise_file_limit()  # the servers and workers started from here inherit it
    with tempfile.TemporaryDirectory(prefix="chatserver-bench-") as tmp:
        folder = Path(tmp)
        async with Generator(workers, folder) as gen, new_session() as http:
            return await scenario(Run(folder, gen, http, out))


# ----------------------------------------------------------------------------- relay: setup


async def setup(run: Run, target: Target, conversations: int, names: Sequence[str]) -> None:
    """``conversations`` chats, each a visitor and a volunteer, across the workers."""
    split = run.gen.split(conversations)
    if not target.server:
        await run.gen.each(
            [
                {"op": "pairs", "target": target.name, "url": target.urls[0], "first": f,
                 "count": c}
                for f, c in split
            ]
        )  # fmt: skip
        return
    # every volunteer available first (one chat each), then the visitors, each assigned
    await run.gen.each(
        [
            {"op": "volunteers", "target": target.name, "urls": target.urls, "first": f,
             "names": list(names[f : f + c]), "available": True}
            for f, c in split
        ]
    )  # fmt: skip
    answers = await run.gen.each(
        [
            {"op": "visitors", "target": target.name, "urls": target.urls, "first": f,
             "count": c, "lines": ["chat"], "assigned": True}
            for f, c in split
        ]
    )  # fmt: skip
    started = sum(a["started"] for a in answers)
    if started != conversations:
        errors = [a["errors"] for a in answers]
        raise RuntimeError(f"{target.name}: {started} of {conversations} started: {errors}")


async def teardown(run: Run, target: Target) -> None:
    """The visitors leave, the volunteers end their chats, every socket closes."""
    for op in ("leave", "end", "close") if target.server else ("close",):
        await run.gen.all({"op": op, "target": target.name})


# ----------------------------------------------------------------------------- relay: rounds


@dataclass
class Sample:
    at: float
    cpu: float
    gen_cpu: float
    redis_cpu: float
    metrics: dict[str, float] = field(default_factory=dict)


async def sample(run: Run, target: Target) -> Sample:
    found: Counter[str] = Counter()
    if target.server:
        for url in target.urls:
            found.update(await procs.metrics(run.http, url))
    return Sample(
        at=time.monotonic(),
        cpu=sum(procs.cpu_seconds(pid) for pid in target.pids),
        gen_cpu=sum(procs.cpu_seconds(pid) for pid in run.gen.pids),
        redis_cpu=procs.cpu_seconds(target.redis_pid) if target.redis_pid else 0.0,
        metrics=dict(found),
    )


def usage(before: Sample, after: Sample, target: Target) -> dict[str, Any]:
    """CPU of the target and of the generator (100 = one core busy), and the server's own
    counts: messages stored, and the store's writes and commits a second."""
    wall = after.at - before.at
    row: dict[str, Any] = {
        "cpu_pct": round(100 * (after.cpu - before.cpu) / wall, 1),
        "gen_cpu_pct": round(100 * (after.gen_cpu - before.gen_cpu) / wall, 1),
    }
    if target.redis_pid:
        row["redis_cpu_pct"] = round(100 * (after.redis_cpu - before.redis_cpu) / wall, 1)
    if target.server:

        def delta(name: str) -> float:
            return after.metrics.get(name, 0.0) - before.metrics.get(name, 0.0)

        row["messages"] = int(delta("chat_messages_total"))
        row["writes_s"] = round(delta("chat_store_writes_total") / wall, 1)
        row["commits_s"] = round(delta("chat_store_commit_seconds_count") / wall, 1)
    return row


def merged(answers: Sequence[dict[str, Any]]) -> dict[str, int]:
    errors: Counter[str] = Counter()
    for answer in answers:
        errors.update(answer.get("errors", {}))
    return dict(errors)


def ms(values: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}{k}_ms": round(v * 1000, 2) for k, v in values.items()}


async def closed_round(run: Run, target: Target, seconds: float, warmup: float) -> dict[str, Any]:
    """Every visitor sends, waits for the volunteer's answer, sends again; round trips that
    end within the ``seconds`` after ``warmup`` count."""
    before = await sample(run, target)
    start = time.monotonic() + LEAD
    window = {"start": start, "count_from": start + warmup, "stop": start + warmup + seconds}
    answers = await run.gen.all({"op": "closed", "target": target.name, **window})
    after = await sample(run, target)
    rtts = [x for a in answers for x in a["rtts"]]
    trips = sum(a["round_trips"] for a in answers)
    return {
        "target": target.name,
        "round_trips_s": round(trips / seconds, 1),
        **ms(report.percentiles(rtts, (50, 99)), "rtt_"),
        **usage(before, after, target),
        "round_trips": trips,
        "errors": merged(answers),
        "rtts": rtts,
    }


async def open_round(
    run: Run, target: Target, rate: float, conversations: int, seconds: float, warmup: float
) -> dict[str, Any]:
    """``rate`` messages a second over all visitors, each on a clock of its own; latency from
    the scheduled send time to delivery at the volunteer."""
    before = await sample(run, target)
    start = time.monotonic() + LEAD
    answers = await run.gen.all(
        {"op": "open", "target": target.name, "start": start, "count_from": start + warmup,
         "stop": start + warmup + seconds, "rate": rate / conversations, "total": conversations}
    )  # fmt: skip
    sent = sum(a["sent"] for a in answers)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:  # the last messages are on their way
        counts = await run.gen.all({"op": "delivered", "target": target.name})
        if sum(c["delivered"] for c in counts) >= sent:
            break
        await asyncio.sleep(0.05)
    after = await sample(run, target)
    collected = await run.gen.all({"op": "collect", "target": target.name})
    latencies = [x for c in collected for x in c["latencies"]]
    in_window = sum(a["sent_in_window"] for a in answers)
    return {
        "target": target.name,
        "sent_s": round(in_window / seconds, 1),
        "delivered": len(latencies),
        "lost": in_window - len(latencies),
        **ms(report.percentiles(latencies), ""),
        "late_ms": round(1000 * max(a["late_max"] for a in answers), 2),
        **usage(before, after, target),
        "errors": merged(answers),
        "latencies": latencies,
    }


# ----------------------------------------------------------------------------- closed / open


@dataclass(frozen=True)
class RelayPlan:
    mode: str = "closed"  # "closed": round trips/s; "open": latency at a fixed rate
    conversations: int = 50
    seconds: float = 10.0  # measured per round, after the warm-up
    warmup: float = 2.0
    rounds: int = 5
    rate: float = 1000.0  # open loop: messages a second over all conversations
    workers: int = 2
    targets: tuple[str, ...] = ("raw", "sio", "server")


CLOSED_COLUMNS = (
    "round", "target", "round_trips_s", "rtt_p50_ms", "rtt_p99_ms", "cpu_pct", "gen_cpu_pct",
    "messages", "writes_s", "commits_s",
)  # fmt: skip
CLOSED_KEYS = ("round_trips_s", "rtt_p50_ms", "rtt_p99_ms", "cpu_pct")
OPEN_COLUMNS = (
    "round", "target", "sent_s", "lost", "p50_ms", "p90_ms", "p99_ms", "max_ms", "late_ms",
    "cpu_pct", "gen_cpu_pct", "writes_s", "commits_s",
)  # fmt: skip
OPEN_KEYS = ("sent_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "cpu_pct")


async def relay(plan: RelayPlan, out: Say = say) -> dict[str, Any]:
    """The closed or open loop against the baselines and the server, in alternating rounds."""

    async def scenario(run: Run) -> dict[str, Any]:
        services: list[Service] = []
        targets: list[Target] = []
        try:
            names: list[str] = []
            for kind in plan.targets:
                if kind == "server":
                    data = run.folder / "server"
                    data.mkdir()
                    names = await procs.sqlite_volunteers(data, plan.conversations)
                    service = procs.chatserver(data)
                else:
                    service = procs.baseline(kind, run.folder)
                services.append(service)
                await service.start()
                targets.append(Target(kind, [service.url], [service.pid], kind == "server"))
            for target in targets:
                await setup(run, target, plan.conversations, names)
            return await rounds(run, plan, targets)
        finally:
            for service in services:
                await service.stop()

    return await running(scenario, plan.workers, out)


async def rounds(run: Run, plan: RelayPlan, targets: list[Target]) -> dict[str, Any]:
    closed = plan.mode == "closed"
    columns, keys = (CLOSED_COLUMNS, CLOSED_KEYS) if closed else (OPEN_COLUMNS, OPEN_KEYS)
    what = (
        f"closed loop, {plan.conversations} conversations"
        if closed
        else f"open loop, {plan.rate:g} messages/s over {plan.conversations} conversations"
    )
    run.out(
        f"{what}; {plan.seconds:g} s a round after {plan.warmup:g} s warm-up; "
        f"{plan.rounds} rounds of {', '.join(t.name for t in targets)}; "
        f"{plan.workers} load-generator processes"
    )
    run.out(report.header(columns))
    rows: list[dict[str, Any]] = []
    for number in range(1, plan.rounds + 1):
        for target in targets:  # alternating, so drift in the machine hits every target alike
            if closed:
                row = await closed_round(run, target, plan.seconds, plan.warmup)
            else:
                row = await open_round(
                    run, target, plan.rate, plan.conversations, plan.seconds, plan.warmup
                )
            row["round"] = number
            rows.append(row)
            run.out(report.line(row, columns))
            if row["errors"]:
                run.out(f"  errors: {row['errors']}")
    for target in targets:
        await teardown(run, target)
    servers = [t.name for t in targets if t.server]
    against = [(s, b) for s in servers for b in (t.name for t in targets if not t.server)]
    medians, ratios = report.summary(rows, "target", keys, against)
    for text in report.medians_table(medians, "target", keys, ratios):
        run.out(text)
    return {
        "scenario": plan.mode,
        "plan": dataclasses.asdict(plan),
        "machine": machine(),
        "rounds": rows,
        "medians": medians,
        "ratios": ratios,
    }


# ----------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class CapacityPlan:
    visitors: int = 10_000
    lines: tuple[int, ...] = (1, 10)  # all on one line, then spread across this many
    assignments: int = 50  # times the volunteer frees its slot and takes the next visitor
    rounds: int = 3
    concurrency: int = 100  # starts in flight per load-generator process
    workers: int = 2


CAPACITY_COLUMNS = (
    "round", "lines", "visitors", "join_s", "starts_s", "waiting", "rss_mb", "kb_per_visitor",
    "available_ms", "free_p50_ms", "free_p99_ms", "free_max_ms",
)  # fmt: skip
CAPACITY_KEYS = (
    "join_s", "starts_s", "kb_per_visitor", "available_ms", "free_p50_ms", "free_p99_ms",
)  # fmt: skip


async def free_slots(
    http: aiohttp.ClientSession, url: str, name: str, times: int
) -> dict[str, Any]:
    """A volunteer goes available and takes a visitor; then ends the chat ``times`` times,
    each time timing from sending ``end`` (which frees its one slot) to the ``assigned`` of
    the next visitor."""
    sock = Socket("/operator", TIMEOUT)
    ready = asyncio.Event()
    assigned: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
    sock.on("status", lambda data: ready.set())
    sock.on("assigned", lambda d: assigned.put_nowait((time.monotonic(), d["conversation"]["id"])))
    await sock.connect(http, url, headers={"Cookie": await login(http, url, name)})
    try:
        await asyncio.wait_for(ready.wait(), TIMEOUT)
        sent = time.monotonic()
        await sock.call("status", {"state": "available"})
        at, current = await asyncio.wait_for(assigned.get(), TIMEOUT)
        first = at - sent
        waits = []
        for _ in range(times):
            sent = time.monotonic()
            answer = await sock.call("end", {"conversation_id": current, "wrapup": WRAPUP})
            if not answer.get("ok"):
                raise RuntimeError(f"end refused: {answer}")
            at, current = await asyncio.wait_for(assigned.get(), TIMEOUT)
            waits.append(at - sent)
    finally:
        await sock.close()
    return {"available_ms": round(first * 1000, 2), **ms(report.percentiles(waits), "free_")}


async def capacity(plan: CapacityPlan, out: Say = say) -> dict[str, Any]:
    """K visitors join and wait with nobody on duty: how long joining takes, the server's
    memory per waiting visitor, and how fast a freed slot is given to the next visitor."""

    async def scenario(run: Run) -> dict[str, Any]:
        run.out(
            f"capacity: {plan.visitors} visitors waiting, on "
            f"{' and on '.join(map(str, plan.lines))} line(s); {plan.assignments} freed slots; "
            f"{plan.rounds} rounds; "
            f"{plan.workers} load-generator processes, {plan.concurrency} starts in flight each"
        )
        run.out(report.header(CAPACITY_COLUMNS))
        rows = []
        for number in range(1, plan.rounds + 1):
            joins = [baseline_join(run, plan, f"c{number}-sio")]
            joins += [capacity_round(run, plan, n, f"c{number}-{n}") for n in plan.lines]
            for join in joins:
                row = await join
                row["round"] = number
                rows.append(row)
                run.out(report.line(row, CAPACITY_COLUMNS))
                if row["errors"]:
                    run.out(f"  errors: {row['errors']}")
        medians, _ = report.summary(rows, "lines", CAPACITY_KEYS)
        against = [(n, "sio") for n in plan.lines]  # joining: the bare stack's is the ceiling
        _, ratios = report.summary(rows, "lines", ("join_s", "starts_s"), against)
        for text in report.medians_table(medians, "lines", CAPACITY_KEYS, ratios):
            run.out(text)
        return {
            "scenario": "capacity",
            "plan": dataclasses.asdict(plan),
            "machine": machine(),
            "rounds": rows,
            "medians": medians,
            "ratios": ratios,
        }

    return await running(scenario, plan.workers, out)


async def baseline_join(run: Run, plan: CapacityPlan, name: str) -> dict[str, Any]:
    """The same joins against the bare python-socketio baseline (connect, ``start`` with its
    acknowledgement, one ``queue`` event): what joining costs this stack with no work done.
    Its row's "lines" is ``sio``."""
    service = procs.baseline("sio", run.folder)
    await service.start()
    try:
        await asyncio.sleep(0.5)
        rss_before = procs.rss_bytes(service.pid)
        row = await join(run, plan, name, service.url, procs.line_ids(1))
        rss_after = procs.rss_bytes(service.pid)
    finally:
        await run.gen.all({"op": "close", "target": name})
        await service.stop()
    kb = round((rss_after - rss_before) / 1024 / max(1, row["visitors"]), 1)
    return {"lines": "sio", **row, "rss_mb": round(rss_after / 2**20, 1), "kb_per_visitor": kb}


async def join(
    run: Run, plan: CapacityPlan, name: str, url: str, lines: list[str]
) -> dict[str, Any]:
    """``plan.visitors`` visitors connect and start, from the generator processes."""
    answers = await run.gen.each(
        [
            {"op": "visitors", "target": name, "urls": [url], "first": f, "count": c,
             "lines": lines, "concurrency": plan.concurrency}
            for f, c in run.gen.split(plan.visitors)
        ]
    )  # fmt: skip
    started = sum(a["started"] for a in answers)
    began = min(a["began"] for a in answers if a["began"] is not None)
    answered = max(a["answered"] for a in answers if a["answered"] is not None)
    took = answered - began
    return {
        "visitors": started,
        "join_s": round(took, 3),
        "starts_s": round(started / took, 1) if took > 0 else None,
        "errors": merged(answers),
    }


async def capacity_round(run: Run, plan: CapacityPlan, lines: int, name: str) -> dict[str, Any]:
    data = run.folder / name
    data.mkdir()
    config = procs.config_with_lines(data, lines)
    [volunteer] = await procs.sqlite_volunteers(data, 1)
    server = await procs.chatserver(data, config).start()
    try:
        await asyncio.sleep(0.5)  # the server at rest, before anyone comes
        rss_before = procs.rss_bytes(server.pid)
        joined = await join(run, plan, name, server.url, procs.line_ids(lines))
        await asyncio.sleep(1.0)  # the last queue updates go out
        waiting = (await procs.metrics(run.http, server.url)).get("chat_waiting", 0.0)
        rss_after = procs.rss_bytes(server.pid)
        times = min(plan.assignments, max(0, joined["visitors"] - 1))
        slots = await free_slots(run.http, server.url, volunteer, times)
    finally:
        await run.gen.all({"op": "close", "target": name})
        await server.stop()
    errors = joined.pop("errors")
    return {
        "lines": lines,
        **joined,
        "waiting": int(waiting),
        "rss_mb": round(rss_after / 2**20, 1),
        "kb_per_visitor": round((rss_after - rss_before) / 1024 / max(1, joined["visitors"]), 1),
        **slots,
        "errors": errors,
    }


# ----------------------------------------------------------------------------- start-up


@dataclass(frozen=True)
class StartupPlan:
    conversations: int = 10_000
    rounds: int = 3
    kill: bool = True  # stop with SIGKILL (a crash); False: SIGTERM (a drained stop)
    concurrency: int = 100
    workers: int = 2


STARTUP_COLUMNS = ("round", "store", "open", "listening_s", "healthy_s", "waiting")
STARTUP_KEYS = ("listening_s", "healthy_s")


async def startup(plan: StartupPlan, out: Say = say) -> dict[str, Any]:
    """A store with N open conversations (made through the server, which is then killed) and
    an empty one, restarted in turn: the time from starting the process to listening and to
    ``/healthz`` answering 200, and the waiting visitors the restarted server knows."""
    stop = signal.SIGKILL if plan.kill else signal.SIGTERM

    async def scenario(run: Run) -> dict[str, Any]:
        full, empty = run.folder / "full", run.folder / "empty"
        full.mkdir()
        empty.mkdir()
        server = await procs.chatserver(full, name="fill").start()
        try:
            answers = await run.gen.each(
                [
                    {"op": "visitors", "target": "fill", "urls": [server.url], "first": f,
                     "count": c, "lines": ["chat"], "concurrency": plan.concurrency, "say": SAY}
                    for f, c in run.gen.split(plan.conversations)
                ]
            )  # fmt: skip
        finally:
            await server.stop(stop)
            await run.gen.all({"op": "close", "target": "fill"})
        made = sum(a["started"] for a in answers)
        await (await procs.chatserver(empty, name="init").start()).stop(stop)
        run.out(
            f"start-up: a store with {made} open conversations (each with a message) and an "
            f"empty one, stopped with {stop.name}; {plan.rounds} rounds"
        )
        run.out(report.header(STARTUP_COLUMNS))
        rows = []
        for number in range(1, plan.rounds + 1):
            for store, folder, count in (("empty", empty, 0), ("full", full, made)):
                row = await restart(run, folder, f"{store}{number}", stop)
                row |= {"round": number, "store": store, "open": count}
                rows.append(row)
                run.out(report.line(row, STARTUP_COLUMNS))
        medians, ratios = report.summary(rows, "store", STARTUP_KEYS, [("full", "empty")])
        for text in report.medians_table(medians, "store", STARTUP_KEYS, ratios):
            run.out(text)
        return {
            "scenario": "startup",
            "plan": dataclasses.asdict(plan),
            "machine": machine(),
            "errors": merged(answers),
            "rounds": rows,
            "medians": medians,
            "ratios": ratios,
        }

    return await running(scenario, plan.workers, out)


async def restart(run: Run, folder: Path, name: str, stop: int) -> dict[str, Any]:
    server = await procs.chatserver(folder, name=name).start()
    try:
        ready = await procs.until_healthy(run.http, server.url)
        waiting = (await procs.metrics(run.http, server.url)).get("chat_waiting", 0.0)
    finally:
        await server.stop(stop)
    return {
        "listening_s": round(server.listening - server.spawned, 3),
        "healthy_s": round(ready - server.spawned, 3),
        "waiting": int(waiting),
    }


# ----------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class NodesPlan:
    nodes: tuple[int, ...] = (1, 2, 3)
    conversations: int = 50
    seconds: float = 10.0
    warmup: float = 2.0
    rounds: int = 3
    rate: float | None = None  # None: the closed loop; else the open loop at this rate
    workers: int = 2


async def nodes(plan: NodesPlan, out: Say = say) -> dict[str, Any]:
    """The relay over 1, 2, 3 ... nodes on one redis-server (production persistence), the
    generator connecting to the nodes round robin; every measurement on a fresh Redis."""
    closed = plan.rate is None
    columns = ("nodes", *(CLOSED_COLUMNS if closed else OPEN_COLUMNS)[2:], "redis_cpu_pct")
    keys = (CLOSED_KEYS if closed else OPEN_KEYS) + ("redis_cpu_pct",)

    async def scenario(run: Run) -> dict[str, Any]:
        what = "closed loop" if closed else f"open loop at {plan.rate:g} messages/s"
        run.out(
            f"nodes: {what}, {plan.conversations} conversations over "
            f"{', '.join(map(str, plan.nodes))} node(s) on one Redis; {plan.seconds:g} s a "
            f"round after {plan.warmup:g} s warm-up; {plan.rounds} rounds; "
            f"{plan.workers} load-generator processes"
        )
        run.out(report.header(("round", *columns)))
        rows = []
        for number in range(1, plan.rounds + 1):
            for count in plan.nodes:
                row = await nodes_round(run, plan, count, f"r{number}n{count}")
                row |= {"round": number, "nodes": count}
                rows.append(row)
                run.out(report.line(row, ("round", *columns)))
                if row["errors"]:
                    run.out(f"  errors: {row['errors']}")
        medians, _ = report.summary(rows, "nodes", keys)
        for text in report.medians_table(medians, "nodes", keys):
            run.out(text)
        first = keys[0]
        one = medians[0][first] if medians else None
        for median in medians[1:]:
            value = report.ratio(median[first], one)
            if value is not None:
                run.out(f"{median['nodes']} nodes / {medians[0]['nodes']}: {first} {value:.2f}x")
        return {
            "scenario": "nodes",
            "plan": dataclasses.asdict(plan),
            "machine": machine(),
            "rounds": rows,
            "medians": medians,
        }

    return await running(scenario, plan.workers, out)


async def nodes_round(run: Run, plan: NodesPlan, count: int, name: str) -> dict[str, Any]:
    folder = run.folder / name
    redis = await procs.Redis(folder / "redis").start()
    services: list[Service] = []
    try:
        names = await procs.redis_volunteers(redis.url, plan.conversations)
        services = [procs.node(folder, redis.url, f"n{n + 1}") for n in range(count)]
        await services[0].start()  # the first node records the configuration
        await asyncio.gather(*(service.start() for service in services[1:]))
        assert redis.process is not None
        target = Target(
            name,
            [s.url for s in services],
            [s.pid for s in services],
            server=True,
            redis_pid=redis.process.pid,
        )
        await setup(run, target, plan.conversations, names)
        if plan.rate is None:
            row = await closed_round(run, target, plan.seconds, plan.warmup)
        else:
            row = await open_round(
                run, target, plan.rate, plan.conversations, plan.seconds, plan.warmup
            )
        await run.gen.all({"op": "close", "target": name})
    finally:
        for service in services:
            await service.stop()
        await redis.stop()
    return row


# ----------------------------------------------------------------------------- command line


def numbers(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    commands = top.add_subparsers(dest="scenario", required=True)

    def common(command: argparse.ArgumentParser, rounds: int) -> None:
        command.add_argument("--rounds", type=int, default=rounds)
        command.add_argument("--workers", type=int, default=2, help="load-generator processes")
        command.add_argument("--json", type=Path, help="also write every raw number here")

    def loop(command: argparse.ArgumentParser, conversations: int) -> None:
        command.add_argument("--conversations", type=int, default=conversations)
        command.add_argument("--seconds", type=float, default=10.0, help="measured per round")
        command.add_argument("--warmup", type=float, default=2.0, help="seconds before that")

    closed = commands.add_parser("closed", help="round trips/s, closed loop")
    loop(closed, 50)
    closed.add_argument("--targets", default="raw,sio,server")
    common(closed, 5)
    opened = commands.add_parser("open", help="latency at a fixed rate, open loop")
    loop(opened, 200)
    opened.add_argument("--rate", type=float, default=1000.0, help="messages/s in all")
    opened.add_argument("--targets", default="raw,sio,server")
    common(opened, 5)
    cap = commands.add_parser("capacity", help="visitors waiting: join, memory, routing")
    cap.add_argument("--visitors", type=int, default=10_000)
    cap.add_argument("--lines", type=numbers, default=(1, 10), help="e.g. 1,10")
    cap.add_argument("--assignments", type=int, default=50)
    cap.add_argument("--concurrency", type=int, default=100, help="starts in flight a worker")
    common(cap, 3)
    start = commands.add_parser("startup", help="restart with N open conversations")
    start.add_argument("--conversations", type=int, default=10_000)
    start.add_argument("--stop", choices=("kill", "term"), default="kill")
    start.add_argument("--concurrency", type=int, default=100)
    common(start, 3)
    spread = commands.add_parser("nodes", help="the relay over 1, 2, 3 nodes on one Redis")
    loop(spread, 50)
    spread.add_argument("--nodes", type=numbers, default=(1, 2, 3), help="e.g. 1,2,3")
    spread.add_argument("--rate", type=float, help="the open loop at this rate instead")
    common(spread, 3)
    return top


Plan = RelayPlan | CapacityPlan | StartupPlan | NodesPlan


def plan_from(args: argparse.Namespace) -> Plan:
    if args.scenario in ("closed", "open"):
        return RelayPlan(
            args.scenario, args.conversations, args.seconds, args.warmup, args.rounds,
            getattr(args, "rate", RelayPlan.rate), args.workers, tuple(args.targets.split(",")),
        )  # fmt: skip
    if args.scenario == "capacity":
        return CapacityPlan(
            args.visitors, args.lines, args.assignments, args.rounds, args.concurrency,
            args.workers,
        )  # fmt: skip
    if args.scenario == "startup":
        return StartupPlan(
            args.conversations, args.rounds, args.stop == "kill", args.concurrency, args.workers
        )
    return NodesPlan(
        args.nodes, args.conversations, args.seconds, args.warmup, args.rounds, args.rate,
        args.workers,
    )  # fmt: skip


async def measure(plan: Plan, out: Say = say) -> dict[str, Any]:
    """Run the scenario ``plan`` describes; every raw number, as ``--json`` writes it."""
    match plan:
        case RelayPlan():
            return await relay(plan, out)
        case CapacityPlan():
            return await capacity(plan, out)
        case StartupPlan():
            return await startup(plan, out)
        case NodesPlan():
            return await nodes(plan, out)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result = asyncio.run(measure(plan_from(args)))
    if args.json:
        report.write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
