"""The leaf validators of the configuration and the collector that keeps going after a mistake.

Leaf parsers (``_int``, ``_text`` ...) take ``(value, key)`` and either return the typed value
or raise ``_Problem``. Compound parsers (in ``load.py``) take a ``_Collector`` and keep going
after a mistake, so ``check-config`` can list every mistake in one run instead of one per
restart. Every message says what is expected and shows what was written, the way it was
written in TOML, so an administrator recognises it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chatserver.settings.shape import ACCOUNT_ROLES, Interval

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_INTERVAL_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY = 24 * 60
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
    """Origins only (scheme, host, port, no path, no wildcard): they go into a
    Content-Security-Policy and the socket.io origin check as they are."""
    origins = _strings(value, key)
    for i, origin in enumerate(origins):
        if "*" in origin:
            raise _Problem(
                f"{key}[{i}]",
                'expected one site per entry, like "https://www.example.nl", got '
                f"{_got(origin)}: a wildcard would let every site in",
            )
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


def _roles(value: object, key: str) -> tuple[str, ...]:
    roles = _strings(value, key)
    for i, role in enumerate(roles):
        if role not in ACCOUNT_ROLES:
            raise _expected(f"{key}[{i}]", f"a role: one of {', '.join(ACCOUNT_ROLES)}", role)
    return roles


# -- sections of scalars ----------------------------------------------------------------------


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
    "cors_allowed_origins": _origins,
    "metrics_allowed": _networks,
    "secure_cookies": _bool,
    "shutdown_seconds": partial(_int, low=1, high=600),
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
    "handback_avoid_seconds": partial(_int, low=0),
    "debrief_pause": _bool,
}
_RETENTION_SPEC: dict[str, Any] = {
    "transcripts_days": _int,
    "notes_days": _int,
    "audit_days": _int,
    "hold_max_days": partial(_int, low=1),  # a hold of 0 days would lapse before it helped
    "purge_interval_minutes": partial(_int, low=1, high=24 * 60),  # at least once a day
    "scrub_after_seconds": partial(_int, low=1, high=60 * 60),  # erased on disk within the hour
}
# what a line may decide for itself; the rest of [retention] is the organisation's
_LINE_RETENTION_SPEC: dict[str, Any] = {
    "transcripts_days": _int,
    "notes_days": _int,
}


_ABUSE_SPEC: dict[str, Any] = {
    "messages_per_minute": partial(_int, low=1),
    "burst": partial(_int, low=1),
    "conversations_per_source": partial(_int, low=1),
    "conversations_ceiling": partial(_int, low=1),
    "key_rotation_hours": partial(_int, low=1, high=24 * 7),  # blocks never outlive a week
    "trusted_proxies": _networks,
}


_FOLLOW_UP_SPEC: dict[str, Any] = {
    "wrong_links_per_hour": partial(_int, low=1, high=1000),
    "max_letter_length": partial(_int, low=100, high=100_000),
    "appointment_opens_minutes": partial(_int, low=0, high=120),
    "appointment_missed_minutes": partial(_int, low=1, high=240),
    "appointment_days_ahead": partial(_int, low=1, high=365),
}
# [lines.follow_up]: what a line offers beyond a live chat
_LINE_FOLLOW_UP_SPEC: dict[str, Any] = {
    "letters": _bool,
    "answer_within_hours": partial(_int, low=1, high=24 * 30),
    "appointments": _bool,
}


_ACCOUNTS_SPEC: dict[str, Any] = {
    "two_factor_roles": _roles,
}
_TRIAGE_SPEC: dict[str, Any] = {
    "enabled": _bool,
    "boost": partial(_int, low=1),
    "keywords": _keywords,
}
