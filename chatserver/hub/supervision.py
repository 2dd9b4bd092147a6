"""The supervisor's view of the floor: observe, broadcast, and the live dashboard snapshot."""

from __future__ import annotations

from typing import Any

from chatserver.backends.base import Hold
from chatserver.errors import Forbidden, InvalidPayload
from chatserver.hub.access import (
    ensure_may_observe,
    ensure_may_read_transcript,
    ensure_stored,
    ensure_supervisor,
)
from chatserver.hub.backup import Backup
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import Broadcast
from chatserver.hub.model import (
    Account,
    Conversation,
    ConversationState,
    Message,
    OperatorState,
)
from chatserver.hub.state import Node, OnNode
from chatserver.privacy.retention import new_hold

MAX_BROADCAST = 1000


class Supervision(OnNode):
    """What a supervisor does: observe, hold, read back, broadcast, watch the floor."""

    def __init__(self, node: Node, mechanics: FloorMechanics, backup: Backup) -> None:
        super().__init__(node)
        self.mechanics = mechanics
        self.backup = backup

    async def observe(
        self, operator_id: str, conversation_id: str
    ) -> tuple[Conversation, list[Message]]:
        """A supervisor reads along (audited); the volunteer is told, the visitor never."""
        async with self.mechanics.changing_floor():
            supervisor = ensure_supervisor(await self.node.presence(operator_id))
            live = ensure_may_observe(await self.floor.conversation(conversation_id), supervisor)
            await self.mechanics.audit(operator_id, "observe", conversation_id)
            _, messages = await self.backup.start_watching(live, operator_id, "observer")
            await self.backup.tell_observed(live, operator_id, "observer")
            return live.record(), messages

    async def place_hold(
        self, operator_id: str, conversation_id: str, reason: str, days: int | None
    ) -> Hold:
        """A supervisor keeps one conversation from the purge (safeguarding), for a while.

        Audited and listed for administrators; it lapses by itself at the end of its term.
        """
        ensure_supervisor(await self.node.presence(operator_id))
        ensure_stored(await self.store.conversation(conversation_id))
        hold = new_hold(self.settings, conversation_id, operator_id, reason, self.clock.now(), days)
        await self.store.add_hold(hold)
        await self.mechanics.audit(operator_id, "hold", conversation_id, str(days or ""))
        return hold

    async def release_hold(self, operator_id: str, conversation_id: str) -> None:
        ensure_supervisor(await self.node.presence(operator_id))
        if not await self.store.release_hold(conversation_id):
            raise Forbidden("There is no hold on this conversation.")
        await self.mechanics.audit(operator_id, "hold_released", conversation_id)

    async def read_transcript(
        self, account: Account, conversation_id: str
    ) -> tuple[Conversation, list[Message]]:
        """A supervisor reads a stored transcript after the chat ended (follow-up, a hold).

        Audited (who, when, which conversation; never text). Live chats are read with
        ``observe`` instead, which the volunteer sees.
        """
        still_open = await self.floor.conversation(conversation_id) is not None
        conversation = ensure_may_read_transcript(
            account, await self.store.conversation(conversation_id), still_open
        )
        messages = await self.store.messages(conversation_id)
        await self.mechanics.audit(account.id, "transcript_read", conversation_id)
        return conversation, messages

    async def broadcast(self, operator_id: str, text: str) -> None:
        """A message from a supervisor to every operator online (e.g. "busy night, hold on")."""
        supervisor = ensure_supervisor(await self.node.presence(operator_id))
        if not text.strip() or len(text) > MAX_BROADCAST:
            raise InvalidPayload(f"A broadcast is 1 to {MAX_BROADCAST} characters.")
        await self.bus.publish(Broadcast(text, supervisor.account.alias))

    async def ensure_may_monitor(self, operator_id: str) -> None:
        ensure_supervisor(await self.node.presence(operator_id))

    async def colleagues(self, operator_id: str) -> list[dict[str, Any]]:
        """Who is online, for choosing a handover target: alias, state and free slots."""
        presences = await self.floor.presences()
        self.node.learn(presences)
        if not any(p.id == operator_id for p in presences):
            raise Forbidden()
        return [
            {
                "id": p.id,
                "alias": p.account.alias,
                "state": p.state.value,
                "load": p.load,
                "capacity": p.account.capacity,
                "lines": list(p.account.lines),
                "languages": list(p.account.languages),
            }
            for p in sorted(presences, key=lambda p: p.account.alias.lower())
            if p.online and p.id != operator_id
        ]

    async def supervisor_online(self) -> bool:
        """Someone could be watching the dashboard: only a supervisor (or admin) connected
        on some node may (``monitor``)."""
        return any(p.online and p.is_supervisor for p in await self.floor.presences())

    async def dashboard(self) -> dict[str, Any]:
        """The live floor, numbers and aliases only: no message text ever appears here."""
        now = self.clock.now()
        presences = await self.floor.presences()
        self.node.learn(presences)
        online = [p for p in presences if p.online]
        waiting = await self.floor.waiting()
        open_conversations = sorted(
            await self.floor.open_conversations(), key=lambda c: c.created_at
        )
        by_id = {c.id: c for c in open_conversations}
        lines = []
        for line in self.settings.lines:
            queue = [e for e in waiting if e.line == line.id]
            serving = [p for p in online if not p.account.lines or line.id in p.account.lines]
            available = [p for p in serving if p.state is OperatorState.AVAILABLE]
            lines.append(
                {
                    "id": line.id,
                    "waiting": len(queue),
                    "longest_wait_seconds": max((int(now - e.since) for e in queue), default=0),
                    "available": sum(1 for p in available if p.load < p.account.capacity),
                    "busy": sum(1 for p in available if p.load >= p.account.capacity),
                    "paused": sum(1 for p in serving if p.state is OperatorState.PAUSED),
                    "away": sum(1 for p in serving if p.state is OperatorState.AWAY),
                    "active": sum(
                        1
                        for c in open_conversations
                        if c.line == line.id and c.state is ConversationState.ACTIVE
                    ),
                }
            )
        operators = []
        for presence in sorted(online, key=lambda p: p.account.alias.lower()):
            held = [by_id[c] for c in presence.held if c in by_id]
            started = [c.assigned_at or c.created_at for c in held]
            operators.append(
                {
                    "id": presence.id,
                    "alias": presence.account.alias,
                    "role": presence.account.role,
                    "state": presence.state.value,
                    "load": presence.load,
                    "capacity": presence.account.capacity,
                    "in_chat_seconds": int(now - min(started)) if started else None,
                }
            )
        conversations = [
            {
                "id": c.id,
                "line": c.line,
                "state": c.state.value,
                "operator": self.node.alias(c.operator_id) if c.operator_id else None,
                "operator_id": c.operator_id,
                "priority": c.priority,
                "risk": c.risk.value,
                "shared_connection": c.shared_connection,
                "waited_seconds": int((c.assigned_at or now) - c.created_at),
                "duration_seconds": int(now - c.assigned_at) if c.assigned_at else 0,
                "watchers": sorted(
                    self.node.alias(w) or "" for w in await self.floor.watchers(c.id)
                ),
            }
            for c in open_conversations
        ]
        requests = [
            {
                "conversation_id": r.conversation_id,
                "operator": self.node.alias(r.requester),
                "reason": r.reason,
                "waiting_seconds": int(now - r.at),
                "escalated": r.escalated,
            }
            for r in await self.floor.backup_requests()
        ]
        return {
            "lines": lines,
            "operators": operators,
            "conversations": conversations,
            "backup_requests": requests,
        }
