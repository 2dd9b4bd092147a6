"""What a visitor can do: start, write, type, leave, forget, drop and come back; and what a
line says before anyone starts (open now, the wait: ``line_status``)."""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from dataclasses import dataclass, replace

from chatserver.backends.base import StatsDelta
from chatserver.clock import iso
from chatserver.errors import (
    ConsentRequired,
    ConversationEnded,
    Draining,
    InvalidPayload,
    InvalidToken,
    QueueFull,
)
from chatserver.hub import lines as opening
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import (
    Ended,
    VisitorConnection,
    VisitorLeft,
)
from chatserver.hub.floor import staffing
from chatserver.hub.floor_records import (
    Arrival,
    Claimed,
    FloorRefused,
    LiveConversation,
    Refusal,
)
from chatserver.hub.messages import Messages
from chatserver.hub.model import (
    VISITOR_ROLES,
    Conversation,
    ConversationState,
    Message,
    Role,
)
from chatserver.hub.pinned import Pinned
from chatserver.hub.places import QueuePlaces
from chatserver.hub.queue import Waiting, estimate_wait
from chatserver.hub.state import LEAVE_REASONS, OPEN_STATES, Node, OnNode
from chatserver.settings import LineSettings
from chatserver.tokens import hash_token


@dataclass(frozen=True)
class LineStatus:
    line: LineSettings
    open: bool
    next_open: str | None  # ISO 8601, when closed now
    waiting: int
    estimated_wait_seconds: int | None  # for someone joining now; None: nobody on duty


def matches_any(text: str, words: tuple[str, ...]) -> bool:
    """Whole-word, case-insensitive: "dood willen" matches, "doodgewoon" does not match "dood"."""
    lowered = unicodedata.normalize("NFC", text).lower()
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered) for word in words)


class VisitorActions(OnNode):
    """What a visitor does, from the first message to leaving or forgetting."""

    def __init__(
        self, node: Node, messages: Messages, places: QueuePlaces, mechanics: FloorMechanics
    ) -> None:
        super().__init__(node)
        self.messages = messages
        self.places = places
        self.mechanics = mechanics
        self._accepting = True  # until the server drains (``stop_accepting``)

    def stop_accepting(self) -> None:
        """The server is draining (a restart): no new conversation starts here any more.

        Running conversations go on until their clients are told to reconnect; they resume
        on the restarted server or another node. Their records are all in the store.
        """
        self._accepting = False

    # ------------------------------------------------------------------ lines (public API)
    async def line_status(self, line_id: str) -> LineStatus:
        """What the public API says about a line: open now, next opening, wait."""
        line = self.node.line(line_id)
        now = self.clock.now()
        is_open = opening.is_open(line, now)
        next_open = None if is_open else opening.next_open(line, now)
        waiting = await self.floor.queue_length(line.id)
        estimate = estimate_wait(
            waiting + 1,
            staffing(await self.floor.presences(), line.id),
            list(self.node.durations[line.id]),
            self.settings.routing.assumed_chat_seconds,
        )
        return LineStatus(
            line, is_open, iso(next_open) if next_open is not None else None, waiting, estimate
        )

    # ------------------------------------------------------------------ visitors
    @staticmethod
    def new_conversation_id() -> str:
        """Ids are random, so the transport can subscribe a connection before the chat exists."""
        return "c" + secrets.token_hex(8)

    async def start_conversation(
        self,
        conversation_id: str,
        line_id: str,
        lang: str,
        consent: bool,
        intake: dict[str, str] | None = None,
        shared_connection: int = 0,
        pinned: Pinned | None = None,
    ) -> tuple[Conversation, str]:
        """A visitor asks for help: check the line, queue them, and route if someone is free.

        ``shared_connection`` is the edge's hint that several chats come from one connection
        (see ``Conversation.shared_connection``). Returns the conversation and the visitor's
        resume token (never stored as such).

        ``pinned``: a chat agreed by an appointment link (the follow-up checked the link and
        the time). It was promised, so neither closed hours nor a full queue refuse it: it goes
        straight to the agreed volunteer if on duty, else to the front of the queue.
        """
        if not self._accepting:
            raise Draining()
        line = self.node.line(line_id)
        if consent is not True:
            raise ConsentRequired()
        now = self.clock.now()
        if pinned is None:
            self.node.check_open(line, now)
        intake = self.node.valid_intake(intake or {})
        if lang not in line.languages:
            lang = line.languages[0]
        token = secrets.token_urlsafe(24)
        conversation = Conversation(
            id=conversation_id,
            line=line.id,
            lang=lang,
            state=ConversationState.WAITING,
            token_hash=hash_token(token),
            created_at=now,
            intake=intake,
            shared_connection=shared_connection,
        )
        if await self.floor.conversation(conversation_id) is not None:
            raise InvalidPayload("Conversation id already in use.")
        if pinned is None and await self.floor.queue_length(line.id) >= line.queue_limit:
            raise QueueFull()
        # stored before it is on the floor (whoever takes it from there finds the record), and
        # before the node's lock: starts arriving together share one commit instead of
        # queueing for the lock one fsync at a time. What changed meanwhile (the queue filled
        # up, the server began draining) ends the stored record again (``_arrive``); such a
        # start, refused in that instant, still counts as offered to the line.
        await asyncio.gather(
            self.store.save_conversation(conversation),
            self.mechanics.record(StatsDelta(line.id, now, offered=1)),
        )
        async with self.mechanics.changing_floor():
            placed = await self._arrive(conversation, line.queue_limit, pinned)
            self.node.here[conversation.id] = self.node.here.get(conversation.id, 0) + 1
            if isinstance(placed, Claimed):
                await self._agreed_chat_taken(conversation.id, placed)
            elif pinned is not None:  # an agreed chat at the front: everyone moves down one
                self.node.dirty.add(line.id)
            else:  # at the back: nobody else's place changes
                self.node.newcomers[conversation.id] = placed
            await self.places.flush_positions()  # the newcomer hears its place at once
            await self.mechanics.route()
        return conversation, token

    async def _arrive(
        self, conversation: Conversation, queue_limit: int, pinned: Pinned | None
    ) -> Claimed | Waiting:
        """Onto the floor: the back of the queue, or an agreed chat (see ``arrive_agreed``).
        A refusal (the queue filled up from another node meanwhile) ends the stored record,
        so nothing waits that is not on the floor."""
        arrival = Arrival.of(conversation)
        now = conversation.created_at
        try:
            if not self._accepting:  # began draining while this start waited for the floor
                raise Draining()
            if pinned is not None:
                return await self.floor.arrive_agreed(arrival, self.node.name, now, pinned)
            return await self.floor.enqueue(arrival, self.node.name, now, queue_limit)
        except (FloorRefused, Draining) as refused:
            reason = refused.reason.value if isinstance(refused, FloorRefused) else "draining"
            conversation.state = ConversationState.ENDED
            self.node.close(conversation, now, "system", reason)
            await self.store.save_conversation(conversation)
            if isinstance(refused, Draining):
                raise
            if refused.reason is Refusal.QUEUE_FULL:
                raise QueueFull() from None
            raise InvalidPayload("Conversation id already in use.") from None

    async def _agreed_chat_taken(self, conversation_id: str, claimed: Claimed) -> None:
        """The agreed volunteer took the chat at once (``arrive_agreed``), even past their
        capacity, like a takeover: a pause stops new chats, not one that was promised."""
        async with self.node.conversation_locks[conversation_id]:
            live = await self.floor.conversation(conversation_id)
            if live is None:
                return
            self.places.mark_taken(conversation_id)
            await self.mechanics.announce_assignment(live, claimed.operator_id, True, switch=True)
        now = self.clock.now()
        await self.mechanics.record(StatsDelta(live.line, now, answered=1, wait=0.0))
        await self.mechanics.publish_status_of(claimed.operator_id)
        await self.messages.say(live, "assigned", alias=self.node.alias(claimed.operator_id) or "")

    async def resume(self, token: str) -> Conversation:
        """The visitor came back with its token: same conversation, or :class:`InvalidToken`.

        An open conversation can always be resumed; an ended one only shortly after it ended
        (so the visitor can still read the goodbye and erase it), never with another's data.
        """
        digest = hash_token(token)
        conversation_id = await self.floor.conversation_for_token(digest)
        if conversation_id is not None:
            live = await self.floor.conversation(conversation_id)
            if live is not None and live.state in OPEN_STATES:
                return live.record()
        stored = await self.store.conversation_by_token(digest)
        grace = self.settings.routing.visitor_grace_seconds
        if stored is None or stored.ended_at is None or stored.end_reason == "disconnected":
            raise InvalidToken()
        if self.clock.now() - stored.ended_at > grace:
            raise InvalidToken()
        return stored

    async def resume_state(self, conversation_id: str) -> Conversation | None:
        """The live conversation if it is still open, else its stored record."""
        live = await self.floor.conversation(conversation_id)
        if live is not None and live.state in OPEN_STATES:
            return live.record()
        return await self.store.conversation(conversation_id)

    async def visitor_transcript(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        """What a returning visitor missed: its messages after ``after_seq``, and only those a
        visitor may see (``VISITOR_ROLES``), never a volunteer's notes or a whisper."""
        messages = await self.messages.transcript(conversation_id)
        return [m for m in messages if m.seq > after_seq and m.role in VISITOR_ROLES]

    async def is_open(self, conversation_id: str) -> bool:
        live = await self.floor.conversation(conversation_id)
        return live is not None and live.state in OPEN_STATES

    async def visitor_connected(self, conversation_id: str) -> None:
        async with self.mechanics.changing_floor():
            try:
                connections = await self.floor.visitor_connected(conversation_id, self.node.name)
            except FloorRefused:
                return
            self.node.here[conversation_id] = self.node.here.get(conversation_id, 0) + 1
            live = await self.floor.conversation(conversation_id)
            if live is None:
                return
            if connections == 1:  # back from having none: the volunteer hears it
                operators = await self.messages.operators(live)
                await self.bus.publish(VisitorConnection(live.id, operators, True))
            if live.state is ConversationState.WAITING:
                self.node.told.pop(live.id, None)  # a fresh connection must hear its place again
                self.node.dirty.add(live.line)

    async def visitor_disconnected(self, conversation_id: str) -> None:
        async with self.mechanics.changing_floor():
            try:
                connections = await self.floor.visitor_disconnected(
                    conversation_id, self.node.name, self.clock.now()
                )
            except FloorRefused:
                return
            here = self.node.here.get(conversation_id, 0) - 1
            if here > 0:
                self.node.here[conversation_id] = here
            else:
                self.node.here.pop(conversation_id, None)
            live = await self.floor.conversation(conversation_id)
            if connections == 0 and live is not None:
                operators = await self.messages.operators(live)
                await self.bus.publish(VisitorConnection(live.id, operators, False))

    async def visitor_message(
        self, conversation_id: str, text: str, client_id: str | None = None
    ) -> Message:
        """Also while waiting: what a visitor writes then reaches the volunteer on assignment.
        ``client_id``: the widget's id for it, so a message sent again is kept once."""
        live = await self.node.visitor_conversation(conversation_id)
        text = self.node.valid_text(text)
        message = await self.messages.post(
            live, Role.VISITOR, text, to_visitor=True, client_id=client_id
        )
        if live.state is ConversationState.WAITING:
            await self._triage(live, text)
        return message

    async def _triage(self, live: LiveConversation, text: str) -> None:
        """The first message of a waiting visitor may move them up, as text lines triage.

        Keywords and boost come from ``[triage]`` (off by default). Only the first message
        counts, so nobody can talk their way up by repeating words; the text is not logged.
        """
        triage = self.settings.triage
        if not triage.enabled:
            return
        try:
            if not await self.floor.first_look(live.id):
                return
        except FloorRefused:
            return
        words = triage.keywords.get(live.lang) or tuple(
            w for ws in triage.keywords.values() for w in ws
        )
        if not matches_any(text, words):
            return
        async with self.mechanics.changing_floor():
            try:
                await self.floor.move_up(live.id, triage.boost)
            except FloorRefused:  # assigned meanwhile: nothing to move
                return
            moved = await self.floor.conversation(live.id)
            if moved is not None:
                await self.store.save_conversation(moved.record())
            self.node.dirty.add(live.line)

    async def visitor_typing(self, conversation_id: str, active: bool) -> None:
        """Told to the volunteer side only while active, on change, a few times a second."""
        live = await self.node.visitor_conversation(conversation_id)
        if live.state is ConversationState.ACTIVE:
            await self.messages.typed(live, False, active)

    async def visitor_leaves(self, conversation_id: str, reason: str = "left") -> None:
        """The visitor ends the chat; ``quick_exit`` tells the volunteer it was about safety."""
        if reason not in LEAVE_REASONS:
            raise InvalidPayload(f"reason must be one of {sorted(LEAVE_REASONS)}")
        async with self.mechanics.changing_floor():
            live = await self.floor.conversation(conversation_id)
            if live is None:
                raise ConversationEnded()
            await self.visitor_gone(live, reason, by="visitor")  # in wrap-up: nothing to do
            await self.mechanics.route()

    async def forget(self, conversation_id: str) -> int:
        """End the conversation and erase its messages now; only statistics remain.

        Messages may still be on their way. From the floor's step that marks the conversation
        forgotten, any not yet posted is refused (``forgotten``); one already posted holds
        the conversation's lock while it is stored, and the erase takes that same lock after
        it, so it goes too. That lock is this node's: a message another node numbered just
        before the floor's step is refused by the shared store once the erase is done, and
        its writer hears ``forgotten`` (``Store.append_message``).
        """
        async with self.mechanics.changing_floor():
            live = await self.floor.conversation(conversation_id)
            if live is not None:
                await self.visitor_gone(live, "forgot", by="visitor", forgotten=True)
            async with self.node.conversation_locks[conversation_id]:
                erased = await self.store.erase_messages(conversation_id)
                await self.floor.erase_messages(conversation_id)
            await self.mechanics.route()
        return erased

    async def visitor_gone(
        self,
        live: LiveConversation,
        reason: str,
        by: str,
        forgotten: bool = False,
        gone_before: float | None = None,
    ) -> bool:
        """The visitor is no longer there: out of the queue, or the chat moves to wrap-up.
        ``False`` when the floor refused (gone already, or back meanwhile: ``gone_before``)."""
        now = self.clock.now()
        if live.state is ConversationState.WAITING and not forgotten:
            await self.messages.keep_unstored(live.id, live.line)  # a waiting chat leaves the floor
        try:
            left = await self.floor.leave(live.id, now, gone_before, forgotten)
        except FloorRefused:
            return False
        # who held it when the visitor left, as the floor says: ``live`` may be older than a
        # handover or takeover on another node, whose volunteer must hear the visitor left
        live = replace(live, operator_id=left.operator_id)
        conversation = live.record()
        if left.was is ConversationState.WAITING:
            conversation.state = ConversationState.ENDED
            self.node.close(conversation, now, by, reason)
            await self.store.save_conversation(conversation)
            await self.mechanics.record(StatsDelta(conversation.line, now, abandoned=1))
            self.node.off_floor(live.id)
            self.node.dirty.add(live.line)
            await self.bus.publish(Ended(live.id, by, reason))
        elif left.was is ConversationState.ACTIVE:
            if left.voided is not None:
                await self.mechanics.voided(left.voided, "ended")
            conversation.state = ConversationState.WRAPUP
            self.node.close(conversation, now, by, reason)
            await self.store.save_conversation(conversation)
            await self.mechanics.count_duration(conversation, now)
            await self.bus.publish(Ended(live.id, by, reason))
            operators = await self.messages.operators(live)
            await self.bus.publish(VisitorLeft(live.id, operators, reason))
            if reason != "forgot":
                await self.messages.say(live, "visitor_left", to_visitor=False, operators=operators)
        return True
