"""Administration: the pages under ``/admin`` and the administrators' JSON API.

Server-rendered like the console (same templates, same strict CSP, no script at all), for
the administrator role only. One module per area:

* ``guard``: the check every page goes through, and the request context past it;
* ``account_pages``: accounts (list, new, edit, password, 2FA, (de)activate);
* ``configuration``: the effective configuration; ``audit``: the audit log and holds;
* ``api``: ``/api/audit`` and ``/api/holds`` as JSON.
"""

from __future__ import annotations

from aiohttp import web

from chatserver.web import operator_pages
from chatserver.web.admin import account_pages, api, audit, configuration

CSS = operator_pages.CONSOLE / "static" / "admin.css"


async def stylesheet(request: web.Request) -> web.FileResponse:
    """``GET /admin/static/admin.css``: the one file of its own (used by the enrolment too)."""
    headers = {
        **operator_pages.FILE_HEADERS,
        "Content-Type": operator_pages.CSS,
        "Cache-Control": "no-cache",
    }
    return web.FileResponse(CSS, headers=headers)


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/admin", account_pages.accounts_page)
    app.router.add_get("/admin/accounts/new", account_pages.new_account_page)
    app.router.add_post("/admin/accounts", account_pages.create_account)
    app.router.add_get("/admin/accounts/{id}", account_pages.account_page)
    app.router.add_post("/admin/accounts/{id}", account_pages.edit_account)
    app.router.add_post("/admin/accounts/{id}/password", account_pages.reset_password)
    app.router.add_post("/admin/accounts/{id}/2fa", account_pages.reset_two_factor)
    app.router.add_post("/admin/accounts/{id}/active", account_pages.set_active)
    app.router.add_get("/admin/config", configuration.config_page)
    app.router.add_get("/admin/audit", audit.audit_page)
    app.router.add_get("/admin/static/admin.css", stylesheet)
    app.router.add_get("/api/audit", api.audit_log)
    app.router.add_get("/api/holds", api.holds)
