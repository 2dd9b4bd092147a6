"""The soak run (``bench/soak.py``) at a tiny size, so the hour-long run cannot rot unnoticed.

The real run is by hand (an hour of a busy night); this one plays a few volunteers and
visitors at many times human speed for a few seconds against the same ``chatserver serve``
subprocess, and checks that the run works end to end, not how the figures come out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bench.soak import Plan, soak, write_csv

TINY = Plan(minutes=0.1, volunteers=3, visitors=5, every=1.0, pace=0.03, settle=0.0)


async def test_a_tiny_soak_run_measures_a_real_server(tmp_path: Path) -> None:
    """A few seconds of chats on a real server subprocess: memory, open files and tasks are
    sampled from /metrics, the chats really happened, nobody crashed, the server stopped
    cleanly, and the samples can be written as CSV."""
    lines: list[str] = []
    report = await soak(TINY, lines.append)

    assert report.crashed == [] and report.server_exit == 0
    assert len(report.samples) >= 4 and report.samples[-1].after
    assert all(s.rss_mb > 0 and s.fds > 0 and s.tasks > 0 for s in report.samples)
    busiest = max(report.samples, key=lambda s: s.operators)
    assert busiest.operators == 4  # three volunteers and the supervisor
    last = report.samples[-1]
    assert last.started >= 2 and last.messages > last.started  # chats, not just starts
    assert last.visitors == last.operators == 0  # everyone gone, and the server noticed
    assert report.tally.answered >= 1 and report.tally.sent >= 1
    assert not report.tally.failures, report.tally.failures
    assert report.growth() is not None and any("memory" in s for s in report.summary())
    assert lines[0].startswith("minute") and lines[-1].endswith("(after)")

    path = tmp_path / "soak.csv"
    write_csv(path, report.samples)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == len(report.samples) and float(rows[0]["rss_mb"]) > 0
