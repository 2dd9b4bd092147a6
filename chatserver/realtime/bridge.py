"""Hub events to socket.io emits: the only subscriber that knows about rooms.

Rooms: in ``/visitor`` each conversation is a room named by its id (a visitor may have more
than one tab or a reconnecting socket); in ``/operator`` each account has a room
``op:<id>``, so every console tab of a volunteer hears the same. With socket.io's Redis
manager these emits reach sockets on any node.
"""

from __future__ import annotations

from typing import Any

import socketio

from chatserver.clock import iso
from chatserver.hub import events as ev
from chatserver.hub.hub import Hub
from chatserver.hub.model import Message
from chatserver.realtime import wire
from chatserver.realtime.dashboard import DashboardFeed

VISITOR = "/visitor"
OPERATOR = "/operator"
ALL_OPERATORS = "operators"  # every operator socket: broadcasts
SUPERVISORS = "supervisors"  # sockets that asked to `monitor`: the dashboard


def operator_room(operator_id: str) -> str:
    return f"op:{operator_id}"


def letters_room(line: str) -> str:
    """Every console serving ``line`` (its volunteers, all supervisors): `letters_changed`."""
    return f"letters:{line}"


def session_room(session: str) -> str:
    """Every socket opened with one login session (by its token hash): closed together."""
    return f"session:{session}"


class Bridge:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        hub: Hub,
        dashboard: DashboardFeed,
    ) -> None:
        self.sio = sio
        self.hub = hub
        self.dashboard = dashboard
        hub.bus.subscribe(self.on_event)

    async def to_visitor(
        self, conversation_id: str, event: str, data: dict[str, Any], local: bool = False
    ) -> None:
        """``local``: to this node's sockets only (every node tells its own: the floor's
        feed), else to the room on every node (socket.io's Redis manager, if any)."""
        await self.sio.emit(
            event, data, room=conversation_id, namespace=VISITOR, ignore_queue=local
        )

    async def to_operators(
        self, operators: tuple[str, ...], event: str, data: Any, local: bool = False
    ) -> None:
        for operator_id in operators:
            await self.sio.emit(
                event, data, room=operator_room(operator_id), namespace=OPERATOR,
                ignore_queue=local,
            )  # fmt: skip

    async def disconnect_operator(self, operator_id: str) -> None:
        """Close the operator's console connections on this node (every node hears the event).

        The console connects again at once: with a valid session the hub takes the changed
        account (capacity, lines, role); a deactivated account or one whose sessions ended
        is refused, and its page goes to the login.
        """
        await self._disconnect_room(operator_room(operator_id))

    async def _disconnect_room(self, room: str) -> None:
        for sid, _ in list(self.sio.manager.get_participants(OPERATOR, room)):
            await self.sio.disconnect(sid, namespace=OPERATOR)

    def _author_alias(self, message: Message) -> str | None:
        """The name the author had when writing, as kept with the message."""
        if message.author is None:
            return None
        return message.author_alias or self.hub.alias(message.author)

    async def on_event(self, event: ev.Event) -> None:
        # the floor changed: supervisors will hear, coalesced (letters are not on the floor's
        # snapshot: the follow-up card asks for its own, on `letters_changed`)
        if not isinstance(event, ev.TypingChanged | ev.MessagePosted | ev.LettersChanged):
            self.dashboard.changed()
        await self._emit(event)

    async def _emit(self, event: ev.Event) -> None:  # one flat dispatch table
        match event:
            case ev.QueueUpdate():
                body: dict[str, Any] = {
                    "position": event.position,
                    "estimated_wait_seconds": event.estimated_wait_seconds,
                    "nobody_on_duty": event.nobody_on_duty,
                    "entered": event.entered,
                }
                if event.alternatives:
                    body["alternatives"] = [wire.contact(c, event.lang) for c in event.alternatives]
                # told by the node the visitor is on (``Node.here``), to its own sockets only
                await self.to_visitor(event.conversation_id, "queue", body, local=True)
            case ev.Assigned():
                if event.to_visitor:
                    told: dict[str, Any] = {"operator": event.alias}
                    if event.entered is not None:  # the stay in the queue that this ended
                        told["entered"] = event.entered
                    await self.to_visitor(event.conversation.id, "assigned", told)
                messages = [wire.operator_message(m, self._author_alias(m)) for m in event.messages]
                body = {
                    "conversation": wire.conversation(
                        event.conversation, messages, event.handover_note
                    )
                }
                if event.appointment is not None:  # an agreed chat (§13.3)
                    body |= wire.agreed_chat(event.appointment)
                await self.to_operators((event.operator_id,), "assigned", body)
            case ev.MessagePosted():
                alias = self._author_alias(event.message)
                fields = wire.message_fields(event.message)  # one for both sides
                if event.to_visitor:
                    await self.to_visitor(
                        event.message.conversation_id,
                        "message",
                        wire.visitor_message(event.message, alias, fields),
                        event.relayed,
                    )
                await self.to_operators(
                    event.operators,
                    "message",
                    wire.operator_message(event.message, alias, fields),
                    event.relayed,
                )
            case ev.TypingChanged():
                if event.to_visitor:
                    await self.to_visitor(event.conversation_id, "typing", {"active": event.active})
                await self.to_operators(
                    event.operators,
                    "typing",
                    {
                        "conversation_id": event.conversation_id,
                        "active": event.active,
                        "after_seq": event.after_seq,
                    },
                )
            case ev.VisitorLeft():
                await self.to_operators(
                    event.operators,
                    "visitor_left",
                    {"conversation_id": event.conversation_id, "reason": event.reason},
                )
            case ev.VisitorConnection():
                await self.to_operators(
                    event.operators,
                    "visitor_connection",
                    {"conversation_id": event.conversation_id, "connected": event.connected},
                )
            case ev.Ended():
                await self.to_visitor(
                    event.conversation_id, "ended", {"by": event.by, "reason": event.reason}
                )
            case ev.Released():
                await self.to_operators(
                    (event.operator_id,),
                    "released",
                    {"conversation_id": event.conversation_id, "reason": event.reason},
                )
            case ev.OperatorStatus():
                await self.to_operators(
                    (event.operator_id,),
                    "status",
                    {
                        "state": event.state,
                        "load": event.load,
                        "capacity": event.capacity,
                        "reason": event.reason,
                    },
                )
            case ev.HandoverOffered():
                await self.to_operators(
                    (event.receiver,),
                    "handover_offered",
                    {
                        "conversation_id": event.conversation_id,
                        "from": event.sender_alias,
                        "from_id": event.sender,
                        "note": event.note,
                        "line": event.line,
                        "intake": event.intake,
                    },
                )
            case ev.HandoverDeclined():
                await self.to_operators(
                    (event.sender,),
                    "handover_declined",
                    {
                        "conversation_id": event.conversation_id,
                        "by": event.by_alias,
                        "reason": event.reason,
                    },
                )
            case ev.HandoverWithdrawn():
                await self.to_operators(
                    (event.receiver,),
                    "handover_withdrawn",
                    {"conversation_id": event.conversation_id, "reason": event.reason},
                )
            case ev.Observed():
                await self.to_operators(
                    event.operators,
                    "observed",
                    {
                        "conversation_id": event.conversation_id,
                        "by": event.by_alias,
                        "kind": event.kind,
                        "active": event.active,
                    },
                )
            case ev.BackupRequested():
                await self.to_operators(
                    event.operators,
                    "backup_requested",
                    {
                        "conversation_id": event.conversation_id,
                        "operator": event.requester_alias,
                        "reason": event.reason,
                        "line": event.line,
                        "escalated": event.escalated,
                    },
                )
            case ev.BackupAnswered():
                await self.to_operators(
                    event.operators,
                    "backup_answered",
                    {"conversation_id": event.conversation_id, "by": event.by_alias},
                )
            case ev.RiskRaised():
                await self.to_operators(
                    event.participants,
                    "risk_changed",
                    {
                        "conversation_id": event.conversation_id,
                        "risk": event.risk,
                        "by": event.by_alias,
                    },
                )
                await self.to_operators(
                    event.operators,
                    "risk_alert",
                    {
                        "conversation_id": event.conversation_id,
                        "risk": event.risk,
                        "by": event.by_alias,
                        "line": event.line,
                    },
                )
            case ev.EmergencyProcedure():
                await self.to_operators(
                    event.operators,
                    "emergency_procedure",
                    {"conversation_id": event.conversation_id, "text": event.text},
                )
            case ev.AccountChanged():
                await self.disconnect_operator(event.operator_id)
            case ev.SessionEnded():
                # logged out or idle too long: the console reconnects, is refused and goes
                # to the login; the account's other sessions (other computers) carry on
                await self._disconnect_room(session_room(event.session))
            case ev.LettersChanged():
                await self.sio.emit(
                    "letters_changed",
                    {"line": event.line},
                    room=letters_room(event.line),
                    namespace=OPERATOR,
                )
            case ev.AppointmentOffered():
                await self.to_visitor(
                    event.conversation_id,
                    "appointment_offered",
                    {"at": iso(event.at), "alias": event.alias},
                )
            case ev.AppointmentAnswered():
                await self.to_operators(
                    (event.operator_id,),
                    "appointment_booked" if event.booked else "appointment_declined",
                    {"conversation_id": event.conversation_id, "at": iso(event.at)},
                )
            case ev.AppointmentChanged():
                await self.to_operators(
                    (event.operator_id,),
                    "appointment_changed",
                    {"id": event.appointment_id, "state": event.state, "at": iso(event.at)},
                )
            case ev.Broadcast():
                await self.sio.emit(
                    "broadcast",
                    {"text": event.text, "from": event.from_alias},
                    room=ALL_OPERATORS,
                    namespace=OPERATOR,
                )
