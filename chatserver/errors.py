"""One error hierarchy for the whole server.

The hub only raises; the edges convert: socket.io acks (``realtime/acks.py``) and one aiohttp
middleware (``web/error_pages.py``). python-socketio sends no acknowledgement when a handler
raises, so every error a client can cause must be one of these, carrying a stable snake_case
``code`` that clients and tests rely on (docs/protocol.md) and the HTTP ``status`` it answers
with, so no view chooses a status of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatserver.hub.model import Account


@dataclass(frozen=True)
class ErrorPage:
    """How a server-rendered page shows an error: the locale keys (``console/locales``) of its
    title and text, and where its "back" link leads. Set by a page view that knows the words
    its reader needs; without one, the page says what the error's ``code`` means."""

    title: str
    text: str
    back: str = "/console"


class ChatError(Exception):
    """An error a client caused or must hear about; ``code`` is part of the wire contract.

    ``details`` travel on the wire next to code and message (``field``, ``limit`` ...).
    ``page`` and ``headers`` are for HTTP only: the page an HTML route shows, and headers
    the answer carries (``Retry-After``, a CORS header of a public route).
    """

    code = "error"
    status = 400
    default_message = "Something went wrong."

    def __init__(
        self,
        message: str | None = None,
        *,
        page: ErrorPage | None = None,
        headers: Mapping[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.details = details
        self.page = page
        self.headers: dict[str, str] = dict(headers or {})

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


class Forbidden(ChatError):
    """Not allowed, and also "no such conversation": ids must leak nothing about other
    conversations (``hub/access.py`` answers both alike)."""

    code = "forbidden"
    status = 403
    default_message = "You are not allowed to do that."


class Unauthorized(ChatError):
    code = "unauthorized"
    status = 401
    default_message = "Please log in."


class InvalidCredentials(ChatError):
    code = "invalid_credentials"
    status = 401
    default_message = "Unknown username or wrong password."


class LineClosed(ChatError):
    code = "closed"
    status = 503
    default_message = "The line is closed right now."


class QueueFull(ChatError):
    code = "queue_full"
    status = 503
    default_message = "Too many people are waiting right now."


class ConsentRequired(ChatError):
    code = "consent_required"
    default_message = "Please accept the privacy statement first."


class RateLimited(ChatError):
    code = "rate_limited"
    status = 429
    default_message = "Slow down a little."


class ConnectionCrowded(RateLimited):
    """Very many chats at once from one connection. Usually a flood; but it may be someone in
    crisis at a school or shelter, so the words are kind and say what to do, and the visitor's
    side gets the line's emergency contacts. ``reason`` tells it apart from a message rate."""

    default_message = (
        "Very many chats are already open from this internet connection (a shared network, "
        "for example at a school or shelter). Please try again in a few minutes. If you need "
        "help right now, call one of the emergency numbers."
    )

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, reason="shared_connection")


class Blocked(ChatError):
    code = "blocked"
    status = 403
    default_message = "This chat is not available to you right now."


class UnknownLine(ChatError):
    code = "unknown_line"
    status = 404
    default_message = "No such line."


class InvalidToken(ChatError):
    code = "invalid_token"
    status = 410
    default_message = "This conversation can no longer be resumed."


class NoConversation(ChatError):
    code = "no_conversation"
    status = 409
    default_message = "Start a conversation first."


class AlreadyStarted(ChatError):
    code = "already_started"
    status = 409
    default_message = "A conversation is already going on."


class ConversationEnded(ChatError):
    code = "ended"
    status = 410
    default_message = "This conversation has ended."


class Forgotten(ConversationEnded):
    """The visitor erased the conversation: nothing may be added to it any more."""

    code = "forgotten"
    default_message = "This conversation was deleted at the visitor's request."


class InvalidState(ChatError):
    code = "invalid_state"
    status = 409
    default_message = "That is not possible in the current state."


class Internal(ChatError):
    code = "internal"
    status = 500
    default_message = "Internal error; nothing was changed."


class Draining(ChatError):
    """The server is shutting down (a restart, an update): it takes no new conversation.
    Running ones are not lost: their clients reconnect to the restarted server or another
    node, and resume."""

    code = "draining"
    status = 503
    default_message = "The chat is restarting. Please try again in a moment."


class Unavailable(ChatError):
    """What the server needs for this (the shared store of the distributed mode) cannot be
    reached just now. Nothing was changed; the connection stays open, and the same request
    works again once the store is back: no fault of the visitor's, so the words say so."""

    code = "unavailable"
    status = 503
    default_message = (
        "The chat cannot be reached for a moment; nothing is wrong with you or your message. "
        "Please try again in a minute, or call one of the emergency numbers now."
    )


class NodeLapsed(Unavailable):
    """This node's lease on the shared floor lapsed (``node_life.py``): the floor registers no
    connection of it until it joined again. The socket that asked is let go, so its client
    reconnects, through the load balancer to a live node, and resumes."""


class OperatorUnavailable(ChatError):
    """Handover target is offline, paused or away (``reason`` says which)."""

    code = "operator_unavailable"
    status = 409
    default_message = "That colleague cannot take a conversation right now."


class OperatorFull(ChatError):
    code = "operator_full"
    status = 409
    default_message = "That colleague has no free slot."


class NotOnLine(ChatError):
    code = "not_on_line"
    status = 409
    default_message = "That colleague does not serve this line or language."


class HandoverPending(ChatError):
    code = "handover_pending"
    status = 409
    default_message = "A handover of this conversation is already waiting for an answer."


class BackupTaken(ChatError):
    code = "backup_taken"
    status = 409
    default_message = "A colleague already joined as backup."


class UnknownEvent(ChatError):
    """A socket event nobody handles (``realtime/base.py``): an answer instead of silence."""

    code = "unknown_event"
    default_message = "No such event in this namespace; see docs/protocol.md."


class UnknownAccount(ChatError):
    """An account id in an administration page's path that names no account."""

    code = "unknown_account"
    status = 404
    default_message = "There is no such account."


# -- logging in (chatserver/accounts) -------------------------------------------------------


class Locked(ChatError):
    """Too many failed logins for this username; ``retry_after`` says when to try again."""

    code = "locked"
    status = 429
    default_message = "Too many failed attempts. Try again later."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        if "retry_after" in details:
            self.headers["Retry-After"] = str(details["retry_after"])


class OtpRequired(ChatError):
    """The password was right, but the role needs a code from the authenticator app."""

    code = "otp_required"
    status = 401
    default_message = "Enter the code from your authenticator app."


class InvalidOtp(ChatError):
    code = "invalid_otp"
    status = 401
    default_message = "That code is wrong or expired. Enter the current code."


class EnrolmentRequired(ChatError):
    """The password was right, but the role needs 2FA and the account has no secret yet.

    The login page answers with the enrolment step (QR code, then a code from the app). The
    account rides along for that page; it is not part of ``details``, so it never reaches
    the wire (it holds the password hash).
    """

    code = "enrolment_required"
    status = 401
    default_message = (
        "Two-step verification is not set up for this account yet. Log in once in the "
        "browser, at /login, to set it up."
    )

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account


class CsrfRejected(ChatError):
    """A state-changing request without the session's CSRF token: maybe another site's."""

    code = "csrf"
    status = 403
    default_message = "The request lacks its security token. Reload the page and try again."


class CrossOrigin(ChatError):
    """A request a browser sent from another site's page where only our own pages may act:
    a state-changing HTTP request, or a socket to a namespace that site may not open."""

    code = "cross_origin"
    status = 403
    default_message = "This is only accepted from the chat server's own pages."


class JsonRequired(ChatError):
    """A body under ``/api/`` that does not say it is JSON. A page of another site can post a
    form or text without asking, but JSON only after a CORS preflight that this server never
    grants: so the type is part of the protection against forged requests."""

    code = "json_required"
    status = 415
    default_message = "Send the body as JSON, with Content-Type: application/json."


class LinkUnknown(ChatError):
    """A follow-up link that opens nothing: wrong, revoked, forgotten or purged all answer
    exactly this, so a guess learns nothing about which links exist or existed."""

    code = "link_unknown"
    status = 404
    default_message = (
        "This link does not open anything (any more). Check that you copied all of it. Links "
        "stop working when they are replaced, closed, or not used for a long time."
    )


class FollowUpUnavailable(ChatError):
    """The line does not offer this kind of follow-up (letters, appointments)."""

    code = "follow_up_unavailable"
    status = 403
    default_message = "This line does not offer that."


class AppointmentNotNow(ChatError):
    """An appointment link used outside its window: too early, too late, or with no chat
    agreed by it. ``at`` is the agreed time (ISO 8601) when there is one still ahead."""

    code = "appointment_not_now"
    status = 409
    default_message = "There is no chat agreed by this link at this time."
