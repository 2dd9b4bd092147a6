"""A place in the queue names the stay it belongs to, so a late one cannot undo 'assigned'.

With several nodes, the node a visitor is connected to may send a place it read a moment
before another node gave the visitor to a volunteer; the widget would then show the queue
over the running chat. Every ``queue`` event says when the visitor's current stay in the
queue began (``entered``), and ``assigned`` says which stay it ended: the widget ignores a
place from a stay that is over. A hand-back to the queue starts a new, later stay.
"""

from __future__ import annotations

from tests.e2e.conftest import Env


async def test_assigned_names_the_stay_it_ended_and_a_hand_back_starts_a_later_one(
    env: Env,
) -> None:
    visitor, _ = await env.start()
    stay = await visitor.next("queue")
    env.clock.advance(30)
    volunteer = await env.operator("anna", alias="Anna")
    assigned = await visitor.next("assigned")
    assert assigned == {"operator": "Anna", "entered": stay["entered"]}
    conversation = (await volunteer.next("assigned"))["conversation"]["id"]
    env.clock.advance(60)
    await volunteer.call("status", {"state": "paused"})  # or she would take the visitor again
    await volunteer.call("handover", {"conversation_id": conversation, "to": "queue", "note": ""})
    again = await visitor.next("queue")
    assert again["entered"] > stay["entered"]  # a new stay: the widget shows the queue again
