"""Every error over HTTP answers alike: the JSON API with ``{"ok": false, "error": ...}`` and
the error's own status, a page that a person reads with an error page in their language.

The views only raise; one middleware (``web/error_pages.py``) answers, as the ack wrapper
does for sockets. A script that calls the API must always be able to read the code; a person
who follows a link must never be shown raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from chatserver.errors import ErrorPage, Forbidden, Locked, UnknownLine
from chatserver.web.error_pages import chat_errors
from chatserver.web.keys import PAGE_LANG
from chatserver.web.operator_pages import POLICY
from chatserver.web.security import security_headers
from tests.e2e.conftest import Env

NOT_A_SUPERVISOR = ErrorPage("forbidden_title", "forbidden_supervisor", "/console")


async def locked_api(request: web.Request) -> web.Response:
    raise Locked("Too many failed attempts. Try again in 7 s.", retry_after=7)


async def forbidden_page(request: web.Request) -> web.Response:
    raise Forbidden(page=NOT_A_SUPERVISOR)


async def page_in_english_form(request: web.Request) -> web.Response:
    request[PAGE_LANG] = "en"  # as a view does after reading a form's "lang" field
    raise Forbidden(page=NOT_A_SUPERVISOR)


async def plain_error_page(request: web.Request) -> web.Response:
    raise UnknownLine()


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application(middlewares=[security_headers, chat_errors])
    app.router.add_get("/api/locked", locked_api)
    app.router.add_get("/supervisor", forbidden_page)
    app.router.add_post("/supervisor", page_in_english_form)
    app.router.add_get("/plain", plain_error_page)
    test_server = TestServer(app)
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


async def test_a_json_route_answers_the_error_body_with_its_status_and_headers(
    server: TestServer,
) -> None:
    """A locked login over the API: 429, the code and ``retry_after`` in the body, and the
    ``Retry-After`` header, all from the error itself."""
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/api/locked")) as reply:
        assert reply.status == 429
        assert reply.headers["Retry-After"] == "7"
        assert reply.headers["Content-Type"].startswith("application/json")
        assert await reply.json() == {
            "ok": False,
            "error": {
                "code": "locked",
                "message": "Too many failed attempts. Try again in 7 s.",
                "retry_after": 7,
            },
        }


async def test_an_html_route_answers_an_error_page_in_the_readers_language(
    server: TestServer,
) -> None:
    """The same kind of error on a page: the status, the page's own words in the browser's
    language, a link back, and the console's strict policy. Never JSON."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/supervisor"), headers={"Accept-Language": "nl"}) as reply,
    ):
        html = await reply.text()
        assert reply.status == 403
        assert reply.headers["Content-Type"].startswith("text/html")
        assert reply.headers["Content-Security-Policy"] == POLICY
        assert "Niet voor jouw rol" in html and "Jouw account kan haar niet openen" in html
        assert 'href="/console?lang=nl"' in html


async def test_an_error_page_follows_the_language_the_view_chose(server: TestServer) -> None:
    """A form posted in English gets its error page in English, whatever the browser says."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.make_url("/supervisor"), headers={"Accept-Language": "nl"}) as reply,
    ):
        assert reply.status == 403
        assert "Not for your role" in await reply.text()


async def test_an_error_without_page_words_still_gets_a_page(server: TestServer) -> None:
    """Any other error on a page: its status and a generic title with the error's message."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/plain?lang=en")) as reply,
    ):
        html = await reply.text()
        assert reply.status == 404
        assert "Something went wrong" in html and "No such line." in html


async def test_on_the_real_server_pages_and_api_answer_each_their_way(env: Env) -> None:
    """A volunteer who opens the supervisor's page gets a 403 page; the same volunteer asking
    the API for a stored transcript gets ``403 forbidden`` as JSON."""
    await env.account("anna")
    cookie = {"Cookie": await env.cookie("anna")}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{env.url}/supervisor?lang=en", headers=cookie) as reply:
            assert reply.status == 403
            assert "Not for your role" in await reply.text()
        async with http.get(
            f"{env.url}/api/conversations/c123/transcript", headers=cookie
        ) as reply:
            assert reply.status == 403
            body = json.loads(await reply.text())
            assert body["ok"] is False and body["error"]["code"] == "forbidden"
