"""Configuration: the shipped default works, and a minimal file gets sensible defaults.

An administrator starts from the default or from a few lines of TOML; both must give a server
that runs, with every setting they left out filled in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.cli_config import check_config
from chatserver.settings import DEFAULT_CONFIG, WEEKDAYS, Interval, TriageSettings, load_settings
from tests.settings_toml import line_toml, write


def test_default_config_loads() -> None:
    """A fresh install starts with the shipped configuration, no editing needed."""
    settings = load_settings()
    assert settings.source == str(DEFAULT_CONFIG)
    assert {"chat", "jongeren"} <= {line.id for line in settings.lines}
    assert settings.line("chat") is not None
    assert [t.id for t in settings.wrapup_topics][-1] == "other"
    assert settings.age_bands == ("<16", "16-23", "24-40", "41-65", "65+")


def test_default_config_has_a_line_open_around_the_clock() -> None:
    """A fresh install can be tried at any hour: one line is open 00:00-24:00 every day."""
    settings = load_settings(DEFAULT_CONFIG)
    always = [
        line
        for line in settings.lines
        if not line.exceptions and all(line.hours[d] == (Interval(0, 1440),) for d in WEEKDAYS)
    ]
    assert always and always[0].emergency


def test_default_config_passes_check_config(capsys: pytest.CaptureFixture[str]) -> None:
    """`chatserver check-config` says OK and lists the lines of a valid file."""
    assert check_config(DEFAULT_CONFIG) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{DEFAULT_CONFIG}: OK (2 lines: chat, jongeren)")


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    """Only lines are required; every other section falls back to sensible defaults."""
    settings = load_settings(write(tmp_path, line_toml()))
    line = settings.lines[0]
    assert line.queue_limit == 50
    assert line.alternatives == ()
    assert line.alternatives_after_seconds == 600
    assert set(line.privacy_statement) == {"nl", "en"}
    assert line.name == {"nl": "Chat", "en": "Chat"}  # one string serves every language
    assert settings.routing.default_capacity == 1
    assert settings.server.port == 8080
    assert settings.server.metrics_allowed == ("127.0.0.0/8", "::1")  # the machine itself
    assert line.emergency_procedure == {}
    assert settings.routing.handover_timeout_seconds == 60
    assert settings.routing.backup_timeout_seconds == 30
    assert settings.routing.handback_avoid_seconds == 120
    assert settings.routing.debrief_pause is True
    assert settings.triage == TriageSettings(enabled=False, boost=1, keywords={})


def test_handover_backup_and_triage_settings_are_read(tmp_path: Path) -> None:
    """An organisation tunes handover, backup, the debrief pause and triage in the file."""
    text = line_toml(emergency_procedure='{ nl = "Bel 112 via de achterwacht.", en = "Call 112." }')
    text += (
        "[routing]\nhandover_timeout_seconds = 90\nbackup_timeout_seconds = 15\n"
        "debrief_pause = false\n"
        "[triage]\nenabled = true\nboost = 5\n"
        '[triage.keywords]\nnl = ["Zelfmoord", "zelfmoord", "Dood Willen"]\nen = ["Suicide"]\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.lines[0].emergency_procedure == {
        "nl": "Bel 112 via de achterwacht.",
        "en": "Call 112.",
    }
    routing = settings.routing
    assert (routing.handover_timeout_seconds, routing.backup_timeout_seconds) == (90, 15)
    assert routing.debrief_pause is False
    assert settings.triage.enabled and settings.triage.boost == 5
    # lower-cased once, and a word that differs only in case counts once
    assert settings.triage.keywords == {"nl": ("zelfmoord", "dood willen"), "en": ("suicide",)}


def test_emergency_procedure_as_one_string_serves_every_language(tmp_path: Path) -> None:
    """Like other texts, one string is shown whatever language the volunteer works in."""
    line = load_settings(write(tmp_path, line_toml(emergency_procedure='"Bel 112."'))).lines[0]
    assert line.emergency_procedure == {"nl": "Bel 112.", "en": "Bel 112."}


def test_default_config_has_procedures_and_triage_off() -> None:
    """The shipped file gives every line a procedure, and triage only runs when switched on."""
    settings = load_settings()
    for line in settings.lines:
        assert set(line.emergency_procedure) == {"nl", "en"}, line.id
    assert settings.triage.enabled is False
    assert "zelfmoord" in settings.triage.keywords["nl"]
    assert "kill myself" in settings.triage.keywords["en"]
