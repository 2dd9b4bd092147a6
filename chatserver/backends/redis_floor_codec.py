"""How the Redis floor's records look in Redis and in its scripts' answers, both ways.

Why a module of its own: the scripts answer with flat arrays of strings (Lua numbers would be
truncated to integers on the way out), and the shapes must match ``floor_lua/_prelude.lua``
field by field. Keeping every decoder here makes that correspondence one file to read.

Times travel as Python's ``repr`` of the float and come back exactly; lists inside one field
(lines, languages, the hand-back's ``avoid``) are joined by the unit separator, which no id
or language code contains. Structured fields the scripts never look into (the intake, an
agreed chat's ``Pinned`` with its earlier messages) are JSON, whose floats are ``repr`` too.
"""

from __future__ import annotations

import json
from typing import Any

from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import (
    BackupCall,
    Draft,
    HandoverOffer,
    LiveConversation,
    Notice,
    Posted,
    Profile,
)
from chatserver.hub.model import ConversationState, Message, OperatorState, Risk, Role
from chatserver.hub.pinned import Pinned
from chatserver.hub.queue import Waiting

SEP = "\x1f"
AUDIENCE_NOW = "\x1e"  # post's operators argument: everyone on the operator side at commit
NOTICE = "!"  # a notice on the posts channel (a post's envelope starts with "0" or "1")


def joined(items: tuple[str, ...] | frozenset[str]) -> str:
    return SEP.join(items)


def split(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(SEP) if part)


def maybe_time(value: str | None) -> float | None:
    return float(value) if value else None


def pairs(flat: list[str]) -> dict[str, str]:
    """A flat HGETALL answer as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def presence(row: list[Any]) -> Presence | None:
    if not row:
        return None
    op, alias, role, lines, langs, cap, backup, state, conns, disc, idle, cool = row[:12]
    held, reserved, taken = row[12:15]
    profile = Profile(op, alias, role, split(lines), split(langs), int(cap), backup == "1")
    return Presence(
        profile.as_account(),
        state=OperatorState(state),
        connections=int(conns),
        disconnected_at=maybe_time(disc),
        idle_since=float(idle),
        cooldown_until=float(cool),
        held=set(held),
        reserved=set(reserved),
        taken_over=set(taken),
    )


def conversation(row: list[str]) -> LiveConversation | None:
    if not row:
        return None
    cid, line, lang, state, op, prio, token, seq, answered, conns, gone = row[:11]
    created, intake, shared, risk, assigned, agreed, forgotten = row[11:]
    return LiveConversation(
        cid,
        line,
        lang,
        ConversationState(state),
        op or None,
        int(prio),
        token,
        int(seq),
        answered == "1",
        int(conns),
        maybe_time(gone),
        float(created),
        json.loads(intake),
        int(shared),
        Risk(risk),
        maybe_time(assigned),
        pinned(agreed),
        forgotten == "1",
    )


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pinned_json(agreed: Pinned) -> str:
    """An agreed chat as kept in the conversation's hash: every field of every earlier
    message, so the agreed volunteer rereads exactly what the visitor allowed."""
    return compact(
        {
            "appointment_id": agreed.appointment_id,
            "operator_id": agreed.operator_id,
            "at": agreed.at,
            "note": agreed.note,
            "earlier": [
                {
                    "id": m.id,
                    "conversation_id": m.conversation_id,
                    "seq": m.seq,
                    "role": m.role.value,
                    "text": m.text,
                    "at": m.at,
                    "author": m.author,
                    "author_alias": m.author_alias,
                    "html": m.html,
                    "code": m.code,
                    "params": m.params,
                }
                for m in agreed.earlier
            ],
        }
    )


def pinned(value: str) -> Pinned | None:
    if not value:
        return None
    data = json.loads(value)
    earlier = tuple(
        Message(
            id=m["id"],
            conversation_id=m["conversation_id"],
            seq=int(m["seq"]),
            role=Role(m["role"]),
            text=m["text"],
            at=float(m["at"]),
            author=m["author"],
            author_alias=m["author_alias"],
            html=m["html"],
            code=m["code"],
            params=dict(m["params"]),
        )
        for m in data["earlier"]
    )
    return Pinned(
        data["appointment_id"], data["operator_id"], float(data["at"]), data["note"], earlier
    )


def waiting(row: list[str]) -> Waiting:
    cid, line, lang, prio, rank, since, avoid, avoid_until = row
    return Waiting(
        cid,
        line,
        lang,
        int(prio),
        int(rank),
        since=float(since),
        avoid=frozenset(split(avoid)),
        avoid_until=float(avoid_until),
    )


def offer(conversation_id: str, row: list[str]) -> HandoverOffer | None:
    """An offer as the scripts return it (sender, receiver, note, expiry); empty: none."""
    if not row:
        return None
    sender, receiver, note, expires_at = row
    return HandoverOffer(conversation_id, sender, receiver, note, float(expires_at))


def backup_call(conversation_id: str, row: list[str]) -> BackupCall | None:
    if not row:
        return None
    requester, reason, at, escalated = row
    return BackupCall(conversation_id, requester, reason, float(at), escalated == "1")


def record_tail(conversation_id: str, draft: Draft) -> str:
    """The stored and published JSON record without its opening brace: the script puts
    ``{"seq":N,`` in front, so the seq is the floor's and the floats stay Python's."""
    body = json.dumps(
        {
            "conversation_id": conversation_id,
            "role": draft.role.value,
            "text": draft.text,
            "at": draft.at,
            "author": draft.author,
            "author_alias": draft.author_alias,
            "html": draft.html,
            "code": draft.code,
            "params": draft.params,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return body[1:]


def message(record: str) -> Message:
    """A stored or published record as the hub's ``Message``."""
    data = json.loads(record)
    return Message(
        id=f"{data['conversation_id']}-{data['seq']}",
        conversation_id=data["conversation_id"],
        seq=int(data["seq"]),
        role=Role(data["role"]),
        text=data["text"],
        at=float(data["at"]),
        author=data["author"],
        author_alias=data["author_alias"],
        html=data.get("html"),
        code=data.get("code"),
        params=dict(data.get("params") or {}),
    )


def posted(record: str, audience: str) -> Posted:
    """A posted record with its audience, ``"<to visitor><SEP><operators joined by SEP>"``."""
    to_visitor, _, operators = audience.partition(SEP)
    return Posted(
        message(record), False, to_visitor == "1", tuple(o for o in operators.split(SEP) if o)
    )


def notice_text(notice: Notice) -> str:
    return NOTICE + SEP.join((notice.kind, notice.subject, notice.detail))


def notice(text: str) -> Notice:
    kind, subject, detail = text[len(NOTICE) :].split(SEP, 2)
    return Notice(kind, subject, detail)
