"""The store's follow-up half: spaces behind links, letter threads, appointments.

A protocol of its own beside ``base.Store`` so the follow-up services ask only for what they
use; the embedded store implements both (``embedded/followup.py``). The contract, checked by
the shared backend tests:

* a space is found by the hash of its link only, never by anything else a visitor holds;
* ``erase_space`` leaves no letter, note or appointment text recoverable from the storage (as
  ``Store.erase_messages`` does for chats), and removes the space with everything in it;
* like every write, durable when it returns.
"""

from __future__ import annotations

from typing import Protocol

from chatserver.hub.followup.model import Appointment, Letter, LetterThread, Space


class FollowUpStore(Protocol):
    # spaces -----------------------------------------------------------------------------
    async def save_space(self, space: Space) -> None:
        """Insert or update (key hash, activity, revocation); ``ValueError`` if another space
        has this key hash (a collision of 256-bit secrets: make a new one)."""

    async def space(self, space_id: str) -> Space | None: ...

    async def space_by_key(self, key_hash: str) -> Space | None: ...

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

    async def add_letter(self, letter: Letter) -> None:
        """Durable when it returns; ``ValueError`` if the seq is taken or the thread unknown."""

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
