"""Helpers for the tests of letters and the visitor's space over HTTP: settings with letters
on, a server behind a trusted proxy (so ``X-Forwarded-For`` tells sources apart), and calls."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from chatserver.settings import FollowUpSettings, SelfHelp, Settings, load_settings
from tests.e2e.conftest import CONFIG, Env, running

PROMISE_HOURS = 48
SELF_HELP = SelfHelp(
    title={"nl": "Slecht slapen", "en": "Sleeping badly"},
    text={"nl": "Een vast ritme helpt.", "en": "A steady rhythm helps."},
    url="https://example.org/slapen",
)
VISITOR = "198.51.100.7"
OTHER = "203.0.113.9"


def letters_settings(base: Settings | None = None) -> Settings:
    """Every line of the test configuration takes letters, promises 48 hours and offers one
    self-help text; the server believes the proxy on 127.0.0.1."""
    settings = base or load_settings(CONFIG)
    lines = tuple(
        replace(
            line,
            follow_up=FollowUpSettings(letters=True, answer_within_hours=PROMISE_HOURS),
            self_help=(SELF_HELP,),
        )
        for line in settings.lines
    )
    abuse = replace(settings.abuse, trusted_proxies=("127.0.0.1",))
    return replace(settings, lines=lines, abuse=abuse)


@contextlib.asynccontextmanager
async def letters_server(tmp_path: Path, settings: Settings | None = None) -> AsyncIterator[Env]:
    async with running(tmp_path, settings or letters_settings()) as env:
        yield env


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


async def post(env: Env, path: str, body: Any, source: str = VISITOR) -> Answer:
    """A JSON POST as the space page sends it, from ``source`` (through the trusted proxy)."""
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}{path}", json=body, headers={"X-Forwarded-For": source}
        )
        return Answer(response.status, await response.read(), dict(response.headers))


async def first_letter(
    env: Env, text: str = "Ik slaap slecht", line: str = "chat", source: str = VISITOR
) -> dict[str, Any]:
    answer = await post(
        env, "/api/letters", {"line": line, "lang": "nl", "text": text, "consent": True}, source
    )
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.json()
    return body


async def answer_thread(env: Env, thread_id: str, text: str, alias: str = "Anna") -> None:
    """A volunteer of the line answers the thread, as the console's letter desk does."""
    existing = await env.hub.store.account_by_username(alias.lower())
    account_id = existing.id if existing else await env.account(alias.lower(), alias=alias)
    account = await env.hub.store.account(account_id)
    assert account is not None
    await env.server.followup.letters.answer(account, thread_id, text)
