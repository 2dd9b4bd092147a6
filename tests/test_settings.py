"""Configuration: the shipped default works, and every mistake names the file, key and fix.

An administrator edits TOML by hand at a helpline; a typo must stop the server with a message
that says where and how to fix it, never be ignored or crash with a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.cli_config import check_config
from chatserver.settings import (
    DEFAULT_CONFIG,
    WEEKDAYS,
    ConfigError,
    Interval,
    RetentionSettings,
    TriageSettings,
    collect_errors,
    load_settings,
)

BASE_LINE = {
    "id": '"chat"',
    "name": '"Chat"',
    "languages": '["nl", "en"]',
    "timezone": '"Europe/Amsterdam"',
    "always_open": "true",
    "emergency": '[{ label = "Alarmnummer", phone = "112" }]',
}


def line_toml(**changes: str | None) -> str:
    """One [[lines]] table: the valid base line with keys replaced (None drops a key)."""
    fields = {**BASE_LINE, **changes}
    body = "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)
    return "[[lines]]\n" + body


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chatserver.toml"
    path.write_text(text, encoding="utf-8")
    return path


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


def test_interval_crossing_midnight_is_split_into_the_next_day(tmp_path: Path) -> None:
    """ "22:00-02:00" on Friday keeps the line open into Saturday night; Sunday wraps to Monday."""
    hours = '{ fri = ["22:00-02:00"], sat = ["00:00-01:00"], sun = ["23:00-01:00", "09:00-12:00"] }'
    line = load_settings(write(tmp_path, line_toml(always_open=None, hours=hours))).lines[0]
    assert line.hours["fri"] == (Interval(22 * 60, 1440),)
    assert line.hours["sat"] == (Interval(0, 2 * 60),)  # merged with the overlapping 00:00-01:00
    assert line.hours["sun"] == (Interval(9 * 60, 12 * 60), Interval(23 * 60, 1440))
    assert line.hours["mon"] == (Interval(0, 60),)
    assert line.hours["tue"] == ()  # a missing day is closed


def test_exceptions_and_always_open(tmp_path: Path) -> None:
    """Exception dates (quoted or bare TOML dates) replace a day's hours; [] closes it."""
    exceptions = (
        '[{ date = "2026-12-25", hours = [] }, { date = 2026-12-31, hours = ["14:00-18:00"] }]'
    )
    line = load_settings(write(tmp_path, line_toml(exceptions=exceptions))).lines[0]
    assert line.exceptions == {"2026-12-25": (), "2026-12-31": (Interval(14 * 60, 18 * 60),)}
    assert all(line.hours[day] == (Interval(0, 1440),) for day in WEEKDAYS)


def test_embedding_origins_and_exit_url(tmp_path: Path) -> None:
    """A helpline lists the sites that may embed its chat and a neutral quick-exit address."""
    from chatserver.settings import ConfigError, load_settings

    base = (Path(__file__).parent / "e2e" / "test.toml").read_text()
    good = tmp_path / "good.toml"
    good.write_text(
        base.replace(
            'id = "chat"\n',
            'id = "chat"\nembed_origins = ["https://www.example.nl"]\nexit_url = "https://nos.nl"\n',
        )
    )
    line = load_settings(good).line("chat")
    assert line is not None
    assert line.embed_origins == ("https://www.example.nl",) and line.exit_url == "https://nos.nl"
    bad = tmp_path / "bad.toml"
    bad.write_text(
        base.replace(
            'id = "chat"\n', 'id = "chat"\nembed_origins = ["https://www.example.nl/page"]\n'
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    assert caught.value.key == "lines[0].embed_origins[0]"


def test_retention_defaults(tmp_path: Path) -> None:
    """Without a [retention] table text is kept 30 days, the audit log a year, a hold at most
    30 days, and the server purges every hour; every line follows the global terms."""
    settings = load_settings(write(tmp_path, line_toml()))
    assert settings.retention == RetentionSettings(30, 30, 365, 30, 60)
    assert settings.lines[0].retention is None
    assert settings.retention_for("chat") == settings.retention
    assert load_settings().retention_for("jongeren") == load_settings().retention


def test_retention_per_line_overrides_only_its_own_keys(tmp_path: Path) -> None:
    """A youth line erases sooner than the global policy; keys it leaves out, and the audit
    log, hold and purge interval (the organisation's), follow [retention]."""
    text = (
        "[retention]\ntranscripts_days = 60\nnotes_days = 14\naudit_days = 90\n"
        "hold_max_days = 10\npurge_interval_minutes = 15\n"
        + line_toml()
        + line_toml(id='"youth"')
        + "[lines.retention]\ntranscripts_days = 0\n"
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.retention == RetentionSettings(60, 14, 90, 10, 15)
    assert [line.retention for line in settings.lines] == [
        None,
        RetentionSettings(0, 14, 90, 10, 15),  # the global values filled in
    ]
    assert settings.retention_for("youth") == RetentionSettings(0, 14, 90, 10, 15)
    assert settings.retention_for("chat") == settings.retention
    assert settings.retention_for("removed-line") == settings.retention


def test_retention_for_takes_only_the_line_keys() -> None:
    """Even a hand-built line retention cannot change the audit term or the hold maximum."""
    import dataclasses

    settings = load_settings()
    chat = settings.line("chat")
    assert chat is not None
    own = RetentionSettings(1, 2, audit_days=0, hold_max_days=999, purge_interval_minutes=1)
    lines = tuple(
        dataclasses.replace(line, retention=own) if line.id == "chat" else line
        for line in settings.lines
    )
    changed = dataclasses.replace(settings, lines=lines)
    assert changed.retention_for("chat") == dataclasses.replace(
        settings.retention, transcripts_days=1, notes_days=2
    )


def test_retention_mistakes_are_reported_after_the_lines(tmp_path: Path) -> None:
    """check-config lists the global [retention] mistakes in their usual place."""
    text = (
        "[retention]\naudit_days = -1\n"
        + line_toml(queue_limit="0")
        + "[lines.retention]\nnotes_days = true\n"
        + "[routing]\nestimate_window = 0\n"
    )
    assert [e.key for e in collect_errors(write(tmp_path, text))] == [
        "lines[0].queue_limit",
        "lines[0].retention.notes_days",
        "routing.estimate_window",
        "retention.audit_days",
    ]


def test_abuse_limits_and_trusted_proxies(tmp_path: Path) -> None:
    """Abuse limits come from [abuse]; a proxy that is not an address is named as the fault."""
    from chatserver.settings import ConfigError, load_settings

    base = (Path(__file__).parent / "e2e" / "test.toml").read_text()
    good = tmp_path / "good.toml"
    good.write_text(base + '\n[abuse]\nburst = 5\ntrusted_proxies = ["10.0.0.0/8"]\n')
    abuse = load_settings(good).abuse
    assert abuse.burst == 5 and abuse.trusted_proxies == ("10.0.0.0/8",)
    assert abuse.conversations_per_source == 3 and abuse.conversations_ceiling == 25
    bad = tmp_path / "bad.toml"
    bad.write_text(base + '\n[abuse]\ntrusted_proxies = ["nginx"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(bad)
    assert caught.value.key == "abuse.trusted_proxies[0]"


def test_canned_responses_per_line(tmp_path: Path) -> None:
    """[[lines.canned]]: id, title and text per language; a plain string serves every one."""
    text = line_toml() + (
        '[[lines.canned]]\nid = "welkom"\ntitle = { nl = "Welkom", en = "Welcome" }\n'
        'text = { nl = "Hoi, fijn dat je er bent.", en = "Hi, good that you are here." }\n'
        '[[lines.canned]]\nid = "wacht"\ntitle = "Even wachten"\ntext = "Momentje."\n'
    )
    line = load_settings(write(tmp_path, text)).lines[0]
    assert [c.id for c in line.canned] == ["welkom", "wacht"]
    assert line.canned[0].title == {"nl": "Welkom", "en": "Welcome"}
    assert line.canned[0].text["en"] == "Hi, good that you are here."
    assert line.canned[1].text == {"nl": "Momentje.", "en": "Momentje."}
    assert load_settings(write(tmp_path, line_toml())).lines[0].canned == ()
    assert len(load_settings(DEFAULT_CONFIG).line("chat").canned) == 3  # type: ignore[union-attr]


def test_two_factor_roles_from_accounts(tmp_path: Path) -> None:
    """[accounts] two_factor_roles: supervisors and admins by default, any set of roles."""
    assert load_settings(write(tmp_path, line_toml())).accounts.two_factor_roles == (
        "supervisor", "admin",
    )  # fmt: skip
    text = line_toml() + '[accounts]\ntwo_factor_roles = ["volunteer", "admin"]\n'
    assert load_settings(write(tmp_path, text)).accounts.two_factor_roles == ("volunteer", "admin")
    text = line_toml() + "[accounts]\ntwo_factor_roles = []\n"
    assert load_settings(write(tmp_path, text)).accounts.two_factor_roles == ()
