"""Rows and records: the one place that knows how a domain object lies in a SQLite row.

Column lists are kept once here, so an INSERT and the UPDATE beside it can never disagree on
the order of their values, and a new field has one place to be added.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chatserver.hub.model import Account, Conversation, ConversationState, Message, Risk, Role

HOUR = 3600

CONVERSATION_COLUMNS = (
    "id", "line", "lang", "state", "token_hash", "created_at", "intake", "priority",
    "operator_id", "assigned_at", "ended_at", "ended_by", "end_reason", "risk", "last_seq",
    "answered",
)  # fmt: skip

# the columns an account can change after it was created, in one order for INSERT and UPDATE
ACCOUNT_COLUMNS = (
    "username", "alias", "role", "password_hash", "lines", "languages", "capacity", "backup",
    "active", "totp_secret",
)  # fmt: skip

MESSAGE_COLUMNS = (
    "id", "conversation_id", "seq", "role", "text", "at", "author", "author_alias", "code",
    "params", "html",
)  # fmt: skip


def hour_of(at: float) -> int:
    """The start of the clock hour (UTC epoch seconds) that ``at`` falls in."""
    return int(at // HOUR) * HOUR


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def account_values(account: Account) -> tuple[Any, ...]:
    """The values for ``ACCOUNT_COLUMNS``, in that order."""
    return (
        account.username.lower(),
        account.alias,
        account.role,
        account.password_hash,
        as_json(list(account.lines)),
        as_json(list(account.languages)),
        account.capacity,
        int(account.backup),
        int(account.active),
        account.totp_secret,
    )


def to_account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        alias=row["alias"],
        role=row["role"],
        password_hash=row["password_hash"],
        lines=tuple(json.loads(row["lines"])),
        languages=tuple(json.loads(row["languages"])),
        capacity=row["capacity"],
        backup=bool(row["backup"]),
        active=bool(row["active"]),
        totp_secret=row["totp_secret"],
        created_at=row["created_at"],
    )


def conversation_values(c: Conversation) -> tuple[Any, ...]:
    """The values for ``CONVERSATION_COLUMNS``, in that order."""
    return (
        c.id,
        c.line,
        c.lang,
        c.state.value,
        c.token_hash,
        c.created_at,
        as_json(c.intake),
        c.priority,
        c.operator_id,
        c.assigned_at,
        c.ended_at,
        c.ended_by,
        c.end_reason,
        c.risk.value,
        c.last_seq,
        int(c.answered),
    )


def to_conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        line=row["line"],
        lang=row["lang"],
        state=ConversationState(row["state"]),
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        intake=json.loads(row["intake"]),
        priority=row["priority"],
        operator_id=row["operator_id"],
        assigned_at=row["assigned_at"],
        ended_at=row["ended_at"],
        ended_by=row["ended_by"],
        end_reason=row["end_reason"],
        risk=Risk(row["risk"]),
        last_seq=row["last_seq"],
        answered=bool(row["answered"]),
    )


def message_values(m: Message) -> tuple[Any, ...]:
    """The values for ``MESSAGE_COLUMNS``, in that order."""
    params = as_json(m.params) if m.params else None
    return (
        m.id, m.conversation_id, m.seq, m.role.value, m.text, m.at, m.author, m.author_alias,
        m.code, params, m.html,
    )  # fmt: skip


def to_message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        role=Role(row["role"]),
        text=row["text"],
        at=row["at"],
        author=row["author"],
        author_alias=row["author_alias"],
        code=row["code"],
        params=json.loads(row["params"]) if row["params"] else {},
        html=row["html"],
    )
