"""Nobody stands alone: backup colleagues (achterwacht), whispers, takeover and risk flags.

A volunteer in a heavy chat calls for backup; colleagues flagged as backup and supervisors
are alerted, the first to join reads along invisibly to the visitor and can whisper advice or
take over. A request nobody answers in time goes to the supervisors. Raising the risk to
acute alerts supervisors at once and shows the volunteer the line's emergency procedure.
"""

from __future__ import annotations

from chatserver.errors import Forbidden, InvalidPayload
from chatserver.hub.access import (
    ensure_holder,
    ensure_holder_or_supervisor,
    ensure_may_back_up,
    ensure_may_take_over,
    ensure_participant,
    ensure_watcher,
)
from chatserver.hub.core import HubCore, risk_rank
from chatserver.hub.events import (
    BackupAnswered,
    BackupRequested,
    EmergencyProcedure,
    Observed,
    RiskRaised,
)
from chatserver.hub.model import Conversation, ConversationState, Message, Risk, Role
from chatserver.hub.state import BackupRequest
from chatserver.i18n import localized

MAX_REASON = 500


class BackupActions(HubCore):
    async def request_backup(self, operator_id: str, conversation_id: str, reason: str) -> None:
        if len(reason) > MAX_REASON:
            raise InvalidPayload(f"A reason may be at most {MAX_REASON} characters.")
        async with self._lock:
            conversation = ensure_holder(self._open.get(conversation_id), operator_id)
            request = BackupRequest(conversation.id, operator_id, reason, self.clock.now())
            self._backup_requests[conversation.id] = request
            await self._audit(operator_id, "backup_request", conversation.id)
            await self.bus.publish(
                BackupRequested(
                    conversation.id,
                    self._backup_colleagues(exclude=operator_id),
                    self.alias(operator_id) or "",
                    reason,
                    conversation.line,
                )
            )

    async def join_as_backup(
        self, operator_id: str, conversation_id: str
    ) -> tuple[Conversation, list[Message]]:
        """The first colleague to answer reads along from now on; returns the transcript."""
        async with self._lock:
            request = self._backup_requests.get(conversation_id)
            conversation, presence = ensure_may_back_up(
                self._open.get(conversation_id),
                self._presences.get(operator_id),
                asked=request is not None,
                backup_taken="backup" in self._watchers.get(conversation_id, {}).values(),
            )
            alerted = self._backup_colleagues(exclude=conversation.operator_id or "")
            self._backup_requests.pop(conversation_id, None)
            await self._audit(operator_id, "backup_join", conversation_id)
            if request is not None:
                others = tuple(o for o in alerted if o != operator_id)
                await self.bus.publish(
                    BackupAnswered(conversation_id, others, presence.account.alias)
                )
            return await self._start_watching(conversation, operator_id, "backup")

    async def _start_watching(
        self, conversation: Conversation, operator_id: str, kind: str
    ) -> tuple[Conversation, list[Message]]:
        """Read along from now on, transcript first; under the conversation's lock, so no
        message falls between the transcript and the live stream."""
        async with self._conversation_locks[conversation.id]:
            self._watchers.setdefault(conversation.id, {})[operator_id] = kind
            messages = await self.store.messages(conversation.id)
        holder = (conversation.operator_id,) if conversation.operator_id else ()
        await self.bus.publish(
            Observed(conversation.id, holder, self.alias(operator_id) or "", kind, True)
        )
        return conversation, messages

    async def stop_watching(self, operator_id: str, conversation_id: str) -> None:
        async with self._lock:
            conversation = ensure_watcher(
                self._open.get(conversation_id), operator_id, self._watchers
            )
            kind = self._watchers[conversation.id].pop(operator_id)
            holder = (conversation.operator_id,) if conversation.operator_id else ()
            await self.bus.publish(
                Observed(conversation_id, holder, self.alias(operator_id) or "", kind, False)
            )

    async def whisper(self, operator_id: str, conversation_id: str, text: str) -> Message:
        """Between volunteer and backup/supervisor only: never the visitor, never its replay."""
        conversation = ensure_participant(
            self._open.get(conversation_id), operator_id, self._watchers
        )
        text = self._valid_text(text)
        return await self._post(
            conversation, Role.WHISPER, text, to_visitor=False, author=operator_id
        )

    async def take_over(self, operator_id: str, conversation_id: str) -> Conversation:
        """A backup colleague or supervisor becomes the conversation's volunteer, at once.

        Unlike routing this may exceed the taker's capacity: stepping in must not be blocked.
        """
        async with self._lock:
            conversation, presence = ensure_may_take_over(
                self._open.get(conversation_id), self._presences.get(operator_id), self._watchers
            )
            if conversation.state is not ConversationState.ACTIVE:
                raise Forbidden("The visitor has already left this conversation.")
            await self._cancel_offers(conversation_id)
            await self._audit(operator_id, "takeover", conversation_id, conversation.operator_id)
            presence.taken_over.add(conversation_id)
            await self._transfer(conversation, presence, "taken_over", None)
            await self._route()
            await self._flush_positions()
            return conversation

    async def flag(self, operator_id: str, conversation_id: str, risk: str) -> Risk:
        """Raise the risk level (never lower it); acute alerts supervisors immediately."""
        try:
            level = Risk(risk)
        except ValueError:
            raise InvalidPayload(f"risk must be one of {[r.value for r in Risk]}") from None
        async with self._lock:
            conversation = ensure_participant(
                self._open.get(conversation_id), operator_id, self._watchers
            )
            if risk_rank(level) <= risk_rank(conversation.risk):
                return conversation.risk
            conversation.risk = level
            await self.store.save_conversation(conversation)
            await self._audit(operator_id, "flag", conversation_id, level.value)
            alerted = self._supervisors() if level is Risk.ACUTE else ()
            await self.bus.publish(
                RiskRaised(
                    conversation_id,
                    alerted,
                    level.value,
                    self.alias(operator_id) or "",
                    conversation.line,
                    self._operators(conversation),
                )
            )
            if level is Risk.ACUTE:
                line = self._line(conversation.line)
                text = localized(line.emergency_procedure, conversation.lang)
                if text:
                    await self.bus.publish(
                        EmergencyProcedure(conversation_id, self._operators(conversation), text)
                    )
            return level

    async def record_block(self, operator_id: str, conversation_id: str) -> None:
        """A volunteer blocks an abusive visitor: only its own conversations; audited."""
        async with self._lock:
            ensure_holder_or_supervisor(
                self._open.get(conversation_id), self._presences.get(operator_id), operator_id
            )
            await self._audit(operator_id, "block", conversation_id)

    async def _escalate_backup_requests(self) -> None:
        """Sweep: a request nobody joined within the configured time goes to supervisors."""
        now = self.clock.now()
        timeout = self.settings.routing.backup_timeout_seconds
        for request in list(self._backup_requests.values()):
            if not request.escalated and now - request.at >= timeout:
                request.escalated = True
                conversation = self._open.get(request.conversation_id)
                await self.bus.publish(
                    BackupRequested(
                        request.conversation_id,
                        self._supervisors(),
                        self.alias(request.requester) or "",
                        request.reason,
                        conversation.line if conversation else "",
                        escalated=True,
                    )
                )

    def _supervisors(self) -> tuple[str, ...]:
        return tuple(p.id for p in self._presences.values() if p.online and p.is_supervisor)

    def _backup_colleagues(self, exclude: str) -> tuple[str, ...]:
        return tuple(
            p.id for p in self._presences.values() if p.online and p.may_back_up and p.id != exclude
        )
