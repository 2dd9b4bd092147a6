"""Configuration values read into settings: opening hours, embedding, retention, abuse limits,
canned responses and two-factor roles, each as the administrator wrote it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chatserver.settings import (
    DEFAULT_CONFIG,
    WEEKDAYS,
    ConfigError,
    Interval,
    RetentionSettings,
    collect_errors,
    load_settings,
)
from tests.settings_toml import line_toml, write


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
    from chatserver.settings import load_settings

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
    from chatserver.settings import load_settings

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


def test_follow_up_per_line_and_for_the_organisation(tmp_path: Path) -> None:
    """[lines.follow_up] turns letters and appointments on per line (off by default, with the
    promise it makes); [[lines.self_help]] fills the visitor's space; [follow_up] is global."""
    plain = load_settings(write(tmp_path, line_toml()))
    assert not plain.lines[0].follow_up.letters and not plain.lines[0].follow_up.appointments
    assert plain.lines[0].self_help == () and plain.follow_up.wrong_links_per_hour == 10
    text = line_toml() + (
        "[lines.follow_up]\nletters = true\nanswer_within_hours = 24\n"
        '[[lines.self_help]]\ntitle = "Slapen"\ntext = { nl = "Sta op.", en = "Get up." }\n'
        'url = "https://www.113.nl/zelfhulp"\n'
        "[follow_up]\nwrong_links_per_hour = 5\nappointment_days_ahead = 14\n"
    )
    settings = load_settings(write(tmp_path, text))
    line = settings.lines[0]
    assert line.follow_up.letters and line.follow_up.answer_within_hours == 24
    assert not line.follow_up.appointments
    assert line.self_help[0].text == {"nl": "Sta op.", "en": "Get up."}
    assert line.self_help[0].url == "https://www.113.nl/zelfhulp"
    assert settings.follow_up.wrong_links_per_hour == 5
    assert settings.follow_up.appointment_days_ahead == 14
    shipped = load_settings(DEFAULT_CONFIG)
    assert all(line.follow_up.letters for line in shipped.lines)


def test_two_factor_roles_from_accounts(tmp_path: Path) -> None:
    """[accounts] two_factor_roles: supervisors and admins by default, any set of roles."""
    assert load_settings(write(tmp_path, line_toml())).accounts.two_factor_roles == (
        "supervisor", "admin",
    )  # fmt: skip
    text = line_toml() + '[accounts]\ntwo_factor_roles = ["volunteer", "admin"]\n'
    assert load_settings(write(tmp_path, text)).accounts.two_factor_roles == ("volunteer", "admin")
    text = line_toml() + "[accounts]\ntwo_factor_roles = []\n"
    assert load_settings(write(tmp_path, text)).accounts.two_factor_roles == ()
