"""The visitor's side of letters and their own space behind a link, over HTTP (JSON).

Thin views over the follow-up services (``hub/followup/``). The link's secret never travels
in a URL the server receives: the space page keeps it in the fragment and sends it in the
JSON body, so no access log, proxy log or browser history on the server's side can hold it.

Every route that takes a key asks the link guard first (``privacy/link_guard.py``): a source
past its wrong links is refused, whatever the link. A link that opens nothing is counted as
wrong and answered with the one ``link_unknown``, byte for byte the same whether it was
mistyped, replaced, revoked, forgotten or purged. Letters are counted per source
(``privacy/letter_limit.py``). Errors go through the one error middleware (``error_pages.py``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver.clock import iso
from chatserver.errors import InvalidPayload
from chatserver.hub.followup.model import Letter, LetterThread, Space
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.followup.spaces import SpaceView
from chatserver.hub.model import Message
from chatserver.i18n import localized
from chatserver.realtime import wire
from chatserver.settings import LineSettings
from chatserver.web.json_body import json_body
from chatserver.web.keys import FOLLOW_UP, LETTER_LIMIT, LINK_GUARD
from chatserver.web.sources import client_source

LANGS = ("nl", "en")
# what a space shows is the visitor's alone: no cache on the way may keep a copy
NO_STORE = {"Cache-Control": "no-store"}


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidPayload("Send a JSON object.")
    return body


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidPayload(f"{name} must be text.", field=name)
    return value


def _lang(body: dict[str, Any], fallback: str) -> str:
    lang = body.get("lang")
    return lang if isinstance(lang, str) and lang in LANGS else fallback


async def opened_space(request: web.Request) -> tuple[Space, dict[str, Any]]:
    """The space the body's key opens, and the body: what every key'd route starts with.
    The guard first: a source past its wrong links is refused even with a right one; a link
    that opens nothing counts against its source."""
    body = await _body(request)
    spaces = request.app[FOLLOW_UP].spaces
    guard = request.app[LINK_GUARD]
    space = await guard.opening(client_source(request), lambda: spaces.find(body.get("key")))
    return space, body


# ---------------------------------------------------------------------------------- shapes
def _letter(letter: Letter) -> dict[str, Any]:
    body: dict[str, Any] = {"role": letter.role.value, "html": letter.html, "at": iso(letter.at)}
    if letter.author_alias:  # the volunteer's alias as it was; never the account id
        body["author_alias"] = letter.author_alias
    return body


def _thread(thread: LetterThread, letters: list[Letter]) -> dict[str, Any]:
    return {
        "id": thread.id,
        "state": "waiting" if thread.waiting_since is not None else "answered",
        "due_at": iso(thread.due_at) if thread.due_at is not None else None,
        "created_at": iso(thread.created_at),
        "letters": [_letter(x) for x in letters],
    }


def _message(message: Message) -> dict[str, Any]:
    body = wire.visitor_message(message)
    return {k: body[k] for k in ("role", "html", "at", "author") if k in body}


def line_json(line: LineSettings, lang: str) -> dict[str, Any]:
    """What the space shows of its line: name, promise, numbers and self-help texts."""
    follow_up = line.follow_up
    return {
        "id": line.id,
        "name": localized(line.name, lang),
        "languages": list(line.languages),
        "letters": follow_up.letters,
        "answer_within_hours": follow_up.answer_within_hours if follow_up.letters else None,
        "appointments": follow_up.appointments,
        "emergency": [wire.contact(c, lang) for c in line.emergency],
        "self_help": [
            {
                "title": localized(item.title, lang),
                "text": localized(item.text, lang),
                "url": item.url,
            }
            for item in line.self_help
        ],
        "exit_url": line.exit_url,
    }


async def space_json(followup: FollowUp, view: SpaceView, lang: str) -> dict[str, Any]:
    """Everything behind the link, for the visitor: no account ids, no other space."""
    line = followup.spaces.line(view.space.line)
    appointments = []
    for appointment in view.appointments:
        account = await followup.spaces.store.account(appointment.operator_id)
        opens, closes = followup.appointments.window(appointment)
        appointments.append(
            {
                "id": appointment.id,
                "at": iso(appointment.at),
                "state": appointment.state.value,
                "volunteer": account.alias if account is not None else None,
                # when the link opens the agreed chat: the page offers "Start the chat" then
                "opens_at": iso(opens),
                "closes_at": iso(closes),
            }
        )
    return {
        "lang": view.space.lang,
        "line": line_json(line, lang),
        "threads": [_thread(thread, letters) for thread, letters in view.threads],
        "appointments": appointments,
        "transcripts": [
            {"started_at": iso(messages[0].at), "messages": [_message(m) for m in messages]}
            for _conversation, messages in view.transcripts
        ],
    }


async def _space_answer(
    request: web.Request, space: Space, lang: str, status: int = 200, **extra: Any
) -> web.Response:
    followup = request.app[FOLLOW_UP]
    view = await followup.spaces.view(space)
    body = {"ok": True, **extra, "space": await space_json(followup, view, lang)}
    return web.json_response(body, status=status, headers=NO_STORE)


# ---------------------------------------------------------------------------------- views
async def write_letter(request: web.Request) -> web.Response:
    """``POST /api/letters``: a first letter, and with it the space and its key (once)."""
    body = await _body(request)
    line_id, text = _optional_str(body, "line"), _optional_str(body, "text")
    if line_id is None:
        raise InvalidPayload("Say which line the letter is for.", field="line")
    source = client_source(request)
    limit = request.app[LETTER_LIMIT]
    await limit.check(source)
    followup = request.app[FOLLOW_UP]
    lang = _lang(body, "nl")
    space, key, _thread = await followup.letters.write_first(
        line_id, lang, text or "", body.get("consent") is True
    )
    await limit.written(source)
    return await _space_answer(request, space, _lang(body, space.lang), 201, key=key)


async def open_space(request: web.Request) -> web.Response:
    """``POST /api/space``: what the link opens; a visit keeps the space alive."""
    opened, body = await opened_space(request)
    followup = request.app[FOLLOW_UP]
    space = await followup.spaces.touch(opened)
    return await _space_answer(request, space, _lang(body, space.lang))


async def write_in_space(request: web.Request) -> web.Response:
    """``POST /api/space/letters``: write back in a thread, or a new letter."""
    space, body = await opened_space(request)
    text, thread_id = _optional_str(body, "text"), _optional_str(body, "thread_id")
    source = client_source(request)
    limit = request.app[LETTER_LIMIT]
    await limit.check(source)
    thread = await request.app[FOLLOW_UP].letters.write(space, text or "", thread_id)
    await limit.written(source)
    return await _space_answer(request, space, _lang(body, space.lang), 201, thread_id=thread.id)


async def replace_key(request: web.Request) -> web.Response:
    """``POST /api/space/key``: a new link; the old one opens nothing from now on."""
    space, _ = await opened_space(request)
    key = await request.app[FOLLOW_UP].spaces.replace_key(space)
    return web.json_response({"ok": True, "key": key}, headers=NO_STORE)


async def forget_space(request: web.Request) -> web.Response:
    """``POST /api/space/forget``: "forget me", everything behind the link erased now."""
    space, _ = await opened_space(request)
    erased = await request.app[FOLLOW_UP].spaces.forget(space)
    return web.json_response({"ok": True, "erased": erased}, headers=NO_STORE)


def add_space_api_routes(app: web.Application) -> None:
    app.router.add_post("/api/letters", write_letter)
    app.router.add_post("/api/space", open_space)
    app.router.add_post("/api/space/letters", write_in_space)
    app.router.add_post("/api/space/key", replace_key)
    app.router.add_post("/api/space/forget", forget_space)
