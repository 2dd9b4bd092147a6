"""What a volunteer can do: connect, set a status, write, note, end with a wrap-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from chatserver.backends.base import StatsDelta
from chatserver.errors import (
    ConversationEnded,
    Forbidden,
    InvalidPayload,
    InvalidState,
)
from chatserver.hub.access import ensure_holder
from chatserver.hub.core import FloorMechanics, risk_rank
from chatserver.hub.events import (
    Ended,
    OperatorConnection,
    Released,
)
from chatserver.hub.floor import Presence
from chatserver.hub.floor_records import FloorRefused, Lost, Profile
from chatserver.hub.messages import Messages
from chatserver.hub.model import (
    Account,
    ConversationState,
    Message,
    OperatorState,
    Risk,
    Role,
    Wrapup,
)
from chatserver.hub.state import Node, OnNode


class VolunteerActions(OnNode):
    """What a volunteer does with its console and its chats."""

    def __init__(self, node: Node, messages: Messages, mechanics: FloorMechanics) -> None:
        super().__init__(node)
        self.messages = messages
        self.mechanics = mechanics

    # ------------------------------------------------------------------ volunteers
    async def operator_connected(self, account: Account) -> Presence:
        """A volunteer's console connects: presence, and its chats again after a drop."""
        now = self.clock.now()
        async with self.mechanics.changing_floor():
            presence = await self.floor.connect(Profile.of(account), self.node.name, now)
            self.node.aliases[account.id] = account.alias
            await self.mechanics.publish_status(presence)
            for conversation_id in sorted(presence.held):
                live = await self.floor.conversation(conversation_id)
                if live is not None:
                    await self.mechanics.announce_assignment(live, presence.id, to_visitor=False)
                    await self.mechanics.tell_watchers(live.id, presence.id)
            await self.mechanics.tell_open_backup_requests(presence)
            self.node.mark_all_dirty()
            await self.mechanics.route()
            return presence

    async def operator_disconnected(self, operator_id: str) -> None:
        """Connection lost: no new chats; after the grace period its chats go back in line."""
        async with self.mechanics.changing_floor():
            try:
                presence = await self.floor.disconnect(
                    operator_id, self.node.name, self.clock.now()
                )
            except FloorRefused:
                return
            if not presence.online:
                await self.bus.publish(OperatorConnection(operator_id, False))
                self.node.mark_all_dirty()
                # one fewer on duty may lift a hand-back: its visitor must not wait for nobody
                await self.mechanics.route()

    async def set_status(self, operator_id: str, state: OperatorState) -> Presence:
        """Available, paused or away. Pausing keeps current chats and stops new offers."""
        async with self.mechanics.changing_floor():
            try:
                presence = await self.floor.set_state(operator_id, state, self.clock.now())
            except FloorRefused:
                raise InvalidState("Connect before changing status.") from None
            await self.mechanics.publish_status(presence)
            self.node.mark_all_dirty()
            await self.mechanics.route()
            return presence

    async def operator_message(
        self, operator_id: str, conversation_id: str, text: str, client_id: str | None = None
    ) -> Message:
        live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
        if live.state is not ConversationState.ACTIVE:
            raise ConversationEnded("The visitor has left this conversation.")
        text = self.node.valid_text(text)
        return await self.messages.post(
            live, Role.OPERATOR, text, author=operator_id, to_visitor=True, client_id=client_id
        )

    async def operator_typing(self, operator_id: str, conversation_id: str, active: bool) -> None:
        live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
        if live.state is ConversationState.ACTIVE:
            await self.messages.typed(live, True, active)

    async def note(self, operator_id: str, conversation_id: str, text: str) -> Message:
        """A private note: kept with the transcript, never shown to the visitor."""
        live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
        text = self.node.valid_text(text)
        return await self.messages.post(live, Role.NOTE, text, author=operator_id, to_visitor=False)

    async def end_conversation(
        self, operator_id: str, conversation_id: str, topics: Iterable[str], risk: str
    ) -> None:
        """The volunteer closes the chat with a wrap-up; only then is the slot free again."""
        topics = self.node.valid_topics(topics)
        try:
            risk_level = Risk(risk)
        except ValueError:
            raise InvalidPayload(f"risk must be one of {[r.value for r in Risk]}") from None
        async with self.mechanics.changing_floor():
            live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
            now = self.clock.now()
            # the record as stored: a wrap-up's end (who, when, why) was written when the
            # visitor left
            conversation = await self.store.conversation(conversation_id) or live.record()
            if live.state is ConversationState.ACTIVE:
                await self.messages.say(live, "ended_by_operator")
                self.node.close(conversation, now, "operator", "ended")
                conversation.assigned_at = live.assigned_at
                await self.mechanics.count_duration(conversation, now)
                await self.bus.publish(Ended(live.id, "operator", "ended"))
            conversation.state = ConversationState.ENDED
            conversation.operator_id = operator_id
            conversation.risk = max(live.risk, risk_level, key=risk_rank)
            # after a heavy chat: no new one until the volunteer says so
            debrief = self.settings.routing.debrief_pause and conversation.risk in (
                Risk.HIGH,
                Risk.ACUTE,
            )
            cooldown_until = now + self.settings.routing.cooldown_seconds
            await self.messages.keep_unstored(live.id, live.line)
            try:
                released = await self.floor.release(
                    live.id, operator_id, now, cooldown_until, debrief
                )
            except FloorRefused:
                raise Forbidden() from None
            # three records of one ending, written together: one group commit, not three in
            # a row before the freed slot goes to the next visitor
            await asyncio.gather(
                self.store.save_wrapup(
                    Wrapup(conversation.id, operator_id, topics, risk_level, now)
                ),
                self.store.save_conversation(conversation),
                self.mechanics.record(
                    StatsDelta(conversation.line, now, topics=topics, risk=risk_level.value)
                ),
            )
            if released.voided is not None:
                await self.mechanics.voided(released.voided, "ended")
            await self.mechanics.stopped_watching(live.id, operator_id, released.watchers, "ended")
            self.node.off_floor(live.id)
            await self.bus.publish(Released(live.id, operator_id, "ended"))
            presence = await self.node.presence(operator_id)
            if presence is not None:
                await self.mechanics.publish_status(presence, "debrief" if debrief else None)
            self.node.mark_all_dirty()
            await self.mechanics.route()

    async def volunteer_lost(self, operator_id: str, now: float, gone_before: float) -> None:
        """Past its grace period: the volunteer's chats go to the front of the queue."""
        presence = await self.floor.presence(operator_id)
        for conversation_id in sorted(presence.held) if presence else ():
            live = await self.floor.conversation(conversation_id)
            if live is not None and live.state is ConversationState.WRAPUP:
                await self.messages.keep_unstored(
                    live.id, live.line
                )  # its wrap-up leaves the floor
        try:
            lost = await self.floor.lose_volunteer(operator_id, now, gone_before)
        except FloorRefused:  # back meanwhile, or another node saw to it
            return
        for offer in lost.voided:  # to them: unavailable; from them: the chat went back
            if offer.receiver == operator_id:
                await self.mechanics.voided(offer, "unavailable")
            else:
                await self.mechanics.voided(offer, "ended")
        await self._lost_chats(lost)
        self.node.mark_all_dirty()

    async def _lost_chats(self, lost: Lost) -> None:
        """A lost volunteer's active chats wait at the front again; their wrap-ups close."""
        for requeued in lost.requeued:
            await self.mechanics.stopped_watching(
                requeued.conversation_id, lost.operator_id, requeued.watchers, "disconnected"
            )
            live = await self.floor.conversation(requeued.conversation_id)
            if live is not None:
                await self.store.save_conversation(live.record())
                await self.messages.say(live, "requeued", operators=())
            await self.bus.publish(
                Released(requeued.conversation_id, lost.operator_id, "disconnected")
            )
        for conversation_id in lost.closed:  # wrap-up never finished: close it without one
            conversation = await self.store.conversation(conversation_id)
            if conversation is not None:
                conversation.state = ConversationState.ENDED
                conversation.operator_id = None
                await self.store.save_conversation(conversation)
            self.node.off_floor(conversation_id)
            await self.bus.publish(Released(conversation_id, lost.operator_id, "disconnected"))
