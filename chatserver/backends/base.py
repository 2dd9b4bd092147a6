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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chatserver.hub.model import Account, Conversation, Message, Wrapup


class StoreUnusable(RuntimeError):
    """The storage cannot be used as it is: a damaged or foreign database file, a data folder
    that is a file, a schema newer than this program. Raised by ``Store.open`` before anything
    is changed. ``str()`` is the whole message for the person starting the server (which file,
    what is wrong, what to do), so the command line prints it instead of a traceback."""


class ConversationErased(ValueError):
    """``append_message`` for a conversation whose messages were erased ("delete my
    conversation"): the store keeps nothing more of it. A store that several nodes share
    raises it, because there the hub's conversation lock (one node's) cannot order a
    message another node numbered just before the erase; the hub answers ``Forgotten``.
    Never carries the text."""


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
    # follow-up by link: counts only, never text
    letters_received: int = 0
    letters_answered: int = 0
    appointments_booked: int = 0
    appointments_kept: int = 0
    appointments_missed: int = 0
    appointments_cancelled: int = 0


# Upper bounds (seconds) of the histogram buckets for waits and chat durations: 0-30 s, 30-60 s,
# 1-2, 2-5, 5-10, 10-20, 20-40 min, and an open-ended last bucket (40 min and more). Sums and
# maxima cannot give percentiles; counts per bucket can, to the bucket's width, and they stay
# numbers only. Never change released bounds: stored counts would change meaning.
HIST_BOUNDS: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 2400.0)
HIST_BUCKETS = len(HIST_BOUNDS) + 1


def hist_bucket(seconds: float) -> int:
    """The bucket a measured wait or duration falls in; a bound belongs to the bucket above."""
    for index, bound in enumerate(HIST_BOUNDS):
        if seconds < bound:
            return index
    return len(HIST_BOUNDS)


@dataclass
class HourHistogram:
    """How one line's waits and chat durations in one clock hour (UTC) spread over the
    ``HIST_BOUNDS`` buckets: ``HIST_BUCKETS`` counts each, numbers only."""

    line: str
    hour: int  # epoch seconds of the start of the hour
    wait: list[int] = field(default_factory=lambda: [0] * HIST_BUCKETS)
    duration: list[int] = field(default_factory=lambda: [0] * HIST_BUCKETS)


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
    letters_received: int = 0
    letters_answered: int = 0
    appointments_booked: int = 0
    appointments_kept: int = 0
    appointments_missed: int = 0
    appointments_cancelled: int = 0


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
class Hold:
    """A safeguarding hold: one conversation kept back from the retention purge.

    A supervisor places it when an acute risk may need follow-up by the organisation. It has a
    stated reason and an end: at ``expires_at`` (or ``hold_max_days`` after ``created_at``,
    whichever comes first) it lapses by itself, so no transcript is kept for ever by a hold
    nobody remembered to release. ``reason`` is the supervisor's words, never chat text.
    """

    conversation_id: str
    operator_id: str  # the supervisor who placed it
    reason: str
    created_at: float
    expires_at: float


@dataclass
class Session:
    token_hash: str
    operator_id: str
    csrf: str
    created_at: float
    last_seen: float


# (seconds one commit took, writes it carried): told after every commit of the store
CommitObserver = Callable[[float, int], None]


class Store(Protocol):
    async def open(self) -> None:
        """Create or migrate the schema; idempotent."""

    async def close(self) -> None: ...

    def observe_commits(self, observer: CommitObserver) -> None:
        """Tell ``observer`` how long each commit took and how many writes it carried (the
        server's ``/metrics``): the one place a slow disk shows before visitors feel it."""

    # accounts -------------------------------------------------------------------------
    async def add_account(self, account: Account) -> None:
        """Raise ``ValueError`` if the username is taken."""

    async def account_by_username(self, username: str) -> Account | None: ...

    async def account(self, operator_id: str) -> Account | None: ...

    async def accounts(self) -> list[Account]: ...

    async def update_account(self, account: Account) -> None:
        """Replace the stored account with this ``id``: every field but ``id`` and
        ``created_at`` (username, alias, role, password hash, TOTP secret, lines, languages,
        capacity, backup, active). An administrator edits, deactivates or resets an account;
        enrolment stores a new TOTP secret. ``KeyError`` if there is no such account,
        ``ValueError`` if the username belongs to another account."""

    # operator sessions ------------------------------------------------------------------
    async def add_session(self, session: Session) -> None: ...

    async def session(self, token_hash: str) -> Session | None: ...

    async def touch_session(self, token_hash: str, at: float) -> None: ...

    async def delete_session(self, token_hash: str) -> None: ...

    async def delete_sessions_of(self, operator_id: str) -> int:
        """End every session of one operator at once (deactivated, or a password or 2FA
        reset: whoever held the old credentials must be out); returns how many."""

    async def expire_sessions(self, idle_since: float) -> list[str]:
        """End every session last seen before ``idle_since``; returns their token hashes, so
        the sockets opened with them can be closed. A session touched meanwhile stays."""

    # conversations and messages -----------------------------------------------------
    async def save_conversation(self, conversation: Conversation) -> None:
        """Insert or replace the whole record (small; written on every state change)."""

    async def conversation(self, conversation_id: str) -> Conversation | None: ...

    async def conversation_by_token(self, token_hash: str) -> Conversation | None: ...

    async def open_conversations(self) -> list[Conversation]:
        """Every conversation not yet ended: what a restarted server must pick up again,
        oldest first, each with ``last_seq`` at least its highest stored message's seq."""

    async def append_message(self, message: Message) -> None:
        """Durable when this returns. Every field is kept, ``author_alias`` included: the name
        a transcript shows must not change when its author logs off or is renamed; ``html``, so
        a transcript sent again is not sanitized again; and a system line's ``code`` and
        ``params``, so each reader can have it in their language.

        A store several nodes share refuses (``ConversationErased``) a message for a
        conversation ``erase_messages`` erased, in the same atomic step as the write: a
        message numbered on one node just before another node's erase must not land after
        it. The embedded store needs no such mark: one process, and the hub's conversation
        lock stores a numbered message before the erase that follows it."""

    async def messages(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        """In order of ``seq``; only those with ``seq > after_seq``; as they were appended."""

    async def erase_messages(self, conversation_id: str) -> int:
        """Remove every message of a conversation at once; returns how many. A shared store
        also marks the conversation erased (no text, as long as its record), so a message
        still on its way from another node is refused (see ``append_message``)."""

    async def erase_transcript(
        self, conversation_id: str, roles: tuple[str, ...] | None = None
    ) -> int:
        """Remove the conversation's messages with these roles (None: all); returns how many.

        As thorough as ``erase_messages`` (which is this with ``roles=None``): the text, and
        its ``html``, must not be recoverable from the storage afterwards. The retention purge
        erases transcripts (visitor, operator, system) and private notes (note, whisper) on
        their own terms.
        Erasing again finds nothing and returns 0: the absence of messages is the only
        "purged" mark there is, so no flag can disagree with what is actually stored.
        """

    async def ended_conversations(
        self, before: float, line: str | None = None, with_roles: tuple[str, ...] | None = None
    ) -> list[Conversation]:
        """Ended conversations with ``ended_at < before`` (of one line, or all), oldest first.

        With ``with_roles``, only those that still hold a message of one of these roles: what
        the purge has left to do. Without it the list grows with every conversation ever held
        (their records stay for the statistics), and an hourly purge would walk all of them.
        """

    async def save_wrapup(self, wrapup: Wrapup) -> None: ...

    async def wrapup(self, conversation_id: str) -> Wrapup | None: ...

    # statistics -----------------------------------------------------------------------
    async def add_stats(self, delta: StatsDelta) -> None: ...

    async def hour_stats(self, line: str, since: float, until: float) -> list[HourStats]: ...

    async def hour_histograms(self, line: str, since: float, until: float) -> list[HourHistogram]:
        """The hours of ``line`` (same range rule as ``hour_stats``) that counted a wait or a
        duration, with ``StatsDelta.wait`` and ``.duration`` counted into ``HIST_BOUNDS``
        buckets by ``add_stats``. Hours stored before the histogram existed are missing."""

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

    # safeguarding holds ------------------------------------------------------------------
    # A supervisor keeps one conversation back from the purge for a while (see ``Hold``).
    async def add_hold(self, hold: Hold) -> None:
        """Place or replace the conversation's hold (one per conversation); ``ValueError`` if
        the conversation is unknown. Renewing is a new decision: the hub audits it."""

    async def hold(self, conversation_id: str) -> Hold | None: ...

    async def holds(self) -> list[Hold]:
        """Every hold, lapsed ones included until the purge releases them; soonest end first."""

    async def release_hold(self, conversation_id: str) -> bool:
        """Remove the hold; False if there was none (releasing twice is harmless)."""
