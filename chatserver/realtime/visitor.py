"""The ``/visitor`` namespace: anonymous, no account, no cookie.

A thin edge: read the payload, call the hub, answer. What the visitor is (a conversation id
in the socket's session, and the room of that conversation) is all this layer remembers; the
hub holds the rest. Nothing of the connection's environment (address, user agent, cookies)
is read here, let alone stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import socketio

from chatserver.clock import iso
from chatserver.errors import (
    AlreadyStarted,
    Blocked,
    ChatError,
    ConnectionCrowded,
    Draining,
    InvalidPayload,
    InvalidToken,
    LineClosed,
    NoConversation,
    NodeLapsed,
    QueueFull,
    Unavailable,
)
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.hub import Hub
from chatserver.hub.model import Conversation, ConversationState
from chatserver.hub.pinned import Pinned
from chatserver.privacy.abuse import SourceGuard
from chatserver.privacy.link_guard import LinkGuard
from chatserver.privacy.pseudonyms import source_address
from chatserver.realtime import wire
from chatserver.realtime.acks import (
    acknowledged,
    bool_field,
    client_id,
    ok,
    optional_text,
    payload,
    text_field,
)
from chatserver.realtime.appointments import VisitorAppointments
from chatserver.realtime.bridge import VISITOR
from chatserver.realtime.origins import OriginPolicy
from chatserver.realtime.release import release_socket

LANGS = ("nl", "en")


class VisitorNamespace(VisitorAppointments):
    def __init__(
        self,
        hub: Hub,
        guard: SourceGuard,
        followup: FollowUp,
        links: LinkGuard,
        trusted_proxies: tuple[str, ...] = (),
        origins: OriginPolicy | None = None,
    ) -> None:
        super().__init__(VISITOR)
        self.hub = hub
        self.followup = followup
        self.links = links
        self.guard = guard
        self.trusted_proxies = trusted_proxies
        self.origins = origins or OriginPolicy((), trusted_proxies)
        self._tasks: set[asyncio.Future[Any]] = set()

    # ------------------------------------------------------------ connection
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        self.origins.check(VISITOR, environ)
        auth = auth if isinstance(auth, dict) else {}
        line = auth.get("line")
        if not isinstance(line, str) or self.hub.settings.line(line) is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "unknown_line",
                {"code": "unknown_line", "message": "Connect with auth.line set to a known line."},
            )
        lang = auth.get("lang") if auth.get("lang") in LANGS else "nl"
        # the address is used for one keyed hash, here, and then forgotten
        source = self.guard.pseudonyms.of(source_address(environ, self.trusted_proxies))
        session: dict[str, Any] = {
            "line": line,
            "lang": lang,
            "conversation_id": None,
            "source": source,
        }
        token = auth.get("token")
        if token is not None:
            session["token_error"] = True
            if isinstance(token, str) and 0 < len(token) <= 128:
                try:
                    conversation = await self.hub.resume(token)
                except InvalidToken:
                    pass
                else:
                    session = {**session, "token_error": False, "conversation_id": conversation.id}
                    await self.enter_room(sid, conversation.id)
                    since = auth.get("since")
                    self._later(self._resumed(sid, conversation.id, since))
        await self.save_session(sid, session)
        return True

    def _later(self, work: Any) -> None:
        """Run after the CONNECT packet is out, so the client is ready for what we send."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resumed(self, sid: str, conversation_id: str, since: Any) -> None:
        """Back within the grace period: the transcript it missed, then its current state."""
        after = since if isinstance(since, int) and since >= 0 else 0
        conversation = await self.hub.resume_state(conversation_id)
        for message in await self.hub.visitor_transcript(conversation_id, after_seq=after):
            await self.emit("message", wire.visitor_message(message), to=sid)
        if conversation is None or conversation.state not in (
            ConversationState.WAITING,
            ConversationState.ACTIVE,
        ):
            ended_by = conversation.ended_by if conversation else "system"
            reason = conversation.end_reason if conversation else "ended"
            await self.emit("ended", {"by": ended_by, "reason": reason}, to=sid)
            await self._offer_again(sid, conversation_id)
            return
        if conversation.state is ConversationState.ACTIVE and conversation.operator_id:
            alias = await self.hub.alias_of(conversation.operator_id)
            await self.emit("assigned", {"operator": alias}, to=sid)
        await self._offer_again(sid, conversation_id)
        try:
            session = await self.get_session(sid)
        except KeyError:
            return  # the socket dropped during the replay: nothing to count in, or out again
        session["counted"] = True  # only a counted connection may be counted out again
        await self.save_session(sid, session)
        try:
            await self.hub.visitor_connected(conversation_id)
        except NodeLapsed:  # not on the floor from this node: the page resumes elsewhere
            await release_socket(self.server, sid, VISITOR)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        conversation_id = session.get("conversation_id")
        if conversation_id and session.get("counted"):
            await self.hub.visitor_disconnected(conversation_id)

    async def _conversation(self, sid: str) -> str:
        """The caller's conversation; a bad resume token is reported once, on this event."""
        session = await self.get_session(sid)
        if session.pop("token_error", False):
            await self.save_session(sid, session)
            raise InvalidToken()
        conversation_id = session.get("conversation_id")
        if not conversation_id:
            raise NoConversation()
        return str(conversation_id)

    # ------------------------------------------------------------ events
    @acknowledged
    async def on_start(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        session = await self.get_session(sid)
        if session.pop("token_error", False):
            await self.save_session(sid, session)
            raise InvalidToken()
        previous = session.get("conversation_id")
        if previous and await self.hub.is_open(previous):
            raise AlreadyStarted()
        if previous:
            await self.leave_room(sid, previous)
        intake = data.get("intake") or {}
        if not isinstance(intake, dict) or not set(intake) <= {"topic", "age_band"}:
            raise InvalidPayload('"intake" may hold "topic" and "age_band".', field="intake")
        intake = {k: optional_text(intake, k, 64) for k in intake}
        conversation_id = self.hub.new_conversation_id()
        await self.enter_room(sid, conversation_id)
        try:
            shared = await self.guard.check_start(session["source"])

            def begin(pinned: Pinned | None, line: str) -> Awaitable[tuple[Conversation, str]]:
                return self.hub.start_conversation(
                    conversation_id,
                    line,
                    session["lang"],
                    consent=data.get("consent") is True,
                    intake={k: v for k, v in intake.items() if v is not None},
                    shared_connection=shared,
                    pinned=pinned,
                )

            key = data.get("appointment")
            agreed: dict[str, Any] = {}
            if key is None:
                conversation, token = await begin(None, session["line"])
            else:  # the link of an agreed chat (§13.3): straight to the agreed volunteer
                appointment, (conversation, token) = await self._start_by_appointment(
                    session["source"], key, conversation_id, begin
                )
                session["line"] = conversation.line
                agreed["appointment"] = {"at": iso(appointment.at)}
        except ChatError as error:
            await self.leave_room(sid, conversation_id)
            if isinstance(
                error, LineClosed | QueueFull | Blocked | ConnectionCrowded | Draining | Unavailable
            ):
                line = self.hub.settings.line(session["line"])
                if line is not None:
                    error.details["emergency"] = [
                        wire.contact(c, session["lang"]) for c in line.emergency
                    ]
            raise
        await self.guard.started(session["source"], conversation.id)
        session["conversation_id"] = conversation.id
        session["counted"] = True
        await self.save_session(sid, session)
        return ok(conversation_id=conversation.id, token=token, lang=conversation.lang, **agreed)

    @acknowledged
    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        text, sent_as = text_field(data, "text"), client_id(data)
        conversation_id = await self._conversation(sid)
        # per conversation and per source, not per socket: reconnecting refills nothing
        await self.guard.check_message(conversation_id, (await self.get_session(sid))["source"])
        message = await self.hub.visitor_message(conversation_id, text, sent_as)
        return ok(id=message.id, seq=message.seq)

    @acknowledged
    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        active = bool_field(payload(data), "active")
        await self.hub.visitor_typing(await self._conversation(sid), active)
        return ok()

    @acknowledged
    async def on_leave(self, sid: str, data: Any) -> dict[str, Any]:
        reason = optional_text(payload(data), "reason", 20) or "left"
        await self.hub.visitor_leaves(await self._conversation(sid), reason)
        return ok()

    @acknowledged
    async def on_forget(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        conversation_id = await self._conversation(sid)
        erased = await self.hub.forget(conversation_id)
        session = await self.get_session(sid)
        session["conversation_id"] = None
        await self.save_session(sid, session)
        await self.leave_room(sid, conversation_id)
        return ok(erased=erased)
