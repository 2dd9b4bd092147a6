"""Domain objects to wire payloads (docs/protocol.md). The only place that shapes JSON.

A visitor's payloads never carry an operator id or account name (alias only), and never a
note or a whisper: the hub decides the audience, this module decides what each side sees.
"""

from __future__ import annotations

from typing import Any

from chatserver.clock import iso
from chatserver.hub.floor import Presence
from chatserver.hub.followup.model import Letter
from chatserver.hub.followup.oversight import Overview, ThreadInfo
from chatserver.hub.model import Account, Conversation, Message, Role
from chatserver.hub.pinned import Pinned
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


def message_fields(message: Message) -> dict[str, Any]:
    """What every reader of a message gets. The relay makes it once per message for both
    sides (:func:`visitor_message`, :func:`operator_message` take it as ``fields``), so the
    time is formatted once."""
    return {
        "id": message.id,
        "seq": message.seq,
        "role": message.role.value,
        "text": message.text,
        "html": to_html(message.text) if message.html is None else message.html,
        "at": iso(message.at),
    }


def visitor_message(
    message: Message, alias: str | None = None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The message's ``html`` was made once when it was posted; only a message from before
    the hub kept it (or made elsewhere) has it made here.

    The author is named by the alias stored with the message (what the visitor saw when it was
    posted); ``alias``, the author's alias now, only stands in where none was stored.
    ``fields``: :func:`message_fields` of this message, if made already.
    """
    body = dict(fields) if fields is not None else message_fields(message)
    name = message.author_alias or alias
    if message.role is Role.OPERATOR and name:
        body["author"] = name
    return body


def operator_message(
    message: Message, alias: str | None = None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every role, with the author's alias as stored (else ``alias``, else the author's id).

    A system line also carries its ``code`` and ``params``: its ``text`` is in the visitor's
    language, and the console words it in the volunteer's own (falling back to ``text``).
    """
    body = visitor_message(message, fields=fields)
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


# -- follow-up: letters and the supervisors' overview (docs/protocol.md §13.2, §13.4) -------
def _iso_or_none(ts: float | None) -> str | None:
    return iso(ts) if ts is not None else None


def letter_thread(info: ThreadInfo, me: str) -> dict[str, Any]:
    """A thread in a list: times, owner by alias, never text (reading is audited apart).
    The handover note is for its receiver only."""
    thread = info.thread
    body: dict[str, Any] = {
        "id": thread.id,
        "line": thread.line,
        "lang": thread.lang,
        "created_at": iso(thread.created_at),
        "active_at": iso(thread.active_at),
        "waiting_since": _iso_or_none(thread.waiting_since),
        "due_at": _iso_or_none(thread.due_at),
        "overdue": info.overdue,
        "owner": info.owner_alias if thread.owner else None,
        "owned_by_me": thread.owner == me,
        "link_open": info.link_open,
    }
    if thread.owner == me and thread.note:
        body["note"] = thread.note
    return body


def letter_colleague(account: Account, presence: Presence | None) -> dict[str, Any]:
    """A colleague a letter can go to: the alias and whether they are on the console now
    (never the username)."""
    return {
        "id": account.id,
        "alias": account.alias,
        "online": presence is not None and presence.online,
    }


def letter(item: Letter) -> dict[str, Any]:
    """One letter for a volunteer: ``html`` made by the one sanitizer when it was written."""
    body: dict[str, Any] = {
        "seq": item.seq,
        "role": item.role.value,
        "text": item.text,
        "html": item.html,
        "at": iso(item.at),
        "author_alias": item.author_alias,
    }
    return body


def followup_overview(overview: Overview, me: str) -> dict[str, Any]:
    """The supervisors' view of the follow-up: counts, aliases and times, never text."""
    return {
        "at": iso(overview.now),
        "lines": [
            {"id": x.line, "waiting": x.waiting, "overdue": x.overdue, "untaken": x.untaken}
            for x in overview.lines
        ],
        "letters": [letter_thread(info, me) for info in overview.waiting],
        "appointments": [
            {
                "id": info.appointment.id,
                "line": info.appointment.line,
                "at": iso(info.appointment.at),
                "operator": info.operator_alias,
                "state": info.appointment.state.value,
                "link_open": info.link_open,
            }
            for info in overview.today
        ],
    }


def agreed_chat(pinned: Pinned) -> dict[str, Any]:
    """What the volunteer's ``assigned`` adds for a chat opened by an appointment link: the
    agreed time and note, and the earlier chat only where the hub left it in (the visitor
    allowed the agreed volunteer to reread it)."""
    body: dict[str, Any] = {"appointment": {"at": iso(pinned.at), "note": pinned.note}}
    if pinned.earlier:
        body["earlier"] = [operator_message(m) for m in pinned.earlier]
    return body
