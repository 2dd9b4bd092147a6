"""Authorization in one place: who may act on which conversation.

"Not found" and "not yours" answer the same (:class:`NotFound`), so a conversation id
learned by accident reveals nothing about whether it exists.
"""

from __future__ import annotations

from chatserver.errors import NotFound
from chatserver.hub.model import Conversation


def ensure_holder(conversation: Conversation | None, operator_id: str) -> Conversation:
    """The conversation, if ``operator_id`` is the volunteer holding it; else ``NotFound``."""
    if conversation is None or conversation.operator_id != operator_id:
        raise NotFound()
    return conversation
