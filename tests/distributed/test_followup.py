"""Issue 13 for the follow-up by link: any node serves any client, and no node keeps what
another needs. Two nodes in this process on one Redis (``inprocess.py``): a next chat offered
by a volunteer on one node is accepted by the visitor on the other; of two volunteers on two
nodes taking (or answering) one letter at once, exactly one gets it and the other hears the
refusal a colleague's letter gets; of two tabs opening one agreed chat on two nodes, one
opens it. No lock of either node orders these: the store's conditional steps do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from chatserver.clock import iso
from chatserver.settings import FollowUpSettings, Settings, load_settings
from tests.distributed.inprocess import RedisEnv, redis_node
from tests.e2e.conftest import CONFIG, Peer
from tests.redis_server import RedisServer

HOUR = 3600
NOTE = "Vraag hoe het slapen ging."
TAKEN = "A colleague has taken this letter; ask them to hand it over."


def follow_up() -> Settings:
    """Every line takes letters and agrees next chats."""
    base = load_settings(CONFIG)
    on = FollowUpSettings(letters=True, answer_within_hours=48, appointments=True)
    return replace(base, lines=tuple(replace(line, follow_up=on) for line in base.lines))


@asynccontextmanager
async def two_nodes(redis_server: RedisServer) -> AsyncIterator[tuple[RedisEnv, RedisEnv]]:
    settings = follow_up()
    async with (
        redis_node(redis_server.url, "n1", settings) as one,
        redis_node(redis_server.url, "n2", settings) as two,
    ):
        yield one, two


async def advance(seconds: float, *nodes: RedisEnv) -> None:
    """Time passes on every node (each has its own manual clock), and each sweeps."""
    for node in nodes:
        node.clock.advance(seconds)
    for node in nodes:
        await node.hub.sweep()


async def test_a_next_chat_offered_on_one_node_is_accepted_on_the_other(
    redis_server: RedisServer,
) -> None:
    async with two_nodes(redis_server) as (one, two):
        anna = await two.operator("anna", alias="Anna")
        visitor, _ = await one.start()
        chat = visitor.conversation_id
        assert chat is not None
        assert (await anna.next("assigned"))["conversation"]["id"] == chat
        at = two.clock.now() + HOUR
        ack = await anna.call(
            "appointment_offer", {"conversation_id": chat, "at": iso(at), "note": NOTE}
        )
        assert ack["ok"], ack
        assert await visitor.next("appointment_offered") == {"at": iso(at), "alias": "Anna"}
        known = await one.server.followup.appointments.offered(chat)  # after a reload, too
        assert known is not None and known.at == at and known.note == NOTE

        ack = await visitor.call("appointment_accept", {"share": True, "keep": False})
        assert ack["ok"] and ack["at"] == iso(at), ack
        assert isinstance(ack["key"], str)
        assert await anna.next("appointment_booked") == {"conversation_id": chat, "at": iso(at)}
        again = await visitor.call("appointment_accept", {"share": True, "keep": False})
        assert again["error"]["code"] == "invalid_state"  # answered once, whichever node
        stored = await two.server.followup.appointments.store.appointment(ack["appointment_id"])
        assert stored is not None and stored.note == NOTE and stored.operator_id == anna.operator_id


async def test_two_tabs_on_two_nodes_open_one_agreed_chat_once(
    redis_server: RedisServer,
) -> None:
    async with two_nodes(redis_server) as (one, two):
        anna = await one.operator("anna", alias="Anna")
        visitor, _ = await two.start()
        chat = visitor.conversation_id
        await anna.next("assigned")
        at = one.clock.now() + HOUR
        offer = {"conversation_id": chat, "at": iso(at), "note": NOTE}
        assert (await anna.call("appointment_offer", offer))["ok"]
        await visitor.next("appointment_offered")
        key = (await visitor.call("appointment_accept", {"share": False, "keep": False}))["key"]
        wrapup = {"topics": ["other"], "risk": "none"}
        assert (await anna.call("end", {"conversation_id": chat, "wrapup": wrapup}))["ok"]
        await visitor.disconnect()

        await advance(HOUR, one, two)
        tabs: list[Peer] = [await one.visitor(), await two.visitor()]
        acks = await asyncio.gather(
            *(tab.call("start", {"consent": True, "appointment": key}) for tab in tabs)
        )
        assert sorted(str(a.get("error", {}).get("code")) for a in acks) == [
            "None",
            "appointment_not_now",
        ], acks
        [opened] = [a for a in acks if a["ok"]]
        assert (await anna.next("assigned"))["conversation"]["id"] == opened["conversation_id"]
        [kept] = await one.server.followup.appointments.store.appointments_between(at - 1, at + 1)
        assert kept.state.value == "kept" and kept.conversation_id == opened["conversation_id"]


async def test_two_volunteers_on_two_nodes_take_one_letter_exactly_one_gets_it(
    redis_server: RedisServer,
) -> None:
    async with two_nodes(redis_server) as (one, two):
        anna = await one.operator("anna", status="paused", alias="Anna")
        ben = await two.operator("ben", status="paused", alias="Ben")
        letters = one.server.followup.letters
        for _round in range(5):
            _space, _key, thread = await letters.write_first(
                "chat", "nl", "Ik kan niet slapen", True
            )
            body = {"thread_id": thread.id}
            acks = await asyncio.gather(
                anna.call("letter_take", body), ben.call("letter_take", body)
            )
            [won] = [n for n, ack in enumerate(acks) if ack["ok"]]
            refused = acks[1 - won]["error"]
            assert (refused["code"], refused["message"]) == ("forbidden", TAKEN), acks
            owner = (anna, ben)[won].operator_id
            assert owner is not None
            stored = await two.server.followup.letters.store.thread(thread.id)
            assert stored is not None and stored.owner == owner
            assert thread.id in [t.id for t in await letters.store.threads_owned(owner)]

        # answering takes the thread too: one answer, one refusal, one letter back
        _space, _key, thread = await letters.write_first("chat", "nl", "Nog een brief", True)
        acks = await asyncio.gather(
            anna.call("letter_answer", {"thread_id": thread.id, "text": "Van Anna"}),
            ben.call("letter_answer", {"thread_id": thread.id, "text": "Van Ben"}),
        )
        assert sorted(ack["ok"] for ack in acks) == [False, True], acks
        assert [x.seq for x in await letters.store.letters(thread.id)] == [1, 2]
        stored = await letters.store.thread(thread.id)
        assert stored is not None and stored.waiting_since is None
