"""Volunteers on the floor, and the nodes that carry their connections.

A volunteer's console may be connected through several nodes; a node that dies takes its
connections with it, and whichever node leads takes them off the floor so the ordinary grace
periods apply. Both floors keep the same contract.
"""

from __future__ import annotations

from chatserver.hub.floor_records import Refusal
from chatserver.hub.model import OperatorState
from tests.floor.kit import NOW, FloorKit, arrive, on_duty, refusal, visitor, volunteer


async def test_connect_creates_a_paused_presence_without_secrets(kit: FloorKit) -> None:
    """A console that connects is on the floor, paused until the volunteer says otherwise,
    and the floor keeps nothing of the account but what routing needs."""
    floor = kit.nodes[0]
    ann = await floor.connect(volunteer("ann", capacity=2, lines=("chat",)), "n1", NOW)
    assert ann.state is OperatorState.PAUSED and ann.connections == 1
    assert ann.idle_since == NOW and ann.disconnected_at is None
    assert ann.account.alias == "Ann" and ann.account.capacity == 2
    assert ann.account.lines == ("chat",) and ann.account.languages == ("nl", "en")
    assert ann.account.password_hash == "" and ann.account.username == ""
    again = await kit.nodes[1].connect(volunteer("ann", capacity=3), "n2", NOW + 5)
    assert again.connections == 2 and again.account.capacity == 3
    assert again.idle_since == NOW, "a second tab is not a fresh start"
    assert [p.id for p in await floor.presences()] == ["ann"]
    assert await floor.presence("bob") is None


async def test_disconnect_starts_the_grace_period_at_the_last_connection(kit: FloorKit) -> None:
    """Closing one of two consoles changes nothing; closing the last starts the grace
    period; a node that had no connection of the volunteer cannot take one away."""
    one, two, _ = kit.nodes
    await one.connect(volunteer("ann"), "n1", NOW)
    await two.connect(volunteer("ann"), "n2", NOW)
    ann = await one.disconnect("ann", "n1", NOW + 1)
    assert ann.connections == 1 and ann.disconnected_at is None
    assert await refusal(one.disconnect("ann", "n1", NOW + 2)) is Refusal.OFFLINE
    ann = await two.disconnect("ann", "n2", NOW + 3)
    assert ann.connections == 0 and ann.disconnected_at == NOW + 3
    assert await refusal(two.disconnect("ann", "n2", NOW + 4)) is Refusal.OFFLINE
    assert await refusal(one.disconnect("bob", "n1", NOW)) is Refusal.OFFLINE
    ann = await one.connect(volunteer("ann"), "n1", NOW + 5)
    assert ann.disconnected_at is None


async def test_status_changes_need_a_connection(kit: FloorKit) -> None:
    """Available, paused, away; becoming available counts as idle from then, so a volunteer
    back from a break does not jump the colleagues who waited."""
    floor = kit.nodes[0]
    assert await refusal(floor.set_state("ann", OperatorState.AVAILABLE, NOW)) is Refusal.OFFLINE
    await floor.connect(volunteer("ann"), "n1", NOW)
    ann = await floor.set_state("ann", OperatorState.AVAILABLE, NOW + 50)
    assert ann.state is OperatorState.AVAILABLE and ann.idle_since == NOW + 50
    ann = await floor.set_state("ann", OperatorState.AVAILABLE, NOW + 90)
    assert ann.idle_since == NOW + 50, "already available: idle time is not reset"
    ann = await floor.set_state("ann", OperatorState.AWAY, NOW + 95)
    assert ann.state is OperatorState.AWAY
    await floor.disconnect("ann", "n1", NOW + 99)
    assert await refusal(floor.set_state("ann", OperatorState.PAUSED, NOW)) is Refusal.OFFLINE


async def test_node_lease_is_taken_once_and_lapses(kit: FloorKit) -> None:
    """Each node holds a heartbeat lease; a node whose lease lapsed hears so on its next
    heartbeat (and must drop its sockets), and its name is free again."""
    one, two, _ = kit.nodes
    assert await one.join("n1", 0.2) is True
    assert await two.join("n1", 0.2) is False
    assert await one.heartbeat("n1", 0.2) is True
    assert await one.dead_nodes() == []
    await kit.lapse(0.3)
    assert await one.heartbeat("n1", 0.2) is False
    assert await two.dead_nodes() == ["n1"]
    assert await two.heartbeat("n9", 0.2) is False, "no lease was ever taken"


async def test_one_leader_at_a_time(kit: FloorKit) -> None:
    """Sweep work (grace periods, offer timeouts, escalation, the purge) runs on the one node
    holding the leader lease; another takes over when it resigns or its lease lapses."""
    one, two, three = kit.nodes
    assert await one.lead("n1", 0.2) is True
    assert await two.lead("n2", 0.2) is False
    assert await one.lead("n1", 0.2) is True, "the leader extends its own lease"
    await two.resign("n2")
    assert await three.lead("n3", 0.2) is False, "only the holder can resign"
    await one.resign("n1")
    assert await two.lead("n2", 0.2) is True
    await kit.lapse(0.3)
    assert await three.lead("n3", 0.2) is True


async def test_a_dead_nodes_connections_are_reaped(kit: FloorKit) -> None:
    """When a node dies its volunteers and visitors lose those connections: whoever had no
    other connection starts the ordinary grace period, and a live node is never reaped."""
    one, two, leader = kit.nodes
    await one.join("n1", 0.2)
    await two.join("n2", 5.0)
    await on_duty(one, volunteer("ann"), node="n1")
    await on_duty(one, volunteer("bob"), node="n1")
    await two.connect(volunteer("bob"), "n2", NOW)
    await one.enqueue(visitor("c1"), "n1", NOW, 10)
    await one.enqueue(visitor("c2"), "n1", NOW, 10)
    await two.visitor_connected("c2", "n2")
    assert await refusal(leader.reap("n1", NOW + 1)) is Refusal.NODE_ALIVE
    await kit.lapse(0.3)
    assert await leader.dead_nodes() == ["n1"]
    reaped = await leader.reap("n1", NOW + 1)
    assert (reaped.operators, reaped.visitors) == (("ann",), ("c1",))
    ann, bob = await leader.presence("ann"), await leader.presence("bob")
    assert ann is not None and ann.connections == 0 and ann.disconnected_at == NOW + 1
    assert bob is not None and bob.connections == 1 and bob.disconnected_at is None
    c1, c2 = await leader.conversation("c1"), await leader.conversation("c2")
    assert c1 is not None and c1.visitor_gone_since == NOW + 1
    assert c2 is not None and c2.visitor_connections == 1
    assert await leader.dead_nodes() == []
    again = await leader.reap("n1", NOW + 2)
    assert (again.operators, again.visitors) == ((), ())
    assert await refusal(one.disconnect("ann", "n1", NOW)) is Refusal.OFFLINE


async def test_a_reaped_volunteer_is_not_routed_to(kit: FloorKit) -> None:
    """A volunteer whose node died gets no new visitors: the claim hears ``offline``."""
    one, _, leader = kit.nodes
    await one.join("n1", 0.1)
    await on_duty(one, volunteer("ann"), node="n1")
    await arrive(leader, visitor("c1"))
    await kit.lapse(0.2)
    await leader.reap("n1", NOW)
    assert await refusal(leader.claim("c1", "ann", NOW)) is Refusal.OFFLINE
