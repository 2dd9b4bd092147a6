"""The supervisor's pages: the live floor and the statistics (with a CSV export).

Thin handlers. The live floor is a page plus ``supervisor.js``, which talks to ``/operator``
(``monitor``, ``observe``, ``whisper`` ...) like the console; the hub checks every action
again, so the role check here only decides who gets the page. The statistics are rendered
on the server from aggregated figures only (``stats``, ``stats_view``, ``charts``): the page
works without script, and there is no way for a chat's text to reach it.

Who may look: supervisors and administrators. A volunteer gets a 403 page (not a redirect: it
is logged in, it just may not); without a session, the login page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from chatserver.backends.base import HourHistogram, HourStats
from chatserver.errors import ErrorPage, Forbidden
from chatserver.hub.model import Account
from chatserver.i18n import localized
from chatserver.settings import Settings
from chatserver.web import auth, stats, stats_view
from chatserver.web.keys import HUB, PAGE_LANG
from chatserver.web.operator_pages import RISKS, language, page, strings

SUPERVISOR_ROLES = ("supervisor", "admin")
NOT_A_SUPERVISOR = ErrorPage("forbidden_title", "forbidden_supervisor", "/console")


async def _supervisor(request: web.Request, lang: str) -> tuple[str, Account]:
    """The session's CSRF token and the account, if a supervisor or admin is logged in.

    Otherwise raise: 303 to the login page without a session, ``Forbidden`` (a 403 page) for
    other roles.
    """
    found = await auth.current(request)
    if found is None:
        back = urlencode({"lang": lang, "next": request.path})  # the login returns here
        raise web.HTTPSeeOther(f"/login?{back}", headers={"Cache-Control": "no-store"})
    session, account = found
    if account.role not in SUPERVISOR_ROLES:
        request[PAGE_LANG] = lang
        raise Forbidden(page=NOT_A_SUPERVISOR)
    return session.csrf, account


def _other(lang: str) -> str:
    return "en" if lang == "nl" else "nl"


def _line_names(settings: Settings, lang: str) -> dict[str, str]:
    return {line.id: localized(line.name, lang, line.id) for line in settings.lines}


def floor_config(settings: Settings, account: Account, csrf: str, lang: str) -> dict[str, Any]:
    """What supervisor.js needs at start, rendered into the page as JSON (not a script)."""
    return {
        "lang": lang,
        "csrf": csrf,
        "me": {"id": account.id, "alias": account.alias, "role": account.role},
        "strings": strings(lang),
        "lines": _line_names(settings, lang),
        "risks": list(RISKS),
        "hold_max_days": settings.retention.hold_max_days,
        # a line offers letters or agreed chats: the floor shows the follow-up (§13.4)
        "followup": any(
            line.follow_up.letters or line.follow_up.appointments for line in settings.lines
        ),
    }


async def floor_page(request: web.Request) -> web.Response:
    """``GET /supervisor``: the live floor, filled in and kept current by supervisor.js."""
    lang = language(request)
    csrf, account = await _supervisor(request, lang)
    settings = request.app[HUB].settings
    return page(
        "supervisor.html", lang=lang, t=strings(lang), me=account, csrf=csrf,
        config=floor_config(settings, account, csrf, lang), other_lang=_other(lang),
        here="/supervisor",
    )  # fmt: skip


async def _figures(
    request: web.Request, query: stats.Query
) -> tuple[list[HourStats], list[HourHistogram]]:
    store = request.app[HUB].store
    since, until = query.period.since, query.period.until
    hours: list[HourStats] = []
    histograms: list[HourHistogram] = []
    for line in query.lines:
        hours += await store.hour_stats(line, since, until)
        histograms += await store.hour_histograms(line, since, until)
    return hours, histograms


def _link(path: str, lang: str, query: stats.Query, period: stats.Period) -> str:
    params = {"lang": lang, "line": query.line, "period": period.kind,
              "from": period.first.isoformat()}  # fmt: skip
    if period.kind == "custom":
        params["to"] = period.last.isoformat()
    return f"{path}?{urlencode(params)}"


async def stats_page(request: web.Request) -> web.Response:
    """``GET /supervisor/stats``: a period's figures as server-drawn charts and tables."""
    lang = language(request)
    csrf, account = await _supervisor(request, lang)
    hub = request.app[HUB]
    t = strings(lang)
    values: dict[str, Any] = {
        "lang": lang, "t": t, "me": account, "csrf": csrf, "other_lang": _other(lang),
        "here": "/supervisor/stats", "lines": _line_names(hub.settings, lang),
        "form": {k: request.query.get(k, "") for k in ("line", "period", "from", "to")},
    }  # fmt: skip
    try:
        query = stats.parse_query(request.query, hub.settings, hub.clock.now())
    except stats.QueryError as error:
        return page("stats.html", 400, error=t[error.key], **values)
    report = stats.aggregate(*await _figures(request, query), query)
    period = query.period
    values["form"] = {"line": query.line, "period": period.kind,
                      "from": period.first.isoformat(), "to": period.last.isoformat()}  # fmt: skip
    return page(
        "stats.html", report=report, summary=stats_view.summary(t, report.total),
        figures=stats_view.figures(report, t, lang, hub.settings),
        previous=_link("/supervisor/stats", lang, query, period.shifted(-1)),
        next=_link("/supervisor/stats", lang, query, period.shifted(1)),
        csv=_link("/supervisor/stats.csv", lang, query, period),
        **values,
    )  # fmt: skip


async def stats_csv(request: web.Request) -> web.Response:
    """``GET /supervisor/stats.csv``: the same period, one row per line and hour."""
    lang = language(request)
    await _supervisor(request, lang)
    hub = request.app[HUB]
    try:
        query = stats.parse_query(request.query, hub.settings, hub.clock.now())
    except stats.QueryError as error:
        raise web.HTTPBadRequest(text=strings(lang)[error.key]) from None
    body = stats.to_csv(*await _figures(request, query), query)
    period = query.period
    name = f"stats-{query.line}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def add_supervisor_routes(app: web.Application) -> None:
    app.router.add_get("/supervisor", floor_page)
    app.router.add_get("/supervisor/stats", stats_page)
    app.router.add_get("/supervisor/stats.csv", stats_csv)
