"""What a volunteer can do: connect, set a status, write, note, end with a wrap-up."""

from __future__ import annotations

from collections.abc import Iterable

from chatserver.backends.base import StatsDelta
from chatserver.errors import (
    ConversationEnded,
    InvalidPayload,
    InvalidState,
)
from chatserver.hub.access import ensure_holder
from chatserver.hub.core import HubCore, risk_rank
from chatserver.hub.events import (
    Ended,
    OperatorConnection,
    Released,
)
from chatserver.hub.floor import Presence
from chatserver.hub.model import (
    Account,
    ConversationState,
    Message,
    OperatorState,
    Risk,
    Role,
    Wrapup,
)


class VolunteerActions(HubCore):
    # ------------------------------------------------------------------ volunteers
    async def operator_connected(self, account: Account) -> Presence:
        """A volunteer's console connects: presence, and its chats again after a drop."""
        now = self.clock.now()
        async with self._lock:
            presence = self._presences.get(account.id)
            if presence is None:
                presence = Presence(account, idle_since=now)
                self._presences[account.id] = presence
            presence.account = account
            presence.connections += 1
            presence.disconnected_at = None
            await self._publish_status(presence)
            for conversation_id in sorted(presence.held):
                conversation = self._open.get(conversation_id)
                if conversation is not None:
                    await self._announce_assignment(conversation, presence, to_visitor=False)
            await self._tell_open_backup_requests(presence)
            self._mark_all_dirty()
            await self._route()
            await self._flush_positions()
            return presence

    async def operator_disconnected(self, operator_id: str) -> None:
        """Connection lost: no new chats; after the grace period its chats go back in line."""
        async with self._lock:
            presence = self._presences.get(operator_id)
            if presence is None or presence.connections == 0:
                return
            presence.connections -= 1
            if presence.connections == 0:
                presence.disconnected_at = self.clock.now()
                await self.bus.publish(OperatorConnection(operator_id, False))
                self._mark_all_dirty()
                # one fewer on duty may lift a hand-back: its visitor must not wait for nobody
                await self._route()
                await self._flush_positions()

    async def set_status(self, operator_id: str, state: OperatorState) -> Presence:
        """Available, paused or away. Pausing keeps current chats and stops new offers."""
        async with self._lock:
            presence = self._presences.get(operator_id)
            if presence is None or not presence.online:
                raise InvalidState("Connect before changing status.")
            if state is OperatorState.AVAILABLE and presence.state is not OperatorState.AVAILABLE:
                presence.idle_since = max(presence.idle_since, self.clock.now())
            presence.state = state
            await self._publish_status(presence)
            self._mark_all_dirty()
            await self._route()
            await self._flush_positions()
            return presence

    async def operator_message(self, operator_id: str, conversation_id: str, text: str) -> Message:
        conversation = ensure_holder(self._open.get(conversation_id), operator_id)
        if conversation.state is not ConversationState.ACTIVE:
            raise ConversationEnded("The visitor has left this conversation.")
        text = self._valid_text(text)
        return await self._post(
            conversation,
            Role.OPERATOR,
            text,
            author=operator_id,
            to_visitor=True,
            operators=self._operators(conversation),
        )

    async def operator_typing(self, operator_id: str, conversation_id: str, active: bool) -> None:
        conversation = ensure_holder(self._open.get(conversation_id), operator_id)
        if conversation.state is ConversationState.ACTIVE:
            await self._typed(conversation, True, active)

    async def note(self, operator_id: str, conversation_id: str, text: str) -> Message:
        """A private note: kept with the transcript, never shown to the visitor."""
        conversation = ensure_holder(self._open.get(conversation_id), operator_id)
        text = self._valid_text(text)
        return await self._post(
            conversation,
            Role.NOTE,
            text,
            author=operator_id,
            to_visitor=False,
            operators=self._operators(conversation),
        )

    async def end_conversation(
        self, operator_id: str, conversation_id: str, topics: Iterable[str], risk: str
    ) -> None:
        """The volunteer closes the chat with a wrap-up; only then is the slot free again."""
        topics = self._valid_topics(topics)
        try:
            risk_level = Risk(risk)
        except ValueError:
            raise InvalidPayload(f"risk must be one of {[r.value for r in Risk]}") from None
        async with self._lock:
            conversation = ensure_holder(self._open.get(conversation_id), operator_id)
            now = self.clock.now()
            if conversation.state is ConversationState.ACTIVE:
                await self._say(
                    conversation, "ended_by_operator", operators=self._operators(conversation)
                )
                self._close(conversation, now, "operator", "ended")
                await self._count_duration(conversation, now)
                await self.bus.publish(Ended(conversation.id, "operator", "ended"))
            conversation.state = ConversationState.ENDED
            conversation.risk = max(conversation.risk, risk_level, key=risk_rank)
            await self.store.save_wrapup(
                Wrapup(conversation.id, operator_id, topics, risk_level, now)
            )
            await self.store.save_conversation(conversation)
            await self._record(
                StatsDelta(conversation.line, now, topics=topics, risk=risk_level.value)
            )
            presence = self._presences.get(operator_id)
            await self._cancel_offers(conversation.id)
            await self._stop_all_watching(conversation)
            self._forget_open(conversation)
            await self.bus.publish(Released(conversation.id, operator_id, "ended"))
            if presence is not None:
                presence.held.discard(conversation.id)
                presence.taken_over.discard(conversation.id)
                presence.idle_since = now
                presence.cooldown_until = now + self.settings.routing.cooldown_seconds
                debrief = self.settings.routing.debrief_pause and conversation.risk in (
                    Risk.HIGH,
                    Risk.ACUTE,
                )
                if debrief:  # after a heavy chat: no new one until the volunteer says so
                    presence.state = OperatorState.PAUSED
                await self._publish_status(presence, "debrief" if debrief else None)
            self._mark_all_dirty()
            await self._route()
            await self._flush_positions()

    async def _volunteer_lost(self, presence: Presence) -> None:
        """Past its grace period: the volunteer's chats go to the front of the queue."""
        await self._cancel_offers(operator=presence.id)
        for watched in self._watchers.values():
            watched.pop(presence.id, None)
        for conversation_id in sorted(presence.held):
            conversation = self._open.get(conversation_id)
            if conversation is None:
                continue
            if conversation.state is ConversationState.ACTIVE:
                await self._cancel_offers(conversation.id)
                await self._stop_all_watching(conversation, "disconnected")
                self._backup_requests.pop(conversation.id, None)
                conversation.state = ConversationState.WAITING
                conversation.operator_id = None
                await self.store.save_conversation(conversation)
                await self._say(conversation, "requeued", operators=())
                self._enqueue(conversation, front=True)
            else:  # wrap-up never finished: close it without one
                conversation.state = ConversationState.ENDED
                conversation.operator_id = None
                await self.store.save_conversation(conversation)
                self._forget_open(conversation)
            await self.bus.publish(Released(conversation_id, presence.id, "disconnected"))
        del self._presences[presence.id]
        self._mark_all_dirty()
