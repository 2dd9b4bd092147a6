"""The message path: a line into a conversation is stored, then told; and who is typing.

:class:`Messages` is a service over this node (``state.py``) that the floor's mechanics
(``core.py``) and every action receive: routing and transfers announce themselves with
:meth:`Messages.say`, and every action that writes into a conversation goes through
:meth:`Messages.post`. Kept in one place because the ordering promises live here: durable
before anyone hears of it, in order per conversation, redacted in the copy that is kept, never
to a volunteer who no longer holds the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import replace

from chatserver import i18n
from chatserver.backends.base import ConversationErased
from chatserver.errors import ChatError, ConversationEnded, Forbidden, Forgotten
from chatserver.hub.events import AccountChanged, MessagePosted, SessionEnded, TypingChanged
from chatserver.hub.floor_records import Draft, FloorRefused, LiveConversation, Notice, Refusal
from chatserver.hub.model import ConversationState, Message, Role
from chatserver.hub.state import Node, OnNode
from chatserver.privacy.redaction import redact

REDACTED_ROLES = frozenset({Role.VISITOR, Role.OPERATOR, Role.NOTE, Role.WHISPER})


def noticed(notice: Notice) -> AccountChanged | SessionEnded:
    """A notice from the shared floor's feed as the event it was on the node that sent it."""
    if notice.kind == "account":
        return AccountChanged(notice.subject, notice.detail)
    return SessionEnded(notice.subject, notice.detail)


def refused_message(refusal: Refusal, role: Role) -> ChatError:
    """What the writer hears when the floor did not take a message."""
    if refusal is Refusal.FORGOTTEN:
        return Forgotten()
    if refusal is Refusal.NOT_HOLDER:
        return Forbidden("This conversation is no longer yours.")
    if refusal is Refusal.NOT_ALLOWED:
        return Forbidden()
    if role is Role.OPERATOR:
        return ConversationEnded("The visitor has left this conversation.")
    return ConversationEnded()


class Messages(OnNode):
    """The message path of one node: store, then tell; who hears; who is typing."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)

    async def operators(self, conversation: LiveConversation) -> tuple[str, ...]:
        """Who on the operator side hears about this conversation: holder, backup, observers."""
        holder = (conversation.operator_id,) if conversation.operator_id else ()
        watchers = await self.floor.watchers(conversation.id)
        return holder + tuple(w for w in watchers if w != conversation.operator_id)

    async def post(
        self,
        conversation: LiveConversation,
        role: Role,
        text: str,
        *,
        to_visitor: bool,
        operators: tuple[str, ...] | None = None,
        author: str | None = None,
        code: str | None = None,
        params: dict[str, str] | None = None,
        client_id: str | None = None,
        holder: str | None = None,
    ) -> Message:
        """Store, then tell: a message is durable before anyone, sender included, hears of it.

        The floor gives it its sequence number and checks, in the same step, that the writer
        may still write here: a volunteer's message that arrives after the conversation
        passed to a colleague is refused instead of slipping through, and so is anything for
        a conversation the visitor erased. Its HTML is made here, once (linear in the text),
        and travels and is stored with it: no transcript sent again is parsed again.

        ``operators=None`` means everyone on the operator side at the moment of sending.
        Under the conversation's lock on this node, so messages are stored and told in
        sequence order, and an erase (which takes the same lock) comes after any message
        already on its way: what is stored is erased with the rest. An erase on another node
        takes no lock of ours: a shared store refuses what comes after it
        (``ConversationErased``), and the writer hears ``forgotten``.

        ``client_id``: the sender's own id for the message. Sent again after a lost
        acknowledgement, the floor recognises it and the first copy is answered: stored and
        told once. ``holder``: only while that volunteer holds the chat (``Draft.holder``).
        """
        async with self.node.conversation_locks[conversation.id]:
            alias = self.node.alias(author) if author else None
            draft = Draft(
                role, text, self.clock.now(), author, alias, self.node.sanitize(text), code,
                dict(params or {}), to_visitor, operators, holder,
            )  # fmt: skip
            try:
                posted = await self.floor.post(conversation.id, draft, client_id)
            except FloorRefused as refused:
                raise refused_message(refused.reason, role) from None
            message = posted.message
            if posted.duplicate:
                # the node that numbered the first copy may have died before storing it (and
                # before answering, hence this retry): acknowledged must mean kept
                await self._keep_once(conversation.line, message)
                return message
            try:
                await self.store.append_message(self._as_stored(conversation.line, message))
            except ConversationErased:
                # another node erased the chat after the floor numbered this: not kept
                raise Forgotten() from None
            if role in (Role.VISITOR, Role.OPERATOR):  # a message ends its author's typing
                self.node.typing.sent((conversation.id, role is Role.OPERATOR))
            if not self.node.floor_shared:  # else every node tells its own, from the feed
                await self.bus.publish(MessagePosted(message, to_visitor, posted.operators))
            return message

    async def _keep_once(self, line_id: str, message: Message) -> None:
        """Store a message the floor numbered before, unless it is stored already."""

        async def stored() -> bool:
            after = await self.store.messages(message.conversation_id, message.seq - 1)
            return any(m.seq == message.seq for m in after)

        if await stored():
            return
        try:
            await self.store.append_message(self._as_stored(line_id, message))
        except ConversationErased:
            raise Forgotten() from None
        except ValueError:  # its first node stored it meanwhile: kept once
            if not await stored():
                raise

    async def keep_unstored(self, conversation_id: str, line_id: str) -> None:
        """Before a conversation leaves a shared floor (and the floor's copy of its messages
        with it): store what the floor numbered and no node stored, because the node that
        numbered it died first and its sender never tried again (a closed tab). The other
        side has read it; the transcript must have it too."""
        if not self.node.floor_shared:
            return
        have = {m.seq for m in await self.store.messages(conversation_id)}
        for message in await self.floor.messages(conversation_id):
            if message.seq not in have:
                with contextlib.suppress(ValueError):  # erased, or stored meanwhile
                    await self.store.append_message(self._as_stored(line_id, message))

    async def relay_posts(self, subscribed: asyncio.Event | None = None) -> None:
        """The shared floor (several nodes): every message posted on any node reaches this
        node's sockets from the floor's feed, in each conversation's seq order, with the
        audience the floor decided when it gave the message its number. Runs until
        cancelled; ``subscribed`` is set once nothing posted from then on can be missed."""
        async with self.floor.feed() as feed:
            if subscribed is not None:
                subscribed.set()
            while True:
                item = await feed.next()
                if isinstance(item, Notice):
                    await self.bus.publish(noticed(item))
                    continue
                # not while this node tells a volunteer the chat is theirs: after it
                async with self.node.announcing[item.message.conversation_id]:
                    await self.bus.publish(
                        MessagePosted(item.message, item.to_visitor, item.operators, True)
                    )

    async def everywhere(self, event: AccountChanged | SessionEnded) -> None:
        """An event every node must act on (close an operator's sockets): on a shared floor
        told through every node's feed, else published here."""
        if not self.node.floor_shared:
            await self.bus.publish(event)
        elif isinstance(event, AccountChanged):
            await self.floor.notify(Notice("account", event.operator_id, event.change))
        else:
            await self.floor.notify(Notice("session", event.session, event.reason))

    async def transcript(self, conversation_id: str) -> list[Message]:
        """A conversation's messages so far, for whoever joins it now (a new volunteer, a
        reader-along, a returning visitor). The store has what it has stored; on a shared
        floor a message another node numbered a moment ago may not be stored yet, but the
        floor keeps it, and it was numbered before this reader joined, so it is theirs. Not
        only after the last stored one: a message whose node died before storing it is
        stored by its sender's retry (``_keep_once``), after later ones."""
        stored = await self.store.messages(conversation_id)
        if not self.node.floor_shared:  # one node: stored before anyone heard of it
            return stored
        have = {m.seq for m in stored}
        gap = next(seq for seq in itertools.count(1) if seq not in have)
        numbered = await self.floor.messages(conversation_id, after_seq=gap - 1)
        missing = [m for m in numbered if m.seq not in have]
        return sorted(stored + missing, key=lambda m: m.seq) if missing else stored

    async def say(
        self,
        conversation: LiveConversation,
        code: str,
        *,
        to_visitor: bool = True,
        operators: tuple[str, ...] | None = None,
        holder: str | None = None,
        **params: str,
    ) -> Message:
        """A system line (``system.<code>``): its text in the visitor's language, as the
        visitor reads it, stored with the code and parameters, so a volunteer's console or a
        transcript can word it in the reader's own language instead."""
        text = i18n.t(conversation.lang, f"system.{code}", **params)
        return await self.post(
            conversation, Role.SYSTEM, text, to_visitor=to_visitor, operators=operators,
            code=code, params=params, holder=holder,
        )  # fmt: skip

    def _as_stored(self, line_id: str, message: Message) -> Message:
        """What goes into the transcript: redacted where the line asks for it.

        The live conversation is unchanged (the volunteer may need the phone number now);
        only the copy that is kept loses phone numbers, e-mail, IBANs and postal codes.
        """
        line = self.settings.line(line_id)
        if line is None or not line.redact or message.role not in REDACTED_ROLES:
            return message
        text = redact(message.text)
        return replace(message, text=text, html=self.node.sanitize(text))

    async def typed(self, conversation: LiveConversation, by_volunteer: bool, active: bool) -> None:
        """Someone types (or stopped): the other side hears of a change, a few times a second
        at most; a change held back is told by the sweep (:meth:`tell_typing_due`)."""
        side = (conversation.id, by_volunteer)
        if self.node.typing.offer(side, active, self.clock.now()):
            await self._publish_typing(conversation, by_volunteer, active)

    async def tell_typing_due(self) -> None:
        for (conversation_id, by_volunteer), active in self.node.typing.due(self.clock.now()):
            conversation = await self.floor.conversation(conversation_id)
            if conversation is not None and conversation.state is ConversationState.ACTIVE:
                await self._publish_typing(conversation, by_volunteer, active)

    async def _publish_typing(
        self, conversation: LiveConversation, by_volunteer: bool, active: bool
    ) -> None:
        operators = () if by_volunteer else await self.operators(conversation)
        await self.bus.publish(
            TypingChanged(
                conversation.id, active, by_volunteer, operators, after_seq=conversation.last_seq
            )
        )
