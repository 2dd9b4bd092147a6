"""A busy evening through a load balancer, and what must hold of it whatever happens meanwhile.

``evening`` logs volunteers in and starts a chat for every visitor (every fourth page and
console long-polling only), all through the load balancer, and waits until each visitor is
told their volunteer and that volunteer's console shows the chat. ``talk`` keeps the chats
busy, turn after turn. ``Evening.check`` is what people would notice if something went wrong:

* an acknowledged message that never shows on the other side (live, or in the replay after
  a resume), or shows twice (a retry kept twice);
* a chat that ends, reaches two volunteers, or whose visitor hears of another volunteer;
* a transcript without an acknowledged message, with one twice, or with another id.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from chatserver.backends.redis_store import RedisStore
from chatserver.hub.model import Role
from tests.distributed.crowd import (
    POLLING,
    WEBSOCKET,
    Person,
    Visitor,
    Volunteer,
    volunteer_accounts,
)

CAPACITY = 5  # chats per volunteer
POLLING_EVERY = 4  # every fourth page and console can only long-poll


@dataclass
class Chat:
    visitor: Visitor
    volunteer: Volunteer
    sent_by_visitor: dict[str, str] = field(default_factory=dict)  # text -> acknowledged id
    sent_by_volunteer: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.visitor.conversation_id

    def on_the_console(self) -> bool:
        return self.id in self.volunteer.assigned

    def visitor_saw_all(self) -> bool:
        return set(self.sent_by_volunteer.values()) <= set(self.visitor.seen)

    def volunteer_saw_all(self) -> bool:
        return set(self.sent_by_visitor.values()) <= set(self.volunteer.chats.get(self.id, {}))


@dataclass
class Evening:
    pages: list[Visitor]
    staff: list[Volunteer]
    chats: list[Chat] = field(default_factory=list)

    @property
    def people(self) -> Iterator[Person]:
        yield from self.pages
        yield from self.staff

    async def check(self, redis_url: str) -> None:
        await everything_arrived(self.chats)
        nobody_assigned_twice(self.chats, self.staff)
        await transcripts_complete(redis_url, self.chats)


def transports(n: int) -> tuple[str, ...]:
    return POLLING if n % POLLING_EVERY == POLLING_EVERY - 1 else WEBSOCKET


async def evening(redis_url: str, url: str, visitors: int) -> Evening:
    """``visitors`` chats, each with one of ``visitors / CAPACITY`` volunteers; everyone
    connected through the load balancer at ``url``. The line's queue must hold them all."""
    names = [f"vrijwilliger{n}" for n in range(visitors // CAPACITY)]
    await volunteer_accounts(redis_url, names, CAPACITY)
    met = Evening(
        [Visitor(f"bezoeker{n}", transports(n)) for n in range(visitors)],
        [Volunteer(name, transports(n)) for n, name in enumerate(names)],
    )
    await asyncio.gather(*(person.connect(url) for person in met.staff))
    await asyncio.gather(*(page.connect(url) for page in met.pages))
    await asyncio.gather(*(page.start() for page in met.pages))
    by_alias = {person.alias: person for person in met.staff}
    for page in met.pages:
        await page.until(page.answered, "a volunteer answers")
        chat = Chat(page, by_alias[page.assigned[0]])
        await chat.volunteer.until(chat.on_the_console, f"the console shows {page.name}'s chat")
        met.chats.append(chat)
    return met


async def exchange(chat: Chat, words: str) -> None:
    """One turn each, as in a chat: the visitor writes, the volunteer answers."""
    text = f"{chat.id} bezoeker {words}"
    chat.sent_by_visitor[text] = (await chat.visitor.send(text))["id"]
    text = f"{chat.id} vrijwilliger {words}"
    chat.sent_by_volunteer[text] = (await chat.volunteer.send(chat.id, text))["id"]


class Progress:
    """Counts acknowledged messages; ``reached`` is set at ``mark``."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.count = 0
        self.reached = asyncio.Event()

    def one(self) -> None:
        self.count += 1
        if self.count >= self.mark:
            self.reached.set()


async def talk(chat: Chat, answered: Progress, turns: int = 5) -> None:
    """A busy chat: ``turns`` turns each, one after the other."""
    for turn in range(turns):
        await exchange(chat, f"tijdens {turn}")
        answered.one()
        answered.one()


async def everything_arrived(chats: list[Chat]) -> None:
    """Every acknowledged message reaches the other side (live, or in the replay after a
    resume), under the id it was acknowledged with, and shows there once."""
    for chat in chats:
        await chat.visitor.until(
            chat.visitor_saw_all, f"every message of {chat.volunteer.name} in {chat.id} shows"
        )
        await chat.volunteer.until(
            chat.volunteer_saw_all,
            f"every message of {chat.visitor.name} shows on {chat.volunteer.name}'s console",
        )
    for chat in chats:
        shown_to_visitor, shown_to_volunteer = chat.visitor.texts(), chat.volunteer.texts(chat.id)
        for text in chat.sent_by_volunteer:
            assert shown_to_visitor[text] == 1, (chat.visitor.name, text, shown_to_visitor)
        for text in chat.sent_by_visitor:
            assert shown_to_volunteer[text] == 1, (chat.volunteer.name, text, shown_to_volunteer)
        foreign = [
            m for m in chat.visitor.seen.values() if not m["text"].startswith(chat.id)
        ]  # another chat's message would start with another id
        assert all(m["role"] == Role.SYSTEM.value for m in foreign), foreign


def nobody_assigned_twice(chats: list[Chat], staff: list[Volunteer]) -> None:
    """Each chat on exactly one console, the one its visitor was told of, and never ended."""
    holders = {
        conversation: [person.name for person in staff if conversation in person.assigned]
        for conversation in itertools.chain.from_iterable(person.assigned for person in staff)
    }
    for chat in chats:
        assert holders.pop(chat.id) == [chat.volunteer.name], chat.id
        assert set(chat.visitor.assigned) == {chat.volunteer.alias}, chat.visitor.assigned
        assert chat.visitor.ended == [], (chat.visitor.name, chat.visitor.ended)
    assert holders == {}, f"chats nobody started: {holders}"


async def transcripts_complete(url: str, chats: list[Chat]) -> None:
    """The records keep each acknowledged message once, under its acknowledged id."""
    store = RedisStore(url, scrub_delay=None)
    await store.open()
    try:
        for chat in chats:
            kept = await store.messages(chat.id)
            seqs = [m.seq for m in kept]
            assert seqs == sorted(set(seqs)), (chat.id, seqs)
            written = [m for m in kept if m.role is not Role.SYSTEM]
            by_text = {m.text: m.id for m in written}
            assert len(by_text) == len(written), written
            assert by_text == chat.sent_by_visitor | chat.sent_by_volunteer, chat.id
    finally:
        await store.close()
