"""Configuration is data: TOML files in ``config/``, read with tomllib, validated at start-up.

This module holds the typed shape of the configuration (frozen dataclasses the hub reads) and
the loader that turns a TOML file into it. Every validation error names the file, the key and
what is expected, so ``chatserver check-config`` can tell an administrator how to fix it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "chatserver.toml"

# the quick exit's default destination: a weather site, as harmless as a tab can look
DEFAULT_EXIT_URL = "https://www.buienradar.nl"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Interval:
    """Minutes after local midnight, ``start < end <= 1440``; "22:00-02:00" is split in two."""

    start: int
    end: int


@dataclass(frozen=True)
class Contact:
    """An emergency contact or alternative shown to a visitor, e.g. 112 or a 24/7 phone line."""

    label: dict[str, str]  # language -> text
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Canned:
    """A canned response (standaardzin) a volunteer can insert into the compose box and edit."""

    id: str
    title: dict[str, str]  # language -> short title shown in the menu
    text: dict[str, str]  # language -> the text inserted


@dataclass(frozen=True)
class LineSettings:
    """A line (service) visitors choose: its own queue, opening hours and contacts.

    ``hours`` holds all seven weekdays once loaded (closed days map to ``()``); intervals are
    sorted, merged and never cross midnight, so opening-hours logic stays simple.
    """

    id: str
    name: dict[str, str]  # language -> name
    languages: tuple[str, ...]
    timezone: str
    # weekday ("mon".."sun") -> opening intervals in local time
    hours: dict[str, tuple[Interval, ...]]
    # ISO date "2026-12-25" -> intervals that replace that day's hours (empty: closed all day)
    exceptions: dict[str, tuple[Interval, ...]]
    queue_limit: int
    emergency: tuple[Contact, ...]
    alternatives: tuple[Contact, ...] = ()
    alternatives_after_seconds: int = 600
    privacy_statement: dict[str, str] = field(default_factory=dict)
    # language -> what a volunteer does when a chat is flagged acute; shown to them, never to
    # the visitor. Empty: the console shows no procedure (the emergency contacts still apply).
    emergency_procedure: dict[str, str] = field(default_factory=dict)
    # sites that may embed the widget (CSP frame-ancestors), e.g. "https://www.example.nl"
    embed_origins: tuple[str, ...] = ()
    # where the quick exit sends the visitor's tab: somewhere neutral and harmless
    exit_url: str = DEFAULT_EXIT_URL
    # this line's own terms from [lines.retention], the global [retention] filled in for the
    # keys it leaves out; None: the global terms apply. Read it through Settings.retention_for.
    retention: RetentionSettings | None = None
    # store transcripts with phone numbers, e-mail, IBANs and postal codes replaced
    redact: bool = False
    # canned responses the console offers for this line's chats, from [[lines.canned]]
    canned: tuple[Canned, ...] = ()


@dataclass(frozen=True)
class RoutingSettings:
    default_capacity: int = 1
    cooldown_seconds: int = 0
    visitor_grace_seconds: int = 120
    operator_grace_seconds: int = 60
    # used for the wait estimate until real chats have been measured
    assumed_chat_seconds: int = 900
    # how many recent chats the wait estimate averages over
    estimate_window: int = 20
    # how long a handover offer waits for the colleague to accept: a visitor must never be
    # parked between two volunteers, neither of whom is answering
    handover_timeout_seconds: int = 60
    # how long a backup (achterwacht) request waits for a colleague to answer before it times
    # out, so an unanswered call for help is noticed instead of silently pending
    backup_timeout_seconds: int = 30
    # after a chat that ended with risk high or acute the volunteer is set to paused, so they
    # get a moment (and a debrief) before the next visitor is offered
    debrief_pause: bool = True


@dataclass(frozen=True)
class AbuseSettings:
    """Limits keyed on a daily-rotating pseudonym of the visitor's address, never the address."""

    messages_per_minute: int = 30  # a person typing fast sends a few; a script hundreds
    burst: int = 10
    conversations_per_source: int = 3  # a family behind one router may need more than one
    key_rotation_hours: int = 24  # blocks lapse when the key is replaced
    # reverse proxies whose X-Forwarded-For is believed (addresses or networks)
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriageSettings:
    """Keyword triage: a waiting visitor whose words match moves up the queue by ``boost``.

    Off by default: a keyword list both misses people and raises false alarms, so an
    organisation turns it on deliberately, with lists its own volunteers have reviewed. It only
    reorders the queue; a volunteer still judges the risk.
    """

    enabled: bool = False
    boost: int = 1  # added to the conversation's queue priority on a match
    # language -> words or phrases, lower-cased, matched against lower-cased visitor text
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionSettings:
    """How long text is kept, in days after a conversation ends (0: erased at the next purge).

    Globally in ``[retention]``; a line may set its own ``transcripts_days`` and ``notes_days``
    in ``[lines.retention]`` (a youth line may promise less than an adult line). The audit log,
    the hold term and the purge interval are the organisation's, so they are global only.
    """

    transcripts_days: int = 30
    notes_days: int = 30
    audit_days: int = 365
    # a safeguarding hold keeps one transcript back from the purge at most this long, so a
    # hold nobody releases cannot turn "deleted on schedule" into "kept for ever"
    hold_max_days: int = 30
    # how often the running server purges; the purge erases at most this much later than due
    purge_interval_minutes: int = 60


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "data"
    max_message_length: int = 4000
    cors_allowed_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    id: str
    label: dict[str, str]


# roles that exist; accounts.ROLES says the same, settings cannot import it (accounts imports us)
ACCOUNT_ROLES = ("volunteer", "supervisor", "admin")


@dataclass(frozen=True)
class AccountSettings:
    """``[accounts]``: which roles must log in with a TOTP second factor."""

    two_factor_roles: tuple[str, ...] = ("supervisor", "admin")


@dataclass(frozen=True)
class Settings:
    source: str  # the file this came from, for messages
    server: ServerSettings
    routing: RoutingSettings
    retention: RetentionSettings
    lines: tuple[LineSettings, ...]
    wrapup_topics: tuple[Topic, ...]
    intake_topics: tuple[Topic, ...] = ()
    age_bands: tuple[str, ...] = ()
    triage: TriageSettings = field(default_factory=TriageSettings)
    abuse: AbuseSettings = field(default_factory=AbuseSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)

    def line(self, line_id: str) -> LineSettings | None:
        for line in self.lines:
            if line.id == line_id:
                return line
        return None

    def retention_for(self, line_id: str) -> RetentionSettings:
        """The retention terms of a line: its own transcript and note terms over the global ones.

        A line that is no longer configured (its old conversations are still in the store) gets
        the global terms, so removing a line from the file never stops its purge. Only the two
        per-line keys are taken from the line: audit, hold and purge interval stay global even
        if a line's ``RetentionSettings`` was built by hand with other values.
        """
        line = self.line(line_id)
        if line is None or line.retention is None:
            return self.retention
        return replace(
            self.retention,
            transcripts_days=line.retention.transcripts_days,
            notes_days=line.retention.notes_days,
        )


class ConfigError(Exception):
    """A configuration mistake: which file, which key, and what is expected there."""

    def __init__(self, file: str, key: str, expected: str) -> None:
        super().__init__(f"{file}: {key}: {expected}")
        self.file = file
        self.key = key
        self.expected = expected


# --------------------------------------------------------------------------------------------
# Loading and validation
#
# Leaf parsers (``_int``, ``_text`` ...) take ``(value, key)`` and either return the typed value
# or raise ``_Problem``. Compound parsers take a ``_Collector`` and keep going after a mistake,
# so ``check-config`` can list every mistake in one run instead of one per restart.
# --------------------------------------------------------------------------------------------

DEFAULT_LANGUAGES = ("nl", "en")

DEFAULT_PRIVACY_STATEMENT = {
    "nl": (
        "Je blijft anoniem. We slaan geen IP-adres, cookies of andere gegevens op waarmee je "
        "herkend kunt worden. Het gesprek wordt na een vaste termijn verwijderd, en je kunt het "
        "zelf meteen laten verwijderen. Door het gesprek te beginnen ga je hiermee akkoord."
    ),
    "en": (
        "You stay anonymous. We do not store your IP address, cookies or anything else that could "
        "identify you. The conversation is deleted after a fixed period, and you can delete it "
        "yourself straight away. By starting the chat you agree to this."
    ),
}

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_INTERVAL_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY = 24 * 60

_TOP_KEYS = (
    "server", "routing", "retention", "triage", "abuse", "wrapup", "intake", "lines", "accounts",
)  # fmt: skip
_LINE_KEYS = (
    "id", "name", "languages", "timezone", "hours", "always_open", "exceptions", "queue_limit",
    "emergency", "alternatives", "alternatives_after_seconds", "privacy_statement",
    "emergency_procedure", "embed_origins", "exit_url", "retention", "redact", "canned",
)  # fmt: skip
_CONTACT_KEYS = ("label", "phone", "url")
_TOPIC_KEYS = ("id", "label")
_CANNED_KEYS = ("id", "title", "text")
_EXCEPTION_KEYS = ("date", "hours")
_INTERVAL_HINT = '"HH:MM-HH:MM" like "18:00-23:00"'

T = TypeVar("T")


class _Missing:
    """Stands in for an absent key, so a leaf parser can say what belongs there."""

    def __repr__(self) -> str:
        return "nothing (the key is missing)"


_MISSING = _Missing()


class _Problem(Exception):
    """A mistake found by a parser; the file name is added when it becomes a ConfigError."""

    def __init__(self, key: str, expected: str) -> None:
        super().__init__(f"{key}: {expected}")
        self.key = key
        self.expected = expected


class _Collector:
    """Gathers problems and lets parsing carry on, so one run reports every mistake."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []

    def add(self, key: str, expected: str) -> None:
        self.problems.append(_Problem(key, expected))

    def adopt(self, other: _Collector, value: T) -> T:
        """Take over the problems another collector found, in this place of the report."""
        self.problems.extend(other.problems)
        return value

    def take(self, parse: Callable[..., T], *args: Any) -> T | None:
        """Run a parser; on a mistake remember it and return None."""
        try:
            return parse(*args)
        except _Problem as problem:
            self.problems.append(problem)
            return None


def _at(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _got(value: object) -> str:
    """Show a value the way it was written in TOML, so the administrator recognises it."""
    if isinstance(value, _Missing):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _expected(key: str, what: str, value: object) -> _Problem:
    return _Problem(key, f"expected {what}, got {_got(value)}")


def _check_keys(c: _Collector, table: dict[str, Any], key: str, allowed: Sequence[str]) -> None:
    """Unknown keys are errors: a typo like ``cooldown_second`` must not be ignored silently."""
    for name in table:
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        c.add(_at(key, name), f"unknown key{hint}; expected one of: {', '.join(allowed)}")


def _table(value: object, key: str, what: str = "a table") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _expected(key, what, value)
    return value


def _list(value: object, key: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _expected(key, what, value)
    return value


# -- leaf parsers ----------------------------------------------------------------------------


def _int(value: object, key: str, low: int = 0, high: int | None = None) -> int:
    """Whole numbers only: ``true`` is not 1 and ``1.5`` seconds is a mistake, not a rounding."""
    bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
    if not isinstance(value, int) or isinstance(value, bool):
        raise _expected(key, f"a whole number {bounds}", value)
    if value < low or (high is not None and value > high):
        raise _expected(key, f"a whole number {bounds}", value)
    return value


def _bool(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise _expected(key, "true or false", value)
    return value


def _string(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _expected(key, "a non-empty string", value)
    return value


def _strings(value: object, key: str) -> tuple[str, ...]:
    items = _list(value, key, 'a list of strings like ["a", "b"]')
    for i, item in enumerate(items):
        _string(item, f"{key}[{i}]")
        if item in items[:i]:
            raise _expected(f"{key}[{i}]", "each entry only once", item)
    return tuple(items)


def _ident(value: object, key: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise _expected(
            key, 'an id of lowercase letters, digits, "-" or "_" (at most 40) like "chat"', value
        )
    return value


def _language(value: object, key: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE_RE.match(value):
        raise _expected(key, 'a two-letter lowercase language code like "nl" or "en"', value)
    return value


def _languages(value: object, key: str) -> tuple[str, ...]:
    items = _list(value, key, 'a non-empty list of language codes like ["nl", "en"]')
    if not items:
        raise _expected(key, 'a non-empty list of language codes like ["nl", "en"]', value)
    for i, item in enumerate(items):
        _language(item, f"{key}[{i}]")
        if item in items[:i]:
            raise _expected(f"{key}[{i}]", "each language only once", item)
    return tuple(items)


def _keywords(value: object, key: str) -> dict[str, tuple[str, ...]]:
    """Triage words per language, lower-cased once here so matching never has to care."""
    table = _table(value, key, 'a table of language -> words like nl = ["zelfmoord"]')
    result: dict[str, tuple[str, ...]] = {}
    for language, words in table.items():
        _language(language, _at(key, language))
        lowered = (word.strip().lower() for word in _strings(words, _at(key, language)))
        result[language] = tuple(dict.fromkeys(lowered))  # "Suicide" and "suicide" count once
    return result


def _text(value: object, key: str, languages: Sequence[str]) -> dict[str, str]:
    """A plain string serves every language; a table gives one text per language code."""
    if isinstance(value, str) and value.strip():
        return {language: value for language in languages}
    what = 'a string, or a table of language -> text like { nl = "Hallo", en = "Hello" }'
    if not isinstance(value, dict) or not value:
        raise _expected(key, what, value)
    for language, text in value.items():
        _language(language, _at(key, language))
        _string(text, _at(key, language))
    return dict(value)


def _timezone(value: object, key: str) -> str:
    what = 'an IANA time zone name like "Europe/Amsterdam"'
    if not isinstance(value, str) or not value:
        raise _expected(key, what, value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, available_timezones(), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise _Problem(key, f"expected {what}, got {_got(value)}{hint}") from None
    return value


def _url(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise _expected(key, 'a web address like "https://www.113.nl"', value)
    return value


_ORIGIN_RE = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def _origins(value: object, key: str) -> tuple[str, ...]:
    """Origins only (scheme, host, port): they go into a Content-Security-Policy as they are."""
    origins = _strings(value, key)
    for i, origin in enumerate(origins):
        if not _ORIGIN_RE.match(origin):
            raise _expected(
                f"{key}[{i}]", 'an origin like "https://www.example.nl" (no path)', origin
            )
    return origins


def _date(value: object, key: str) -> str:
    """ISO dates, quoted or as a bare TOML date: both ``"2026-12-25"`` and ``2026-12-25``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _expected(key, 'a date "YYYY-MM-DD" like "2026-12-25"', value)


def _interval(value: object, key: str) -> tuple[int, int]:
    """Parse "HH:MM-HH:MM" into minutes; an end before the start means it crosses midnight.

    An end of "00:00" (or "24:00") means midnight at the end of the day, so "18:00-00:00" is the
    evening and "00:00-00:00" the whole day.
    """
    match = _INTERVAL_RE.match(value.replace(" ", "")) if isinstance(value, str) else None
    if match is None:
        raise _expected(key, _INTERVAL_HINT, value)
    sh, sm, eh, em = (int(part) for part in match.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
        raise _expected(key, f"{_INTERVAL_HINT} with times from 00:00 to 24:00", value)
    start, end = sh * 60 + sm, eh * 60 + em
    end = end or _DAY
    if start == end:
        raise _expected(key, f'{_INTERVAL_HINT} that is open for a while ("00:00-24:00": all day)',
                        value)  # fmt: skip
    return start, end


def _normalise(pairs: Iterable[tuple[int, int]]) -> tuple[Interval, ...]:
    """Sort and merge overlapping or touching intervals, so the hub never sees duplicates."""
    merged: list[list[int]] = []
    for start, end in sorted(pairs):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(Interval(start, end) for start, end in merged)


# -- compound parsers ------------------------------------------------------------------------


def _section(
    c: _Collector, value: object, key: str, cls: Callable[..., T], spec: dict[str, Any]
) -> T:
    """A flat table of scalars whose absent keys keep the defaults of ``cls``.

    ``cls`` is usually the dataclass itself; a ``partial(replace, base)`` makes ``base`` the
    defaults instead (a line's retention starts from the global one).
    """
    if isinstance(value, _Missing):
        return cls()
    table = c.take(_table, value, key)
    if table is None:
        return cls()
    _check_keys(c, table, key, tuple(spec))
    known = [name for name in table if name in spec]
    parsed = {name: c.take(spec[name], table[name], _at(key, name)) for name in known}
    return cls(**{name: v for name, v in parsed.items() if v is not None})


_SERVER_SPEC: dict[str, Any] = {
    "host": _string,
    "port": partial(_int, high=65535),
    "data_dir": _string,
    "max_message_length": partial(_int, low=1, high=100_000),
    "cors_allowed_origins": _strings,
}
_ROUTING_SPEC: dict[str, Any] = {
    "default_capacity": partial(_int, low=1),
    "cooldown_seconds": _int,
    "visitor_grace_seconds": _int,
    "operator_grace_seconds": _int,
    "assumed_chat_seconds": partial(_int, low=1),
    "estimate_window": partial(_int, low=1),
    "handover_timeout_seconds": partial(_int, low=1),
    "backup_timeout_seconds": partial(_int, low=1),
    "debrief_pause": _bool,
}
_RETENTION_SPEC: dict[str, Any] = {
    "transcripts_days": _int,
    "notes_days": _int,
    "audit_days": _int,
    "hold_max_days": partial(_int, low=1),  # a hold of 0 days would lapse before it helped
    "purge_interval_minutes": partial(_int, low=1, high=24 * 60),  # at least once a day
}
# what a line may decide for itself; the rest of [retention] is the organisation's
_LINE_RETENTION_SPEC: dict[str, Any] = {
    "transcripts_days": _int,
    "notes_days": _int,
}


def _networks(value: object, key: str) -> tuple[str, ...]:
    networks = _strings(value, key)
    for i, network in enumerate(networks):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise _expected(
                f"{key}[{i}]", 'an address or network like "10.0.0.1" or "10.0.0.0/8"', network
            ) from None
    return networks


_ABUSE_SPEC: dict[str, Any] = {
    "messages_per_minute": partial(_int, low=1),
    "burst": partial(_int, low=1),
    "conversations_per_source": partial(_int, low=1),
    "key_rotation_hours": partial(_int, low=1, high=24 * 7),  # blocks never outlive a week
    "trusted_proxies": _networks,
}


def _roles(value: object, key: str) -> tuple[str, ...]:
    roles = _strings(value, key)
    for i, role in enumerate(roles):
        if role not in ACCOUNT_ROLES:
            raise _expected(f"{key}[{i}]", f"a role: one of {', '.join(ACCOUNT_ROLES)}", role)
    return roles


_ACCOUNTS_SPEC: dict[str, Any] = {
    "two_factor_roles": _roles,
}
_TRIAGE_SPEC: dict[str, Any] = {
    "enabled": _bool,
    "boost": partial(_int, low=1),
    "keywords": _keywords,
}


def _hours(c: _Collector, value: object, key: str) -> dict[str, tuple[Interval, ...]] | None:
    """Weekly hours; the part of "22:00-02:00" after midnight moves to the next weekday.

    Every weekday is present in the result (closed days map to ``()``).
    """
    table = c.take(_table, value, key, 'a table of weekdays like mon = ["14:00-22:00"]')
    if table is None:
        return None
    _check_keys(c, table, key, WEEKDAYS)
    pairs: dict[str, list[tuple[int, int]]] = {day: [] for day in WEEKDAYS}
    for day, intervals in table.items():
        if day not in WEEKDAYS:
            continue
        items = c.take(_list, intervals, _at(key, day), f'a list like ["14:00-22:00"] for {day}')
        for i, item in enumerate(items or ()):
            parsed = c.take(_interval, item, f"{key}.{day}[{i}]")
            if parsed is None:
                continue
            start, end = parsed
            if end > start:
                pairs[day].append((start, end))
                continue
            pairs[day].append((start, _DAY))
            if end:
                pairs[WEEKDAYS[(WEEKDAYS.index(day) + 1) % 7]].append((0, end))
    return {day: _normalise(pairs[day]) for day in WEEKDAYS}


def _exception_hours(value: object, key: str) -> tuple[Interval, ...]:
    items = _list(value, key, 'a list like ["14:00-18:00"] (hours = [] is closed all day)')
    pairs = []
    for i, item in enumerate(items):
        start, end = _interval(item, f"{key}[{i}]")
        if end < start:
            raise _expected(
                f"{key}[{i}]",
                "an interval within the day (an exception date cannot cross midnight: give the "
                "next date its own exception)",
                item,
            )
        pairs.append((start, end))
    return _normalise(pairs)


def _exceptions(c: _Collector, value: object, key: str) -> dict[str, tuple[Interval, ...]]:
    """Dates whose hours replace the weekday's, e.g. closed on Christmas Day."""
    result: dict[str, tuple[Interval, ...]] = {}
    what = 'a list of tables like [{ date = "2026-12-25", hours = [] }]'
    for i, item in enumerate(c.take(_list, value, key, what) or ()):
        entry_key = f"{key}[{i}]"
        entry = c.take(_table, item, entry_key, 'a table like { date = "2026-12-25", hours = [] }')
        if entry is None:
            continue
        _check_keys(c, entry, entry_key, _EXCEPTION_KEYS)
        day = c.take(_date, entry.get("date", _MISSING), _at(entry_key, "date"))
        hours = c.take(_exception_hours, entry.get("hours", _MISSING), _at(entry_key, "hours"))
        if day is not None and day in result:
            c.add(_at(entry_key, "date"), f"expected each date only once, got {_got(day)} again")
        elif day is not None and hours is not None:
            result[day] = hours
    return result


def _contact(c: _Collector, value: object, key: str, languages: Sequence[str]) -> Contact | None:
    entry = c.take(_table, value, key, 'a table like { label = "Alarmnummer", phone = "112" }')
    if entry is None:
        return None
    before = len(c.problems)
    _check_keys(c, entry, key, _CONTACT_KEYS)
    label = c.take(_text, entry.get("label", _MISSING), _at(key, "label"), languages)
    phone = c.take(_string, entry["phone"], _at(key, "phone")) if "phone" in entry else None
    url = c.take(_url, entry["url"], _at(key, "url")) if "url" in entry else None
    if "phone" not in entry and "url" not in entry:
        c.add(key, 'expected a phone or a url (or both), like phone = "112"')
    if len(c.problems) > before or label is None:
        return None
    return Contact(label=label, phone=phone, url=url)


def _contacts(
    c: _Collector, value: object, key: str, languages: Sequence[str], required: bool
) -> tuple[Contact, ...]:
    what = 'a list of tables like [{ label = "Alarmnummer", phone = "112" }]'
    items = c.take(_list, value, key, what)
    if items is None:
        return ()
    if required and not items:
        c.add(key, f"expected at least one contact for visitors in danger: {what}")
    contacts = (_contact(c, item, f"{key}[{i}]", languages) for i, item in enumerate(items))
    return tuple(contact for contact in contacts if contact is not None)


def _topics(c: _Collector, value: object, key: str, languages: Sequence[str]) -> tuple[Topic, ...]:
    what = 'a list of tables like [{ id = "other", label = { nl = "Anders", en = "Other" } }]'
    topics: list[Topic] = []
    for i, item in enumerate(c.take(_list, value, key, what) or ()):
        item_key = f"{key}[{i}]"
        entry = c.take(_table, item, item_key, 'a table like { id = "other", label = "Other" }')
        if entry is None:
            continue
        _check_keys(c, entry, item_key, _TOPIC_KEYS)
        topic_id = c.take(_ident, entry.get("id", _MISSING), _at(item_key, "id"))
        label = c.take(_text, entry.get("label", _MISSING), _at(item_key, "label"), languages)
        if topic_id is not None and any(t.id == topic_id for t in topics):
            c.add(_at(item_key, "id"), f"expected a unique id, got {_got(topic_id)} again")
        elif topic_id is not None and label is not None:
            topics.append(Topic(id=topic_id, label=label))
    return tuple(topics)


def _canned(c: _Collector, value: object, key: str, languages: Sequence[str]) -> tuple[Canned, ...]:
    """``[[lines.canned]]``: ids unique within the line, title and text like other texts."""
    what = 'a list of tables like [{ id = "welkom", title = "Welkom", text = "Hallo ..." }]'
    canned: list[Canned] = []
    for i, item in enumerate(c.take(_list, value, key, what) or ()):
        item_key = f"{key}[{i}]"
        entry = c.take(_table, item, item_key, 'a table like { id = "welkom", title = "Welkom", '
                       'text = "Hallo, fijn dat je er bent." }')  # fmt: skip
        if entry is None:
            continue
        _check_keys(c, entry, item_key, _CANNED_KEYS)
        canned_id = c.take(_ident, entry.get("id", _MISSING), _at(item_key, "id"))
        title = c.take(_text, entry.get("title", _MISSING), _at(item_key, "title"), languages)
        text = c.take(_text, entry.get("text", _MISSING), _at(item_key, "text"), languages)
        if canned_id is not None and any(x.id == canned_id for x in canned):
            c.add(_at(item_key, "id"), f"expected a unique id, got {_got(canned_id)} again")
        elif canned_id is not None and title is not None and text is not None:
            canned.append(Canned(id=canned_id, title=title, text=text))
    return tuple(canned)


def _field(
    c: _Collector, entry: dict[str, Any], key: str, name: str, parse: Callable[..., T],
    *args: Any, default: object = _MISSING,
) -> T | None:  # fmt: skip
    """Parse ``entry[name]`` (or ``default`` when absent) under the dotted key ``key.name``."""
    return c.take(parse, entry.get(name, default), _at(key, name), *args)


def _line_hours(
    c: _Collector, entry: dict[str, Any], key: str
) -> dict[str, tuple[Interval, ...]] | None:
    """``always_open = true`` is shorthand for 00:00-24:00 every day, and excludes ``hours``."""
    if _field(c, entry, key, "always_open", _bool, default=False):
        if "hours" in entry:
            c.add(_at(key, "hours"), "expected no hours when always_open = true; remove one")
        return {day: (Interval(0, _DAY),) for day in WEEKDAYS}
    if "hours" not in entry:
        c.add(
            _at(key, "hours"),
            'expected a table of weekdays like mon = ["14:00-22:00"], or always_open = true',
        )
        return None
    return _hours(c, entry["hours"], _at(key, "hours"))


def _line_retention(
    c: _Collector, entry: dict[str, Any], key: str, defaults: RetentionSettings
) -> RetentionSettings | None:
    """``[lines.retention]``: the keys it gives replace the global ones for this line only."""
    if "retention" not in entry:
        return None
    before = len(c.problems)
    retention = _section(c, entry["retention"], _at(key, "retention"), partial(replace, defaults),
                         _LINE_RETENTION_SPEC)  # fmt: skip
    return retention if len(c.problems) == before else None


def _line(
    c: _Collector, value: object, key: str, retention: RetentionSettings = RetentionSettings()
) -> LineSettings | None:
    """One [[lines]] table; None when it has mistakes (they are in the collector).

    ``retention`` is the global ``[retention]``, which a line's own table starts from.
    """
    entry = c.take(_table, value, key, "a [[lines]] table")
    if entry is None:
        return None
    before = len(c.problems)
    _check_keys(c, entry, key, _LINE_KEYS)
    languages = _field(c, entry, key, "languages", _languages)
    langs = languages or DEFAULT_LANGUAGES  # keep checking texts even if languages is wrong
    line = dict(
        id=_field(c, entry, key, "id", _ident),
        name=_field(c, entry, key, "name", _text, langs),
        languages=languages,
        timezone=_field(c, entry, key, "timezone", _timezone),
        hours=_line_hours(c, entry, key),
        exceptions=_exceptions(c, entry.get("exceptions", []), _at(key, "exceptions")),
        queue_limit=_field(c, entry, key, "queue_limit", _int, 1, default=50),
        emergency=_contacts(c, entry.get("emergency", _MISSING), _at(key, "emergency"), langs,
                            required=True),
        alternatives=_contacts(c, entry.get("alternatives", []), _at(key, "alternatives"), langs,
                               required=False),
        alternatives_after_seconds=_field(c, entry, key, "alternatives_after_seconds", _int,
                                          default=600),
        privacy_statement=_field(c, entry, key, "privacy_statement", _text, langs,
                                 default=DEFAULT_PRIVACY_STATEMENT),
        emergency_procedure=(_field(c, entry, key, "emergency_procedure", _text, langs)
                             if "emergency_procedure" in entry else {}),
        embed_origins=_field(c, entry, key, "embed_origins", _origins, default=[]),
        exit_url=_field(c, entry, key, "exit_url", _url, default=DEFAULT_EXIT_URL),
        retention=_line_retention(c, entry, key, retention),
        redact=_field(c, entry, key, "redact", _bool, default=False),
        canned=_canned(c, entry.get("canned", []), _at(key, "canned"), langs),
    )  # fmt: skip
    if len(c.problems) > before:
        return None
    return LineSettings(**line)  # type: ignore[arg-type]  # no None left without a problem


def _lines(
    c: _Collector, value: object, retention: RetentionSettings = RetentionSettings()
) -> tuple[LineSettings, ...]:
    what = "at least one [[lines]] table"
    items = c.take(_list, value, "lines", what)
    if items is not None and not items:
        c.add("lines", f"expected {what}, got an empty list")
    lines: dict[str, LineSettings] = {}
    first_index: dict[str, int] = {}
    for i, item in enumerate(items or ()):
        line = _line(c, item, f"lines[{i}]", retention)
        if line is None:
            continue
        if line.id in lines:
            c.add(
                f"lines[{i}].id",
                f'expected a unique line id, got "{line.id}" (already used by '
                f"lines[{first_index[line.id]}])",
            )
            continue
        lines[line.id] = line
        first_index[line.id] = i
    return tuple(lines.values())


def _all_languages(lines: Sequence[LineSettings]) -> tuple[str, ...]:
    """Topic labels written as one string serve every language any line speaks."""
    seen = dict.fromkeys(language for line in lines for language in line.languages)
    return tuple(seen) or DEFAULT_LANGUAGES


def _settings(c: _Collector, doc: dict[str, Any], source: str) -> Settings:
    _check_keys(c, doc, "", _TOP_KEYS)
    get = doc.get
    # [retention] is read before the lines, whose own retention tables start from it; its
    # mistakes are reported in their usual place, after those of the lines and routing.
    retention_problems = _Collector()
    retention = _section(
        retention_problems, get("retention", _MISSING), "retention", RetentionSettings,
        _RETENTION_SPEC,
    )  # fmt: skip
    lines = _lines(c, get("lines", _MISSING), retention)
    languages = _all_languages(lines)
    wrapup = c.take(_table, get("wrapup", {}), "wrapup") or {}
    _check_keys(c, wrapup, "wrapup", ("topics",))
    intake = c.take(_table, get("intake", {}), "intake") or {}
    _check_keys(c, intake, "intake", ("topics", "age_bands"))
    return Settings(
        source=source,
        server=_section(c, get("server", _MISSING), "server", ServerSettings, _SERVER_SPEC),
        routing=_section(c, get("routing", _MISSING), "routing", RoutingSettings, _ROUTING_SPEC),
        retention=c.adopt(retention_problems, retention),
        lines=lines,
        triage=_section(c, get("triage", _MISSING), "triage", TriageSettings, _TRIAGE_SPEC),
        abuse=_section(c, get("abuse", _MISSING), "abuse", AbuseSettings, _ABUSE_SPEC),
        accounts=_section(
            c, get("accounts", _MISSING), "accounts", AccountSettings, _ACCOUNTS_SPEC
        ),
        wrapup_topics=_topics(c, wrapup.get("topics", []), "wrapup.topics", languages),
        intake_topics=_topics(c, intake.get("topics", []), "intake.topics", languages),
        age_bands=c.take(_strings, intake.get("age_bands", []), "intake.age_bands") or (),
    )


def _read(path: Path, file: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(file, "(file)", "expected an existing file; check the path") from None
    except OSError as exc:
        raise ConfigError(file, "(file)", f"expected a readable file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(file, "(file)", "expected UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "(syntax)", f"expected valid TOML: {exc}") from None


def _load(path: str | Path | None) -> tuple[Settings | None, list[ConfigError]]:
    path = Path(path) if path is not None else DEFAULT_CONFIG
    file = str(path)
    try:
        doc = _read(path, file)
    except ConfigError as error:
        return None, [error]
    collector = _Collector()
    settings = _settings(collector, doc, file)
    errors = [ConfigError(file, p.key, p.expected) for p in collector.problems]
    return (None if errors else settings), errors


def collect_errors(path: str | Path | None = None) -> list[ConfigError]:
    """Every mistake in the file at once (empty when it is valid), for ``check-config``."""
    return _load(path)[1]


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate a TOML configuration; raise the first ConfigError if it is wrong.

    Without a path the shipped default ``config/chatserver.toml`` is read.
    """
    settings, errors = _load(path)
    if errors or settings is None:
        raise errors[0]
    return settings


def text_for(texts: dict[str, str], language: str) -> str:
    """The text in the visitor's language, else the first one configured: never a blank."""
    if language in texts:
        return texts[language]
    return next(iter(texts.values()), "")
