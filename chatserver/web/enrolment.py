"""Second-factor enrolment at first login: ``/login/enrol``.

A supervisor or administrator whose account has no TOTP secret yet (made on the admin pages,
or reset there) proves the password on the login page and lands here: a QR code and the same
secret as text, and a field for the first code. The secret lives only in the application's
``Enrolments`` (memory, ten minutes), found again through a random token in an HttpOnly,
SameSite=Strict cookie scoped to this path; it is stored on the account only once a code
from the app shows it was scanned, and then the session starts as after a normal login.

The QR code is inline SVG made on the server (segno): no image service ever sees the secret,
and it has no ``style`` attribute, so the strict CSP holds. The form carries the enrolment's
own CSRF token (there is no session yet to carry one).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from aiohttp import web
from markupsafe import Markup

from chatserver import accounts
from chatserver.backends.base import AuditEntry
from chatserver.errors import ChatError, CsrfRejected, ErrorPage, InvalidOtp, Locked
from chatserver.hub.model import Account
from chatserver.web import auth, operator_pages
from chatserver.web.keys import ENROLMENTS, HUB, PAGE_LANG, THROTTLE
from chatserver.web.sources import client_source

COOKIE = "enrolment"
PATH = "/login/enrol"
ISSUER = "Chatserver"  # the name the authenticator app lists the account under
FORM_EXPIRED = ErrorPage("csrf_title", "csrf_failed", PATH)


def _see_other(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


async def begin(
    request: web.Request, account: Account, lang: str, next_to: str
) -> web.HTTPSeeOther:
    """After the right password: a pending enrolment, its cookie, and off to the QR page."""
    hub = request.app[HUB]
    token, _ = await request.app[ENROLMENTS].start(account, hub.clock.now())
    response = _see_other(f"{PATH}?lang={lang}&next={quote(next_to)}")
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="Strict", secure=auth.secure_cookies(request),
        path=PATH,
        max_age=int(accounts.Enrolments.TTL),
    )  # fmt: skip
    response.del_cookie(operator_pages.LOGIN_CSRF_COOKIE, path="/login")
    return response


async def _pending(request: web.Request) -> accounts.PendingEnrolment | None:
    now = request.app[HUB].clock.now()
    return await request.app[ENROLMENTS].get(request.cookies.get(COOKIE), now)


def _grouped(secret: str) -> str:
    """The secret in blocks of four, as people type it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _form(
    request: web.Request,
    lang: str,
    pending: accounts.PendingEnrolment,
    next_to: str,
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    uri = accounts.secret_uri(pending.secret, pending.username, ISSUER)
    return operator_pages.page(
        "enrol.html", status, lang=lang, t=operator_pages.admin_strings(lang), csrf=pending.csrf,
        qr=Markup(accounts.provisioning_qr_svg(uri)), secret=_grouped(pending.secret),
        username=pending.username, issuer=ISSUER, error=error, next=next_to,
        other_lang="en" if lang == "nl" else "nl",
    )  # fmt: skip


async def enrol_page(request: web.Request) -> web.Response:
    """``GET /login/enrol``: the QR code; without a pending enrolment, the login."""
    lang = operator_pages.language(request)
    next_to = operator_pages.next_path(request.query.get("next"))
    pending = await _pending(request)
    if pending is None:
        raise _see_other(f"/login?lang={lang}")
    return _form(request, lang, pending, next_to)


async def enrol_submit(request: web.Request) -> web.Response:
    """``POST /login/enrol``: the first code. Right: the secret is stored, the session starts.

    Wrong codes count towards the username's lockout, as at login. An enrolment that expired
    (or was replaced by a newer login) sends the person back to log in again.
    """
    form = await request.post()
    asked = form.get("lang")
    lang = asked if isinstance(asked, str) and asked in operator_pages.LANGS else "nl"
    next_to = operator_pages.next_path(operator_pages.form_field(form, "next"))
    t = operator_pages.admin_strings(lang)
    pending = await _pending(request)
    if pending is None:
        return _restart(request, lang, t["enrol_expired"])
    csrf = operator_pages.form_field(form, "csrf")
    if not secrets.compare_digest(pending.csrf.encode(), csrf.encode()):
        request[PAGE_LANG] = lang
        raise CsrfRejected(page=FORM_EXPIRED)
    code = operator_pages.form_field(form, "otp", 16)
    if not code.strip():
        return _form(request, lang, pending, next_to, 400, t["enrol_missing"])
    hub = request.app[HUB]
    throttle = request.app[THROTTLE]
    try:
        token, _, account = await accounts.complete_enrolment(
            hub.store, hub.clock, pending, code, throttle, client_source(request)
        )
    except Locked as error:
        text = t["login_locked"].format(seconds=error.details.get("retry_after", 30))
        return _form(request, lang, pending, next_to, error.status, text)
    except InvalidOtp as error:
        return _form(request, lang, pending, next_to, error.status, t["enrol_invalid"])
    except ChatError as error:  # deactivated, or enrolled in another tab meanwhile
        await request.app[ENROLMENTS].finish(request.cookies.get(COOKIE, ""))
        return _restart(request, lang, t["enrol_again"], error.status)
    await request.app[ENROLMENTS].finish(request.cookies.get(COOKIE, ""))
    await hub.store.add_audit(AuditEntry(hub.clock.now(), account.id, "two_factor_enrol"))
    response = _see_other(f"{next_to}?lang={lang}")
    auth.set_session_cookie(response, request, token)
    response.del_cookie(COOKIE, path=PATH)
    raise response


def _restart(request: web.Request, lang: str, text: str, status: int = 400) -> web.Response:
    """The login form with the reason, and the enrolment cookie gone."""
    response = operator_pages.login_form(request, lang, status, text)
    response.del_cookie(COOKIE, path=PATH)
    return response


def add_enrolment_routes(app: web.Application) -> None:
    app.router.add_get(PATH, enrol_page)
    app.router.add_post(PATH, enrol_submit)
