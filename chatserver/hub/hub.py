"""The chat hub: visitors queue, volunteers are routed to them, conversations run and end.

Everything a helpline does with a conversation is a method here, named in its own words
(``start_conversation``, ``visitor_leaves``, ``end_conversation`` ...). The hub knows no
transport and no SQL: it reads the clock it is given, writes through the ``Store`` and tells
the world what happened by publishing events on its bus.

:class:`Hub` is a facade. It builds one :class:`~chatserver.hub.state.Node` (what belongs to
this node: settings, store, clock, floor, bus, its locks and caches) and the services over it,
each given what it calls in its constructor:

* ``Messages`` (messages.py, the message path) and ``QueuePlaces`` (places.py, what waiting
  visitors hear of their place) over the node;
* ``FloorMechanics`` (core.py: routing, assignment, transfers) over both;
* the actions over those: ``VisitorActions``, ``VolunteerActions``, ``Handovers``, ``Backup``,
  then ``Supervision`` (over ``Backup``), ``AccountChanges`` and ``Sessions``;
* ``Upkeep`` (upkeep.py: ``recover``, ``sweep``), which calls the actions' own steps.

The edges (realtime/, web/, app.py, the CLI) call the actions under the names below; each is
the service's own bound method, so what they see and what mypy checks is the service's.

Concurrency: the floor (queue, assignments, presence) lives in ``node.floor`` and changes only
by its own atomic operations, so no visitor reaches two volunteers and no volunteer exceeds
capacity, also with several nodes on one Redis (see ``core.py``). On one node, one action at
a time changes the floor (``node.lock``); messages take only their conversation's lock, which
keeps them in order without making one chat wait for another. Lock order is always the node's
lock, then a conversation's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from chatserver.backends.base import Store
from chatserver.clock import Clock
from chatserver.hub.account_changes import AccountChanges
from chatserver.hub.backup import Backup
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import EventBus
from chatserver.hub.floor_state import FloorState
from chatserver.hub.handover import Handovers
from chatserver.hub.messages import Messages
from chatserver.hub.places import QueuePlaces
from chatserver.hub.sessions import Sessions
from chatserver.hub.state import Node
from chatserver.hub.supervision import Supervision
from chatserver.hub.upkeep import Upkeep
from chatserver.hub.visitors import LineStatus, VisitorActions
from chatserver.hub.volunteers import VolunteerActions
from chatserver.privacy.retention import SpacePurge
from chatserver.settings import Settings

__all__ = ["Hub", "LineStatus"]


class Hub:
    """The services of one node, put together, and their actions under one name."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        floor: FloorState | None = None,
        node: str = "",
    ) -> None:
        self.node = Node(settings, store, clock, floor, node)
        self.messages = Messages(self.node)
        self.places = QueuePlaces(self.node)
        self.mechanics = FloorMechanics(self.node, self.messages, self.places)
        self.visitors = VisitorActions(self.node, self.messages, self.places, self.mechanics)
        self.volunteers = VolunteerActions(self.node, self.messages, self.mechanics)
        self.handovers = Handovers(self.node, self.messages, self.mechanics)
        self.backup = Backup(self.node, self.messages, self.mechanics)
        self.supervision = Supervision(self.node, self.mechanics, self.backup)
        self.account_changes = AccountChanges(self.node, self.messages, self.mechanics)
        self.sessions = Sessions(self.node, self.messages)
        self.upkeep = Upkeep(
            self.node,
            self.messages,
            self.mechanics,
            self.visitors,
            self.volunteers,
            self.handovers,
            self.backup,
            self.sessions,
        )

        # what the node keeps and knows
        self.far_back_owed: asyncio.Event = self.node.far_back_owed
        self.held = self.node.held
        self.presence = self.node.presence
        self.alias = self.node.alias
        self.alias_of = self.node.alias_of

        # start-up and time passing
        self.recover = self.upkeep.recover
        self.sweep = self.upkeep.sweep
        self.reap_node = self.upkeep.reap_node

        # the queue and the messages between nodes
        self.waiting = self.mechanics.waiting
        self.check_invariants = self.mechanics.check_invariants
        self.position = self.places.position
        self.tell_far_back = self.places.tell_far_back
        self.relay_posts = self.messages.relay_posts

        # visitors
        self.line_status = self.visitors.line_status
        self.stop_accepting = self.visitors.stop_accepting
        self.start_conversation = self.visitors.start_conversation
        self.resume = self.visitors.resume
        self.resume_state = self.visitors.resume_state
        self.visitor_transcript = self.visitors.visitor_transcript
        self.is_open = self.visitors.is_open
        self.visitor_connected = self.visitors.visitor_connected
        self.visitor_disconnected = self.visitors.visitor_disconnected
        self.visitor_message = self.visitors.visitor_message
        self.visitor_typing = self.visitors.visitor_typing
        self.visitor_leaves = self.visitors.visitor_leaves
        self.forget = self.visitors.forget

        # volunteers
        self.operator_connected = self.volunteers.operator_connected
        self.operator_disconnected = self.volunteers.operator_disconnected
        self.set_status = self.volunteers.set_status
        self.operator_message = self.volunteers.operator_message
        self.operator_typing = self.volunteers.operator_typing
        self.note = self.volunteers.note
        self.end_conversation = self.volunteers.end_conversation

        # handovers
        self.hand_over = self.handovers.hand_over
        self.offers_to = self.handovers.offers_to
        self.accept_handover = self.handovers.accept_handover
        self.decline_handover = self.handovers.decline_handover

        # backup
        self.request_backup = self.backup.request_backup
        self.join_as_backup = self.backup.join_as_backup
        self.stop_watching = self.backup.stop_watching
        self.whisper = self.backup.whisper
        self.take_over = self.backup.take_over
        self.flag = self.backup.flag
        self.record_block = self.backup.record_block

        # supervision
        self.observe = self.supervision.observe
        self.place_hold = self.supervision.place_hold
        self.release_hold = self.supervision.release_hold
        self.read_transcript = self.supervision.read_transcript
        self.broadcast = self.supervision.broadcast
        self.ensure_may_monitor = self.supervision.ensure_may_monitor
        self.colleagues = self.supervision.colleagues
        self.supervisor_online = self.supervision.supervisor_online
        self.dashboard = self.supervision.dashboard

        # account changes and login sessions
        self.create_account = self.account_changes.create_account
        self.edit_account = self.account_changes.edit_account
        self.set_password = self.account_changes.set_password
        self.reset_two_factor = self.account_changes.reset_two_factor
        self.deactivate_account = self.account_changes.deactivate_account
        self.reactivate_account = self.account_changes.reactivate_account
        self.log_out = self.sessions.log_out

    new_conversation_id = staticmethod(VisitorActions.new_conversation_id)

    # what the node works with: read-only, since every service was given the same ones
    @property
    def settings(self) -> Settings:
        return self.node.settings

    @property
    def store(self) -> Store:
        return self.node.store

    @property
    def clock(self) -> Clock:
        return self.node.clock

    @property
    def floor(self) -> FloorState:
        return self.node.floor

    @property
    def bus(self) -> EventBus:
        return self.node.bus

    @property
    def floor_shared(self) -> bool:
        """Other nodes change this floor too (the Redis mode)."""
        return self.node.floor_shared

    @property
    def sanitize(self) -> Callable[[str], str]:
        """The one road from visitor text to HTML; app.py wraps it in a timer for /metrics."""
        return self.node.sanitize

    @sanitize.setter
    def sanitize(self, sanitize: Callable[[str], str]) -> None:
        self.node.sanitize = sanitize

    @property
    def space_purge(self) -> SpacePurge | None:
        """The follow-up's part of the retention purge (spaces behind links), set by app.py."""
        return self.upkeep.space_purge

    @space_purge.setter
    def space_purge(self, purge: SpacePurge | None) -> None:
        self.upkeep.space_purge = purge

    @property
    def followup_sweep(self) -> Callable[[float], Awaitable[None]] | None:
        """The follow-up's part of the sweep (appointments past their time), set by app.py."""
        return self.upkeep.followup_sweep

    @followup_sweep.setter
    def followup_sweep(self, sweep: Callable[[float], Awaitable[None]] | None) -> None:
        self.upkeep.followup_sweep = sweep
