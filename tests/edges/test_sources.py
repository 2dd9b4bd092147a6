"""Blocks and limits per source hold whichever node a request reaches (issue 13, item 5).

Each test runs on memory (one process) and on Redis (two nodes on one redis-server): what is
done through the first node is what the second one enforces.
"""

from __future__ import annotations

import pytest

from chatserver.errors import Blocked, ConnectionCrowded, RateLimited
from tests.edges.kit import LIMITS, PERIOD, WRONG_LINKS_PER_HOUR, EdgeKit

ADDRESS = "203.0.113.7"


async def test_both_nodes_give_an_address_the_same_pseudonym(edges: EdgeKit) -> None:
    """One visitor is one source to every node, or no limit could hold across them."""
    a, b = edges.nodes
    assert a.pseudonyms.of(ADDRESS) == b.pseudonyms.of(ADDRESS) != a.pseudonyms.of("192.0.2.1")
    assert ADDRESS not in a.pseudonyms.of(ADDRESS)


async def test_a_block_placed_through_one_node_holds_on_the_other(edges: EdgeKit) -> None:
    """The volunteer blocks on node A; the visitor's next chat reaches node B and is refused,
    and someone else on B is not."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    await a.guard.started(source, "c1")
    await a.guard.finished("c1")  # blocking after the chat ended still works
    assert await a.guard.block_conversation("c1") is True
    with pytest.raises(Blocked):
        await b.guard.check_start(b.pseudonyms.of(ADDRESS))
    assert await b.guard.is_blocked(source)
    assert await b.guard.check_start(b.pseudonyms.of("192.0.2.1")) == 0
    assert await b.guard.block_conversation("unknown") is False


async def test_a_block_lapses_when_the_key_period_turns(edges: EdgeKit) -> None:
    """A block lasts until the key is replaced, on every node: the next period the same
    address is a new pseudonym, nobody blocked, and the old chat can no longer be blocked."""
    a, b = edges.nodes
    old = a.pseudonyms.of(ADDRESS)
    await a.guard.started(old, "c1")
    await a.guard.block_conversation("c1")
    edges.clock.advance(PERIOD)
    new = b.pseudonyms.of(ADDRESS)
    assert new != old and a.pseudonyms.of(ADDRESS) == new
    assert await b.guard.check_start(new) == 0
    assert not await a.guard.is_blocked(old)
    assert await b.guard.block_conversation("c1") is False


async def test_a_chat_writing_too_fast_is_refused_on_every_node(edges: EdgeKit) -> None:
    """A script that spreads one conversation's messages over two nodes gets one burst, not
    one per node; after a moment one more message goes through."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    await a.guard.started(source, "c1")
    for n in range(LIMITS.burst):
        await (a, b)[n % 2].guard.check_message("c1", source)
    for node in (a, b):
        with pytest.raises(RateLimited):
            await node.guard.check_message("c1", source)
    edges.clock.advance(60.0 / LIMITS.messages_per_minute)
    await b.guard.check_message("c1", source)
    with pytest.raises(RateLimited):
        await a.guard.check_message("c1", source)


async def test_a_new_chat_does_not_refill_the_source(edges: EdgeKit) -> None:
    """Ending a chat and starting another on the other node gives no fresh bucket: the
    source's own bucket (as large as its share of chats) is spent."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    await a.guard.started(source, "c1")
    for _ in range(LIMITS.burst):
        await a.guard.check_message("c1", source)
    await a.guard.finished("c1")
    await b.guard.started(source, "c2")
    with pytest.raises(RateLimited):
        await b.guard.check_message("c2", source)


async def test_open_chats_per_source_are_counted_over_all_nodes(edges: EdgeKit) -> None:
    """A household's second chat is marked as sharing a connection, a flood is refused at
    the ceiling whichever node it reaches, and a chat that ended frees its place."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    assert await a.guard.check_start(source) == 0
    await a.guard.started(source, "c1")
    assert await b.guard.check_start(source) == 2  # served, marked: two from one connection
    await b.guard.started(source, "c2")
    await a.guard.started(source, "c3")
    with pytest.raises(ConnectionCrowded):
        await b.guard.check_start(source)
    await b.guard.finished("c1")
    assert await a.guard.check_start(source) == LIMITS.conversations_ceiling


async def test_wrong_links_are_counted_per_hour_over_all_nodes(edges: EdgeKit) -> None:
    """A guesser alternating nodes is refused after the hour's wrong links, on both, with
    when to try again; the next hour starts afresh."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    for n in range(WRONG_LINKS_PER_HOUR):
        await (a, b)[n % 2].links.check(source)
        await (a, b)[n % 2].links.wrong(source)
    for node in (a, b):
        with pytest.raises(RateLimited) as refused:
            await node.links.check(source)
        assert 0 < refused.value.details["retry_after"] <= 3601
    await a.links.check(a.pseudonyms.of("192.0.2.1"))
    edges.clock.advance(3600)
    await b.links.check(source)  # same period of the key: the same source, a new hour


async def test_letters_are_counted_per_hour_over_all_nodes(edges: EdgeKit) -> None:
    """Ten letters an hour from one connection, wherever they land."""
    a, b = edges.nodes
    source = a.pseudonyms.of(ADDRESS)
    for n in range(a.letters.per_hour):
        await (a, b)[n % 2].letters.check(source)
        await (a, b)[n % 2].letters.written(source)
    with pytest.raises(RateLimited):
        await a.letters.check(source)
    with pytest.raises(RateLimited):
        await b.letters.check(source)
