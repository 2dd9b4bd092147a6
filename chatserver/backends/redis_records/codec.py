"""How a record lies in a Redis hash: one field per attribute, each a plain string.

Every record type has its list of stored fields here, so what is kept is a whitelist:
a live-only attribute (``Conversation.shared_connection``, ``forgotten``) has no field,
and nothing about a visitor's connection can slip in with a new attribute by accident.
Strings are kept as they are (the Lua scripts read ``username``, ``operator_id`` or a
message's ``role`` without decoding), ``None`` is a missing field, numbers are written
with ``repr`` (a float comes back bit for bit), tuples and dicts as JSON.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from chatserver.backends.base import AuditEntry, Hold, Session
from chatserver.hub.followup.model import Appointment, Letter, LetterThread, Offer, Space
from chatserver.hub.model import Account, Conversation, Message, Wrapup

R = TypeVar("R")

# the stored fields of each record, in one order (the first is its id where it has one)
FIELDS: dict[type, tuple[str, ...]] = {
    Account: (
        "id", "username", "alias", "role", "password_hash", "lines", "languages", "capacity",
        "backup", "active", "totp_secret", "created_at",
    ),
    Session: ("token_hash", "operator_id", "csrf", "created_at", "last_seen"),
    Conversation: (
        "id", "line", "lang", "state", "token_hash", "created_at", "intake", "priority",
        "operator_id", "assigned_at", "ended_at", "ended_by", "end_reason", "risk", "last_seq",
        "answered",
    ),
    Message: (
        "id", "conversation_id", "seq", "role", "text", "at", "author", "author_alias", "html",
        "code", "params",
    ),
    Wrapup: ("conversation_id", "operator_id", "topics", "risk", "at"),
    Hold: ("conversation_id", "operator_id", "reason", "created_at", "expires_at"),
    AuditEntry: ("at", "actor", "action", "conversation_id", "detail"),
    Space: ("id", "line", "lang", "key_hash", "created_at", "active_at", "revoked_at"),
    LetterThread: (
        "id", "space_id", "line", "lang", "created_at", "active_at", "waiting_since", "due_at",
        "owner", "note",
    ),
    Letter: ("thread_id", "seq", "role", "text", "html", "at", "author", "author_alias"),
    Appointment: (
        "id", "space_id", "line", "lang", "operator_id", "at", "note", "source_conversation",
        "created_at", "share", "keep", "state", "conversation_id",
    ),
    Offer: ("conversation_id", "operator_id", "line", "lang", "at", "note", "made_at"),
}  # fmt: skip


def encode(record: object) -> dict[str, str]:
    """The record's stored fields as strings; ``None`` fields are left out."""
    out: dict[str, str] = {}
    for name in FIELDS[type(record)]:
        value = getattr(record, name)
        if value is not None:
            out[name] = _text(value)
    return out


def encode_json(record: object) -> str:
    """One record as one JSON string (a message or a letter, kept as a hash's value)."""
    return json.dumps(encode(record), ensure_ascii=False, separators=(",", ":"))


def decode(cls: type[R], fields: Mapping[str, str]) -> R | None:
    """The record from its hash, ``None`` for an empty hash (no such record)."""
    if not fields:
        return None
    values = {
        name: _value(hint, fields[name]) if name in fields else None
        for name, hint in _types(cls).items()
        if name in fields or isinstance(hint, tuple)
    }
    return cls(**values)


def decode_json(cls: type[R], text: str) -> R:
    found = decode(cls, json.loads(text))
    assert found is not None
    return found


def _text(value: Any) -> str:
    if isinstance(value, str):  # StrEnum included
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"no stored form for {type(value).__name__}")


_TYPES: dict[type, dict[str, Any]] = {}


def _types(cls: type) -> dict[str, Any]:
    """Each stored field's type; ``X | None`` as ``(X,)``, so a missing field means ``None``."""
    if cls in _TYPES:
        return _TYPES[cls]
    hints = get_type_hints(cls)
    found: dict[str, Any] = {}
    for name in FIELDS[cls]:
        hint = hints[name]
        if get_origin(hint) in (Union, types.UnionType):
            hint = (next(arg for arg in get_args(hint) if arg is not type(None)),)
        found[name] = hint
    _TYPES[cls] = found
    return found


def _value(hint: Any, text: str) -> Any:
    if isinstance(hint, tuple):  # optional
        hint = hint[0]
    origin = get_origin(hint) or hint
    if origin is bool:
        return text == "1"
    if origin is int:
        return int(text)
    if origin is float:
        return float(text)
    if origin is tuple:
        return tuple(json.loads(text))
    if origin is dict:
        return dict(json.loads(text))
    if isinstance(origin, type) and issubclass(origin, Enum):
        return origin(text)
    return text


def flat(fields: Mapping[str, str]) -> list[str]:
    """``field, value, field, value ...``: a hash's fields as a script's arguments."""
    return [item for pair in fields.items() for item in pair]
