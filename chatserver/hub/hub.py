"""The chat hub: visitors queue, volunteers are routed to them, conversations run and end.

Everything a helpline does with a conversation is a method here, named in its own words
(``start_conversation``, ``visitor_leaves``, ``end_conversation`` ...). The hub knows no
transport and no SQL: it reads the clock it is given, writes through the ``Store`` and tells
the world what happened by publishing events on its bus.

Concurrency: every change to the floor (queue, assignments, presence) happens under one
``asyncio.Lock``, so an assignment is atomic: no visitor reaches two volunteers and no
volunteer exceeds capacity. Messages only take their conversation's own lock, which keeps them
in order without making one chat wait for another. Lock order is always floor, then
conversation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chatserver.clock import iso
from chatserver.hub import lines as opening
from chatserver.hub.account_changes import AccountChanges
from chatserver.hub.events import Purged
from chatserver.hub.floor import Presence, VisitorLink, staffing
from chatserver.hub.handover import HandoverActions
from chatserver.hub.model import (
    ConversationState,
)
from chatserver.hub.queue import estimate_wait
from chatserver.hub.sessions import SessionActions
from chatserver.hub.state import OPEN_STATES
from chatserver.hub.supervision import Supervision
from chatserver.hub.visitors import VisitorActions
from chatserver.hub.volunteers import VolunteerActions
from chatserver.privacy.retention import purge
from chatserver.settings import LineSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineStatus:
    line: LineSettings
    open: bool
    next_open: str | None  # ISO 8601, when closed now
    waiting: int
    estimated_wait_seconds: int | None  # for someone joining now; None: nobody on duty


class Hub(
    VisitorActions, VolunteerActions, HandoverActions, Supervision, AccountChanges, SessionActions
):
    # ------------------------------------------------------------------ start-up
    async def recover(self) -> None:
        """Pick up the conversations a previous run left open (after a crash or a restart).

        Waiting visitors return to their lines in their old order, and volunteers' chats stay
        theirs for the grace period; whoever does not come back is handled by :meth:`sweep`.
        """
        now = self.clock.now()
        async with self._lock:
            for line in self.settings.lines:
                recent = await self.store.recent_durations(
                    line.id, self.settings.routing.estimate_window
                )
                self._durations[line.id].extend(reversed(recent))
            for conversation in sorted(
                await self.store.open_conversations(), key=lambda c: c.created_at
            ):
                messages = await self.store.messages(conversation.id)
                conversation.last_seq = max(
                    (m.seq for m in messages), default=conversation.last_seq
                )
                if self.settings.line(conversation.line) is None:
                    continue
                self._remember(conversation)
                self._visitors[conversation.id] = VisitorLink(0, now)
                if conversation.state is ConversationState.WAITING:
                    self._enqueue(conversation, front=False)
                elif conversation.operator_id:
                    presence = await self._presence_for(conversation.operator_id, now)
                    if presence is None:
                        self._enqueue(conversation, front=True)
                    else:
                        presence.held.add(conversation.id)
            await self._route()
            await self._flush_positions()

    async def _presence_for(self, operator_id: str, now: float) -> Presence | None:
        presence = self._presences.get(operator_id)
        if presence is None:
            account = await self.store.account(operator_id)
            if account is None:
                return None
            presence = Presence(account, disconnected_at=now, idle_since=now)
            self._presences[operator_id] = presence
        return presence

    # ------------------------------------------------------------------ time passes
    async def sweep(self) -> None:
        """Apply everything that is due by the clock: grace periods, cool-downs, alternatives,
        typing indicators held back.

        Called every second by the server and directly by tests after moving a manual clock,
        so no behaviour depends on sleeping.
        """
        now = self.clock.now()
        routing = self.settings.routing
        async with self._lock:
            for conversation_id, link in list(self._visitors.items()):
                conversation = self._open.get(conversation_id)
                if conversation is None:
                    self._visitors.pop(conversation_id, None)
                    continue
                if (
                    link.gone_since is not None
                    and now - link.gone_since >= routing.visitor_grace_seconds
                ) and conversation.state in OPEN_STATES:
                    await self._visitor_gone(conversation, "disconnected", by="system")
            for presence in list(self._presences.values()):
                gone = presence.disconnected_at
                if gone is not None and now - gone >= routing.operator_grace_seconds:
                    await self._volunteer_lost(presence)
            await self._expire_offers()
            await self._escalate_backup_requests()
            for line in self.settings.lines:
                if line.alternatives and any(
                    e.told is not None
                    and not e.told[2]
                    and now - e.since >= line.alternatives_after_seconds
                    for e in self._queues[line.id]
                ):
                    self._dirty.add(line.id)
            await self._route()
            await self._flush_positions()
            await self._tell_typing_due()
        await self._expire_sessions(now)
        if self.followup_sweep is not None:  # appointments past their time count as missed
            await self.followup_sweep(now)
        await self._purge_due(now)

    async def _purge_due(self, now: float) -> None:
        """Transcripts, notes and the audit log follow the retention policy.

        Due every ``retention.purge_interval_minutes`` by the hub's clock (so tests move the
        clock instead of waiting); ``chatserver purge`` runs the same purge on demand.
        """
        interval = self.settings.retention.purge_interval_minutes * 60
        if now - self._purged_at < interval:
            return
        self._purged_at = now
        report = await purge(self.store, self.settings, now, spaces=self.space_purge)
        await self.bus.publish(
            Purged(report.conversations, report.messages, report.notes, report.audit_entries)
        )
        if report.anything:
            log.info("retention purge: %s", "; ".join(report.lines()))

    # ------------------------------------------------------------------ lines (public API)
    def line_status(self, line_id: str) -> LineStatus:
        """What the public API says about a line: open now, next opening, wait."""
        line = self._line(line_id)
        now = self.clock.now()
        is_open = opening.is_open(line, now)
        next_open = None if is_open else opening.next_open(line, now)
        queue = self._queues[line.id]
        estimate = estimate_wait(
            len(queue) + 1,
            staffing(self._presences.values(), line.id),
            list(self._durations[line.id]),
            self.settings.routing.assumed_chat_seconds,
        )
        return LineStatus(
            line, is_open, iso(next_open) if next_open is not None else None, len(queue), estimate
        )
