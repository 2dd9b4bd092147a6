"""The store's follow-up half: spaces behind links, letter threads, appointments.

A protocol of its own beside ``base.Store`` so the follow-up services ask only for what they
use; the embedded store implements both (``embedded/followup.py``). The contract, checked by
the shared backend tests:

* a space is found by the hash of its link only, never by anything else a visitor holds;
* ``erase_space`` leaves no letter, note or appointment text recoverable from the storage (as
  ``Store.erase_messages`` does for chats), and removes the space with everything in it;
* like every write, durable when it returns;
* the steps that read before they write (take a thread, number a letter, change a booked
  appointment, answer an offer, touch, rekey or revoke a space) are one conditional write
  each: the store checks what the caller read and refuses (``False``, ``None`` or
  ``ValueError``) when another step, on any node, changed it first. No node-local lock is
  needed for them, so several nodes may share one store (issue 13).
"""

from __future__ import annotations

from typing import Protocol

from chatserver.hub.followup.model import (
    Appointment,
    AppointmentState,
    Letter,
    LetterThread,
    Offer,
    Space,
)


class FollowUpStore(Protocol):
    # spaces -----------------------------------------------------------------------------
    async def save_space(self, space: Space) -> None:
        """Insert or update (key hash, activity, revocation); ``ValueError`` if another space
        has this key hash (a collision of 256-bit secrets: make a new one)."""

    async def space(self, space_id: str) -> Space | None: ...

    async def space_by_key(self, key_hash: str) -> Space | None: ...

    async def touch_space(self, space_id: str, at: float) -> None:
        """``active_at`` moves forward to ``at`` (never back); nothing else is written, so a
        key replaced or revoked meanwhile stays as it is. No such space: nothing happens."""

    async def replace_space_key(
        self, space_id: str, old_hash: str, new_hash: str, at: float
    ) -> bool:
        """The space's key becomes ``new_hash`` (``active_at`` forward to ``at``) if it still
        is ``old_hash``: ``False`` if it was replaced or revoked meanwhile, or the space is
        gone; ``ValueError`` if another space has ``new_hash``."""

    async def revoke_space(self, space_id: str, at: float) -> bool:
        """Close the link: no key, ``revoked_at`` = ``at``. ``False`` if it had no key any
        more (revoked already) or the space is gone."""

    async def idle_spaces(self, before: float, line: str | None = None) -> list[Space]:
        """Spaces (of one line, or all) with ``active_at < before``: due for the purge."""

    async def erase_space(self, space_id: str) -> int:
        """Erase the space and everything in it (threads, letters, appointments, its list of
        conversations) so the text is not recoverable; returns how many letters there were.
        The conversations' own messages are the caller's to erase (``Store.erase_messages``)."""

    async def attach_conversation(self, space_id: str, conversation_id: str, kept: bool) -> None:
        """A chat belongs to the space: the one an appointment came from, or one it opened.
        ``kept``: the visitor can reread it in the space. Attaching again updates ``kept``."""

    async def space_conversations(self, space_id: str) -> list[tuple[str, bool]]:
        """(conversation id, kept) of the space's chats, in the order they were attached."""

    # letters ----------------------------------------------------------------------------
    async def save_thread(self, thread: LetterThread) -> None:
        """Insert or update the whole thread record."""

    async def thread(self, thread_id: str) -> LetterThread | None: ...

    async def threads_of_space(self, space_id: str) -> list[LetterThread]:
        """Oldest first."""

    async def letter_queue(self) -> list[LetterThread]:
        """Every thread with an unanswered visitor letter, the longest waiting first."""

    async def threads_owned(self, operator_id: str) -> list[LetterThread]:
        """The threads a volunteer took, the most recently active first."""

    async def idle_threads(self, before: float, line: str | None = None) -> list[LetterThread]:
        """Threads (of one line, or all) with ``active_at < before``: due for the purge."""

    async def erase_thread(self, thread_id: str) -> int:
        """Erase one thread with its letters (as thoroughly as ``erase_space``); returns how
        many letters there were."""

    async def set_thread_owner(
        self, thread_id: str, was: str | None, owner: str | None, note: str | None
    ) -> bool:
        """The thread's owner becomes ``owner`` with the handover ``note`` if its owner still
        is ``was`` (``None``: nobody took it); ``False``, nothing written, if another took or
        handed it meanwhile, or the thread is gone."""

    async def add_letter(self, letter: Letter) -> None:
        """Durable when it returns; ``ValueError`` if the seq is taken or the thread unknown."""

    async def post_letter(self, letter: Letter, due_at: float | None) -> None:
        """Add ``letter`` (as :meth:`add_letter`: ``ValueError`` if its seq is taken, e.g. by
        a letter another node numbered first, or the thread is unknown) and, in the same
        step, move its thread's clock: ``active_at`` to the letter's time; a visitor's letter
        makes an answered thread wait from then, due at ``due_at`` (a waiting thread keeps
        its oldest letter's times); a volunteer's letter answers it. The owner and the
        note are left as they are."""

    async def letters(self, thread_id: str) -> list[Letter]:
        """In order of ``seq``."""

    # appointments -----------------------------------------------------------------------
    async def save_appointment(self, appointment: Appointment) -> None:
        """Insert or update the whole record."""

    async def appointment(self, appointment_id: str) -> Appointment | None: ...

    async def appointments_of_space(self, space_id: str) -> list[Appointment]:
        """Soonest first."""

    async def appointments_between(self, since: float, until: float) -> list[Appointment]:
        """Every appointment with ``since <= at < until``, soonest first (any state)."""

    async def change_appointment(
        self, appointment: Appointment, state: AppointmentState, at: float
    ) -> bool:
        """Write ``appointment`` over the stored record if that is still in ``state`` at
        ``at`` (as the caller read it); ``False``, nothing written, if it changed meanwhile
        (kept, cancelled, missed or moved by another step) or is gone."""

    # offers of a next chat, waiting for the visitor's answer ----------------------------
    async def save_offer(self, offer: Offer) -> None:
        """Keep the offer; it replaces one its conversation had."""

    async def offer(self, conversation_id: str, since: float) -> Offer | None:
        """The conversation's offer, if it was made at ``since`` or later (not lapsed)."""

    async def take_offer(self, conversation_id: str, since: float) -> Offer | None:
        """Remove the conversation's offer and return it if it was made at ``since`` or
        later: of callers racing on any node, exactly one gets it (accept or decline)."""

    async def drop_offers(self, before: float) -> int:
        """Remove the offers made before ``before`` (lapsed); returns how many. An offer
        also goes with its conversation's messages (``Store.erase_messages``)."""
