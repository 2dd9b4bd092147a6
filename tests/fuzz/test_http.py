"""Fuzzing every HTTP route: any method, path value, query, form or body, logged in or not.

What holds for every request: no answer is a 5xx, a JSON route's error carries a documented
code, nothing is logged as an error or with a traceback, and the bystander's chat goes on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from chatserver.web.error_pages import JSON_PATHS
from chatserver.web.routes import add_routes
from tests.e2e.conftest import PASSWORD
from tests.fuzz.conftest import FUZZ, Floor
from tests.fuzz.strategies import ERROR_CODES, json_values, shaped


def _routes() -> list[tuple[str, str]]:
    """(method, path pattern) of every route, read from the route table itself."""
    app = web.Application()
    add_routes(app)
    found = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    return sorted(found)


ROUTES = _routes()
SESSION_ENDS = ("/logout", "/api/session")  # fuzzed without a session: they would end it

# what an HTTP client can put in a URL or a form at all (no control characters, no halves)
typed = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40)
words = typed | st.sampled_from(
    ["", "chat", "evening", "nl", "en", "day", "week", "custom", "2026-11-25", "9999-12-31",
     "0001-01-01", "2026-02-30", "/console", "//evil.example/", "https://evil.example",
     "1767225600", "-1", "1e999", "nan", "created", "password", "../../etc/passwd",
     "volunteer", "supervisor", "admin", "x" * 2000]
)  # fmt: skip
dates = (
    st.sampled_from(["2026-11-25", "9999-12-31", "0001-01-01", "2026-02-30", "2000-01-01",
                     "1999-12-31", "2100-12-31", "2101-01-01", "25-11-2026"])
    | st.dates().map(str)
)  # fmt: skip
numbers = st.sampled_from(["0", "-1", "1e999", "nan", "inf", "9" * 400]) | st.integers().map(str)


def likely(*values: str) -> st.SearchStrategy[str]:
    """Mostly one of ``values`` (so the next check is reached), now and then anything."""
    return st.sampled_from(values) | st.sampled_from(values) | words


QUERY = {
    "lang": likely("nl", "en", "fr"),
    "next": likely("/console", "//evil.example/", "https://evil.example", "/admin"),
    "line": likely("chat", "evening", "all", "nope"),
    "period": likely("day", "week", "custom", "year"),
    "from": dates,
    "to": dates,
    "done": likely("created", "saved", "password", "2fa", "active"),
    "who": likely("$account"),
    "since": numbers,
    "until": numbers,
}
queries = st.fixed_dictionaries({}, optional=QUERY) | st.dictionaries(typed, words, max_size=3)
FORM_KEYS = ["csrf", "lang", "next", "username", "password", "password_repeat", "otp", "role",
             "alias", "capacity", "backup", "active", "lines", "languages"]  # fmt: skip
path_values = st.sampled_from(["$account", "chat", "socket.io.min.js", "console.js"]) | words
forms = st.dictionaries(
    st.sampled_from(FORM_KEYS) | typed,
    st.just("$csrf") | words,
    max_size=6,
)
logins = st.fixed_dictionaries(
    {
        "username": st.sampled_from(["wim", "ada", "nobody"]) | json_values,
        "password": st.sampled_from([PASSWORD, "wrong"]) | json_values,
    },
    optional={"otp": st.sampled_from(["123456", ""]) | json_values},
).map(json.dumps)
# JSON that Python parses into trouble, or not at all
hostile = st.sampled_from(
    ["[" * 5000 + "]" * 5000, '{"username": ' + "9" * 5000 + ', "password": "x"}',
     '{"username": "wim\\ud800", "password": "x"}', '{"username": NaN, "password": "x"}',
     '{"username": "wim", "password": "x", "otp": 1e999}', '{"username": "wim"', ""]
)  # fmt: skip
bodies = (
    st.none()
    | forms
    | (logins | hostile).map(str.encode)
    | st.builds(lambda v: json.dumps(v).encode(), shaped | json_values)
    | st.binary(max_size=200)
)


@dataclass
class Session:
    cookie: str
    csrf: str


@pytest.fixture(scope="module")
async def sessions(floor: Floor) -> AsyncIterator[dict[str, Session | None]]:
    """Nobody, a volunteer and an administrator, each with the CSRF token of its session."""
    env = floor.env
    found: dict[str, Session | None] = {"nobody": None}
    for username, role in (("wim", "volunteer"), ("ada", "admin")):
        await env.account(username, role=role)
        body: dict[str, Any] = {"username": username, "password": PASSWORD}
        account = await env.hub.store.account_by_username(username)
        if account is not None and account.totp_secret:
            body["otp"] = env.otp(account.totp_secret)
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{env.url}/api/session", json=body)
            assert response.status == 200, await response.text()
            csrf = (await response.json())["csrf"]
            found[username] = Session(
                f"chat_session={response.cookies['chat_session'].value}", csrf
            )
    yield found


def _path(pattern: str, values: list[str], ids: dict[str, str]) -> str:
    """The pattern with each ``{name}`` filled in, in order, quoted as a browser would."""
    parts = pattern.split("{")
    path = parts[0]
    for index, part in enumerate(parts[1:]):
        value = values[index % len(values)] if values else ""
        path += quote(ids.get(value, value), safe="") + part.split("}", 1)[1]
    return path


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@settings(FUZZ, max_examples=20)  # per route
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]) | st.none() | st.none(),
    values=st.lists(path_values, min_size=1, max_size=2),
    query=queries,
    body=bodies,
    who=st.sampled_from(["ada", "wim", "nobody", "ada"]),
    csrf_header=st.booleans(),
)
async def test_every_route_answers_any_request_without_a_server_error(
    floor: Floor,
    sessions: dict[str, Session | None],
    route: tuple[str, str],
    method: str | None,
    values: list[str],
    query: dict[str, str],
    body: dict[str, str] | bytes | None,
    who: str,
    csrf_header: bool,
) -> None:
    """Whatever arrives, a route answers 2xx, 3xx or 4xx, never 5xx, and logs no error."""
    own_method, pattern = route
    path = _path(pattern, values, floor.ids)
    session = None if path in SESSION_ENDS else sessions[who]
    await send(floor, method or own_method, path, query, body, session, csrf_header)


# the classics, sent to every route by its own method as an administrator: the fuzzer is
# not bound to pick exactly these among everything it could send
CLASSICS: list[tuple[dict[str, str], bytes | dict[str, str] | None]] = [
    ({"from": "9999-12-31"}, None),
    ({"period": "day", "from": "0001-01-01"}, None),
    ({"period": "custom", "from": "9999-01-01", "to": "9999-12-31"}, None),
    ({"since": "1e999", "until": "nan", "next": "//evil.example/", "lang": "xx"}, None),
    ({"done": "password", "who": "$account", "line": "../../etc"}, None),
    ({}, ("[" * 5000 + "]" * 5000).encode()),
    ({}, b'{"username": ' + b"9" * 5000 + b', "password": "x"}'),
    ({}, b'{"username": "ada\\ud800", "password": "x"}'),
    ({}, b"\xff\xfe"),
    ({}, {"csrf": "$csrf", "username": "x" * 5000, "capacity": "9" * 400, "lines": "\u0000"}),
]


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_every_route_survives_the_classic_hostile_inputs(
    floor: Floor, sessions: dict[str, Session | None], route: tuple[str, str]
) -> None:
    """Far dates, numbers that are not, deep and huge JSON, bytes that are no UTF-8."""
    method, pattern = route
    path = _path(pattern, ["$account"], floor.ids)
    session = None if path in SESSION_ENDS else sessions["ada"]
    for query, body in CLASSICS:
        query = {key: floor.ids.get(value, value) for key, value in query.items()}
        await send(floor, method, path, query, body, session, True)


async def send(
    floor: Floor,
    method: str,
    path: str,
    query: dict[str, str],
    body: dict[str, str] | bytes | None,
    session: Session | None,
    csrf_header: bool,
) -> None:
    """One request, and what every answer must be: no 5xx, a JSON error with a documented
    code, nothing logged as an error, the bystander's chat still going."""
    headers = {"Cookie": session.cookie} if session else {}
    if session and csrf_header:
        headers["X-CSRF-Token"] = session.csrf
    if isinstance(body, dict):
        body = {key: session.csrf if v == "$csrf" and session else v for key, v in body.items()}
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            f"{floor.env.url}{path}",
            params=query,
            data=body,
            headers=headers,
            allow_redirects=False,
        ) as response,
    ):
        text = await response.read()
    logged = floor.problems.take()
    assert response.status < 500, (method, path, query, response.status, text[:300], logged)
    assert logged == [], (method, path, query)
    json_error = response.status >= 400 and response.content_type == "application/json"
    if path.startswith(JSON_PATHS) and json_error:
        assert json.loads(text)["error"]["code"] in ERROR_CODES, text[:300]
    await floor.round_trip()
