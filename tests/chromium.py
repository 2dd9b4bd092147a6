"""Debian's Chromium for the browser tests: where it is, and how to start it quietly.

`/usr/bin/chromium` is a shell wrapper that adds flags and prints noise; the real binary is
used instead. On a closed network Chromium must not try to phone home (background
networking, component updates, sync). See ../shared/testing-notes.md.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
