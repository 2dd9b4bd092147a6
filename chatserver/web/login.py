"""The console's login form and logout: ``/login``, ``/logout``.

The form works without JavaScript. Before login there is no session to carry a CSRF token,
so the form's token must match a cookie set with the form (double submit): another site can
neither log a volunteer in as itself nor out. How a failed login looks (status, lockout) is
decided once, by the error itself (``chatserver.errors``), as for the JSON API.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from aiohttp import web

from chatserver import accounts
from chatserver.errors import (
    ChatError,
    CsrfRejected,
    EnrolmentRequired,
    ErrorPage,
    InvalidOtp,
    Locked,
    OtpRequired,
)
from chatserver.web import auth, enrolment
from chatserver.web.keys import HUB, PAGE_LANG
from chatserver.web.operator_pages import (
    LANGS,
    LOGIN_CSRF_COOKIE,
    form_field,
    language,
    login_form,
    next_path,
    see_other,
    strings,
)

FORM_EXPIRED = ErrorPage("csrf_title", "csrf_failed", "/console")


async def login_page(request: web.Request) -> web.Response:
    """The login form; already logged in goes straight to the console (or ``?next=``)."""
    lang = language(request)
    target = next_path(request.query.get("next"))
    if await auth.current(request) is not None:
        raise see_other(f"{target}?lang={lang}")
    return login_form(request, lang, next_to=target)


def _login_error(error: ChatError, t: dict[str, str]) -> str:
    if isinstance(error, Locked):
        return t["login_locked"].format(seconds=error.details.get("retry_after", 30))
    if isinstance(error, OtpRequired):
        return t["login_otp_required"]
    if isinstance(error, InvalidOtp):
        return t["login_otp_invalid"]
    return t["login_invalid"]


def _form_lang(request: web.Request, form: Mapping[str, object]) -> str:
    lang = form_field(form, "lang")
    return lang if lang in LANGS else language(request)


async def login_submit(request: web.Request) -> web.Response:
    """``POST /login`` from the form: on success the session cookie and off to the console."""
    form = await request.post()
    lang = _form_lang(request, form)
    t = strings(lang)
    username = form_field(form, "username")
    target = next_path(form_field(form, "next"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    csrf = form_field(form, "csrf")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf.encode()):
        return login_form(request, lang, 403, t["csrf_failed"], username[:40], next_to=target)
    password = form_field(form, "password")
    if not username or not password:
        return login_form(request, lang, 400, t["login_missing"], username[:40], next_to=target)
    try:
        token, _, _ = await auth.open_session(
            request, username, password, form_field(form, "otp", 16) or None
        )
    except EnrolmentRequired as needed:
        raise await enrolment.begin(request, needed.account, lang, target) from None
    except ChatError as error:
        two_factor = isinstance(error, OtpRequired | InvalidOtp)
        return login_form(
            request, lang, error.status, _login_error(error, t), username[:40],
            focus="otp" if two_factor else "password", next_to=target,
        )  # fmt: skip
    response = see_other(f"{target}?lang={lang}")
    auth.set_session_cookie(response, request, token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout_submit(request: web.Request) -> web.Response:
    """``POST /logout`` from the console's form; the session's CSRF token must come along."""
    form = await request.post()
    lang = _form_lang(request, form)
    found = await auth.current(request)
    if found is not None:
        session, _ = found
        if not accounts.csrf_matches(session, form_field(form, "csrf")):
            request[PAGE_LANG] = lang
            raise CsrfRejected(page=FORM_EXPIRED)
        await request.app[HUB].log_out(session.token_hash)  # its sockets close too
    response = see_other(f"/login?lang={lang}")
    auth.clear_session_cookie(response)
    raise response


def add_login_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout_submit)
