"""A message sent again after its first node died is kept, once.

The floor numbers a message (and tells its readers) in one step; the node that asked then
stores it, and only then answers. A node killed between the two leaves a message numbered and
seen but in no transcript, and a sender without an answer: the widget sends it again, with the
same client id, to whichever node it reaches now. That node hears from the floor that the
message is a duplicate, and answering "ok" then is a promise that it is kept. Found by the
SIGKILL test (tests/distributed/test_node_killed.py): an acknowledged message was missing from
the transcript.

Two ``Hub`` objects on one Redis floor and one Redis store, as two processes would have; node
B's store never finishes its write (the process died there).
"""

from __future__ import annotations

import asyncio
import contextlib

from chatserver.backends.redis_store import RedisStore
from chatserver.hub.model import Message
from tests.hub.two_nodes import TwoNodes, two_redis_hubs


class DyingStore(RedisStore):
    """Node B's store: its first message write never lands, as if the process died there."""

    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url, prefix, scrub_delay=None)
        self.numbered = asyncio.Event()

    async def append_message(self, message: Message) -> None:
        self.numbered.set()
        await asyncio.Event().wait()  # never: cancelled with the rest of the node


Nodes = TwoNodes[DyingStore]  # b dies in its first message's store write


def two_nodes() -> contextlib.AbstractAsyncContextManager[Nodes]:
    return two_redis_hubs(DyingStore)


async def numbered_by_b(nodes: Nodes, conversation_id: str, text: str, key: str | None) -> None:
    """Node B numbers the visitor's message on the floor and dies before storing it."""
    first = asyncio.create_task(nodes.b.visitor_message(conversation_id, text, key))
    await asyncio.wait_for(nodes.store_b.numbered.wait(), timeout=10)
    first.cancel()


async def test_a_message_numbered_by_a_node_that_died_is_kept_when_sent_again() -> None:
    async with two_nodes() as nodes:
        conversation, _ = await nodes.a.start_conversation("c1", "chat", "nl", True)
        await numbered_by_b(nodes, conversation.id, "hallo?", "k1")  # the widget had no answer
        again = await nodes.a.visitor_message(conversation.id, "hallo?", "k1")

        kept = await nodes.store_a.messages(conversation.id)
        assert [(m.id, m.seq, m.text) for m in kept] == [(again.id, again.seq, "hallo?")]
        twice = await nodes.a.visitor_message(conversation.id, "hallo?", "k1")  # and once more
        assert twice.id == again.id
        assert len(await nodes.store_a.messages(conversation.id)) == 1


async def test_a_message_numbered_by_a_node_that_died_is_in_the_transcript_meanwhile() -> None:
    """Before the sender's retry stores it, the message is on the floor only, and newer
    messages are stored already: whoever joins or resumes now still gets it, in its place."""
    async with two_nodes() as nodes:
        conversation, _ = await nodes.a.start_conversation("c1", "chat", "nl", True)
        await numbered_by_b(nodes, conversation.id, "eerst", "k1")  # gone before storing it
        await nodes.a.visitor_message(conversation.id, "daarna", "k2")

        replay = await nodes.a.visitor_transcript(conversation.id)
        assert [(m.seq, m.text) for m in replay] == [(1, "eerst"), (2, "daarna")]


async def test_a_message_nobody_sent_again_is_kept_when_the_chat_leaves_the_floor() -> None:
    """The sender never tries again (the tab was closed): the message was numbered and seen,
    and only the floor has it. When the chat leaves the floor (here: the visitor gives up
    waiting), it goes into the transcript rather than away with the floor's copy."""
    async with two_nodes() as nodes:
        conversation, _ = await nodes.a.start_conversation("c1", "chat", "nl", True)
        await numbered_by_b(nodes, conversation.id, "is daar iemand?", None)
        await nodes.a.visitor_leaves(conversation.id)

        kept = await nodes.store_a.messages(conversation.id)
        assert [(m.seq, m.text) for m in kept] == [(1, "is daar iemand?")]
        assert await nodes.floor_a.conversation(conversation.id) is None
