"""Messages on the floor: who may post, sequence numbers, the feed, and sending again.

The floor gives each message its conversation's next sequence number, keeps it and publishes
it in one step, so every node delivers a conversation's messages in the order of their
numbers, and a message sent again after a lost acknowledgement is kept once.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chatserver.hub.floor_records import Draft, Notice, Posted, Refusal
from chatserver.hub.floor_state import FloorState, PostFeed
from chatserver.hub.model import Role
from tests.floor.kit import (
    NOW,
    FloorKit,
    arrive,
    on_duty,
    refusal,
    supervisor,
    visitor,
    volunteer,
)


async def next_post(feed: PostFeed) -> Posted:
    item = await asyncio.wait_for(feed.next(), 5)
    assert isinstance(item, Posted), item
    return item


def said(text: str, role: Role = Role.VISITOR, author: str | None = None) -> Draft:
    return Draft(role, text, NOW + 0.123456789, author, author.title() if author else None)


async def test_a_post_gets_the_next_seq_and_is_kept_exactly(floor: FloorState) -> None:
    """Messages are numbered 1, 2, 3 in their conversation and come back as sent: text,
    time to the microsecond, author and alias."""
    await arrive(floor, visitor("c1"), visitor("c2"))
    first = await floor.post("c1", said("hallo 👋 <b>"))
    second = await floor.post("c1", said("is er iemand?"))
    other = await floor.post("c2", said("hoi"))
    assert (first.message.seq, second.message.seq, other.message.seq) == (1, 2, 1)
    assert first.message.id == "c1-1" and not first.duplicate
    assert first.message.text == "hallo 👋 <b>" and first.message.at == NOW + 0.123456789
    assert [m.seq for m in await floor.messages("c1")] == [1, 2]
    assert await floor.messages("c1", after_seq=1) == [second.message]
    live = await floor.conversation("c1")
    assert live is not None and live.last_seq == 2


async def test_who_may_post_what(floor: FloorState) -> None:
    """Visitors write while waiting and in the chat; only the holder writes to the visitor
    and keeps notes; whispers are for the holder and whoever reads along; a volunteer's
    message after the visitor left is refused."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await floor.connect(volunteer("bob"), "n1", NOW)
    await arrive(floor, visitor("c1"))
    await floor.post("c1", said("ik wacht"))
    assert await refusal(floor.post("c1", said("hoi", Role.OPERATOR, "ann"))) is Refusal.NOT_HOLDER
    await floor.claim("c1", "ann", NOW)
    await floor.post("c1", said("hoi", Role.OPERATOR, "ann"))
    await floor.post("c1", said("notitie", Role.NOTE, "ann"))
    assert await refusal(floor.post("c1", said("x", Role.NOTE, "bob"))) is Refusal.NOT_HOLDER
    assert await refusal(floor.post("c1", said("x", Role.WHISPER, "sue"))) is Refusal.NOT_ALLOWED
    await floor.watch("c1", "sue", "observer")
    await floor.post("c1", said("rustig aan", Role.WHISPER, "sue"))
    await floor.post("c1", said("fluister", Role.WHISPER, "ann"))
    await floor.leave("c1", NOW)
    assert await refusal(floor.post("c1", said("nog?", Role.OPERATOR, "ann"))) is (
        Refusal.NOT_ACTIVE
    )
    assert await refusal(floor.post("c1", said("terug"))) is Refusal.NOT_ACTIVE
    await floor.post("c1", said("De bezoeker is weg.", Role.SYSTEM))
    await floor.post("c1", said("afronding", Role.NOTE, "ann"))
    assert await refusal(floor.post("nobody", said("x"))) is Refusal.UNKNOWN
    roles = [m.role for m in await floor.messages("c1")]
    assert roles == [
        Role.VISITOR,
        Role.OPERATOR,
        Role.NOTE,
        Role.WHISPER,
        Role.WHISPER,
        Role.SYSTEM,
        Role.NOTE,
    ]


async def test_a_line_about_a_holder_is_posted_only_while_they_hold_the_chat(
    floor: FloorState,
) -> None:
    """A line like "A colleague, Sue, takes over" must not come after a later takeover made
    on another node: a system line may name the holder it is about, and is refused once that
    volunteer no longer holds the chat."""
    await on_duty(floor, volunteer("ann"))
    await floor.connect(supervisor("sue"), "n1", NOW)
    await arrive(floor, visitor("c1"))
    await floor.claim("c1", "ann", NOW)
    about_ann = replace(said("Ann is er.", Role.SYSTEM), holder="ann")
    await floor.post("c1", about_ann)
    await floor.take_over("c1", "sue", NOW)
    assert await refusal(floor.post("c1", about_ann)) is Refusal.NOT_HOLDER
    await floor.post("c1", replace(said("Sue neemt het over.", Role.SYSTEM), holder="sue"))
    assert [m.text for m in await floor.messages("c1")] == ["Ann is er.", "Sue neemt het over."]


async def test_a_message_sent_again_is_kept_once(floor: FloorState) -> None:
    """A message sent again after a lost acknowledgement (same client id) is stored and
    published once; the sender gets the first copy back, also after the chat moved on."""
    await arrive(floor, visitor("c1"))
    first = await floor.post("c1", said("help"), client_id="m-1")
    again = await floor.post("c1", said("help"), client_id="m-1")
    assert again.duplicate and again.message == first.message
    other = await floor.post("c1", said("help"), client_id="m-2")
    assert other.message.seq == 2 and not other.duplicate
    await on_duty(floor, volunteer("ann"))
    await floor.claim("c1", "ann", NOW)
    await floor.leave("c1", NOW)
    late = await floor.post("c1", said("help"), client_id="m-1")
    assert late.duplicate and late.message == first.message
    assert [m.seq for m in await floor.messages("c1")] == [1, 2]


async def test_erasing_removes_the_floors_copy(floor: FloorState) -> None:
    """Deleting the conversation removes the floor's copy at once; numbering carries on."""
    await arrive(floor, visitor("c1"))
    await floor.post("c1", said("geheim"), client_id="m-1")
    await floor.post("c1", said("nog iets"))
    assert await floor.erase_messages("c1") == 2
    assert await floor.messages("c1") == []
    assert (await floor.post("c1", said("help"), client_id="m-1")).message.seq == 3
    assert await floor.erase_messages("nobody") == 0


async def test_every_node_receives_posts_in_seq_order(kit: FloorKit) -> None:
    """A visitor on one node and its volunteer on another: every node's feed carries each
    message once, in its conversation's seq order, whichever node posted it."""
    one, two, three = kit.nodes
    await arrive(one, visitor("c1"), visitor("c2"))
    async with three.feed() as feed:
        posts = [
            node.post(cid, said(f"{cid} {i}"))
            for i in range(40)
            for node, cid in ((one, "c1"), (two, "c1"), (two, "c2"))
        ]
        await asyncio.gather(*posts)
        received = [(await next_post(feed)).message for _ in range(len(posts))]
    for cid, count in (("c1", 80), ("c2", 40)):
        seqs = [m.seq for m in received if m.conversation_id == cid]
        assert seqs == list(range(1, count + 1)), f"{cid} out of order"


async def test_the_feed_carries_the_audience_decided_with_the_seq(kit: FloorKit) -> None:
    """Who hears a message is decided in the same step as its number: the holder and whoever
    reads along at that moment, unless the poster named its audience; the feed carries it
    and the html, code and parameters the hub made, to every node."""
    one, two, three = kit.nodes
    await arrive(one, visitor("c1"))
    await on_duty(one, volunteer("ann"))
    await one.claim("c1", "ann", NOW)
    await on_duty(two, supervisor("cas"))
    await two.watch("c1", "cas", "observer")
    async with three.feed() as feed:
        first = await one.post("c1", said("hoi"))
        html = Draft(Role.SYSTEM, "x", NOW, html="<p>x</p>", code="assigned", params={"a": "b"})
        second = await two.post("c1", replace(html, to_visitor=False, operators=()))
        relayed = [await next_post(feed) for _ in range(2)]
    assert first.operators == ("ann", "cas") and first.to_visitor
    assert relayed[0].operators == ("ann", "cas") and relayed[0].to_visitor
    assert relayed[1].operators == () and not relayed[1].to_visitor
    message = relayed[1].message
    assert (message.html, message.code, message.params) == ("<p>x</p>", "assigned", {"a": "b"})
    assert second.message == message


async def test_a_notice_reaches_every_node_between_the_posts(kit: FloorKit) -> None:
    """A deactivated account must lose its consoles on every node: a notice goes to every
    node's feed, the sender's too, in order with the posts around it, and is not kept."""
    one, two, three = kit.nodes
    await arrive(one, visitor("c1"))
    async with two.feed() as here, three.feed() as there:
        await one.post("c1", said("voor"))
        await one.notify(Notice("account", "ann", "deactivated"))
        await one.post("c1", said("na"))
        for feed in (here, there):
            items = [await asyncio.wait_for(feed.next(), 5) for _ in range(3)]
            assert items[1] == Notice("account", "ann", "deactivated")
            assert [i.message.text for i in items if isinstance(i, Posted)] == ["voor", "na"]
    assert [m.text for m in await one.messages("c1")] == ["voor", "na"]


async def test_concurrent_posts_from_two_nodes_get_unique_increasing_seqs(kit: FloorKit) -> None:
    """Two nodes writing into one conversation at once: no seq is given twice or skipped,
    and a client id sent from both at the same time is kept once."""
    one, two, _ = kit.nodes
    await arrive(one, visitor("c1"))
    posts = [node.post("c1", said(f"m{i}")) for i in range(150) for node in (one, two)]
    retries = [node.post("c1", said("once"), client_id="dup") for node in (one, two) * 10]
    results = await asyncio.gather(*posts, *retries)
    seqs = sorted(r.message.seq for r in results if not r.duplicate)
    assert seqs == list(range(1, 302))
    kept_once = {r.message.seq for r in results[300:]}
    assert len(kept_once) == 1 and sum(not r.duplicate for r in results[300:]) == 1
    assert [m.seq for m in await two.messages("c1")] == list(range(1, 302))
