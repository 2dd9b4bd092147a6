"""Configuration mistakes: each names the file, key and fix, and all are reported at once.

An administrator edits TOML by hand at a helpline; a typo must stop the server with a message
that says where and how to fix it, never be ignored or crash with a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.cli_config import check_config
from chatserver.settings import ConfigError, collect_errors, load_settings
from tests.settings_toml import line_toml, write

BROKEN = [
    ("interval", line_toml(always_open=None, hours='{ mon = ["09:00-12:00", "18-23"] }'),
     "lines[0].hours.mon[1]", 'expected "HH:MM-HH:MM" like "18:00-23:00", got "18-23"'),
    ("hour-25", line_toml(always_open=None, hours='{ tue = ["09:00-25:00"] }'),
     "lines[0].hours.tue[0]", "00:00 to 24:00"),
    ("day-name", line_toml(always_open=None, hours='{ monday = ["09:00-12:00"] }'),
     "lines[0].hours.monday", "mon, tue"),
    ("no-hours", line_toml(always_open=None), "lines[0].hours", "always_open = true"),
    ("both", line_toml(hours='{ mon = ["09:00-12:00"] }'), "lines[0].hours", "remove one"),
    ("id", line_toml(id='"Chat Line"'), "lines[0].id", "lowercase"),
    ("duplicate-id", line_toml() + line_toml(), "lines[1].id", "already used by lines[0]"),
    ("no-lines", "[routing]\ncooldown_seconds = 5\n", "lines", "[[lines]]"),
    ("languages-empty", line_toml(languages="[]"), "lines[0].languages", "non-empty"),
    ("language-code", line_toml(languages='["nld"]'), "lines[0].languages[0]", '"nld"'),
    ("timezone", line_toml(timezone='"Mars/Olympus"'), "lines[0].timezone", "Europe/Amsterdam"),
    ("timezone-missing", line_toml(timezone=None), "lines[0].timezone", "missing"),
    ("queue-limit", line_toml(queue_limit="0"), "lines[0].queue_limit", "at least 1"),
    ("no-emergency", line_toml(emergency="[]"), "lines[0].emergency", "at least one"),
    ("contact-number", line_toml(emergency='[{ label = "Alarm" }]'), "lines[0].emergency[0]",
     "phone or a url"),
    ("contact-url", line_toml(alternatives='[{ label = "x", url = "www.x.nl" }]'),
     "lines[0].alternatives[0].url", "https://"),
    ("name-language", line_toml(name='{ dutch = "Chat" }'), "lines[0].name.dutch", "two-letter"),
    ("exception-midnight",
     line_toml(exceptions='[{ date = "2026-12-31", hours = ["22:00-02:00"] }]'),
     "lines[0].exceptions[0].hours[0]", "cannot cross midnight"),
    ("exception-date", line_toml(exceptions='[{ date = "2026-13-01", hours = [] }]'),
     "lines[0].exceptions[0].date", "YYYY-MM-DD"),
    ("exception-hours", line_toml(exceptions='[{ date = "2026-12-25" }]'),
     "lines[0].exceptions[0].hours", "hours = []"),
    ("negative", line_toml() + "[routing]\ncooldown_seconds = -1\n", "routing.cooldown_seconds",
     "at least 0, got -1"),
    ("bool-as-int", line_toml() + "[routing]\ncooldown_seconds = true\n",
     "routing.cooldown_seconds", "got true"),
    ("float-as-int", line_toml() + "[retention]\nnotes_days = 1.5\n", "retention.notes_days",
     "whole number"),
    ("capacity", line_toml() + "[routing]\ndefault_capacity = 0\n", "routing.default_capacity",
     "at least 1"),
    ("message-length", line_toml() + "[server]\nmax_message_length = 200000\n",
     "server.max_message_length", "between 1 and 100000"),
    ("origins", line_toml() + '[server]\ncors_allowed_origins = "https://x.nl"\n',
     "server.cors_allowed_origins", "list of strings"),
    ("metrics-allowed", line_toml() + '[server]\nmetrics_allowed = ["prometheus"]\n',
     "server.metrics_allowed[0]", "an address or network"),
    ("origins-wildcard", line_toml() + '[server]\ncors_allowed_origins = ["*"]\n',
     "server.cors_allowed_origins[0]", "a wildcard would let every site in"),
    ("origins-path", line_toml() + '[server]\ncors_allowed_origins = ["https://x.nl/chat"]\n',
     "server.cors_allowed_origins[0]", "(no path)"),
    ("origins-scheme", line_toml() + '[server]\ncors_allowed_origins = ["www.x.nl"]\n',
     "server.cors_allowed_origins[0]", 'an origin like "https://www.example.nl"'),
    ("topic-label", line_toml() + '[wrapup]\ntopics = [{ id = "debt" }]\n',
     "wrapup.topics[0].label", "missing"),
    ("age-band", line_toml() + "[intake]\nage_bands = [16]\n", "intake.age_bands[0]",
     "non-empty string"),
    ("syntax", "[[lines]\nid = 1\n", "(syntax)", "valid TOML"),
    ("handover-timeout", line_toml() + "[routing]\nhandover_timeout_seconds = 0\n",
     "routing.handover_timeout_seconds", "at least 1, got 0"),
    ("handback-avoid", line_toml() + "[routing]\nhandback_avoid_seconds = -1\n",
     "routing.handback_avoid_seconds", "at least 0, got -1"),
    ("backup-timeout", line_toml() + '[routing]\nbackup_timeout_seconds = "30"\n',
     "routing.backup_timeout_seconds", 'whole number at least 1, got "30"'),
    ("debrief-pause", line_toml() + '[routing]\ndebrief_pause = "yes"\n',
     "routing.debrief_pause", 'true or false, got "yes"'),
    ("procedure-language", line_toml(emergency_procedure='{ dutch = "Bel 112" }'),
     "lines[0].emergency_procedure.dutch", "two-letter"),
    ("procedure-empty", line_toml(emergency_procedure='""'), "lines[0].emergency_procedure",
     "a string, or a table of language -> text"),
    ("triage-enabled", line_toml() + "[triage]\nenabled = 1\n", "triage.enabled",
     "true or false, got 1"),
    ("triage-boost", line_toml() + "[triage]\nboost = 0\n", "triage.boost", "at least 1, got 0"),
    ("triage-table", line_toml() + '[triage]\nkeywords = ["suicide"]\n', "triage.keywords",
     "a table of language -> words"),
    ("triage-language", line_toml() + '[triage.keywords]\ndutch = ["zelfmoord"]\n',
     "triage.keywords.dutch", "two-letter"),
    ("triage-words", line_toml() + '[triage.keywords]\nnl = "zelfmoord"\n', "triage.keywords.nl",
     "list of strings"),
    ("triage-blank-word", line_toml() + '[triage.keywords]\nen = ["suicide", " "]\n',
     "triage.keywords.en[1]", "non-empty string"),
    ("triage-unknown", line_toml() + "[triage]\nboots = 2\n", "triage.boots",
     'did you mean "boost"'),
    ("hold-max-days", line_toml() + "[retention]\nhold_max_days = 0\n",
     "retention.hold_max_days", "at least 1, got 0"),
    ("purge-interval", line_toml() + "[retention]\npurge_interval_minutes = 2000\n",
     "retention.purge_interval_minutes", "between 1 and 1440, got 2000"),
    ("scrub-after", line_toml() + "[retention]\nscrub_after_seconds = 0\n",
     "retention.scrub_after_seconds", "between 1 and 3600, got 0"),
    ("line-retention-days", line_toml() + "[lines.retention]\ntranscripts_days = -1\n",
     "lines[0].retention.transcripts_days", "at least 0, got -1"),
    ("line-retention-audit", line_toml() + "[lines.retention]\naudit_days = 10\n",
     "lines[0].retention.audit_days", "expected one of: transcripts_days, notes_days"),
    ("line-retention-typo", line_toml() + "[lines.retention]\nnote_days = 0\n",
     "lines[0].retention.note_days", 'did you mean "notes_days"'),
    ("line-retention-table", line_toml(retention="7"), "lines[0].retention",
     "expected a table, got 7"),
    ("canned-duplicate", line_toml(canned='[{ id = "a", title = "A", text = "Hoi" }, '
                                          '{ id = "a", title = "B", text = "Dag" }]'),
     "lines[0].canned[1].id", 'expected a unique id, got "a" again'),
    ("canned-no-text", line_toml(canned='[{ id = "a", title = "A" }]'),
     "lines[0].canned[0].text", "got nothing"),
    ("canned-title-language", line_toml(canned='[{ id = "a", title = { dutch = "A" }, '
                                               'text = "Hoi" }]'),
     "lines[0].canned[0].title.dutch", "two-letter"),
    ("canned-typo", line_toml(canned='[{ id = "a", title = "A", txt = "Hoi" }]'),
     "lines[0].canned[0].txt", 'did you mean "text"'),
    ("follow-up-typo", line_toml() + "[lines.follow_up]\nletter = true\n",
     "lines[0].follow_up.letter", 'did you mean "letters"'),
    ("follow-up-promise", line_toml() + "[lines.follow_up]\nanswer_within_hours = 0\n",
     "lines[0].follow_up.answer_within_hours", "between 1 and 720, got 0"),
    ("self-help-no-text", line_toml(self_help='[{ title = "Slapen" }]'),
     "lines[0].self_help[0].text", "got nothing"),
    ("self-help-url", line_toml(self_help='[{ title = "A", text = "B", url = "www.x.nl" }]'),
     "lines[0].self_help[0].url", "https://"),
    ("follow-up-links", line_toml() + "[follow_up]\nwrong_links_per_hour = 0\n",
     "follow_up.wrong_links_per_hour", "between 1 and 1000, got 0"),
    ("accounts-role", line_toml() + '[accounts]\ntwo_factor_roles = ["admin", "beheerder"]\n',
     "accounts.two_factor_roles[1]", "one of volunteer, supervisor, admin"),
    ("accounts-typo", line_toml() + '[accounts]\ntwo_factor_role = []\n',
     "accounts.two_factor_role", 'did you mean "two_factor_roles"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "key", "fragment"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_config_names_file_key_and_fix(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    """Each mistake stops loading with the file, the dotted key and what to write instead."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    error = caught.value
    assert (error.file, error.key) == (str(path), key)
    assert fragment in error.expected
    assert str(error) == f"{path}: {key}: {error.expected}"


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A wrong --config path is named, not a Python traceback."""
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.toml")
    assert caught.value.key == "(file)"


def test_unknown_key_is_an_error_with_the_allowed_keys(tmp_path: Path) -> None:
    """A typo like `cooldown_second` is not ignored silently: it is named with a suggestion."""
    path = write(tmp_path, line_toml() + "[routing]\ncooldown_second = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key == "routing.cooldown_second"
    assert 'did you mean "cooldown_seconds"' in caught.value.expected
    assert "default_capacity, cooldown_seconds" in caught.value.expected


def test_unknown_keys_anywhere_are_errors(tmp_path: Path) -> None:
    """Unknown keys at the top, in a line and in a contact are all reported."""
    text = "[routng]\n" + line_toml(
        queue_limt="5", emergency='[{ label = "A", phone = "112", fax = "1" }]'
    )
    keys = [error.key for error in collect_errors(write(tmp_path, text))]
    assert keys == ["routng", "lines[0].queue_limt", "lines[0].emergency[0].fax"]


def test_all_mistakes_are_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check-config lists every mistake in one run and exits 1, so one edit fixes them all."""
    path = write(
        tmp_path,
        line_toml(timezone='"Nowhere/Town"', queue_limit="-3") + "[routing]\nestimate_window = 0\n",
    )
    assert [e.key for e in collect_errors(path)] == [
        "lines[0].timezone",
        "lines[0].queue_limit",
        "routing.estimate_window",
    ]
    assert check_config(path) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert err[0].startswith(f"{path}: lines[0].timezone: expected an IANA time zone name")
