"""One busy floor per fuzz module: a real server, a chat in progress, a fuzzing client.

The fuzzers run many examples against one server (starting one per example would spend
the time budget on start-ups), so the floor is module-scoped. A bystander visitor talks
with a volunteer throughout; after every example the bystander's message must still reach
the volunteer, and no log record may be an error or carry a traceback: nothing a client
sends may raise past the edge.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from chatserver.settings import load_settings
from tests.e2e.conftest import CONFIG, Env, Peer, running
from tests.fuzz.strategies import ERROR_CODES, resolve

# bounded and repeatable: the same examples on every run, a few seconds per test
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# python-socketio's and python-engineio's clients log under these; the server's loggers are
# "socketio.server" and "engineio.server"
CLIENT_LOGGERS = ("engineio.client", "socketio.client")


class Problems(logging.Handler):
    """Every log record that is an error or carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return  # a test client's own complaint (one left idle by an earlier test), not ours
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        """What was recorded since the last call (each example answers for its own)."""
        lines = [f"{r.name}: {r.getMessage()}" for r in self.records]
        self.records.clear()
        return lines


@dataclass
class Floor:
    env: Env
    volunteer: Peer
    bystander: Peer
    fuzzer: Peer  # a supervisor, so the supervisors' events run too
    attacker: Peer  # a visitor
    ids: dict[str, str]
    problems: Problems
    cookie: str  # a volunteer's session, for hand-written sockets
    visitor_token: str = ""
    _count: itertools.count[int] = field(default_factory=itertools.count)

    def resolve(self, value: Any) -> Any:
        return resolve(value, self.ids)

    def note(self, answer: Any) -> None:
        """Follow the attacker's conversation, so ``$conversation`` names the current one."""
        if isinstance(answer, dict) and answer.get("ok") and "conversation_id" in answer:
            self.ids["$conversation"] = answer["conversation_id"]
            self.visitor_token = answer.get("token", self.visitor_token)
            self.ids["$token"] = self.visitor_token

    async def new_attacker(self) -> None:
        """The attacker from another address (through the trusted proxy), after a block:
        the block keeps the old one out for the day, and the fuzzer needs chats to act on."""
        await self.attacker.disconnect()
        self.attacker = Peer("/visitor")
        await self.attacker.client.connect(
            self.env.url,
            namespaces=["/visitor"],
            auth={"line": "chat"},
            headers={"X-Forwarded-For": f"192.0.2.{next(self._count) % 250 + 1}"},
            transports=["websocket"],
            wait_timeout=5,
        )
        self.env.peers.append(self.attacker)

    async def round_trip(self) -> None:
        """The bystander's message still reaches its volunteer, and nothing broke."""
        self.env.clock.advance(0.1)  # a person's pace: the rate limit never bites the bystander
        text = f"nog hier {next(self._count)}"
        ack = await self.bystander.call("message", {"text": text})
        assert ack["ok"], ack
        await self.volunteer.until("message", lambda m: m.get("text") == text)
        assert self.problems.take() == []


def answered_cleanly(answer: Any) -> None:
    """An ack as docs/protocol.md promises it: ok, or a known error code, never internal."""
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
    if not answer["ok"]:
        assert answer["error"]["code"] in ERROR_CODES, answer
        assert isinstance(answer["error"]["message"], str), answer


@pytest.fixture(scope="module")
async def floor(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Floor]:
    problems = Problems()
    logging.getLogger().addHandler(problems)
    try:
        settings = load_settings(CONFIG)
        # the attacker may come from other addresses, as behind a real proxy (see new_attacker)
        abuse = dataclasses.replace(settings.abuse, trusted_proxies=("127.0.0.1",))
        settings = dataclasses.replace(settings, abuse=abuse)
        async with running(tmp_path_factory.mktemp("fuzz"), settings) as env:
            volunteer = await env.operator("kees", lines=("chat",), capacity=1)
            bystander, _ = await env.start("chat")
            await volunteer.next("assigned")
            await bystander.next("assigned")
            fuzzer = await env.operator("sara", role="supervisor", capacity=3)
            attacker = await env.visitor("chat")
            ids = {
                "$volunteer": volunteer.operator_id or "",
                "$me": fuzzer.operator_id or "",
                "$account": await env.account("tom"),
                "$conversation": "c0000000000000000",  # none yet; never the bystander's
                "$token": "",
            }
            # hand-written /operator sockets log in as a colleague who holds no chats (each
            # connection of a busy account replays its chats)
            await env.account("vera", lines=("evening",))
            cookie = await env.cookie("vera")
            yield Floor(env, volunteer, bystander, fuzzer, attacker, ids, problems, cookie)
    finally:
        logging.getLogger().removeHandler(problems)
