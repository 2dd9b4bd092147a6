"""Domain objects to wire payloads (docs/protocol.md). The only place that shapes JSON.

A visitor's payloads never carry an operator id or account name (alias only), and never a
note or a whisper: the hub decides the audience, this module decides what each side sees.
"""

from __future__ import annotations

from typing import Any

from chatserver.clock import iso
from chatserver.hub.model import Conversation, Message, Role
from chatserver.i18n import localized
from chatserver.privacy.sanitize import to_html
from chatserver.settings import Contact


def contact(item: Contact, lang: str) -> dict[str, Any]:
    body: dict[str, Any] = {"label": localized(item.label, lang)}
    if item.phone:
        body["phone"] = item.phone
    if item.url:
        body["url"] = item.url
    return body


def visitor_message(message: Message, alias: str | None = None) -> dict[str, Any]:
    """The message's ``html`` was made once when it was posted; only a message from before
    the hub kept it (or made elsewhere) has it made here.

    The author is named by the alias stored with the message (what the visitor saw when it was
    posted); ``alias``, the author's alias now, only stands in where none was stored.
    """
    body: dict[str, Any] = {
        "id": message.id,
        "seq": message.seq,
        "role": message.role.value,
        "text": message.text,
        "html": to_html(message.text) if message.html is None else message.html,
        "at": iso(message.at),
    }
    name = message.author_alias or alias
    if message.role is Role.OPERATOR and name:
        body["author"] = name
    return body


def operator_message(message: Message, alias: str | None = None) -> dict[str, Any]:
    """Every role, with the author's alias as stored (else ``alias``, else the author's id).

    A system line also carries its ``code`` and ``params``: its ``text`` is in the visitor's
    language, and the console words it in the volunteer's own (falling back to ``text``).
    """
    body = visitor_message(message)
    body["conversation_id"] = message.conversation_id
    if message.author:
        body["author"] = message.author_alias or alias or message.author
        body["author_id"] = message.author
    if message.code:
        body["code"] = message.code
        body["params"] = dict(message.params)
    return body


def conversation(
    item: Conversation,
    messages: list[dict[str, Any]],
    handover_note: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "line": item.line,
        "lang": item.lang,
        "state": item.state.value,
        "intake": dict(item.intake),
        "priority": item.priority,
        "risk": item.risk.value,
        "shared_connection": item.shared_connection,
        "started_at": iso(item.created_at),
        "assigned_at": iso(item.assigned_at) if item.assigned_at else None,
        "messages": messages,
    }
    if handover_note:
        body["handover_note"] = handover_note
    return body
