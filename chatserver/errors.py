"""One error hierarchy for the whole server.

The hub only raises; the edges (socket.io acks, HTTP views) convert. python-socketio sends no
acknowledgement when a handler raises, so every error a client can cause must be one of these,
carrying a stable snake_case ``code`` that clients and tests rely on (docs/protocol.md).
"""

from __future__ import annotations

from typing import Any


class ChatError(Exception):
    """An error a client caused or must hear about; ``code`` is part of the wire contract."""

    code = "error"
    default_message = "Something went wrong."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return body


class InvalidPayload(ChatError):
    code = "invalid_payload"
    default_message = "The request is malformed."


class TooLong(ChatError):
    code = "too_long"
    default_message = "The message is too long."


class NotFound(ChatError):
    """Also used for "not yours": ids must leak nothing about other conversations."""

    code = "not_found"
    default_message = "No such conversation."


class Forbidden(ChatError):
    code = "forbidden"
    default_message = "You are not allowed to do that."


class Unauthorized(ChatError):
    code = "unauthorized"
    default_message = "Please log in."


class InvalidCredentials(ChatError):
    code = "invalid_credentials"
    default_message = "Unknown username or wrong password."


class LineClosed(ChatError):
    code = "closed"
    default_message = "The line is closed right now."


class QueueFull(ChatError):
    code = "queue_full"
    default_message = "Too many people are waiting right now."


class ConsentRequired(ChatError):
    code = "consent_required"
    default_message = "Please accept the privacy statement first."


class RateLimited(ChatError):
    code = "rate_limited"
    default_message = "Slow down a little."


class Blocked(ChatError):
    code = "blocked"
    default_message = "This chat is not available to you right now."


class UnknownLine(ChatError):
    code = "unknown_line"
    default_message = "No such line."


class InvalidToken(ChatError):
    code = "invalid_token"
    default_message = "This conversation can no longer be resumed."


class NoConversation(ChatError):
    code = "no_conversation"
    default_message = "Start a conversation first."


class AlreadyStarted(ChatError):
    code = "already_started"
    default_message = "A conversation is already going on."


class ConversationEnded(ChatError):
    code = "ended"
    default_message = "This conversation has ended."


class InvalidState(ChatError):
    code = "invalid_state"
    default_message = "That is not possible in the current state."


class Internal(ChatError):
    code = "internal"
    default_message = "Internal error; nothing was changed."


class OperatorUnavailable(ChatError):
    """Handover target is offline, paused or away (``reason`` says which)."""

    code = "operator_unavailable"
    default_message = "That colleague cannot take a conversation right now."


class OperatorFull(ChatError):
    code = "operator_full"
    default_message = "That colleague has no free slot."


class NotOnLine(ChatError):
    code = "not_on_line"
    default_message = "That colleague does not serve this line or language."


class HandoverPending(ChatError):
    code = "handover_pending"
    default_message = "A handover of this conversation is already waiting for an answer."


class BackupTaken(ChatError):
    code = "backup_taken"
    default_message = "A colleague already joined as backup."
