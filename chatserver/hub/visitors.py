"""What a visitor can do: start, write, type, leave, forget, drop and come back."""

from __future__ import annotations

import re
import secrets
import unicodedata

from chatserver.backends.base import StatsDelta
from chatserver.errors import (
    ConsentRequired,
    ConversationEnded,
    Draining,
    InvalidPayload,
    InvalidToken,
    QueueFull,
)
from chatserver.hub.core import HubCore
from chatserver.hub.events import (
    Ended,
    VisitorConnection,
    VisitorLeft,
)
from chatserver.hub.floor import VisitorLink
from chatserver.hub.model import (
    VISITOR_ROLES,
    Conversation,
    ConversationState,
    Message,
    OperatorState,
    Role,
)
from chatserver.hub.pinned import Pinned
from chatserver.hub.state import LEAVE_REASONS, OPEN_STATES
from chatserver.tokens import hash_token


def matches_any(text: str, words: tuple[str, ...]) -> bool:
    """Whole-word, case-insensitive: "dood willen" matches, "doodgewoon" does not match "dood"."""
    lowered = unicodedata.normalize("NFC", text).lower()
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered) for word in words)


class VisitorActions(HubCore):
    _accepting = True

    def stop_accepting(self) -> None:
        """The server is draining (a restart): no new conversation starts here any more.

        Running conversations go on until their clients are told to reconnect; they resume
        on the restarted server or another node. Their records are all in the store.
        """
        self._accepting = False

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
        line = self._line(line_id)
        if consent is not True:
            raise ConsentRequired()
        now = self.clock.now()
        if pinned is None:
            self._check_open(line, now)
        intake = self._valid_intake(intake or {})
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
        async with self._lock:
            if not self._accepting:  # began draining while this start waited for the floor
                raise Draining()
            if pinned is None and len(self._queues[line.id]) >= line.queue_limit:
                raise QueueFull()
            if conversation_id in self._open:
                raise InvalidPayload("Conversation id already in use.")
            await self.store.save_conversation(conversation)
            await self._record(StatsDelta(line.id, now, offered=1))
            self._remember(conversation)
            self._visitors[conversation.id] = VisitorLink(connections=1)
            if pinned is not None:
                await self._start_pinned(conversation, pinned)
            else:
                self._enqueue(conversation, front=False)
            await self._flush_positions()  # the newcomer hears its place at once
            await self._route()
            await self._flush_positions()
        return conversation, token

    async def _start_pinned(self, conversation: Conversation, pinned: Pinned) -> None:
        """The agreed volunteer takes the chat at once if connected and not away (paused
        counts as on duty: a pause stops new chats, not one that was promised), even past
        their capacity, like a takeover; otherwise the visitor waits at the front of the
        line with the volunteer's note for whoever takes them."""
        self._pinned[conversation.id] = pinned
        presence = self._presences.get(pinned.operator_id)
        if presence is None or not presence.online or presence.state is OperatorState.AWAY:
            if pinned.note.strip():
                self._handover_notes[conversation.id] = pinned.note
            self._enqueue(conversation, front=True)
            return
        now = self.clock.now()
        if presence.load + len(presence.reserved) >= presence.account.capacity:
            presence.taken_over.add(conversation.id)  # beyond capacity, as a takeover is
        presence.held.add(conversation.id)
        presence.idle_since = now
        conversation.answered = True
        conversation.assigned_at = now
        await self._record(StatsDelta(conversation.line, now, answered=1, wait=0.0))
        await self._announce_assignment(conversation, presence, to_visitor=True, switch=True)
        await self._publish_status(presence)
        await self._say(conversation, "assigned", alias=presence.account.alias)

    async def resume(self, token: str) -> Conversation:
        """The visitor came back with its token: same conversation, or :class:`InvalidToken`.

        An open conversation can always be resumed; an ended one only shortly after it ended
        (so the visitor can still read the goodbye and erase it), never with another's data.
        """
        digest = hash_token(token)
        conversation_id = self._by_token.get(digest)
        if conversation_id is not None:
            conversation = self._open[conversation_id]
            if conversation.state in OPEN_STATES:
                return conversation
        stored = await self.store.conversation_by_token(digest)
        grace = self.settings.routing.visitor_grace_seconds
        if stored is None or stored.ended_at is None or stored.end_reason == "disconnected":
            raise InvalidToken()
        if self.clock.now() - stored.ended_at > grace:
            raise InvalidToken()
        return stored

    async def resume_state(self, conversation_id: str) -> Conversation | None:
        """The live conversation if it is still open, else its stored record."""
        return self._open.get(conversation_id) or await self.store.conversation(conversation_id)

    async def visitor_transcript(self, conversation_id: str, after_seq: int = 0) -> list[Message]:
        """What a returning visitor missed: its messages after ``after_seq``, and only those a
        visitor may see (``VISITOR_ROLES``), never a volunteer's notes or a whisper."""
        messages = await self.store.messages(conversation_id, after_seq=after_seq)
        return [message for message in messages if message.role in VISITOR_ROLES]

    def is_open(self, conversation_id: str) -> bool:
        conversation = self._open.get(conversation_id)
        return conversation is not None and conversation.state in OPEN_STATES

    async def visitor_connected(self, conversation_id: str) -> None:
        async with self._lock:
            link = self._visitors.get(conversation_id)
            conversation = self._open.get(conversation_id)
            if link is None or conversation is None:
                return
            link.connections += 1
            if link.connections == 1 and link.gone_since is not None:
                link.gone_since = None
                await self.bus.publish(
                    VisitorConnection(conversation.id, self._operators(conversation), True)
                )
            entry = self._queues[conversation.line].get(conversation.id)
            if entry is not None:
                entry.told = None  # a fresh connection must hear its place again
                self._dirty.add(conversation.line)
                await self._flush_positions()

    async def visitor_disconnected(self, conversation_id: str) -> None:
        async with self._lock:
            link = self._visitors.get(conversation_id)
            conversation = self._open.get(conversation_id)
            if link is None or conversation is None or link.connections == 0:
                return
            link.connections -= 1
            if link.connections == 0:
                link.gone_since = self.clock.now()
                await self.bus.publish(
                    VisitorConnection(conversation.id, self._operators(conversation), False)
                )

    async def visitor_message(self, conversation_id: str, text: str) -> Message:
        """Also while waiting: what a visitor writes then reaches the volunteer on assignment."""
        conversation = await self._visitor_conversation(conversation_id)
        text = self._valid_text(text)
        message = await self._post(conversation, Role.VISITOR, text, to_visitor=True)
        if conversation.state is ConversationState.WAITING:
            await self._triage(conversation, text)
        return message

    async def _triage(self, conversation: Conversation, text: str) -> None:
        """The first message of a waiting visitor may move them up, as text lines triage.

        Keywords and boost come from ``[triage]`` (off by default). Only the first message
        counts, so nobody can talk their way up by repeating words; the text is not logged.
        """
        triage = self.settings.triage
        if not triage.enabled or conversation.id in self._triaged:
            return
        self._triaged.add(conversation.id)
        words = triage.keywords.get(conversation.lang) or tuple(
            w for ws in triage.keywords.values() for w in ws
        )
        if not matches_any(text, words):
            return
        async with self._lock:
            queue = self._queues[conversation.line]
            entry = queue.remove(conversation.id)
            if entry is None:  # assigned meanwhile: nothing to move
                return
            conversation.priority += triage.boost
            entry.priority = conversation.priority
            queue.add(entry)
            self._dirty.add(conversation.line)
            await self.store.save_conversation(conversation)
            await self._flush_positions()

    async def visitor_typing(self, conversation_id: str, active: bool) -> None:
        """Told to the volunteer side only while active, on change, a few times a second."""
        conversation = await self._visitor_conversation(conversation_id)
        if conversation.state is ConversationState.ACTIVE:
            await self._typed(conversation, False, active)

    async def visitor_leaves(self, conversation_id: str, reason: str = "left") -> None:
        """The visitor ends the chat; ``quick_exit`` tells the volunteer it was about safety."""
        if reason not in LEAVE_REASONS:
            raise InvalidPayload(f"reason must be one of {sorted(LEAVE_REASONS)}")
        async with self._lock:
            conversation = self._open.get(conversation_id)
            if conversation is None:
                raise ConversationEnded()
            await self._visitor_gone(conversation, reason, by="visitor")
            await self._route()
            await self._flush_positions()

    async def forget(self, conversation_id: str) -> int:
        """End the conversation and erase its messages now; only statistics remain.

        Messages may still be on their way. From the first instant the conversation is marked
        forgotten, so any not yet stored is refused (``forgotten``); one being stored holds the
        conversation's lock, and the erase takes that same lock after it, so it goes too.
        """
        conversation = self._open.get(conversation_id)
        if conversation is not None:
            conversation.forgotten = True  # before anything waits: nothing more gets in
        async with self._lock:
            conversation = self._open.get(conversation_id)
            if conversation is not None:
                await self._visitor_gone(conversation, "forgot", by="visitor")
            async with self._conversation_locks[conversation_id]:
                erased = await self.store.erase_messages(conversation_id)
            await self._route()
            await self._flush_positions()
        return erased

    async def _visitor_gone(self, conversation: Conversation, reason: str, by: str) -> None:
        """The visitor is no longer there: out of the queue, or the chat moves to wrap-up."""
        now = self.clock.now()
        if conversation.state is ConversationState.WAITING:
            self._queues[conversation.line].remove(conversation.id)
            self._dirty.add(conversation.line)
            conversation.state = ConversationState.ENDED
            self._close(conversation, now, by, reason)
            await self.store.save_conversation(conversation)
            await self._record(StatsDelta(conversation.line, now, abandoned=1))
            self._forget_open(conversation)
            await self.bus.publish(Ended(conversation.id, by, reason))
        elif conversation.state is ConversationState.ACTIVE:
            await self._cancel_offers(conversation.id)
            self._backup_requests.pop(conversation.id, None)
            conversation.state = ConversationState.WRAPUP
            self._close(conversation, now, by, reason)
            await self.store.save_conversation(conversation)
            await self._count_duration(conversation, now)
            await self.bus.publish(Ended(conversation.id, by, reason))
            await self.bus.publish(
                VisitorLeft(conversation.id, self._operators(conversation), reason)
            )
            if reason != "forgot":
                await self._say(
                    conversation,
                    "visitor_left",
                    to_visitor=False,
                    operators=self._operators(conversation),
                )
