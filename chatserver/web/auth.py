"""Operator login over HTTP: the JSON session API, the session cookie and CSRF checks.

How a login failure looks on the wire (which status, which code) is the error's own
(``chatserver/errors.py``), so the JSON API and the console's login form answer alike. The
lockout's memory hangs on the application (``keys.THROTTLE``), not on the module: two
servers in one process (the tests) do not share it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver import accounts, origins
from chatserver.backends.base import Session
from chatserver.errors import CsrfRejected, InvalidPayload
from chatserver.hub.model import Account
from chatserver.realtime.operator import SESSION_COOKIE
from chatserver.web.json_body import json_body
from chatserver.web.keys import HUB, THROTTLE
from chatserver.web.sources import client_source

CSRF_HEADER = "X-CSRF-Token"
MAX_FIELD = 1024


async def current(request: web.Request) -> tuple[Session, Account] | None:
    """The logged-in operator of this request (and refreshes its idle timer), or None."""
    hub = request.app[HUB]
    return await accounts.authenticate(hub.store, hub.clock, request.cookies.get(SESSION_COOKIE))


async def open_session(
    request: web.Request, username: str, password: str, otp: str | None
) -> tuple[str, Session, Account]:
    hub = request.app[HUB]
    return await accounts.login(
        hub.store,
        hub.clock,
        username,
        password,
        otp or None,
        request.app[THROTTLE],
        two_factor_roles=hub.settings.accounts.two_factor_roles,
        source=client_source(request),
    )


def secure_cookies(request: web.Request) -> bool:
    """Whether cookies get ``Secure`` (sent over HTTPS only): when the browser's connection is
    TLS, ours or that of a proxy in ``abuse.trusted_proxies`` (``X-Forwarded-Proto``), or
    always with ``server.secure_cookies``. Behind a TLS proxy the server itself sees plain
    HTTP, and a session cookie without the flag could leak over a later plain request."""
    settings = request.app[HUB].settings
    return settings.server.secure_cookies or origins.over_tls(
        request, settings.abuse.trusted_proxies
    )


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure on TLS."""
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Strict",
        secure=secure_cookies(request), path="/",
    )  # fmt: skip


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


def _credentials(body: Any) -> tuple[str, str, str | None]:
    """username, password and the optional otp from a JSON body, or InvalidPayload."""
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and 0 < len(body[k]) <= MAX_FIELD
        for k in ("username", "password")
    ):
        raise InvalidPayload('Send {"username": "...", "password": "...", "otp"?: "123456"}.')
    otp = body.get("otp")
    if otp is not None and not (isinstance(otp, str) and len(otp) <= 16):
        raise InvalidPayload('"otp" must be the 6-digit code as a string.', field="otp")
    return body["username"], body["password"], otp


async def api_login(request: web.Request) -> web.Response:
    """``POST /api/session``: password (and TOTP code where needed) -> cookie and CSRF token.

    An account that must enrol a second factor first gets ``401 enrolment_required``: the
    secret is shown once, as a QR code, by the browser's login page only, never to a script.
    """
    username, password, otp = _credentials(await json_body(request))
    token, session, account = await open_session(request, username, password, otp)
    response = web.json_response(
        {
            "ok": True,
            "operator": {
                "id": account.id,
                "username": account.username,
                "alias": account.alias,
                "role": account.role,
                "lines": list(account.lines),
            },
            "csrf": session.csrf,
        }
    )
    set_session_cookie(response, request, token)
    return response


async def api_logout(request: web.Request) -> web.Response:
    """``DELETE /api/session``: needs the ``X-CSRF-Token`` header when a session is open.

    Without a valid session there is nothing another site could end, so the cookie is just
    cleared; with one, a missing or wrong token is refused (403 ``csrf``), so a forged
    request cannot log a volunteer out in the middle of a chat.
    """
    found = await current(request)
    if found is not None:
        session, _ = found
        if not accounts.csrf_matches(session, request.headers.get(CSRF_HEADER)):
            raise CsrfRejected()
        await request.app[HUB].log_out(session.token_hash)  # its sockets close too
    response = web.json_response({"ok": True})
    clear_session_cookie(response)
    return response
