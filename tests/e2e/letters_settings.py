"""The end-to-end settings with letters on (``[lines.follow_up] letters = true``), for the
tests of the volunteers' and supervisors' side of letters (e2e and console)."""

from __future__ import annotations

from dataclasses import replace

from chatserver.settings import FollowUpSettings, Settings, load_settings
from tests.e2e.conftest import CONFIG

ANSWER_WITHIN_HOURS = 48


def with_letters(settings: Settings | None = None) -> Settings:
    """Every line takes letters and promises an answer within two days."""
    base = settings or load_settings(CONFIG)
    follow_up = FollowUpSettings(letters=True, answer_within_hours=ANSWER_WITHIN_HOURS)
    return replace(base, lines=tuple(replace(line, follow_up=follow_up) for line in base.lines))
