"""What the follow-up's service tests share: settings with letters on, volunteers, and a
``FollowUp`` on a fresh in-memory store with a manual clock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from chatserver.backends.embedded import MEMORY, SqliteStore
from chatserver.clock import ManualClock
from chatserver.hub.events import EventBus
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.model import Account
from chatserver.privacy.sanitize import to_html
from chatserver.settings import FollowUpSettings, Settings, load_settings

SETTINGS = load_settings(Path(__file__).parent.parent.parent / "e2e" / "test.toml")
START = 1_795_662_000.0


def with_letters(settings: Settings) -> Settings:
    lines = tuple(
        replace(line, follow_up=FollowUpSettings(letters=True, answer_within_hours=48))
        for line in settings.lines
    )
    return replace(settings, lines=lines)


def volunteer(n: int, lines: tuple[str, ...] = ()) -> Account:
    return Account(f"op{n}", f"user{n}", f"Vrijwilliger {n}", "volunteer", "x", lines=lines)


async def desk(settings: Settings) -> tuple[FollowUp, SqliteStore, ManualClock]:
    store = SqliteStore(MEMORY)
    await store.open()
    clock = ManualClock(START)
    return FollowUp(settings, store, clock, EventBus(), to_html), store, clock
