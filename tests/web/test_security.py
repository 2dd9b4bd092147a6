"""Every HTTP response carries the security headers, and a page's own policy is respected.

A browser only protects a visitor as far as the headers tell it to: no sniffing a reply into a
script, no referrer to the sites a chat links to, no framing by strangers. The widget frame and
the console set their own Content-Security-Policy (the frame names the sites that may embed
it); the middleware must add what is missing without overriding what a page chose, and must
leave socket.io's WebSocket upgrade alone.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from chatserver.app import ACCESS_LOG_FORMAT
from chatserver.web.security import API_CSP, HTML_FALLBACK_CSP, security_headers
from tests.e2e.conftest import Env

WIDGET_CSP = "default-src 'none'; script-src 'self'; frame-ancestors 'self' https://example.nl"

View = Callable[[web.Request], Coroutine[Any, Any, web.StreamResponse]]


async def api(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def framed_page(request: web.Request) -> web.Response:
    headers = {"Content-Security-Policy": WIDGET_CSP}
    return web.Response(text="<p>chat</p>", content_type="text/html", headers=headers)


async def page_without_frame_rule(request: web.Request) -> web.Response:
    headers = {"Content-Security-Policy": "default-src 'self'"}
    return web.Response(text="<p>console</p>", content_type="text/html", headers=headers)


async def bare_page(request: web.Request) -> web.Response:
    return web.Response(text="<p>hello</p>", content_type="text/html")


async def own_referrer_policy(request: web.Request) -> web.Response:
    return web.json_response({}, headers={"Referrer-Policy": "same-origin"})


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("something broke")


async def static_file(request: web.Request) -> web.FileResponse:
    return web.FileResponse(Path(__file__), headers={"Content-Type": "text/plain"})


async def echo_socket(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str(message.data)
    return socket


ROUTES: dict[str, View] = {
    "/api": api,
    "/frame": framed_page,
    "/console": page_without_frame_rule,
    "/bare": bare_page,
    "/referrer": own_referrer_policy,
    "/broken": broken,
    "/file": static_file,
    "/ws": echo_socket,
}


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    app = web.Application(middlewares=[security_headers])
    for path, view in ROUTES.items():
        app.router.add_get(path, view)
    test_server = TestServer(app)
    await test_server.start_server(access_log_format=ACCESS_LOG_FORMAT)  # as in production
    try:
        yield test_server
    finally:
        await test_server.close()


async def get(server: TestServer, path: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(server.make_url(path)) as response:
        return response.status, dict(response.headers), await response.read()


def assert_always_there(headers: dict[str, str]) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" in headers


async def test_api_responses_get_a_policy_that_allows_nothing(server: TestServer) -> None:
    """JSON opened as a page can load nothing, run nothing and be framed by nobody."""
    status, headers, _ = await get(server, "/api")
    assert status == 200
    assert_always_there(headers)
    assert headers["Content-Security-Policy"] == API_CSP
    assert headers["X-Frame-Options"] == "DENY"
    assert "Cross-Origin-Opener-Policy" not in headers


async def test_the_widget_frame_keeps_its_own_policy_and_may_be_embedded(
    server: TestServer,
) -> None:
    """The frame names the sites that may embed it; no X-Frame-Options overrules that."""
    _, headers, _ = await get(server, "/frame")
    assert_always_there(headers)
    assert headers["Content-Security-Policy"] == WIDGET_CSP
    assert "X-Frame-Options" not in headers
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


async def test_a_page_policy_without_frame_rule_is_kept_and_framing_denied(
    server: TestServer,
) -> None:
    """A page's own policy is never replaced; without frame-ancestors it cannot be framed."""
    _, headers, _ = await get(server, "/console")
    assert headers["Content-Security-Policy"] == "default-src 'self'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


async def test_a_page_without_policy_gets_one_that_cannot_break_it(server: TestServer) -> None:
    """An HTML page that forgot its policy still cannot be framed or have its base moved."""
    _, headers, _ = await get(server, "/bare")
    assert_always_there(headers)
    assert headers["Content-Security-Policy"] == HTML_FALLBACK_CSP
    assert headers["X-Frame-Options"] == "DENY"


async def test_a_deliberate_referrer_policy_is_kept(server: TestServer) -> None:
    """A view that chose its referrer policy keeps it; nosniff is never optional."""
    _, headers, _ = await get(server, "/referrer")
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_not_found_carries_the_headers_too(server: TestServer) -> None:
    """A 404 from the router is a response like any other."""
    status, headers, _ = await get(server, "/no/such/path")
    assert status == 404
    assert_always_there(headers)
    assert headers["X-Frame-Options"] == "DENY"


async def test_files_carry_the_headers(server: TestServer) -> None:
    """Static files are served with the headers as well."""
    status, headers, _ = await get(server, "/file")
    assert status == 200
    assert_always_there(headers)


async def test_an_unexpected_error_answers_internal_and_logs_no_address(
    server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A view that crashes answers ``internal`` with the headers; the logged traceback names
    the route, not the client's address (aiohttp's own error line would)."""
    caplog.set_level(logging.DEBUG)
    status, headers, body = await get(server, "/broken")
    assert status == 500
    assert_always_there(headers)
    assert b'"code": "internal"' in body and b"something broke" not in body
    errors = [r for r in caplog.records if r.exc_info]
    assert errors and "/broken" in errors[0].getMessage()
    assert all("127.0.0.1" not in r.getMessage() for r in caplog.records)


async def test_a_websocket_upgrade_passes_untouched(server: TestServer) -> None:
    """The WebSocket handshake (socket.io's transport) still works behind the middleware."""
    async with aiohttp.ClientSession() as http, http.ws_connect(server.make_url("/ws")) as ws:
        await ws.send_str("ping")
        assert (await ws.receive()).data == "ping"


async def test_the_real_server_sends_them_and_socket_io_still_connects(env: Env) -> None:
    """On the chat server itself: the public API carries the headers, a visitor connects."""
    async with aiohttp.ClientSession() as http, http.get(f"{env.url}/api/lines") as response:
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"] == API_CSP
    visitor = await env.visitor()
    assert visitor.client.connected
