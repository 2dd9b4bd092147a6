"""Letters and the visitor's space over HTTP: write when the chat cannot help, read the answer
behind the link, write back, replace the link, forget everything; every dead link answers the
same, and guessing links or flooding letters is slowed per source, never per visitor."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from chatserver.privacy.hourly_limit import HOUR
from chatserver.privacy.letter_limit import LetterLimit
from tests.e2e.conftest import Env, running
from tests.web.letters import (
    OTHER,
    PROMISE_HOURS,
    VISITOR,
    answer_thread,
    first_letter,
    letters_server,
    letters_settings,
    post,
)

WRONG_KEY = "A" * 43


async def test_a_letter_is_answered_and_read_behind_the_link(tmp_path: Path) -> None:
    """The visitor writes, gets a key once and the line's promise; a volunteer answers; the
    link shows both letters with the volunteer's alias (never an account id), the line's
    self-help and emergency numbers."""
    async with letters_server(tmp_path) as env:
        written = await first_letter(env, "Ik slaap slecht <b>al weken</b>")
        key, space = written["key"], written["space"]
        assert written["ok"] is True and len(key) == 43
        [thread] = space["threads"]
        assert thread["state"] == "waiting" and thread["due_at"].endswith("Z")
        assert space["line"]["answer_within_hours"] == PROMISE_HOURS
        assert "&lt;b&gt;" in thread["letters"][0]["html"]  # sanitized: no markup of the visitor

        await answer_thread(env, thread["id"], "Wat naar. Vertel eens?")
        opened = await post(env, "/api/space", {"key": key})
        assert opened.status == 200 and opened.headers["Cache-Control"] == "no-store"
        seen = opened.json()["space"]
        [thread] = seen["threads"]
        assert thread["state"] == "answered" and thread["due_at"] is None
        assert [(x["role"], x.get("author_alias")) for x in thread["letters"]] == [
            ("visitor", None),
            ("operator", "Anna"),
        ]
        assert "Wat naar. Vertel eens?" in thread["letters"][1]["html"]
        account = await env.hub.store.account_by_username("anna")
        assert account is not None and account.id not in opened.body.decode()
        assert seen["line"]["name"] == "Chat met ons"
        assert seen["line"]["emergency"] == [{"label": "112", "phone": "112"}]
        assert seen["line"]["self_help"][0]["title"] == "Slecht slapen"
        english = (await post(env, "/api/space", {"key": key, "lang": "en"})).json()["space"]
        assert english["line"]["self_help"][0]["title"] == "Sleeping badly"


async def test_writing_back_a_new_letter_and_a_new_link(tmp_path: Path) -> None:
    """The visitor writes back in the thread and starts a second one; a replaced link dies at
    once and the new one opens the same letters."""
    async with letters_server(tmp_path) as env:
        written = await first_letter(env)
        key, thread_id = written["key"], written["space"]["threads"][0]["id"]
        await answer_thread(env, thread_id, "Hoe gaat het nu?")
        back = await post(
            env, "/api/space/letters", {"key": key, "text": "Iets beter", "thread_id": thread_id}
        )
        assert back.status == 201 and back.json()["thread_id"] == thread_id
        assert back.json()["space"]["threads"][0]["state"] == "waiting"
        new = await post(env, "/api/space/letters", {"key": key, "text": "Nog iets anders"})
        assert new.status == 201 and len(new.json()["space"]["threads"]) == 2

        replaced = await post(env, "/api/space/key", {"key": key})
        new_key = replaced.json()["key"]
        assert replaced.status == 200 and new_key != key
        assert (await post(env, "/api/space", {"key": key})).status == 404
        threads = (await post(env, "/api/space", {"key": new_key})).json()["space"]["threads"]
        assert [len(t["letters"]) for t in threads] == [3, 1]


async def test_refusals_change_nothing(tmp_path: Path) -> None:
    """A line without letters, no consent, an empty or foreign thread: a clear code each, and
    no space is made."""
    async with running(tmp_path) as plain:
        refused = await post(
            plain, "/api/letters", {"line": "chat", "text": "hoi", "consent": True}
        )
        assert refused.status == 403
        assert refused.json()["error"]["code"] == "follow_up_unavailable"
        lines = await post_get(plain, "/api/lines/chat")
        assert lines["letters"] is False and lines["answer_within_hours"] is None
    async with letters_server(tmp_path / "letters") as env:
        assert (await post_get(env, "/api/lines/chat"))["letters"] is True
        cases = [
            ({"line": "chat", "text": "hoi"}, "consent_required"),
            ({"line": "chat", "text": "  ", "consent": True}, "invalid_payload"),
            ({"line": "nope", "text": "hoi", "consent": True}, "unknown_line"),
            ({"text": "hoi", "consent": True}, "invalid_payload"),
            (["not", "an", "object"], "invalid_payload"),
        ]
        for body, code in cases:
            answer = await post(env, "/api/letters", body)
            assert answer.json()["error"]["code"] == code, body
        assert await env.server.followup.spaces.store.idle_spaces(env.clock.now() + 1) == []
        mine = await first_letter(env)
        theirs = await first_letter(env, source=OTHER)
        foreign = theirs["space"]["threads"][0]["id"]
        answer = await post(
            env, "/api/space/letters", {"key": mine["key"], "text": "x", "thread_id": foreign}
        )
        assert answer.json()["error"]["code"] == "invalid_payload"


async def post_get(env: Env, path: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(f"{env.url}{path}") as response:
        body: dict[str, object] = await response.json()
        return body


async def test_dead_links_answer_byte_for_byte_alike(tmp_path: Path) -> None:
    """Wrong, replaced, forgotten and purged links: the same status, headers that matter and
    body, so nobody can tell a link that never was from one that was."""
    async with letters_server(tmp_path) as env:
        replaced = (await first_letter(env))["key"]
        await post(env, "/api/space/key", {"key": replaced})
        forgotten = (await first_letter(env))["key"]
        assert (await post(env, "/api/space/forget", {"key": forgotten})).json()["ok"]
        purged = (await first_letter(env))["key"]
        answers = []
        for n, key in enumerate((WRONG_KEY, replaced, forgotten)):
            source = f"192.0.2.{n + 1}"  # each its own source: no guard in the way
            answers.append(await post(env, "/api/space", {"key": key}, source))
        days = env.hub.settings.retention_for("chat").transcripts_days
        await env.advance(days * 86400 + 3600)
        # the purge ran: nothing idle is left
        assert await env.server.followup.spaces.store.idle_spaces(env.clock.now()) == []
        answers.append(await post(env, "/api/space", {"key": purged}, "192.0.2.4"))
        assert {a.status for a in answers} == {404}
        assert len({a.body for a in answers}) == 1
        assert json.loads(answers[0].body)["error"]["code"] == "link_unknown"
        for path in ("/api/space/letters", "/api/space/key", "/api/space/forget"):
            answer = await post(env, path, {"key": purged, "text": "hoi"}, "192.0.2.9")
            assert answer.status == 404 and answer.body == answers[0].body


async def test_guessing_links_is_slowed_per_source(tmp_path: Path) -> None:
    """After the allowed wrong links in an hour, a source is refused even with a right link
    (with when to try again); another source is not affected; the next hour starts afresh."""
    async with letters_server(tmp_path) as env:
        key = (await first_letter(env))["key"]
        allowed = env.hub.settings.follow_up.wrong_links_per_hour
        for _ in range(allowed):
            assert (await post(env, "/api/space", {"key": WRONG_KEY}, OTHER)).status == 404
        refused = await post(env, "/api/space", {"key": key}, OTHER)
        assert refused.status == 429 and refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        assert (await post(env, "/api/space/forget", {"key": key}, OTHER)).status == 429
        assert (await post(env, "/api/space", {"key": key}, VISITOR)).status == 200
        await env.advance(HOUR)
        assert (await post(env, "/api/space", {"key": key}, OTHER)).status == 200


async def test_letter_writing_is_limited_per_source(tmp_path: Path) -> None:
    """A script cannot fill the letter queue: past the hour's letters one source is refused
    kindly (nothing kept), another source writes as usual."""
    async with letters_server(tmp_path) as env:
        first = await first_letter(env, source=OTHER)
        for _ in range(LetterLimit.PER_HOUR - 1):
            await first_letter(env, source=OTHER)
        body = {"line": "chat", "lang": "nl", "text": "spam", "consent": True}
        refused = await post(env, "/api/letters", body, OTHER)
        assert refused.status == 429 and "Retry-After" in refused.headers
        back = await post(env, "/api/space/letters", {"key": first["key"], "text": "x"}, OTHER)
        assert back.status == 429
        assert (await post(env, "/api/letters", body, VISITOR)).status == 201


async def test_another_sites_page_cannot_write_or_open(tmp_path: Path) -> None:
    """A page of another site cannot post a letter or open a space in the visitor's name."""
    async with letters_server(tmp_path) as env, aiohttp.ClientSession() as http:
        body = {"line": "chat", "lang": "nl", "text": "hoi", "consent": True}
        async with http.post(
            f"{env.url}/api/letters", json=body, headers={"Sec-Fetch-Site": "cross-site"}
        ) as response:
            assert response.status == 403
        assert await env.server.followup.spaces.store.idle_spaces(env.clock.now() + 1) == []


def test_letters_settings_take_letters_everywhere() -> None:
    assert all(line.follow_up.letters for line in letters_settings().lines)
