"""Backup colleagues (achterwacht), whispers, takeover, risk flags and care after a heavy chat."""

from __future__ import annotations

from tests.e2e.conftest import Env


async def test_backup_joins_whispers_and_the_visitor_never_sees_it(env: Env) -> None:
    """The backup reads along, whispers to the volunteer, and the visitor never gets a whisper."""
    anna = await env.operator("anna")
    backup = await env.operator("bea", status="paused", alias="Bea", backup=True)
    visitor, started = await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    await visitor.call("message", {"text": "ik wil niet meer"})

    assert (
        await anna.call(
            "backup_request", {"conversation_id": conversation, "reason": "suïcidale gedachten"}
        )
    )["ok"]
    alert = await backup.next("backup_requested")
    assert alert["conversation_id"] == conversation and alert["reason"] == "suïcidale gedachten"
    joined = await backup.call("backup_join", {"conversation_id": conversation})
    assert joined["ok"]
    assert any(m["text"] == "ik wil niet meer" for m in joined["conversation"]["messages"])
    observed = await anna.next("observed")
    assert observed == {
        "conversation_id": conversation,
        "by": "Bea",
        "kind": "backup",
        "active": True,
    }

    whisper = await backup.call(
        "whisper", {"conversation_id": conversation, "text": "vraag naar een plan"}
    )
    assert whisper["ok"]
    heard = await anna.until("message", lambda m: m["role"] == "whisper")
    assert heard["text"] == "vraag naar een plan" and heard["author"] == "Bea"
    await anna.call("whisper", {"conversation_id": conversation, "text": "dank je"})
    await anna.call("message", {"conversation_id": conversation, "text": "Heb je een plan?"})
    assert (await backup.until("message", lambda m: m["role"] == "operator"))["text"] == (
        "Heb je een plan?"
    )
    await visitor.call("message", {"text": "ja"})
    assert (await backup.until("message", lambda m: m["role"] == "visitor"))["text"] == "ja"

    await visitor.settle()
    everything = str(visitor.pending("message")) + str(visitor.pending("typing"))
    assert "plan?" in everything
    assert "vraag naar een plan" not in everything and "dank je" not in everything
    assert visitor.pending("observed") == [] and "Bea" not in everything

    # a reload replays the transcript: still no whisper
    again = await env.visitor(token=started["token"])
    await again.next("assigned")
    replay = str(again.pending("message"))
    assert "Heb je een plan?" in replay and "vraag naar een plan" not in replay


async def test_takeover_by_the_backup(env: Env) -> None:
    """The backup takes over: it holds the chat, the first volunteer is released."""
    anna = await env.operator("anna")
    backup = await env.operator("bea", status="paused", alias="Bea", backup=True)
    visitor, _ = await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    await anna.call("backup_request", {"conversation_id": conversation})
    await backup.call("backup_join", {"conversation_id": conversation})
    assert (await backup.call("takeover", {"conversation_id": conversation}))["ok"]
    assert (await anna.next("released"))["reason"] == "taken_over"
    assert (await backup.next("assigned"))["conversation"]["id"] == conversation
    assert await visitor.until("assigned", lambda a: a["operator"] == "Bea")
    assert (await backup.call("message", {"conversation_id": conversation, "text": "Ik ben Bea"}))[
        "ok"
    ]
    refused = await anna.call("message", {"conversation_id": conversation, "text": "hallo?"})
    assert refused["error"]["code"] == "forbidden"


async def test_unanswered_backup_request_escalates_to_supervisors(env: Env) -> None:
    """Nobody joins within 30 seconds: the supervisors are alerted."""
    anna = await env.operator("anna")
    boss = await env.operator("sara", status="paused", role="supervisor")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    await anna.call("backup_request", {"conversation_id": conversation, "reason": "agressie"})
    first = await boss.next("backup_requested")
    assert first["escalated"] is False
    await env.advance(29)
    await boss.settle()
    assert boss.pending("backup_requested") == []
    await env.advance(2)
    escalated = await boss.next("backup_requested")
    assert escalated["escalated"] is True and escalated["conversation_id"] == conversation


async def test_acute_flag_alerts_supervisor_and_shows_procedure(env: Env) -> None:
    """Acute risk: supervisors are alerted at once, the volunteer sees the emergency procedure."""
    anna = await env.operator("anna")
    boss = await env.operator("sara", status="paused", role="supervisor")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    assert (await anna.call("flag", {"conversation_id": conversation, "risk": "high"}))[
        "risk"
    ] == "high"
    assert (await anna.call("flag", {"conversation_id": conversation, "risk": "low"}))[
        "risk"
    ] == "high"
    await boss.settle()
    assert boss.pending("risk_alert") == []
    assert (await anna.call("flag", {"conversation_id": conversation, "risk": "acute"}))["ok"]
    alert = await boss.next("risk_alert")
    assert alert["conversation_id"] == conversation and alert["risk"] == "acute"
    procedure = await anna.next("emergency_procedure")
    assert "112" in procedure["text"]

    # care for the volunteer: after an acute chat, a debrief pause
    await anna.call(
        "end",
        {
            "conversation_id": conversation,
            "wrapup": {"topics": ["suicidal_thoughts"], "risk": "acute"},
        },
    )
    status = await anna.until("status", lambda s: s["reason"] == "debrief")
    assert status["state"] == "paused"
    waiting, _ = await env.start()
    assert (await waiting.next("queue"))["position"] == 1
    await waiting.settle()
    assert waiting.pending("assigned") == []


async def test_first_message_with_keyword_moves_visitor_up(env: Env) -> None:
    """Triage: a waiting visitor who writes about suicide first is helped first."""
    first, _ = await env.start()
    second, _ = await env.start()
    assert (await second.next("queue"))["position"] == 2
    await second.call("message", {"text": "Ik denk aan zelfmoord"})
    assert (await second.next("queue"))["position"] == 1
    assert await first.until("queue", lambda q: q["position"] == 2)
    await first.call("message", {"text": "hallo"})
    await first.call("message", {"text": "zelfmoord"})  # only the first message counts
    anna = await env.operator("anna")
    taken = (await anna.next("assigned"))["conversation"]
    assert taken["priority"] == 5 and taken["messages"][0]["text"] == "Ik denk aan zelfmoord"


async def test_joining_as_backup_answers_alike_for_unknown_and_not_yours(env: Env) -> None:
    """A conversation id learned by accident reveals nothing: joining as backup where nobody
    asked for it (or as a colleague who may not back up) answers exactly like joining a
    conversation that does not exist, code and message; the volunteer hears of neither."""
    anna = await env.operator("anna")
    bea = await env.operator("bea", status="paused", backup=True)
    carl = await env.operator("carl", status="paused")
    await env.start()
    real = (await anna.next("assigned"))["conversation"]["id"]
    made_up = real[:-4] + ("0000" if not real.endswith("0000") else "1111")

    for colleague in (bea, carl):
        unknown = await colleague.call("backup_join", {"conversation_id": made_up})
        not_yours = await colleague.call("backup_join", {"conversation_id": real})
        assert unknown == {
            "ok": False,
            "error": {"code": "forbidden", "message": "You are not allowed to do that."},
        }
        assert not_yours == unknown

    # once asked, the backup colleague may join; the other colleague still may not
    await anna.call("backup_request", {"conversation_id": real, "reason": ""})
    assert (await carl.call("backup_join", {"conversation_id": real})) == unknown
    assert (await bea.call("backup_join", {"conversation_id": real}))["ok"]
    await anna.settle()
    assert [o["by"] for o in anna.pending("observed")] == ["bea"]


async def test_readers_along_learn_a_raised_risk_at_once(env: Env) -> None:
    """A backup and an observing supervisor see "high" the moment the volunteer flags it (and
    the volunteer sees what the backup flags): nobody works from a stale risk level. A flag
    that changes nothing tells nobody; the visitor never hears of it."""
    anna = await env.operator("anna", alias="Anna")
    bea = await env.operator("bea", status="paused", alias="Bea", backup=True)
    sara = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
    visitor, _ = await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    said = {"conversation_id": conversation}
    assert (await anna.call("backup_request", said))["ok"]
    assert (await bea.call("backup_join", said))["ok"]
    assert (await sara.call("observe", said))["ok"]
    outsider = await env.operator("olga", status="paused", alias="Olga")

    assert (await anna.call("flag", {**said, "risk": "high"}))["risk"] == "high"
    expected = {"conversation_id": conversation, "risk": "high", "by": "Anna"}
    assert await bea.next("risk_changed") == expected
    assert await sara.next("risk_changed") == expected
    assert await anna.next("risk_changed") == expected

    assert (await bea.call("flag", {**said, "risk": "acute"}))["risk"] == "acute"
    assert await anna.next("risk_changed") == {**expected, "risk": "acute", "by": "Bea"}
    assert (await sara.next("risk_changed"))["risk"] == "acute"

    assert (await anna.call("flag", {**said, "risk": "low"}))["risk"] == "acute"  # never lower
    for peer in (anna, bea, sara, outsider, visitor):
        await peer.settle()
    assert [p.pending("risk_changed") for p in (anna, bea, sara, outsider, visitor)] == [
        [],
        [{**expected, "risk": "acute", "by": "Bea"}],
        [],
        [],
        [],
    ]


async def test_a_colleague_who_comes_on_duty_later_still_hears_the_call(env: Env) -> None:
    """A call for backup nobody has answered reaches a backup colleague who connects after it
    was made (or reloads the console), and an escalated one a supervisor who connects later;
    the volunteer who asked is not alerted about their own call, and once answered the call
    is not told to anyone who connects afterwards."""
    anna = await env.operator("anna")
    await env.start()
    conversation = (await anna.next("assigned"))["conversation"]["id"]
    assert (await anna.call("backup_request", {"conversation_id": conversation}))["ok"]

    bea = await env.operator("bea", status="paused", alias="Bea", backup=True)
    alert = await bea.next("backup_requested")
    assert alert["conversation_id"] == conversation and alert["operator"] == "anna"
    assert alert["escalated"] is False

    await env.advance(env.server.hub.settings.routing.backup_timeout_seconds)
    sara = await env.operator("sara", role="supervisor", status="paused")
    late = await sara.next("backup_requested")
    assert late["conversation_id"] == conversation and late["escalated"] is True
    await anna.settle()
    assert anna.pending("backup_requested") == []

    assert (await bea.call("backup_join", {"conversation_id": conversation}))["ok"]
    carl = await env.operator("carl", status="paused", alias="Carl", backup=True)
    await carl.settle()
    assert carl.pending("backup_requested") == []
