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

from chatserver.errors import Forbidden
from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import LiveConversation
from chatserver.hub.model import Account, Conversation

SUPERVISOR_ROLES = ("supervisor", "admin")


def ensure_holder(conversation: LiveConversation | None, operator_id: str) -> LiveConversation:
    """The conversation, if ``operator_id`` is the volunteer holding it; else ``Forbidden``."""
    if conversation is None or conversation.operator_id != operator_id:
        raise Forbidden()
    return conversation


def ensure_participant(
    conversation: LiveConversation | None, operator_id: str, watchers: dict[str, str]
) -> LiveConversation:
    """Holder, backup colleague or observer of the conversation (``watchers``: who reads
    along in it); else ``Forbidden``."""
    if conversation is None:
        raise Forbidden()
    if conversation.operator_id != operator_id and operator_id not in watchers:
        raise Forbidden()
    return conversation


def ensure_supervisor(presence: Presence | None) -> Presence:
    """Supervisors and administrators only; everyone else gets ``Forbidden``."""
    if presence is None or not presence.is_supervisor:
        raise Forbidden("Only supervisors may do that.")
    return presence


def ensure_may_take_over(
    conversation: LiveConversation | None,
    presence: Presence | None,
    watchers: dict[str, str],
) -> tuple[LiveConversation, Presence]:
    """Take over: whoever reads along as backup or observer, or a supervisor; never the
    volunteer who holds it already."""
    if presence is None or conversation is None or conversation.operator_id == presence.id:
        raise Forbidden()
    if presence.id not in watchers and not presence.is_supervisor:
        raise Forbidden()
    return conversation, presence


def ensure_may_observe(
    conversation: LiveConversation | None, presence: Presence
) -> LiveConversation:
    """Read along as observer (a supervisor, checked before): any open conversation but
    one's own."""
    if conversation is None or conversation.operator_id == presence.id:
        raise Forbidden()
    return conversation


def ensure_holder_or_supervisor(
    conversation: LiveConversation | None, presence: Presence | None, operator_id: str
) -> LiveConversation:
    """Block a visitor: the volunteer holding the conversation, or a supervisor."""
    supervisor = presence is not None and presence.is_supervisor
    if conversation is None or (conversation.operator_id != operator_id and not supervisor):
        raise Forbidden()
    return conversation


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
