"""The one interface behind which storage lives: the embedded SQLite file today, Redis later.

``Store`` holds the durable records: accounts, operator sessions, conversations, messages,
wrap-ups, aggregated statistics and the audit log. Its contract, which the shared backend test
suite checks:

* ``append_message`` returns only once the message is durable (write before ack); an
  implementation may group several concurrent writes into one commit, but never acknowledges
  a write that a crash could lose.
* Statistics hold numbers only, never text; the audit log holds who did what, never chat text.
* Nothing here stores a visitor's address, user agent or cookie: there is no field for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from chatserver.hub.model import Account, Conversation, Message, Wrapup


@dataclass
class HourStats:
    """Aggregated figures for one line in one clock hour (UTC). Numbers only, no text."""

    line: str
    hour: int  # epoch seconds of the start of the hour
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0
    wait_max: float = 0.0
    duration_sum: float = 0.0
    duration_count: int = 0
    duration_max: float = 0.0
    topics: dict[str, int] = field(default_factory=dict)
    risks: dict[str, int] = field(default_factory=dict)


@dataclass
class StatsDelta:
    """An increment to one line's hour; the store adds it atomically."""

    line: str
    at: float  # any moment in the hour it belongs to
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    wait: float | None = None  # one measured wait (seconds), for answered conversations
    duration: float | None = None  # one measured chat duration (seconds)
    topics: tuple[str, ...] = ()
    risk: str | None = None


@dataclass
class AuditEntry:
    """Who did what to which conversation, when. Never message text."""

    at: float
    actor: str  # operator account id
    # e.g. "observe", "takeover", "handover_offer", "handover_accept", "handover_queue",
    # "backup_join"
    action: str
    conversation_id: str | None = None
    detail: str | None = None  # a short code or an operator id, never text from a chat


@dataclass
class Session:
    token_hash: str
    operator_id: str
    csrf: str
    created_at: float
    last_seen: float


class Store(Protocol):
    async def open(self) -> None:
        """Create or migrate the schema; idempotent."""

    async def close(self) -> None: ...

    # accounts -------------------------------------------------------------------------
    async def add_account(self, account: Account) -> None:
        """Raise ``ValueError`` if the username is taken."""

    async def account_by_username(self, username: str) -> Account | None: ...

    async def account(self, operator_id: str) -> Account | None: ...

    async def accounts(self) -> list[Account]: ...

    # operator sessions ------------------------------------------------------------------
    async def add_session(self, session: Session) -> None: ...

    async def session(self, token_hash: str) -> Session | None: ...

    async def touch_session(self, token_hash: str, at: float) -> None: ...

    async def delete_session(self, token_hash: str) -> None: ...

    # conversations and messages -----------------------------------------------------
    async def save_conversation(self, conversation: Conversation) -> None:
        """Insert or replace the whole record (small; written on every state change)."""

    async def conversation(self, conversation_id: str) -> Conversation | None: ...

    async def conversation_by_token(self, token_hash: str) -> Conversation | None: ...

    async def open_conversations(self) -> list[Conversation]:
        """Every conversation not yet ended: what a restarted server must pick up again."""

    async def append_message(self, message: Message) -> None:
        """Durable when this returns."""

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        """In order of ``seq``; only those with ``seq > after_seq``."""

    async def erase_messages(self, conversation_id: str) -> int:
        """Remove every message of a conversation at once; returns how many."""

    async def save_wrapup(self, wrapup: Wrapup) -> None: ...

    async def wrapup(self, conversation_id: str) -> Wrapup | None: ...

    # statistics -----------------------------------------------------------------------
    async def add_stats(self, delta: StatsDelta) -> None: ...

    async def hour_stats(self, line: str, since: float, until: float) -> list[HourStats]: ...

    async def recent_durations(self, line: str, limit: int) -> list[float]:
        """The last ``limit`` chat durations of a line, newest first (for wait estimates)."""

    # audit log --------------------------------------------------------------------------
    # Supervisors may read along and take over, colleagues hand chats on: an administrator must
    # be able to see afterwards who looked at or acted on which conversation.
    async def add_audit(self, entry: AuditEntry) -> None:
        """Durable when this returns, like every write."""

    async def audit_entries(
        self, since: float, until: float, limit: int = 1000
    ) -> list[AuditEntry]:
        """Entries with ``since <= at <= until``, oldest first (ties in the order they were
        added), at most ``limit``: the first ``limit`` of the period."""

    async def purge_audit(self, before: float) -> int:
        """Remove entries with ``at < before`` (the retention policy); returns how many."""
