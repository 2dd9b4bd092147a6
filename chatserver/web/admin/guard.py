"""The guard every administration page goes through, and what a page past it holds.

:func:`admin_page` sends a visitor without a session to the login (and back here after it),
answers any other role with a 403 page, and refuses a form without the session's CSRF
token; the handler runs only past all three, with a :class:`Ctx`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from chatserver import accounts
from chatserver.backends.base import Session
from chatserver.errors import CsrfRejected, ErrorPage, Forbidden
from chatserver.hub.model import Account
from chatserver.settings import Settings
from chatserver.web import auth, operator_pages
from chatserver.web.keys import HUB, PAGE_LANG
from chatserver.web.operator_pages import admin_strings, form_field

Form = MultiDictProxy[str | Any]  # what request.post() gives: text fields (and file parts)


@dataclass
class Ctx:
    """One request to an administration page, past the guard."""

    request: web.Request
    session: Session
    me: Account
    lang: str
    t: dict[str, str]
    form: Form | None = None

    @property
    def settings(self) -> Settings:
        return self.request.app[HUB].settings

    def render(self, template: str, status: int = 200, **values: Any) -> web.Response:
        return operator_pages.page(
            template, status, lang=self.lang, t=self.t, me=self.me, csrf=self.session.csrf,
            other_lang="en" if self.lang == "nl" else "nl", path=_page_path(self.request),
            query=_other_lang_query(self.request), **values,
        )  # fmt: skip

    def field(self, name: str, limit: int = 1024) -> str:
        return form_field(self.form, name, limit)

    def see_other(self, path: str, **query: str) -> web.HTTPSeeOther:
        extra = "".join(f"&{key}={quote(value)}" for key, value in query.items())
        return web.HTTPSeeOther(
            f"{path}?lang={self.lang}{extra}", headers={"Cache-Control": "no-store"}
        )


Handler = Callable[[Ctx], Awaitable[web.Response]]
View = Callable[[web.Request], Awaitable[web.Response]]


def _page_path(request: web.Request) -> str:
    """The page a language switch reloads: after a form post, the page that holds the form
    (a ``GET`` of the post's own path would be 405)."""
    if request.method != "POST":
        return request.path
    if "id" in request.match_info:
        return f"/admin/accounts/{quote(request.match_info['id'])}"
    return "/admin/accounts/new"


def _other_lang_query(request: web.Request) -> str:
    """The current query without ``lang``, so the language switch keeps filters and notices."""
    return "".join(f"&{quote(k)}={quote(v)}" for k, v in request.query.items() if k != "lang")


# the error pages of the guard (rendered by web/error_pages.py, in the page's language)
NOT_ADMIN = ErrorPage("admin_forbidden_title", "admin_forbidden", "/console")
FORM_EXPIRED = ErrorPage("csrf_title", "csrf_failed", "/admin")


def admin_page(handler: Handler) -> View:
    """The guard: login for no session (and back here after it), 403 for any role but admin,
    403 for a form without the session's CSRF token. The handler runs only past all three."""

    @functools.wraps(handler)
    async def view(request: web.Request) -> web.Response:
        form = await request.post() if request.method == "POST" else None
        asked = form_field(form, "lang")
        lang = asked if asked in operator_pages.LANGS else operator_pages.language(request)
        found = await auth.current(request)
        if found is None:
            back = request.path if request.method == "GET" else "/admin"
            raise web.HTTPSeeOther(
                f"/login?lang={lang}&next={quote(back)}", headers={"Cache-Control": "no-store"}
            )
        session, me = found
        request[PAGE_LANG] = lang
        if me.role != "admin":
            raise Forbidden(page=NOT_ADMIN)
        if form is not None and not accounts.csrf_matches(session, form_field(form, "csrf")):
            raise CsrfRejected(page=FORM_EXPIRED)
        return await handler(Ctx(request, session, me, lang, admin_strings(lang), form))

    return view
