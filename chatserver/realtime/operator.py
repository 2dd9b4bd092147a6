"""The ``/operator`` namespace: volunteers, backup colleagues and supervisors.

Only a valid session cookie from ``POST /api/session`` gets in. Each handler is a few lines:
validate the payload, call the hub with the caller's account id (the hub authorizes), answer.
"""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from typing import Any

import socketio

from chatserver import accounts
from chatserver.clock import iso
from chatserver.errors import InvalidPayload, NodeLapsed, Unauthorized
from chatserver.hub.followup.oversight import letter_lines
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.hub import Hub
from chatserver.hub.model import Account, Conversation, Message, OperatorState
from chatserver.privacy.abuse import SourceGuard
from chatserver.realtime import wire
from chatserver.realtime.acks import (
    acknowledged,
    bool_field,
    client_id,
    conversation_id,
    ok,
    optional_text,
    payload,
    string_list,
    text_field,
)
from chatserver.realtime.appointments import OperatorAppointments
from chatserver.realtime.bridge import (
    ALL_OPERATORS,
    OPERATOR,
    SUPERVISORS,
    letters_room,
    operator_room,
    session_room,
)
from chatserver.realtime.operator_letters import LetterEvents
from chatserver.realtime.origins import OriginPolicy
from chatserver.realtime.release import release_socket

SESSION_COOKIE = "chat_session"
# socket activity refreshes the session's idle timer; more often than this would be a write
# per chat message for no gain
ACTIVITY_WRITE_SECONDS = 60.0


def cookie_token(environ: dict[str, Any]) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # a garbled cookie header is just "not logged in"
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


class OperatorNamespace(LetterEvents, OperatorAppointments):
    def __init__(
        self,
        hub: Hub,
        guard: SourceGuard,
        followup: FollowUp,
        origins: OriginPolicy | None = None,
    ) -> None:
        super().__init__(OPERATOR)
        self.hub = hub
        self.followup = followup  # letters and the follow-up overview (operator_letters.py)
        self.guard = guard
        self.origins = origins or OriginPolicy(())
        self._tasks: set[asyncio.Future[Any]] = set()

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        self.origins.check(OPERATOR, environ)  # the console's own pages only
        found = await accounts.authenticate(self.hub.store, self.hub.clock, cookie_token(environ))
        if found is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "unauthorized",
                {"code": "unauthorized", "message": "Log in first (POST /api/session)."},
            )
        session, account = found
        await self.save_session(
            sid,
            {
                "operator_id": account.id,
                "role": account.role,
                "session": session.token_hash,
                "active_at": self.hub.clock.now(),
            },
        )
        await self.enter_room(sid, operator_room(account.id))
        await self.enter_room(sid, session_room(session.token_hash))
        await self.enter_room(sid, ALL_OPERATORS)
        for line in letter_lines(self.hub.settings, account):  # their `letters_changed`
            await self.enter_room(sid, letters_room(line))
        task = asyncio.ensure_future(self._connected(sid, account))
        self._tasks.add(task)  # after the CONNECT packet: status and held chats follow it
        task.add_done_callback(self._tasks.discard)
        return True

    async def _connected(self, sid: str, account: Account) -> None:
        try:
            await self.hub.operator_connected(account)
        except NodeLapsed:  # not on the floor from this node: the console reconnects elsewhere
            await release_socket(self.server, sid, OPERATOR)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        if session.get("operator_id"):
            await self.hub.operator_disconnected(session["operator_id"])

    async def _me(self, sid: str) -> str:
        """The caller's account id; every event passes here, and counts as the session's
        activity (at most one write a minute), so a volunteer busy in chats stays logged in.
        A session that ended meanwhile answers ``unauthorized`` until the socket is closed."""
        session = await self.get_session(sid)
        now = self.hub.clock.now()
        if now - session["active_at"] >= ACTIVITY_WRITE_SECONDS:
            if not await accounts.keep_alive(self.hub.store, self.hub.clock, session["session"]):
                raise Unauthorized("Your login has ended. Log in again.")
            session["active_at"] = now
            await self.save_session(sid, session)
        return str(session["operator_id"])

    @acknowledged
    async def on_status(self, sid: str, data: Any) -> dict[str, Any]:
        state = payload(data).get("state")
        try:
            wanted = OperatorState(state if isinstance(state, str) else "")
        except ValueError:
            raise InvalidPayload(
                '"state" must be "available", "paused" or "away".', field="state"
            ) from None
        presence = await self.hub.set_status(await self._me(sid), wanted)
        return ok(
            state=presence.state.value, load=presence.load, capacity=presence.account.capacity
        )

    @acknowledged
    async def on_message(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        message = await self.hub.operator_message(
            await self._me(sid), conversation_id(data), text_field(data, "text"), client_id(data)
        )
        return ok(id=message.id, seq=message.seq)

    @acknowledged
    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        await self.hub.operator_typing(
            await self._me(sid), conversation_id(data), bool_field(data, "active")
        )
        return ok()

    @acknowledged
    async def on_note(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        message = await self.hub.note(
            await self._me(sid), conversation_id(data), text_field(data, "text")
        )
        return ok(id=message.id, seq=message.seq)

    @acknowledged
    async def on_end(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        wrapup = data.get("wrapup")
        if not isinstance(wrapup, dict):
            raise InvalidPayload(
                '"wrapup" must be {"topics": [...], "risk": "..."}.', field="wrapup"
            )
        risk = wrapup.get("risk", "none")
        if not isinstance(risk, str):
            raise InvalidPayload('"wrapup.risk" must be a string.', field="wrapup.risk")
        await self.hub.end_conversation(
            await self._me(sid), conversation_id(data), string_list(wrapup, "topics"), risk
        )
        return ok()

    # ---------------------------------------------------------------- handover
    @acknowledged
    async def on_handover(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        to = data.get("to")
        if not isinstance(to, str) or not 0 < len(to) <= 64:
            raise InvalidPayload('"to" must be a colleague\'s id or "queue".', field="to")
        note = optional_text(data, "note", 2000) or ""
        await self.hub.hand_over(await self._me(sid), conversation_id(data), to, note)
        return ok(pending=to != "queue")

    @acknowledged
    async def on_handover_accept(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.accept_handover(await self._me(sid), conversation_id(payload(data)))
        return ok()

    @acknowledged
    async def on_handover_decline(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.decline_handover(await self._me(sid), conversation_id(payload(data)))
        return ok()

    @acknowledged
    async def on_colleagues(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        return ok(colleagues=await self.hub.colleagues(await self._me(sid)))

    # ---------------------------------------------------------------- backup and risk
    @acknowledged
    async def on_backup_request(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        reason = optional_text(data, "reason", 500) or ""
        await self.hub.request_backup(await self._me(sid), conversation_id(data), reason)
        return ok()

    @acknowledged
    async def on_backup_join(self, sid: str, data: Any) -> dict[str, Any]:
        found = await self.hub.join_as_backup(await self._me(sid), conversation_id(payload(data)))
        return ok(conversation=self._transcript(*found))

    @acknowledged
    async def on_whisper(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        message = await self.hub.whisper(
            await self._me(sid), conversation_id(data), text_field(data, "text")
        )
        return ok(id=message.id, seq=message.seq)

    @acknowledged
    async def on_takeover(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.take_over(await self._me(sid), conversation_id(payload(data)))
        return ok()

    @acknowledged
    async def on_flag(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        risk = data.get("risk")
        if not isinstance(risk, str):
            raise InvalidPayload('"risk" must be none, low, high or acute.', field="risk")
        level = await self.hub.flag(await self._me(sid), conversation_id(data), risk)
        return ok(risk=level.value)

    @acknowledged
    async def on_block(self, sid: str, data: Any) -> dict[str, Any]:
        """Block this conversation's visitor until the pseudonym key is replaced (a day)."""
        conversation = conversation_id(payload(data))
        await self.hub.record_block(await self._me(sid), conversation)
        return ok(blocked=await self.guard.block_conversation(conversation))

    # ---------------------------------------------------------------- supervision
    @acknowledged
    async def on_monitor(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        await self.hub.ensure_may_monitor(await self._me(sid))
        await self.enter_room(sid, SUPERVISORS)
        await self.emit("dashboard", await self.hub.dashboard(), to=sid)
        return ok()

    @acknowledged
    async def on_observe(self, sid: str, data: Any) -> dict[str, Any]:
        found = await self.hub.observe(await self._me(sid), conversation_id(payload(data)))
        return ok(conversation=self._transcript(*found))

    @acknowledged
    async def on_unobserve(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.stop_watching(await self._me(sid), conversation_id(payload(data)))
        return ok()

    @acknowledged
    async def on_hold(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        days = data.get("days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
            raise InvalidPayload('"days" must be a whole number of days.', field="days")
        hold = await self.hub.place_hold(
            await self._me(sid), conversation_id(data), text_field(data, "reason"), days
        )
        return ok(expires_at=iso(hold.expires_at))

    @acknowledged
    async def on_release_hold(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.release_hold(await self._me(sid), conversation_id(payload(data)))
        return ok()

    @acknowledged
    async def on_broadcast(self, sid: str, data: Any) -> dict[str, Any]:
        await self.hub.broadcast(await self._me(sid), text_field(payload(data), "text"))
        return ok()

    def _transcript(self, conversation: Conversation, messages: list[Message]) -> dict[str, Any]:
        return wire.conversation(
            conversation,
            [wire.operator_message(m) for m in messages],
        )
