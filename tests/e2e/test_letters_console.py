"""Letters from the volunteers' and supervisors' side, over real /operator sockets: the list
on their lines (live through `letters_changed`), reading, answering, handing over; another
line's volunteer neither sees nor opens a thread; the supervisors' overview and closing a link.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.errors import LinkUnknown
from chatserver.hub.followup.model import Appointment
from chatserver.hub.model import Role
from tests.e2e.conftest import running
from tests.e2e.letters_settings import ANSWER_WITHIN_HOURS, with_letters
from tests.floors import FloorKind

HOUR = 3600.0


@pytest.mark.asyncio
async def test_a_letter_is_listed_read_answered_and_handed_over_on_its_line_only(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    async with running(tmp_path, with_letters(), floor=floor_kind) as env:
        anna = await env.operator("anna", status="paused", alias="Anna", lines=("chat",))
        ben = await env.operator("ben", status="paused", alias="Ben", lines=("chat",))
        eva = await env.operator("eva", status="paused", alias="Eva", lines=("evening",))
        space, key, thread = await env.server.followup.letters.write_first(
            "chat", "nl", "Ik kan niet <b>slapen</b>", True
        )
        assert await anna.next("letters_changed") == {"line": "chat"}

        listed = await anna.call("letters")
        assert listed["ok"] and listed["mine"] == []
        [item] = listed["queue"]
        assert item["id"] == thread.id and item["owner"] is None and not item["overdue"]
        assert item["link_open"] and "slapen" not in str(listed)  # no text in a list

        # another line's volunteer: nothing listed, nothing opened, nothing answered
        assert (await eva.call("letters"))["queue"] == []
        assert eva.pending("letters_changed") == []
        for event, body in (
            ("letter_open", {"thread_id": thread.id}),
            ("letter_take", {"thread_id": thread.id}),
            ("letter_answer", {"thread_id": thread.id, "text": "hoi"}),
        ):
            refused = await eva.call(event, body)
            assert refused["error"]["code"] == "forbidden", (event, refused)
        assert len(await env.server.followup.letters.store.letters(thread.id)) == 1

        opened = await anna.call("letter_open", {"thread_id": thread.id})
        [first] = opened["letters"]
        assert first["role"] == "visitor" and "&lt;b&gt;" in first["html"]  # escaped, once
        answered = await anna.call("letter_answer", {"thread_id": thread.id, "text": "Vertel"})
        assert answered["ok"] and answered["letter"]["author_alias"] == "Anna"
        stored = await env.server.followup.letters.store.letters(thread.id)
        assert [(x.role, x.text) for x in stored][-1] == (Role.OPERATOR, "Vertel")

        handed = await anna.call(
            "letter_handover", {"thread_id": thread.id, "to": ben.operator_id, "note": "Lief"}
        )
        assert handed["ok"], handed
        [mine] = (await ben.call("letters"))["mine"]
        assert mine["id"] == thread.id and mine["owned_by_me"] and mine["note"] == "Lief"
        assert (await anna.call("letters"))["mine"] == []
        view = await env.server.followup.spaces.view(await env.server.followup.spaces.find(key))
        assert view.space.id == space.id


@pytest.mark.asyncio
async def test_bad_letter_payloads_are_refused_and_change_nothing(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    async with running(tmp_path, with_letters(), floor=floor_kind) as env:
        anna = await env.operator("anna", status="paused")
        _, _, thread = await env.server.followup.letters.write_first("chat", "nl", "hoi", True)
        for event, body in (
            ("letter_open", {}),
            ("letter_open", {"thread_id": 7}),
            ("letter_answer", {"thread_id": thread.id}),
            ("letter_answer", {"thread_id": thread.id, "text": "   "}),
            ("letter_handover", {"thread_id": thread.id, "to": None}),
            ("letter_handover", {"thread_id": thread.id, "to": "nobody"}),
            ("letters", "not an object"),
        ):
            refused = await anna.call(event, body)
            assert refused["ok"] is False, (event, refused)
            assert refused["error"]["code"] in ("invalid_payload", "unknown_account"), refused
        assert len(await env.server.followup.letters.store.letters(thread.id)) == 1
        stored = await env.server.followup.letters.store.thread(thread.id)
        assert stored is not None and stored.owner is None


@pytest.mark.asyncio
async def test_the_supervisor_sees_waiting_and_overdue_letters_and_closes_a_link(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    async with running(tmp_path, with_letters(), floor=floor_kind) as env:
        followup = env.server.followup
        _, key, thread = await followup.letters.write_first("chat", "nl", "eerste", True)
        env.clock.advance((ANSWER_WITHIN_HOURS + 1) * HOUR)  # past the line's promise
        await followup.letters.write_first("evening", "nl", "tweede", True)
        sara = await env.operator("sara", status="paused", role="supervisor", alias="Sara")
        anna = await env.operator("anna", status="paused", alias="Anna")

        overview = await sara.call("followup_overview")
        assert overview["ok"], overview
        counts = {x["id"]: (x["waiting"], x["overdue"]) for x in overview["lines"]}
        assert counts == {"chat": (1, 1), "evening": (1, 0)}
        assert overview["letters"][0]["id"] == thread.id  # the longest waiting first
        assert overview["appointments"] == []

        assert (await anna.call("followup_overview"))["error"]["code"] == "forbidden"
        refused = await anna.call("link_revoke", {"thread_id": thread.id})
        assert refused["error"]["code"] == "forbidden"
        await followup.spaces.find(key)  # still opens

        assert (await sara.call("link_revoke", {"thread_id": thread.id})) == {
            "ok": True,
            "revoked": True,
        }
        with pytest.raises(LinkUnknown):
            await followup.spaces.find(key)
        again = await sara.call("followup_overview")
        assert [x["link_open"] for x in again["letters"] if x["id"] == thread.id] == [False]
        audit = await env.hub.store.audit_entries(0, env.clock.now())
        assert any(e.action == "link_revoked" and e.actor == sara.operator_id for e in audit)


@pytest.mark.asyncio
async def test_the_overview_lists_todays_agreed_chats_and_closes_their_link(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    """Today's appointments are those of the line's own day (Amsterdam): yesterday's and
    tomorrow's are left out; closing the link behind one cancels it and opens nothing."""
    async with running(tmp_path, with_letters(), floor=floor_kind) as env:
        followup = env.server.followup
        space, key = await followup.spaces.create("chat", "nl")
        anna = await env.account("anna", alias="Anna")
        now = env.clock.now()  # Wednesday 20:00 in Amsterdam
        times = {"late": now + 3 * HOUR, "tomorrow": now + 4.5 * HOUR, "before": now - 21 * HOUR}
        for name, at in times.items():
            await followup.letters.store.save_appointment(
                Appointment(name, space.id, "chat", "nl", anna, at, "", "c1", now)
            )
        sara = await env.operator("sara", status="paused", role="supervisor", alias="Sara")

        overview = await sara.call("followup_overview")
        [today] = overview["appointments"]
        assert today["id"] == "late" and today["operator"] == "Anna"
        assert today["state"] == "booked" and today["link_open"]

        assert await sara.call("link_revoke", {"appointment_id": "late"}) == {
            "ok": True,
            "revoked": True,
        }
        [closed] = (await sara.call("followup_overview"))["appointments"]
        assert closed["state"] == "cancelled" and not closed["link_open"]
        with pytest.raises(LinkUnknown):
            await followup.spaces.find(key)
        assert (await sara.call("link_revoke", {"appointment_id": "late"}))["revoked"] is False
        for body in ({}, {"thread_id": "x", "appointment_id": "late"}, {"appointment_id": 3}):
            refused = await sara.call("link_revoke", body)
            assert refused["error"]["code"] == "invalid_payload", (body, refused)
        unknown = await sara.call("link_revoke", {"appointment_id": "nope"})
        assert unknown["error"]["code"] == "forbidden"


@pytest.mark.asyncio
async def test_a_letter_can_go_to_a_colleague_who_is_not_online_now(
    tmp_path: Path, floor_kind: FloorKind
) -> None:
    """A letter waits for hours: the hand-over list has every active colleague of its line,
    online or not (said so), never another line's or a deactivated one, nor oneself; and a
    colleague who is off duty finds it under their letters when they come on."""
    async with running(tmp_path, with_letters(), floor=floor_kind) as env:
        anna = await env.operator("anna", status="paused", alias="Anna", lines=("chat",))
        await env.operator("ben", status="paused", alias="Ben", lines=("chat",))
        await env.account("carla", alias="Carla", lines=("chat",))  # works tomorrow
        await env.account("eva", alias="Eva", lines=("evening",))
        gone = await env.account("dirk", alias="Dirk", lines=("chat",))
        dirk = await env.hub.store.account(gone)
        assert dirk is not None
        dirk.active = False
        await env.hub.store.update_account(dirk)
        _, _, thread = await env.server.followup.letters.write_first("chat", "nl", "Hoi", True)

        listed = await anna.call("letter_colleagues", {"thread_id": thread.id})
        assert [(c["alias"], c["online"]) for c in listed["colleagues"]] == [
            ("Ben", True),
            ("Carla", False),
        ]
        carla = next(c["id"] for c in listed["colleagues"] if c["alias"] == "Carla")
        handed = await anna.call(
            "letter_handover", {"thread_id": thread.id, "to": carla, "note": "Voor morgen"}
        )
        assert handed["ok"], handed
        tomorrow = await env.operator("carla", status="paused", alias="Carla", lines=("chat",))
        [mine] = (await tomorrow.call("letters"))["mine"]
        assert mine["id"] == thread.id and mine["note"] == "Voor morgen"

        eva = await env.operator("eva", status="paused", alias="Eva", lines=("evening",))
        refused = await eva.call("letter_colleagues", {"thread_id": thread.id})
        assert refused["error"]["code"] == "forbidden"
