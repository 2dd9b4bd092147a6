"""A JSON body the server cannot hold is a 400 with a code, never a 500.

``POST /api/session`` answered ``500 internal`` to JSON nested thousands deep
(``RecursionError``), to a 5000-digit number (Python's own limit) and to a lone surrogate
in the username (text the store cannot write), each with a traceback in the log.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.e2e.conftest import Env

BODIES = {
    "deep": '{"username": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}',
    "huge number": '{"username": ' + "9" * 5000 + ', "password": "x"}',
    "large number": '{"username": "mia", "password": "x", "otp": 12345678901234567890}',
    "lone surrogate": '{"username": "mia\\ud800", "password": "correct horse battery"}',
    "NaN": '{"username": NaN, "password": "x"}',
    "not JSON": '{"username": "mia"',
    "not UTF-8": b'{"username": "\xff", "password": "x"}',
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
async def test_a_login_with_a_body_the_server_cannot_hold_gets_400(
    env: Env, caplog: pytest.LogCaptureFixture, body: str | bytes
) -> None:
    """Each is answered ``400 invalid_payload`` with a message, and logs no error."""
    await env.account("mia")
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{env.url}/api/session", data=body, headers={"Content-Type": "application/json"}
        )
        answer = await response.json()
    assert response.status == 400, answer
    assert answer["error"]["code"] == "invalid_payload" and answer["error"]["message"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
