"""Appointments over the sockets: the volunteer offers a next chat, the visitor answers, and
the visitor's link opens the agreed chat (docs/protocol.md §13.3).

Mixins of the two namespaces, kept apart so that each namespace module stays about its own
side; the work is the follow-up's (``hub/followup/appointments.py``) and the hub's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chatserver.clock import iso
from chatserver.hub.followup.model import Appointment
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.hub import Hub
from chatserver.hub.pinned import Pinned
from chatserver.privacy.link_guard import LinkGuard
from chatserver.realtime.acks import (
    acknowledged,
    bool_field,
    conversation_id,
    ok,
    optional_text,
    payload,
)
from chatserver.realtime.base import AnsweringNamespace

T = TypeVar("T")


def appointment_for_operator(appointment: Appointment) -> dict[str, Any]:
    """A booked appointment in the volunteer's list: when, where, the note; no link."""
    return {
        "id": appointment.id,
        "at": iso(appointment.at),
        "line": appointment.line,
        "lang": appointment.lang,
        "note": appointment.note,
        "share": appointment.share,
        "state": appointment.state.value,
    }


class _FollowUpEdge(AnsweringNamespace):
    hub: Hub
    followup: FollowUp
    links: LinkGuard | None = None  # /visitor counts wrong links; /operator takes none


class VisitorAppointments(_FollowUpEdge):
    """``/visitor``: answer an offer; open the agreed chat with the link's key."""

    async def _conversation(self, sid: str) -> str:  # the namespace's own
        raise NotImplementedError

    async def _start_by_appointment(
        self,
        source: str,
        key: object,
        conversation_id: str,
        begin: Callable[[Pinned, str], Awaitable[T]],
    ) -> tuple[Appointment, T]:
        """The key opens the visitor's space; the follow-up checks the time and the hub
        starts the chat pinned to the agreed volunteer. Wrong keys count against the source
        (``privacy/link_guard.py``), as on every other route that takes a link."""
        followup = self.followup
        if self.links is None:
            space = await followup.spaces.find(key)
        else:
            space = await self.links.opening(source, lambda: followup.spaces.find(key))
        return await followup.appointments.open_chat(
            space, conversation_id, lambda pinned: begin(pinned, space.line)
        )

    async def _offer_again(self, sid: str, conversation_id: str) -> None:
        """After a reload the visitor sees an unanswered offer again."""
        offer = await self.followup.appointments.offered(conversation_id)
        if offer is not None:
            alias = await self.hub.alias_of(offer.operator_id) or ""
            await self.emit("appointment_offered", {"at": iso(offer.at), "alias": alias}, to=sid)

    @acknowledged
    async def on_appointment_accept(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        share, keep = bool_field(data, "share"), bool_field(data, "keep")
        appointment, key = await self.followup.appointments.accept(
            await self._conversation(sid), share, keep
        )
        return ok(key=key, at=iso(appointment.at), appointment_id=appointment.id)

    @acknowledged
    async def on_appointment_decline(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        await self.followup.appointments.decline(await self._conversation(sid))
        return ok()


class OperatorAppointments(_FollowUpEdge):
    """``/operator``: offer a next chat in a chat one holds; list one's appointments."""

    async def _me(self, sid: str) -> str:  # the namespace's own
        raise NotImplementedError

    @acknowledged
    async def on_appointment_offer(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        note = optional_text(data, "note", 2000) or ""
        offer = await self.followup.appointments.offer(
            await self._me(sid), conversation_id(data), data.get("at"), note
        )
        return ok(at=iso(offer.at))

    @acknowledged
    async def on_appointments(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        mine = await self.followup.appointments.upcoming(await self._me(sid))
        return ok(appointments=[appointment_for_operator(a) for a in mine])
