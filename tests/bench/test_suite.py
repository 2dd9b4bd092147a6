"""Every scenario of the benchmark suite (``bench/suite.py``) at a tiny size, so none can rot.

Each runs as by hand: the servers and the load generator in processes of their own. A test
checks that every round of every target produced its numbers, that the server really did the
work (relayed the messages, stored them, queued and assigned the visitors, recovered the
conversations), and that the report can be written; never how fast anything was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import report
from bench.suite import (
    CapacityPlan,
    NodesPlan,
    RelayPlan,
    StartupPlan,
    measure,
    parser,
    plan_from,
)


def quiet(line: str) -> None:
    pass


LOOP: dict[str, Any] = {"conversations": 3, "seconds": 0.5, "warmup": 0.2, "rounds": 2}
TARGETS = ["raw", "sio", "server"]


def every_round(result: dict[str, Any], key: str, values: list[Any]) -> list[dict[str, Any]]:
    """The rounds, checked to be numbered 1, 2 ... and to cover ``values`` of ``key`` each."""
    rounds = result["rounds"]
    plan = result["plan"]
    expected = [(n, v) for n in range(1, plan["rounds"] + 1) for v in values]
    assert [(r["round"], r[key]) for r in rounds] == expected
    assert [m[key] for m in result["medians"]] == values
    assert all(m["rounds"] == plan["rounds"] for m in result["medians"])
    json.dumps(result)  # every raw number can be written with --json
    return list(rounds)


async def test_the_closed_loop_counts_round_trips_through_every_target(tmp_path: Path) -> None:
    lines: list[str] = []
    result = await measure(RelayPlan("closed", workers=2, **LOOP), lines.append)

    for row in every_round(result, "target", TARGETS):
        assert row["errors"] == {}, row
        assert row["round_trips"] > 0 and len(row["rtts"]) == row["round_trips"]
        assert row["round_trips_s"] > 0 and row["rtt_p50_ms"] > 0 and row["rtt_p99_ms"] > 0
        assert row["cpu_pct"] >= 0 and row["gen_cpu_pct"] > 0
        if row["target"] == "server":  # it stored both messages of every round trip
            assert row["messages"] >= 2 * row["round_trips"]
            assert row["writes_s"] > 0 and row["commits_s"] > 0
    assert [r.split(" (")[0] for r in result["ratios"]] == ["server/raw", "server/sio"]
    assert lines[1].split() == list(report.header(lines[1].split()).split())
    assert any(line.startswith("server/sio") for line in lines)

    report.write_json(tmp_path / "closed.json", result)
    assert json.loads((tmp_path / "closed.json").read_text())["scenario"] == "closed"


async def test_the_open_loop_times_every_message_from_its_schedule() -> None:
    plan = RelayPlan("open", rate=40, workers=1, **LOOP)
    result = await measure(plan, quiet)

    for row in every_round(result, "target", TARGETS):
        assert row["errors"] == {}, row
        assert row["sent_s"] > 0 and row["lost"] == 0
        assert row["delivered"] == len(row["latencies"]) > 0
        assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] <= row["max_ms"]
        if row["target"] == "server":
            assert row["writes_s"] > 0


async def test_the_capacity_scenario_queues_visitors_and_assigns_freed_slots() -> None:
    plan = CapacityPlan(visitors=12, lines=(1, 3), assignments=3, rounds=2, concurrency=4)
    result = await measure(plan, quiet)

    rows = every_round(result, "lines", ["sio", 1, 3])
    for row in rows:
        assert row["errors"] == {}, row
        assert row["visitors"] == 12 and row["join_s"] > 0 and row["starts_s"] > 0
    assert [r.split(" ")[0] for r in result["ratios"]] == ["1/sio", "3/sio"]
    for row in (row for row in rows if row["lines"] != "sio"):  # the server's rounds
        assert row["waiting"] == 12  # all started, all waiting: no volunteer
        assert row["rss_mb"] > 0 and row["kb_per_visitor"] is not None
        assert row["available_ms"] > 0  # the volunteer went available and got a visitor
        assert 0 < row["free_p50_ms"] <= row["free_p99_ms"] <= row["free_max_ms"]


async def test_the_startup_scenario_restarts_with_the_conversations_recovered() -> None:
    plan = StartupPlan(conversations=10, rounds=2, concurrency=5, workers=1)
    result = await measure(plan, quiet)

    assert result["errors"] == {}
    for row in every_round(result, "store", ["empty", "full"]):
        assert row["waiting"] == row["open"] == (10 if row["store"] == "full" else 0)
        assert 0 < row["listening_s"] <= row["healthy_s"]
    assert result["ratios"][0].startswith("full/empty")


async def test_the_nodes_scenario_relays_over_one_and_two_nodes_on_one_redis() -> None:
    plan = NodesPlan(nodes=(1, 2), conversations=4, seconds=0.5, warmup=0.2, rounds=2)
    result = await measure(plan, quiet)

    for row in every_round(result, "nodes", [1, 2]):
        assert row["errors"] == {}, row
        assert row["round_trips"] > 0 and row["messages"] >= 2 * row["round_trips"]
        assert row["redis_cpu_pct"] > 0  # the messages went through Redis


def test_the_command_line_names_every_scenario_and_its_sizes() -> None:
    def plan(*argv: str) -> object:
        return plan_from(parser().parse_args(list(argv)))

    assert plan("closed") == RelayPlan()
    assert plan("open", "--rate", "500", "--targets", "sio,server") == RelayPlan(
        "open", conversations=200, rate=500, targets=("sio", "server")
    )
    assert plan("capacity", "--visitors", "3000", "--lines", "1,20") == CapacityPlan(
        visitors=3000, lines=(1, 20)
    )
    assert plan("startup", "--stop", "term") == StartupPlan(kill=False)
    assert plan("nodes", "--nodes", "1,2", "--rate", "300") == NodesPlan(nodes=(1, 2), rate=300)
