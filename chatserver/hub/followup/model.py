"""The follow-up's records: a visitor's space behind a link, letters, appointments.

Plain dataclasses, as in ``hub/model.py``: the store persists them, the edges turn them into
JSON. None of them holds the link itself (only its hash), an address or anything else that
identifies the visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatserver.hub.model import Role


@dataclass
class Space:
    """What one link opens: the visitor's letters, next appointment and kept transcripts.

    ``key_hash`` is the SHA-256 of the link's secret (``tokens.hash_token``); ``None`` once
    the link was revoked, so no secret opens it any more. ``active_at`` moves with every
    letter, appointment and visit: the retention purge removes a space idle for the line's
    term, and its link dies with it.
    """

    id: str
    line: str
    lang: str
    key_hash: str | None
    created_at: float
    active_at: float
    revoked_at: float | None = None


@dataclass
class LetterThread:
    """One exchange of letters between a visitor and the line.

    ``waiting_since`` is when the oldest visitor letter nobody has answered yet arrived
    (``None``: answered, nothing to do); ``due_at`` is the line's promise for it. ``owner`` is
    the volunteer who took the thread (their letters' author), ``note`` a colleague's
    handover note for them.
    """

    id: str
    space_id: str
    line: str
    lang: str
    created_at: float
    active_at: float
    waiting_since: float | None = None
    due_at: float | None = None
    owner: str | None = None
    note: str | None = None

    def overdue(self, now: float) -> bool:
        return self.due_at is not None and now > self.due_at


LETTER_ROLES = (Role.VISITOR, Role.OPERATOR)


@dataclass
class Letter:
    """One letter in a thread: the visitor's or a volunteer's (alias kept as it was)."""

    thread_id: str
    seq: int
    role: Role  # visitor or operator
    text: str
    html: str
    at: float
    author: str | None = None  # the volunteer's account id; never shown to the visitor
    author_alias: str | None = None


class AppointmentState(StrEnum):
    BOOKED = "booked"  # agreed, not yet held
    KEPT = "kept"  # the visitor opened the chat in time
    MISSED = "missed"  # the time passed without a chat
    CANCELLED = "cancelled"  # by the visitor, or their space was forgotten or revoked


@dataclass
class Appointment:
    """A next chat agreed at the end of one (a chatspreekuur slot).

    ``share``: the visitor allowed the volunteer to reread ``source_conversation`` before the
    next chat; ``keep``: the visitor keeps the transcripts in their space. ``note`` is the
    volunteer's handover note for whoever takes the chat if they are not on duty then.
    """

    id: str
    space_id: str
    line: str
    lang: str
    operator_id: str
    at: float
    note: str
    source_conversation: str
    created_at: float
    share: bool = False
    keep: bool = False
    state: AppointmentState = AppointmentState.BOOKED
    conversation_id: str | None = None  # the chat the link opened, once kept


@dataclass
class Offer:
    """A next chat offered to the visitor of ``conversation_id``, not yet answered: what the
    offer shows (the time, by whom) and the volunteer's note that goes with it. Kept in the
    store, one per conversation, so the visitor may answer on any node and after a restart;
    it lapses an hour after ``made_at`` (``appointments.OFFER_SECONDS``) and goes with the
    conversation's messages when they are erased."""

    conversation_id: str
    operator_id: str
    line: str
    lang: str
    at: float
    note: str
    made_at: float
