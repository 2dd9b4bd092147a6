"""What ``GET /metrics`` shows: how busy the floor is and how the server copes, in numbers.

Why it is built this way:

* **Numbers, never people.** Labels are line ids, namespaces, error codes and message roles:
  a handful of values fixed by the configuration and the code. No conversation id, alias,
  account or address ever becomes a label, and no text is ever looked at, so the page can
  be handed to whoever runs the monitoring without handing them the helpline.
* **One registry per application**, not prometheus_client's global one: two servers in one
  process (the tests) each count their own, and nothing registers twice.
* **The hub does not know it is measured.** Domain counts come from the hub's event bus, as
  the realtime bridge hears them (``StatsRecorded`` carries exactly what the statistics
  count). What the bus does not carry arrives through one hook each, wired in ``app.py``:
  error answers (``realtime/base.py`` for sockets, ``web/error_pages.py`` for HTTP), the
  sanitizer (the bridge's one call per message) and the store's commits.
* **States are read when scraped** (connections, waiting visitors, tasks), so they cannot
  drift from the truth the way an up-and-down counter can.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable

import socketio
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chatserver.hub import events as ev
from chatserver.hub.hub import Hub
from chatserver.hub.model import Role

# no "_created" twin of every counter: it doubles the page and no dashboard of ours reads it
# (a switch of prometheus_client for the whole process; nothing else here uses the library)
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus_client

# waits and chat durations, in seconds: from "at once" to past an hour
WAIT_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
DURATION_BUCKETS = (60.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0)
# one message through the sanitizer: tens of microseconds, a long text a few milliseconds
SANITIZE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05)
# one group commit, fsync included: a millisecond on a good disk, far more on a bad one
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The instruments of one server, its registry, and the hooks that feed them."""

    def __init__(self, hub: Hub, sio: socketio.AsyncServer, namespaces: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        lines = [line.id for line in hub.settings.lines]
        namespaces = tuple(namespaces)
        ProcessCollector(registry=r)  # resident memory, open file descriptors, CPU
        self.started = Counter(
            "chat_conversations_started", "Conversations visitors started", ["line"], registry=r
        )
        self.abandoned = Counter(
            "chat_conversations_abandoned",
            "Conversations that ended before a volunteer took them",
            ["line"],
            registry=r,
        )
        self.wait = Histogram(
            "chat_wait_seconds",
            "How long visitors waited for their first volunteer",
            ["line"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.duration = Histogram(
            "chat_duration_seconds",
            "Chat durations, from the first volunteer to the end",
            ["line"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.assignments = Counter(
            "chat_assignments",
            "A volunteer took a conversation: from the queue, a handover or a takeover",
            ["line"],
            registry=r,
        )
        self.messages = Counter("chat_messages", "Messages posted, by role", ["role"], registry=r)
        self.errors = Counter(
            "chat_errors", "Error answers to socket events, by code", ["namespace", "code"],
            registry=r,
        )  # fmt: skip
        self.http_errors = Counter(
            "chat_http_errors", "Error answers to HTTP requests, by code", ["code"], registry=r
        )
        self.rate_limited = Counter(
            "chat_rate_limited",
            "Refused for writing or starting too fast (also in chat_errors)",
            ["namespace"],
            registry=r,
        )
        self.sanitize = Histogram(
            "chat_sanitize_seconds",
            "Turning one message into safe HTML",
            buckets=SANITIZE_BUCKETS,
            registry=r,
        )
        self.commit = Histogram(
            "chat_store_commit_seconds",
            "One commit of the store, to the disk",
            buckets=COMMIT_BUCKETS,
            registry=r,
        )
        self.writes = Counter(
            "chat_store_writes", "Writes committed (several share one commit)", registry=r
        )
        self.purges = Counter("chat_purge_runs", "Scheduled retention purges run", registry=r)
        self.purged = Counter(
            "chat_purged_conversations",
            "Conversations whose text a scheduled purge erased",
            registry=r,
        )
        for line in lines:  # every series exists from the start, at 0
            for family in (self.started, self.abandoned, self.wait, self.duration):
                family.labels(line)
            self.assignments.labels(line)
        # each role's series looked up once: counted for every message the server relays
        self._messages_by_role = {role: self.messages.labels(role.value) for role in Role}
        for namespace in namespaces:
            self.rate_limited.labels(namespace)
        self.live = _Live(hub, sio, namespaces)
        r.register(self.live)
        hub.bus.subscribe(self.on_event)

    # ------------------------------------------------------------ the hub's events
    async def on_event(self, event: ev.Event) -> None:
        match event:
            case ev.StatsRecorded(delta=delta):
                if delta.offered:
                    self.started.labels(delta.line).inc(delta.offered)
                if delta.abandoned:
                    self.abandoned.labels(delta.line).inc(delta.abandoned)
                if delta.wait is not None:
                    self.wait.labels(delta.line).observe(delta.wait)
                if delta.duration is not None:
                    self.duration.labels(delta.line).observe(delta.duration)
            case ev.Assigned() if event.to_visitor:  # not the re-send after a reconnect
                self.assignments.labels(event.conversation.line).inc()
            case ev.MessagePosted():
                self._messages_by_role[event.message.role].inc()
            case ev.Purged():
                self.purges.inc()
                self.purged.inc(event.conversations)

    # ------------------------------------------------------------ hooks (app.py wires them)
    def refused(self, namespace: str, code: str) -> None:
        """A socket event was answered with an error."""
        self.errors.labels(namespace, code).inc()
        if code == "rate_limited":
            self.rate_limited.labels(namespace).inc()

    def http_refused(self, code: str) -> None:
        """An HTTP request was answered with an error (``web/error_pages.py``)."""
        self.http_errors.labels(code).inc()

    def committed(self, seconds: float, writes: int) -> None:
        """The store committed ``writes`` writes in ``seconds`` (``Store.observe_commits``)."""
        self.commit.observe(seconds)
        self.writes.inc(writes)

    def timed(self, sanitize: Callable[[str], str]) -> Callable[[str], str]:
        """``sanitize``, measured: the one sanitizer call per message the bridge makes."""

        def measured(text: str) -> str:
            started = time.perf_counter()
            try:
                return sanitize(text)
            finally:
                self.sanitize.observe(time.perf_counter() - started)

        return measured


class _Live(Collector):
    """Read at every scrape: connections, waiting visitors and the event loop's tasks."""

    def __init__(self, hub: Hub, sio: socketio.AsyncServer, namespaces: tuple[str, ...]) -> None:
        self.hub = hub
        self.sio = sio
        self.namespaces = namespaces
        self.by_line: Tally[str] = Tally()  # waiting visitors per line, as of ``refresh``

    async def refresh(self) -> None:
        """Read the floor before a scrape: the collector itself cannot await."""
        self.by_line = Tally(entry.line for entry in await self.hub.waiting())

    def collect(self) -> Iterable[Metric]:
        connections = GaugeMetricFamily(
            "chat_connections", "Socket.IO connections open now", labels=["namespace"]
        )
        for namespace in self.namespaces:
            count = sum(1 for _ in self.sio.manager.get_participants(namespace, None))
            connections.add_metric([namespace], count)
        yield connections
        waiting = GaugeMetricFamily("chat_waiting", "Visitors waiting now", labels=["line"])
        for line in self.hub.settings.lines:
            waiting.add_metric([line.id], self.by_line[line.id])
        yield waiting
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:  # scraped outside the event loop: nothing to count
            return
        yield GaugeMetricFamily("chat_asyncio_tasks", "Tasks alive in the event loop", tasks)
