"""Authorization in one place: who may act on which conversation.

"Not found" and "not yours" answer the same (:class:`Forbidden`), so a conversation id
learned by accident reveals nothing about whether it exists.
"""

from __future__ import annotations

from chatserver.errors import Forbidden
from chatserver.hub.floor import Presence
from chatserver.hub.model import Conversation


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


def ensure_supervisor(presence: Presence | None) -> Presence:
    """Supervisors and administrators only; everyone else gets ``Forbidden``."""
    if presence is None or not presence.is_supervisor:
        raise Forbidden("Only supervisors may do that.")
    return presence
