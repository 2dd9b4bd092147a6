"""Authorization in one place: who may act on which conversation.

Every hub action that touches a conversation asks one of these first, so "may this person
do this here?" has one answer per kind of action, readable in one file. "Not found" and
"not yours" answer the same (:class:`Forbidden` with its default message), so a conversation
id learned by accident reveals nothing about whether it exists. Only where the person has
the right in principle does a more precise refusal follow (a role, a backup already taken).

Each function returns what it checked, so the caller goes on with a conversation (and a
presence) it knows to be there.
"""

from __future__ import annotations

from chatserver.errors import BackupTaken, Forbidden
from chatserver.hub.floor import Presence
from chatserver.hub.model import Account, Conversation
from chatserver.hub.state import OPEN_STATES, Offer

SUPERVISOR_ROLES = ("supervisor", "admin")


def ensure_holder(conversation: Conversation | None, operator_id: str) -> Conversation:
    """The conversation, if ``operator_id`` is the volunteer holding it; else ``Forbidden``."""
    if conversation is None or conversation.operator_id != operator_id:
        raise Forbidden()
    return conversation


def ensure_participant(
    conversation: Conversation | None, operator_id: str, watchers: dict[str, dict[str, str]]
) -> Conversation:
    """Holder, backup colleague or observer of the conversation; else ``Forbidden``."""
    if conversation is None:
        raise Forbidden()
    if conversation.operator_id != operator_id and operator_id not in watchers.get(
        conversation.id, {}
    ):
        raise Forbidden()
    return conversation


def ensure_watcher(
    conversation: Conversation | None, operator_id: str, watchers: dict[str, dict[str, str]]
) -> Conversation:
    """Someone reading along (backup or observer) in this conversation; else ``Forbidden``."""
    if conversation is None or operator_id not in watchers.get(conversation.id, {}):
        raise Forbidden()
    return conversation


def ensure_supervisor(presence: Presence | None) -> Presence:
    """Supervisors and administrators only; everyone else gets ``Forbidden``."""
    if presence is None or not presence.is_supervisor:
        raise Forbidden("Only supervisors may do that.")
    return presence


def ensure_may_back_up(
    conversation: Conversation | None,
    presence: Presence | None,
    *,
    asked: bool,
    backup_taken: bool,
) -> tuple[Conversation, Presence]:
    """Join as backup: a backup colleague (or a supervisor) in an open conversation that is
    not their own, where the volunteer asked for backup; a supervisor may always step in.

    An unknown conversation, one that has ended, your own, or one where nobody asked for
    backup all answer the same ``Forbidden``. Only a backup colleague who came second to a
    request, which it was alerted to, hears ``backup_taken``.
    """
    if presence is None or not presence.may_back_up or conversation is None:
        raise Forbidden()
    if conversation.operator_id == presence.id or conversation.state not in OPEN_STATES:
        raise Forbidden()
    if not asked and not presence.is_supervisor:
        if backup_taken:
            raise BackupTaken()
        raise Forbidden()
    return conversation, presence


def ensure_may_take_over(
    conversation: Conversation | None,
    presence: Presence | None,
    watchers: dict[str, dict[str, str]],
) -> tuple[Conversation, Presence]:
    """Take over: whoever reads along as backup or observer, or a supervisor; never the
    volunteer who holds it already."""
    if presence is None or conversation is None or conversation.operator_id == presence.id:
        raise Forbidden()
    if presence.id not in watchers.get(conversation.id, {}) and not presence.is_supervisor:
        raise Forbidden()
    return conversation, presence


def ensure_may_observe(conversation: Conversation | None, presence: Presence) -> Conversation:
    """Read along as observer (a supervisor, checked before): any open conversation but
    one's own."""
    if conversation is None or conversation.operator_id == presence.id:
        raise Forbidden()
    return conversation


def ensure_holder_or_supervisor(
    conversation: Conversation | None, presence: Presence | None, operator_id: str
) -> Conversation:
    """Block a visitor: the volunteer holding the conversation, or a supervisor."""
    supervisor = presence is not None and presence.is_supervisor
    if conversation is None or (conversation.operator_id != operator_id and not supervisor):
        raise Forbidden()
    return conversation


def ensure_offered_to(offer: Offer | None, operator_id: str) -> Offer:
    """Accept or decline a handover: only the colleague the open offer is made to."""
    if offer is None or offer.receiver != operator_id:
        raise Forbidden("There is no open offer of this conversation to you.")
    return offer


def ensure_stored(conversation: Conversation | None) -> Conversation:
    """A conversation a supervisor acts on after the fact (a hold): it must exist."""
    if conversation is None:
        raise Forbidden()
    return conversation


def ensure_may_read_transcript(
    account: Account, conversation: Conversation | None, still_open: bool
) -> Conversation:
    """Read a stored transcript: supervisors and administrators, and only once the chat has
    ended (a live chat is read with ``observe``, which the volunteer sees)."""
    if account.role not in SUPERVISOR_ROLES:
        raise Forbidden("Only supervisors may read stored transcripts.")
    if conversation is None or still_open:
        raise Forbidden()
    return conversation
