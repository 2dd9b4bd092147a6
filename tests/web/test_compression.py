"""Text answers travel gzipped to clients that accept it: a volunteer on a slow home line and
a visitor on a phone with little data load the console and the chat faster. And the tab icon
every browser asks for is there."""

from __future__ import annotations

import gzip
import json

import aiohttp
import pytest

from chatserver.web.compression import accepts_gzip
from tests.e2e.conftest import Env

GZIP = {"Accept-Encoding": "gzip, deflate"}
PLAIN = {"Accept-Encoding": "identity"}


async def fetch(
    env: Env, path: str, headers: dict[str, str], method: str = "GET"
) -> tuple[aiohttp.ClientResponse, bytes]:
    """The raw answer, not decompressed by the client, so the test sees what travelled."""
    async with (
        aiohttp.ClientSession(auto_decompress=False) as http,
        http.request(method, f"{env.url}{path}", headers=headers) as response,
    ):
        return response, await response.read()


def varies_on_encoding(response: aiohttp.ClientResponse) -> bool:
    return "accept-encoding" in response.headers.get("Vary", "").lower()


async def test_the_console_page_its_scripts_and_the_line_api_are_gzipped(env: Env) -> None:
    """The console page (logged in), a console script and the public line API arrive gzipped
    when the browser accepts gzip, with the same content, and say they vary by encoding."""
    await env.account("anna", alias="Anna")
    cookie = {"Cookie": await env.cookie("anna")}
    for path, headers, expected in (
        ("/console", cookie, b"<html"),
        ("/console/static/console.js", {}, b"import"),
        ("/widget.js", {}, b"helpline-chat"),
        ("/api/lines", {}, b'"id"'),
    ):
        response, body = await fetch(env, path, {**headers, **GZIP})
        assert response.status == 200, path
        assert response.headers.get("Content-Encoding") == "gzip", path
        assert varies_on_encoding(response), path
        assert expected in gzip.decompress(body), path
        plain_response, plain = await fetch(env, path, {**headers, **PLAIN})
        assert "Content-Encoding" not in plain_response.headers, path
        assert varies_on_encoding(plain_response), path
        assert gzip.decompress(body) == plain or path == "/console", path  # the page's CSRF
    lines = json.loads(gzip.decompress((await fetch(env, "/api/lines", GZIP))[1]))
    assert {line["id"] for line in lines["lines"]} >= {"chat"}


async def test_no_gzip_when_refused_tiny_or_already_compressed(env: Env) -> None:
    """gzip;q=0 or no Accept-Encoding at all gets plain text; a tiny answer (health) is not
    worth the gzip header; socket.io's own polling is left to engine.io."""
    for headers in ({"Accept-Encoding": "gzip;q=0, deflate"}, {"Accept-Encoding": ""}):
        response, body = await fetch(env, "/api/lines", headers)
        assert "Content-Encoding" not in response.headers and json.loads(body)
    response, body = await fetch(env, "/healthz", GZIP)
    assert "Content-Encoding" not in response.headers and json.loads(body)["status"] == "ok"


async def test_revalidating_a_file_keeps_the_connection_clean(env: Env) -> None:
    """A browser revalidating a cached script (If-None-Match) or asking with HEAD gets an
    answer without a body, and the next answer on the same connection is intact."""
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        first = await http.get(f"{env.url}/console/static/console.js", headers=GZIP)
        etag = first.headers["ETag"]
        await first.read()
        again = await http.get(
            f"{env.url}/console/static/console.js", headers={**GZIP, "If-None-Match": etag}
        )
        assert again.status == 304 and await again.read() == b""
        head = await http.head(f"{env.url}/console/static/console.js", headers=GZIP)
        assert head.status == 200 and await head.read() == b""
        after = await http.get(f"{env.url}/healthz", headers=PLAIN)
        assert after.status == 200 and json.loads(await after.read())["status"] == "ok"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("GZIP;q=0.5", True),
        ("deflate, gzip;q=0", False),
        ("br", False),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header: str, accepted: bool) -> None:
    """Only what the client really accepts: an explicit gzip;q=0 wins over a wildcard."""
    assert accepts_gzip(header) is accepted


async def test_the_favicon_is_an_icon_cached_and_not_gzipped(env: Env) -> None:
    """Every browser asks for /favicon.ico: it gets the helpline's icon (not a 404), may keep
    it for a while, and an image is not compressed twice."""
    response, body = await fetch(env, "/favicon.ico", GZIP)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("image/")
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response.headers["Cache-Control"]
    assert "Content-Encoding" not in response.headers
