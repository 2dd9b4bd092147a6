"""The next chat agreed at the end of one (a chatspreekuur slot), opened by the visitor's link.

At the end of a chat (or in its wrap-up) the volunteer who holds it offers a time and leaves
a note for a colleague. The visitor accepts, choosing whether that volunteer may reread this
chat before the next one (``share``) and whether they keep it in their space to reread
themselves (``keep``), and gets the link once. At the agreed time the link opens the chat
straight to that volunteer, or, if they are not on duty, at the front of the line's queue with
their note (``Hub.start_conversation(pinned=...)``). In between the visitor may cancel or move
it in their space. Booked, kept, missed and cancelled are counted in the statistics.

Offers waiting for the visitor's answer are records in the store, like the appointments, so
the visitor may answer on another node than the volunteer's, or after a restart; an offer
lapses after an hour and goes with its chat's messages. Nothing here is ordered by a lock of
this process (several nodes share the store, issue 13): an offer is answered once
(``take_offer``), and a booked appointment is kept, cancelled, moved or missed by a write
conditional on its being booked at the time read (``change_appointment``); a step refused
reads again and answers as it would have after the other.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from chatserver.backends.base import StatsDelta
from chatserver.clock import iso
from chatserver.errors import (
    AppointmentNotNow,
    FollowUpUnavailable,
    Forbidden,
    InvalidPayload,
    InvalidState,
    TooLong,
)
from chatserver.hub import lines as opening
from chatserver.hub.events import (
    AppointmentAnswered,
    AppointmentChanged,
    AppointmentOffered,
    EventBus,
)
from chatserver.hub.followup.model import Appointment, AppointmentState, Offer, Space
from chatserver.hub.followup.spaces import FollowUpStores, Spaces
from chatserver.hub.model import VISITOR_ROLES, Conversation, ConversationState, Message
from chatserver.hub.pinned import Pinned
from chatserver.settings import LineSettings, Settings

MINUTE = 60
DAY = 86400
MAX_NOTE = 1000
# an offer the visitor has not answered is dropped after this long (the ended screen keeps
# it on show for a while; a visitor who closed the tab never answers)
OFFER_SECONDS = 3600
# a chat opened by a link lasts less than this: how far back accept looks for it
CHAT_LOOKBACK = 2 * DAY
# a change refused because another step changed the appointment first is tried again on
# what it then reads; this many refusals in a row and it gives up
ATTEMPTS = 8

T = TypeVar("T")


class Floor(Protocol):
    """What the book asks of the hub: which chats a volunteer holds, and their alias."""

    async def held(self, operator_id: str) -> list[Conversation]: ...

    def alias(self, operator_id: str) -> str | None: ...


class AppointmentBook:
    """Offers, bookings, the link's chat, cancelling, moving, and counting the missed."""

    def __init__(
        self,
        settings: Settings,
        store: FollowUpStores,
        spaces: Spaces,
        bus: EventBus,
        floor: Floor | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.spaces = spaces
        self.clock = spaces.clock
        self.bus = bus
        self.floor = floor
        # how far the sweep looked, on this node; another node that leads looks back itself,
        # and each missed appointment is marked by a conditional write, so once
        self._swept_until: float | None = None

    # ------------------------------------------------------------------ the volunteer offers
    async def offer(self, operator_id: str, conversation_id: str, at: object, note: str) -> Offer:
        """The holding volunteer offers a next chat at ``at`` (ISO 8601; without an offset,
        the line's local time). A new offer replaces one the visitor has not answered yet."""
        conversation = await self._held(operator_id, conversation_id)
        line = self._appointments_line(conversation.line)
        when = self._valid_time(line, at)
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise TooLong(f"Keep the note under {MAX_NOTE} characters.", limit=MAX_NOTE)
        offer = Offer(
            conversation.id,
            operator_id,
            conversation.line,
            conversation.lang,
            when,
            note,
            self.clock.now(),
        )
        await self.store.save_offer(offer)
        alias = self.floor.alias(operator_id) if self.floor else None
        await self.bus.publish(AppointmentOffered(conversation.id, when, alias or ""))
        return offer

    async def upcoming(self, operator_id: str) -> list[Appointment]:
        """The volunteer's booked appointments from now on (including one still open to be
        kept), soonest first."""
        policy = self.settings.follow_up
        now = self.clock.now()
        found = await self.store.appointments_between(
            now - policy.appointment_missed_minutes * MINUTE,
            now + (policy.appointment_days_ahead + 1) * DAY,
        )
        return [
            a for a in found if a.operator_id == operator_id and a.state is AppointmentState.BOOKED
        ]

    # ------------------------------------------------------------------ the visitor answers
    async def offered(self, conversation_id: str) -> Offer | None:
        """The offer waiting for this conversation's visitor (shown again after a reload)."""
        return await self.store.offer(conversation_id, self.clock.now() - OFFER_SECONDS)

    async def accept(
        self, conversation_id: str, share: bool, keep: bool
    ) -> tuple[Appointment, str | None]:
        """Book it: the appointment, in the visitor's space (a new one, whose key is returned
        here once, or the space whose link opened this very chat: ``None``, their link stays).

        The space's ``active_at`` moves to the appointment's time, so the retention purge
        cannot take the space (and the link) before the chat it promises. The offer is taken
        from the store first: of two answers at once (two tabs, two nodes), one books it.
        """
        now = self.clock.now()
        offer = await self.store.take_offer(conversation_id, now - OFFER_SECONDS)
        if offer is None:
            raise InvalidState("There is no offer to accept (any more).")
        space = await self._space_of_chat(conversation_id)
        key: str | None = None
        if space is None:
            space, key = await self.spaces.create(offer.line, offer.lang)
        appointment = Appointment(
            id="a" + secrets.token_hex(8),
            space_id=space.id,
            line=offer.line,
            lang=space.lang,
            operator_id=offer.operator_id,
            at=offer.at,
            note=offer.note,
            source_conversation=conversation_id,
            created_at=now,
            share=share,
            keep=keep,
        )
        await self.store.save_appointment(appointment)
        await self.store.attach_conversation(space.id, conversation_id, keep)
        await self._keep_alive_until(space, appointment.at)
        await self.spaces.record(StatsDelta(offer.line, now, appointments_booked=1))
        await self.bus.publish(
            AppointmentAnswered(conversation_id, offer.operator_id, offer.at, booked=True)
        )
        await self._changed(appointment)
        return appointment, key

    async def decline(self, conversation_id: str) -> None:
        offer = await self.store.take_offer(conversation_id, self.clock.now() - OFFER_SECONDS)
        if offer is None:
            raise InvalidState("There is no offer to decline (any more).")
        await self.bus.publish(
            AppointmentAnswered(conversation_id, offer.operator_id, offer.at, booked=False)
        )

    # ------------------------------------------------------------------ the link opens the chat
    async def open_chat(
        self, space: Space, conversation_id: str, start: Callable[[Pinned], Awaitable[T]]
    ) -> tuple[Appointment, T]:
        """At the agreed time the link opens the chat: the appointment is marked kept by
        ``conversation_id`` first (conditional on its still being booked, so of two tabs, on
        any nodes, one keeps it and the other hears it is not open now), then ``start`` (the
        hub's, with ``pinned``) runs; if that fails the appointment is booked again. Once
        started, the chat is attached to the space.

        Outside the window (from ``appointment_opens_minutes`` before the time until
        ``appointment_missed_minutes`` after) the answer is :class:`AppointmentNotNow`.
        """
        for attempt in range(1, ATTEMPTS + 1):
            appointment = await self._due(space)
            kept = replace(
                appointment, state=AppointmentState.KEPT, conversation_id=conversation_id
            )
            if await self.store.change_appointment(kept, AppointmentState.BOOKED, kept.at):
                break
            if attempt == ATTEMPTS:
                raise AppointmentNotNow(at=None)
        earlier: tuple[Message, ...] = ()
        if kept.share:
            messages = await self.store.messages(kept.source_conversation)
            earlier = tuple(m for m in messages if m.role in VISITOR_ROLES)
        pinned = Pinned(kept.id, kept.operator_id, kept.at, kept.note, earlier)
        try:
            started = await start(pinned)
        except BaseException:  # not kept after all: booked again, for another try in time
            await self.store.change_appointment(appointment, AppointmentState.KEPT, kept.at)
            raise
        await self._kept(kept, conversation_id)
        return kept, started

    async def _kept(self, appointment: Appointment, conversation_id: str) -> None:
        """The chat the link opened: the appointment is kept, the chat belongs to the space
        (for the visitor to reread if they chose ``keep``)."""
        now = self.clock.now()
        await self.store.attach_conversation(
            appointment.space_id, conversation_id, appointment.keep
        )
        await self.store.touch_space(appointment.space_id, now)
        await self.spaces.record(StatsDelta(appointment.line, now, appointments_kept=1))
        await self._changed(appointment)

    # ------------------------------------------------------------------ in the visitor's space
    async def cancel(self, space: Space, appointment_id: object) -> Appointment:
        appointment = await self._change(
            space, appointment_id, lambda a: replace(a, state=AppointmentState.CANCELLED)
        )
        await self.spaces.touch(space)
        await self.spaces.record(
            StatsDelta(appointment.line, self.clock.now(), appointments_cancelled=1)
        )
        await self._changed(appointment)
        return appointment

    async def move(self, space: Space, appointment_id: object, at: object) -> Appointment:
        """A new time with the same volunteer, under the same rules as the offer."""

        def moved(appointment: Appointment) -> Appointment:
            line = self._appointments_line(appointment.line)
            return replace(appointment, at=self._valid_time(line, at))

        appointment = await self._change(space, appointment_id, moved)
        await self._keep_alive_until(space, appointment.at)
        await self._changed(appointment)
        return appointment

    async def _change(
        self,
        space: Space,
        appointment_id: object,
        change: Callable[[Appointment], Appointment],
    ) -> Appointment:
        """A booked appointment of this space, changed by ``change`` if it is still booked
        at the time read when the change is written; else read again (and refused if it is
        no longer booked)."""
        for _ in range(ATTEMPTS):
            found = await self._booked_in(space, appointment_id)
            changed = change(found)
            if await self.store.change_appointment(changed, AppointmentState.BOOKED, found.at):
                return changed
        raise InvalidState("This appointment is no longer booked.")

    # ------------------------------------------------------------------ time passes
    async def sweep(self, now: float) -> None:
        """Booked appointments whose window closed without a chat are missed (counted).

        Each sweep looks only at the stretch of time since the last one; the first after a
        start looks back as far as an appointment can be agreed ahead.
        """
        await self.store.drop_offers(now - OFFER_SECONDS)
        policy = self.settings.follow_up
        until = now - policy.appointment_missed_minutes * MINUTE
        since = self._swept_until
        if since is None:
            since = until - (policy.appointment_days_ahead + 1) * DAY
        if until <= since:
            return
        for appointment in await self.store.appointments_between(since, until):
            if appointment.state is not AppointmentState.BOOKED:
                continue
            missed = replace(appointment, state=AppointmentState.MISSED)
            # kept, cancelled or moved meanwhile (or missed by another leader): left alone
            if await self.store.change_appointment(missed, AppointmentState.BOOKED, missed.at):
                await self.spaces.record(StatsDelta(missed.line, now, appointments_missed=1))
                await self._changed(missed)
        self._swept_until = until

    # ------------------------------------------------------------------ helpers
    async def _held(self, operator_id: str, conversation_id: str) -> Conversation:
        """Only the volunteer holding the chat (active or in wrap-up) offers; "not found" and
        "not yours" answer alike."""
        held = await self.floor.held(operator_id) if self.floor else []
        for conversation in held:
            if conversation.id == conversation_id and conversation.state in (
                ConversationState.ACTIVE,
                ConversationState.WRAPUP,
            ):
                return conversation
        raise Forbidden()

    def _appointments_line(self, line_id: str) -> LineSettings:
        line = self.spaces.line(line_id)
        if not line.follow_up.appointments:
            raise FollowUpUnavailable("This line does not agree next chats.")
        return line

    def _valid_time(self, line: LineSettings, value: object) -> float:
        """In the future, within ``appointment_days_ahead``, and while the line is open."""
        if not isinstance(value, str) or len(value) > 64:
            raise InvalidPayload('"at" must be a date and time (ISO 8601).', field="at")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidPayload('"at" must be a date and time (ISO 8601).', field="at") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(line.timezone))
        when = parsed.timestamp()
        now = self.clock.now()
        days = self.settings.follow_up.appointment_days_ahead
        if when <= now:
            raise InvalidPayload("Choose a time in the future.", field="at", reason="past")
        if when > now + days * DAY:
            raise InvalidPayload(
                f"Choose a time within {days} days.", field="at", reason="too_far", days=days
            )
        if not opening.is_open(line, when):
            raise InvalidPayload("The line is closed at that time.", field="at", reason="closed")
        return when

    async def _space_of_chat(self, conversation_id: str) -> Space | None:
        """The space whose link opened this chat, if it did (and still opens something)."""
        now = self.clock.now()
        for appointment in await self.store.appointments_between(now - CHAT_LOOKBACK, now + DAY):
            if appointment.conversation_id == conversation_id:
                space = await self.store.space(appointment.space_id)
                if space is not None and space.key_hash is not None:
                    return space
        return None

    async def _keep_alive_until(self, space: Space, at: float) -> None:
        space.active_at = max(space.active_at, self.clock.now(), at)
        await self.store.touch_space(space.id, space.active_at)

    def window(self, appointment: Appointment) -> tuple[float, float]:
        """When the link opens the agreed chat: from a little before its time until it
        counts as missed (``[follow_up] appointment_opens_minutes`` / ``_missed_minutes``)."""
        policy = self.settings.follow_up
        return (
            appointment.at - policy.appointment_opens_minutes * MINUTE,
            appointment.at + policy.appointment_missed_minutes * MINUTE,
        )

    async def _due(self, space: Space) -> Appointment:
        now = self.clock.now()
        booked = [
            a
            for a in await self.store.appointments_of_space(space.id)
            if a.state is AppointmentState.BOOKED
        ]
        for appointment in booked:
            opens, closes = self.window(appointment)
            if opens <= now <= closes:
                return appointment
        ahead = [a for a in booked if self.window(a)[0] > now]
        if ahead:
            raise AppointmentNotNow(
                "Your chat opens shortly before the agreed time.",
                at=iso(ahead[0].at),
                opens_at=iso(self.window(ahead[0])[0]),
            )
        raise AppointmentNotNow(at=None)

    async def _booked_in(self, space: Space, appointment_id: object) -> Appointment:
        found = (
            await self.store.appointment(appointment_id)
            if isinstance(appointment_id, str) and 0 < len(appointment_id) <= 64
            else None
        )
        if found is None or found.space_id != space.id:
            raise InvalidPayload("No such appointment in this space.", field="appointment_id")
        if found.state is not AppointmentState.BOOKED:
            raise InvalidState("This appointment is no longer booked.")
        return found

    async def _changed(self, appointment: Appointment) -> None:
        await self.bus.publish(
            AppointmentChanged(
                appointment.operator_id, appointment.id, appointment.state.value, appointment.at
            )
        )
