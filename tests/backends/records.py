"""The records the store tests write, shared by every ``test_store_*`` file.

Each builder sets every field (``account`` down to its TOTP secret), so a round trip that drops
or mangles a field fails; ``**changes`` replaces the fields a test is about.
"""

from __future__ import annotations

import dataclasses

from chatserver.backends.base import AuditEntry, Hold
from chatserver.hub.model import Account, Conversation, ConversationState, Message, Role
from chatserver.privacy.sanitize import to_html

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
HOUR0 = int(T0 // 3600) * 3600


def account(n: int = 1, **changes: object) -> Account:
    base = Account(
        id=f"op{n}",
        username=f"volunteer{n}",
        alias=f"Sam{n}",
        role="volunteer",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        lines=("general", "youth"),
        languages=("nl",),
        capacity=2,
        backup=True,
        active=False,
        totp_secret="JBSWY3DPEHPK3PXP",
        created_at=T0 - 86400,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def conversation(cid: str = "c1", **changes: object) -> Conversation:
    base = Conversation(
        id=cid,
        line="general",
        lang="nl",
        state=ConversationState.WAITING,
        token_hash=f"hash-{cid}",
        created_at=T0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def message(cid: str, seq: int, text: str | None = None, **changes: object) -> Message:
    """A message as the hub posts it: with its HTML made once, kept beside its text."""
    text = text if text is not None else f"message {seq} of {cid}"
    base = Message(
        id=f"{cid}-{seq}",
        conversation_id=cid,
        seq=seq,
        role=Role.VISITOR,
        text=text,
        at=T0 + seq,
        html=to_html(text),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def ended(cid: str, assigned_at: float | None, ended_at: float, **changes: object) -> Conversation:
    return conversation(
        cid,
        state=ConversationState.ENDED,
        assigned_at=assigned_at,
        answered=assigned_at is not None,
        ended_at=ended_at,
        **changes,
    )


TRANSCRIPT = ("visitor", "operator", "system")
NOTES = ("note", "whisper")


def hold(cid: str = "c1", **changes: object) -> Hold:
    base = Hold(cid, "sup1", "acute risk, follow-up by the team", T0, T0 + 7 * 86400)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def audit(at: float, action: str = "observe", **changes: object) -> AuditEntry:
    base = AuditEntry(at=at, actor="op9", action=action, conversation_id="c1")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
