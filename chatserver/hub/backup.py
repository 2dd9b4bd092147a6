"""Nobody stands alone: backup colleagues (achterwacht), whispers, takeover and risk flags.

A volunteer in a heavy chat calls for backup; colleagues flagged as backup and supervisors
are alerted, the first to join reads along invisibly to the visitor and can whisper advice or
take over. A request nobody answers in time goes to the supervisors. Raising the risk to
acute alerts supervisors at once and shows the volunteer the line's emergency procedure.
"""

from __future__ import annotations

from chatserver.errors import BackupTaken, Forbidden, InvalidPayload
from chatserver.hub.access import (
    ensure_holder,
    ensure_holder_or_supervisor,
    ensure_may_take_over,
    ensure_participant,
)
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import (
    BackupAnswered,
    BackupRequested,
    EmergencyProcedure,
    Observed,
    RiskRaised,
)
from chatserver.hub.floor_records import FloorRefused, LiveConversation, Refusal
from chatserver.hub.messages import Messages
from chatserver.hub.model import Conversation, ConversationState, Message, Risk, Role
from chatserver.hub.state import Node, OnNode
from chatserver.i18n import localized

MAX_REASON = 500


class Backup(OnNode):
    """Backup calls, reading along, whispers, takeovers, risk flags and blocks."""

    def __init__(self, node: Node, messages: Messages, mechanics: FloorMechanics) -> None:
        super().__init__(node)
        self.messages = messages
        self.mechanics = mechanics

    async def request_backup(self, operator_id: str, conversation_id: str, reason: str) -> None:
        if len(reason) > MAX_REASON:
            raise InvalidPayload(f"A reason may be at most {MAX_REASON} characters.")
        async with self.mechanics.changing_floor():
            live = ensure_holder(await self.floor.conversation(conversation_id), operator_id)
            try:
                await self.floor.request_backup(live.id, operator_id, reason, self.clock.now())
            except FloorRefused:
                raise Forbidden() from None
            await self.mechanics.audit(operator_id, "backup_request", live.id)
            await self.bus.publish(
                BackupRequested(
                    live.id,
                    await self._backup_colleagues(exclude=operator_id),
                    self.node.alias(operator_id) or "",
                    reason,
                    live.line,
                )
            )

    async def join_as_backup(
        self, operator_id: str, conversation_id: str
    ) -> tuple[Conversation, list[Message]]:
        """The first colleague to answer reads along from now on; returns the transcript.

        A backup colleague (or a supervisor) in an open conversation that is not their own,
        where the volunteer asked for backup; a supervisor may always step in. Everything
        else answers the same ``Forbidden``; only a backup colleague who came second to a
        request they were alerted to hears ``backup_taken``.
        """
        async with self.mechanics.changing_floor():
            live = await self.floor.conversation(conversation_id)
            if live is None:
                raise Forbidden()
            asked, messages = await self.start_watching(live, operator_id, "backup")
            await self.mechanics.audit(operator_id, "backup_join", conversation_id)
            if asked:
                alerted = await self._backup_colleagues(exclude=live.operator_id or "")
                others = tuple(o for o in alerted if o != operator_id)
                await self.bus.publish(
                    BackupAnswered(conversation_id, others, self.node.alias(operator_id) or "")
                )
            await self.tell_observed(live, operator_id, "backup")
            return live.record(), messages

    async def start_watching(
        self, live: LiveConversation, operator_id: str, kind: str
    ) -> tuple[bool, list[Message]]:
        """Read along from now on, transcript first; under the conversation's lock, so no
        message falls between the transcript and the live stream. Returns whether it
        answered a request for backup, and the transcript."""
        async with self.node.conversation_locks[live.id]:
            try:
                call = await self.floor.watch(live.id, operator_id, kind)
            except FloorRefused as refused:
                if refused.reason is Refusal.BACKUP_TAKEN:
                    raise BackupTaken() from None
                raise Forbidden() from None
            messages = await self.messages.transcript(live.id)
        return call is not None, messages

    async def tell_observed(self, live: LiveConversation, operator_id: str, kind: str) -> None:
        holder = (live.operator_id,) if live.operator_id else ()
        await self.bus.publish(
            Observed(live.id, holder, self.node.alias(operator_id) or "", kind, True)
        )

    async def stop_watching(self, operator_id: str, conversation_id: str) -> None:
        async with self.mechanics.changing_floor():
            live = await self.floor.conversation(conversation_id)
            if live is None:
                raise Forbidden()
            try:
                kind = await self.floor.unwatch(conversation_id, operator_id)
            except FloorRefused:
                raise Forbidden() from None
            holder = (live.operator_id,) if live.operator_id else ()
            await self.bus.publish(
                Observed(conversation_id, holder, self.node.alias(operator_id) or "", kind, False)
            )

    async def whisper(self, operator_id: str, conversation_id: str, text: str) -> Message:
        """Between volunteer and backup/supervisor only: never the visitor, never its replay."""
        live = ensure_participant(
            await self.floor.conversation(conversation_id),
            operator_id,
            await self.floor.watchers(conversation_id),
        )
        text = self.node.valid_text(text)
        return await self.messages.post(
            live, Role.WHISPER, text, to_visitor=False, author=operator_id
        )

    async def take_over(self, operator_id: str, conversation_id: str) -> Conversation:
        """A backup colleague or supervisor becomes the conversation's volunteer, at once.

        Unlike routing this may exceed the taker's capacity: stepping in must not be blocked.
        """
        async with self.mechanics.changing_floor():
            live, _ = ensure_may_take_over(
                await self.floor.conversation(conversation_id),
                await self.node.presence(operator_id),
                await self.floor.watchers(conversation_id),
            )
            if live.state is not ConversationState.ACTIVE:
                raise Forbidden("The visitor has already left this conversation.")
            now = self.clock.now()
            try:
                transfer = await self.mechanics.transfer(
                    conversation_id,
                    lambda: self.floor.take_over(conversation_id, operator_id, now),
                    "taken_over",
                )
            except FloorRefused:
                raise Forbidden() from None
            await self.mechanics.audit(operator_id, "takeover", conversation_id, transfer.previous)
            if transfer.voided is not None:
                await self.mechanics.voided(transfer.voided, "ended")
            await self.mechanics.route()
            taken = await self.floor.conversation(conversation_id)
            return (taken or live).record()

    async def flag(self, operator_id: str, conversation_id: str, risk: str) -> Risk:
        """Raise the risk level (never lower it); acute alerts supervisors immediately."""
        try:
            level = Risk(risk)
        except ValueError:
            raise InvalidPayload(f"risk must be one of {[r.value for r in Risk]}") from None
        async with self.mechanics.changing_floor():
            live = ensure_participant(
                await self.floor.conversation(conversation_id),
                operator_id,
                await self.floor.watchers(conversation_id),
            )
            try:
                raised = await self.floor.raise_risk(conversation_id, level)
            except FloorRefused:
                raise Forbidden() from None
            if raised is None:
                now_live = await self.floor.conversation(conversation_id)
                return (now_live or live).risk
            stored = await self.store.conversation(conversation_id) or live.record()
            stored.risk = level
            await self.store.save_conversation(stored)
            await self.mechanics.audit(operator_id, "flag", conversation_id, level.value)
            alerted = await self._supervisors() if level is Risk.ACUTE else ()
            operators = await self.messages.operators(live)
            await self.bus.publish(
                RiskRaised(
                    conversation_id,
                    alerted,
                    level.value,
                    self.node.alias(operator_id) or "",
                    live.line,
                    operators,
                )
            )
            if level is Risk.ACUTE:
                line = self.node.line(live.line)
                text = localized(line.emergency_procedure, live.lang)
                if text:
                    await self.bus.publish(EmergencyProcedure(conversation_id, operators, text))
            return level

    async def record_block(self, operator_id: str, conversation_id: str) -> None:
        """A volunteer blocks an abusive visitor: only its own conversations; audited."""
        ensure_holder_or_supervisor(
            await self.floor.conversation(conversation_id),
            await self.node.presence(operator_id),
            operator_id,
        )
        await self.mechanics.audit(operator_id, "block", conversation_id)

    async def escalate_backup_requests(self) -> None:
        """Sweep: a request nobody joined within the configured time goes to supervisors."""
        now = self.clock.now()
        due_before = now - self.settings.routing.backup_timeout_seconds
        for request in await self.floor.backup_requests():
            if request.escalated or request.at > due_before:
                continue
            try:
                call = await self.floor.escalate_backup(request.conversation_id, due_before)
            except FloorRefused:  # answered meanwhile, or another node escalated it
                continue
            live = await self.floor.conversation(call.conversation_id)
            await self.bus.publish(
                BackupRequested(
                    call.conversation_id,
                    await self._supervisors(),
                    self.node.alias(call.requester) or "",
                    call.reason,
                    live.line if live else "",
                    escalated=True,
                )
            )

    async def _supervisors(self) -> tuple[str, ...]:
        presences = await self.floor.presences()
        return tuple(p.id for p in presences if p.online and p.is_supervisor)

    async def _backup_colleagues(self, exclude: str) -> tuple[str, ...]:
        presences = await self.floor.presences()
        return tuple(p.id for p in presences if p.online and p.may_back_up and p.id != exclude)
