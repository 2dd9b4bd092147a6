"""What keeps the floor right without anyone asking: recovery at start-up and the sweep.

:class:`Upkeep` is the service that applies everything due by the clock (grace periods,
offer timeouts, backup escalation, long-wait alternatives, idle sessions, the purge) and picks
up what a previous run left open. It calls the actions' own steps for each (``visitor_gone``,
``volunteer_lost``, ``expire_offers``, ``escalate_backup_requests``, ``expire_sessions``), so
a grace period ends exactly as a visitor leaving or a volunteer dropping out would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from chatserver.hub.backup import Backup
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import OperatorConnection, Purged, VisitorConnection
from chatserver.hub.floor_records import Arrival, FloorRefused, Profile
from chatserver.hub.handover import Handovers
from chatserver.hub.messages import Messages
from chatserver.hub.model import Conversation, ConversationState
from chatserver.hub.sessions import Sessions
from chatserver.hub.state import OPEN_STATES, Node, OnNode
from chatserver.hub.visitors import VisitorActions
from chatserver.hub.volunteers import VolunteerActions
from chatserver.privacy.retention import SpacePurge, purge

log = logging.getLogger(__name__)


# the sweep's leader lease: whichever node holds it applies what is due on the whole floor
# (grace periods, offer timeouts, backup escalation, the purge); renewed every sweep
LEADER_LEASE_SECONDS = 5.0
# on a shared floor other nodes end chats too: the durations behind the wait estimate are read
# from the records this often
DURATIONS_EVERY_SECONDS = 60.0


class Upkeep(OnNode):
    """Start-up and time passing, for this node and (as the leader) for the whole floor."""

    def __init__(
        self,
        node: Node,
        messages: Messages,
        mechanics: FloorMechanics,
        visitors: VisitorActions,
        volunteers: VolunteerActions,
        handovers: Handovers,
        backup: Backup,
        sessions: Sessions,
    ) -> None:
        super().__init__(node)
        self.messages = messages
        self.mechanics = mechanics
        self.visitors = visitors
        self.volunteers = volunteers
        self.handovers = handovers
        self.backup = backup
        self.sessions = sessions
        self._purged_at = float("-inf")
        self._durations_read_at = float("-inf")
        # the follow-up's part of the retention purge (spaces behind links), set by app.py
        self.space_purge: SpacePurge | None = None
        # the follow-up's part of the sweep (appointments past their time), set by app.py
        self.followup_sweep: Callable[[float], Awaitable[None]] | None = None

    # ------------------------------------------------------------------ start-up
    async def recover(self) -> None:
        """Pick up the conversations a previous run left open (after a crash or a restart).

        Waiting visitors return to their lines in their old order, and volunteers' chats stay
        theirs for the grace period; whoever does not come back is handled by :meth:`sweep`.

        Only the embedded floor forgets when the process ends. A shared floor lives in Redis
        beside the records, with the same persistence, so a node starting (alone or beside
        running ones) finds it as it was: connections of nodes that died are reaped by the
        leader and the ordinary grace periods run. Restoring there could race a visitor who
        is starting a chat on another node this very moment.
        """
        now = self.clock.now()
        async with self.mechanics.changing_floor():
            await self._read_durations(now)
            restoring = [] if self.node.floor_shared else await self.store.open_conversations()
            accounts: dict[str, Profile | None] = {}  # each volunteer's account read once
            for conversation in sorted(restoring, key=lambda c: c.created_at):
                if self.settings.line(conversation.line) is not None:
                    await self._restore(conversation, now, accounts)
            self.node.mark_all_dirty()
            await self.mechanics.route()

    async def _read_durations(self, now: float) -> None:
        """The wait estimate's recent chat durations, from the records (all nodes' chats)."""
        self._durations_read_at = now
        for line in self.settings.lines:
            recent = await self.store.recent_durations(
                line.id, self.settings.routing.estimate_window
            )
            self.node.durations[line.id].clear()
            self.node.durations[line.id].extend(reversed(recent))

    async def _restore(
        self, conversation: Conversation, now: float, accounts: dict[str, Profile | None]
    ) -> None:
        """``conversation.last_seq`` is its highest stored seq (``Store.open_conversations``)."""
        held_by = None
        operator_id = conversation.operator_id
        if conversation.state is not ConversationState.WAITING and operator_id:
            if operator_id not in accounts:
                account = await self.store.account(operator_id)
                accounts[operator_id] = Profile.of(account) if account is not None else None
            held_by = accounts[operator_id]
        try:
            await self.floor.restore(
                Arrival.of(conversation),
                conversation.state,
                held_by,
                conversation.answered,
                conversation.assigned_at,
                conversation.risk,
                now,
            )
        except FloorRefused:  # on the floor already (cannot happen on a fresh memory floor)
            return

    # ------------------------------------------------------------------ time passes
    async def sweep(self) -> None:
        """Apply everything that is due by the clock: grace periods, cool-downs, alternatives,
        typing indicators held back.

        Called every second by the server and directly by tests after moving a manual clock,
        so no behaviour depends on sleeping. What is due on the whole floor is applied by the
        node holding the leader lease, each item a check-and-set (a stale leader's step is
        refused); what this node told its own clients it checks itself.
        """
        now = self.clock.now()
        leading = await self.floor.lead(self.node.name, LEADER_LEASE_SECONDS)
        async with self.mechanics.changing_floor():
            if leading:
                await self._sweep_floor(now)
            await self._alternatives_due(now)
            self.node.dirty |= self.node.owed  # far back in a line: told once the line is due
            if self.node.floor_shared:  # other nodes move the queue: look again every sweep
                self.node.mark_all_dirty()
                if now - self._durations_read_at >= DURATIONS_EVERY_SECONDS:
                    await self._read_durations(now)  # and end chats, for the wait estimate
            await self.mechanics.route()
            await self.messages.tell_typing_due()
        if leading:
            await self.sessions.expire_sessions(now)
            if self.followup_sweep is not None:  # appointments past their time: missed
                await self.followup_sweep(now)
            await self._purge_due(now)

    async def _sweep_floor(self, now: float) -> None:
        """The leader's part: dead nodes, grace periods, offers, backup escalation."""
        routing = self.settings.routing
        await self._reap_dead_nodes(now)
        visitors_due = now - routing.visitor_grace_seconds
        for live in await self.floor.visitors_gone(visitors_due):
            if live.state in OPEN_STATES:
                await self.visitors.visitor_gone(
                    live, "disconnected", "system", False, visitors_due
                )
        volunteers_due = now - routing.operator_grace_seconds
        for presence in await self.floor.presences():
            gone = presence.disconnected_at
            if not presence.online and gone is not None and gone <= volunteers_due:
                await self.volunteers.volunteer_lost(presence.id, now, volunteers_due)
        await self.handovers.expire_offers()
        await self.backup.escalate_backup_requests()

    async def _reap_dead_nodes(self, now: float) -> None:
        for node in await self.floor.dead_nodes():
            await self.reap_node(node)

    async def reap_node(self, node: str) -> bool:
        """A node that died (its heartbeat lease lapsed) keeps no one connected: whoever had
        their last connection there starts the ordinary grace period now, and the people
        on the other side hear that they are gone. Done by the leader for dead nodes, and
        by a node restarting under its old name for what its previous run left. ``False``
        while the node's lease still runs (or another reaped it first)."""
        try:
            reaped = await self.floor.reap(node, self.clock.now())
        except FloorRefused:
            return False
        for operator_id in reaped.operators:
            await self.bus.publish(OperatorConnection(operator_id, False))
        for conversation_id in reaped.visitors:
            live = await self.floor.conversation(conversation_id)
            if live is not None:
                operators = await self.messages.operators(live)
                await self.bus.publish(VisitorConnection(live.id, operators, False))
        self.node.mark_all_dirty()
        return True

    async def _alternatives_due(self, now: float) -> None:
        """A visitor here who has waited long enough is shown where else to turn."""
        lines = {line.id: line for line in self.settings.lines if line.alternatives}
        if not lines or not self.node.told:
            return
        for entry in await self.floor.waiting():
            line = lines.get(entry.line)
            told = self.node.told.get(entry.conversation_id)
            if line is None or told is None or told[2]:
                continue
            if now - entry.since >= line.alternatives_after_seconds:
                self.node.dirty.add(entry.line)

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
