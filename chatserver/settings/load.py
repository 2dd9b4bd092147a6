"""Reading a TOML file into :class:`~chatserver.settings.shape.Settings`, checking everything.

The compound parsers (a section, a line, its hours, its contacts ...) take a ``_Collector``
and carry on after a mistake, so one run of ``chatserver check-config`` reports every mistake
with the file, the key and what is expected. Unknown keys are mistakes too: a typo must not be
ignored silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from chatserver.settings.shape import (
    DEFAULT_CONFIG,
    DEFAULT_EXIT_URL,
    DEFAULT_LANGUAGES,
    DEFAULT_PRIVACY_STATEMENT,
    WEEKDAYS,
    AbuseSettings,
    AccountSettings,
    Canned,
    ConfigError,
    Contact,
    FollowUpPolicy,
    FollowUpSettings,
    Interval,
    LineSettings,
    RetentionSettings,
    RoutingSettings,
    SelfHelp,
    ServerSettings,
    Settings,
    Topic,
    TriageSettings,
)
from chatserver.settings.validate import (
    _ABUSE_SPEC,
    _ACCOUNTS_SPEC,
    _DAY,
    _FOLLOW_UP_SPEC,
    _LINE_FOLLOW_UP_SPEC,
    _LINE_RETENTION_SPEC,
    _MISSING,
    _RETENTION_SPEC,
    _ROUTING_SPEC,
    _SERVER_SPEC,
    _TRIAGE_SPEC,
    T,
    _at,
    _bool,
    _check_keys,
    _Collector,
    _date,
    _expected,
    _got,
    _ident,
    _int,
    _interval,
    _languages,
    _list,
    _normalise,
    _origins,
    _section,
    _string,
    _strings,
    _table,
    _text,
    _timezone,
    _url,
)

_TOP_KEYS = (
    "server", "routing", "retention", "triage", "abuse", "wrapup", "intake", "lines", "accounts",
    "follow_up",
)  # fmt: skip
_LINE_KEYS = (
    "id", "name", "languages", "timezone", "hours", "always_open", "exceptions", "queue_limit",
    "emergency", "alternatives", "alternatives_after_seconds", "privacy_statement",
    "emergency_procedure", "embed_origins", "exit_url", "retention", "redact", "canned",
    "follow_up", "self_help",
)  # fmt: skip
_CONTACT_KEYS = ("label", "phone", "url")
_TOPIC_KEYS = ("id", "label")
_CANNED_KEYS = ("id", "title", "text")
_SELF_HELP_KEYS = ("title", "text", "url")
_EXCEPTION_KEYS = ("date", "hours")

# the [retention] a line starts from when no global one is given (frozen, so safely shared)
_GLOBAL_DEFAULTS = RetentionSettings()


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


def _self_help(
    c: _Collector, value: object, key: str, languages: Sequence[str]
) -> tuple[SelfHelp, ...]:
    """``[[lines.self_help]]``: what the visitor's own space offers to read, with a site."""
    what = 'a list of tables like [{ title = "Slapen", text = "...", url = "https://..." }]'
    found: list[SelfHelp] = []
    for i, item in enumerate(c.take(_list, value, key, what) or ()):
        item_key = f"{key}[{i}]"
        entry = c.take(_table, item, item_key, 'a table like { title = "Slapen", text = "..." }')
        if entry is None:
            continue
        _check_keys(c, entry, item_key, _SELF_HELP_KEYS)
        title = c.take(_text, entry.get("title", _MISSING), _at(item_key, "title"), languages)
        text = c.take(_text, entry.get("text", _MISSING), _at(item_key, "text"), languages)
        url = c.take(_url, entry["url"], _at(item_key, "url")) if "url" in entry else None
        if title is not None and text is not None:
            found.append(SelfHelp(title=title, text=text, url=url))
    return tuple(found)


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
    c: _Collector, value: object, key: str, retention: RetentionSettings = _GLOBAL_DEFAULTS
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
        follow_up=_section(c, entry.get("follow_up", _MISSING), _at(key, "follow_up"),
                           FollowUpSettings, _LINE_FOLLOW_UP_SPEC),
        self_help=_self_help(c, entry.get("self_help", []), _at(key, "self_help"), langs),
    )  # fmt: skip
    if len(c.problems) > before:
        return None
    return LineSettings(**line)  # type: ignore[arg-type]  # no None left without a problem


def _lines(
    c: _Collector, value: object, retention: RetentionSettings = _GLOBAL_DEFAULTS
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
        follow_up=_section(
            c, get("follow_up", _MISSING), "follow_up", FollowUpPolicy, _FOLLOW_UP_SPEC
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
