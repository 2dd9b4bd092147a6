"""The server's event loop: uvloop where it is installed, asyncio's own otherwise.

Why: every message crosses the loop several times (socket reads and writes, the store's
thread, timers); uvloop's loop does that work in C, and made a bare python-socketio relay
markedly faster on these machines (issue 14). Only ``chatserver serve`` runs on it; tests
keep asyncio's loop, so nothing in the code may depend on which loop runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not on this platform (Windows): asyncio's loop does the same work
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the fastest loop available."""
    with asyncio.Runner(loop_factory=_factory()) as runner:
        return runner.run(main)
