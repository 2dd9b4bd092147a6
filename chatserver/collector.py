"""The cyclic garbage collector, set for a long-running server (``chatserver serve`` only).

CPython runs a pass over young objects every 700 allocations of containers, and every 100
of those it may walk every live object. A relayed message allocates dozens of short-lived
containers (tasks, futures, packets, payload dicts) that reference counting frees anyway,
so the passes find next to nothing; in the closed-loop relay benchmark (issue 14) they took
about 12 % of the server's CPU, most of it full passes of 50-80 ms each over a heap that
grows with the open chats. Two settings, both ordinary for Python servers:

* :func:`gc.freeze` once the server is built: modules, settings and the application live as
  long as the process, so no pass looks at them again;
* the young generation's threshold from 700 to ``YOUNG_THRESHOLD``: passes are that much
  rarer, and with them the full ones. Cycles are still collected, a little later; the memory
  that waits for them is a few thousand objects.

Tests keep the defaults: nothing may depend on when garbage goes.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle_for_serving() -> None:
    """Freeze what exists now and make young-generation passes rarer."""
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
