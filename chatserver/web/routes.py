"""The route table: every HTTP path of the server, and the module whose views answer it.

Views reach the hub through ``keys.HUB``, never through this module or ``app.py``, so the
table can import every view at the top without an import circle.
"""

from __future__ import annotations

from aiohttp import web

from chatserver.web import (
    admin,
    appointment_api,
    auth,
    enrolment,
    login,
    metrics,
    operator_pages,
    public_api,
    space_api,
    space_page,
    supervisor,
    transcripts,
    widget,
)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", public_api.healthz)
    app.router.add_get("/metrics", metrics.metrics)  # Prometheus; [server] metrics_allowed only
    app.router.add_get("/api/lines", public_api.lines)
    app.router.add_get("/api/lines/{line}", public_api.line)
    # password, TOTP where the role needs it, lockout; DELETE needs the X-CSRF-Token header
    app.router.add_post("/api/session", auth.api_login)
    app.router.add_delete("/api/session", auth.api_logout)
    app.router.add_get("/api/conversations/{id}/transcript", transcripts.transcript)
    # letters and the visitor's space: the link's key only ever in a JSON body, never a URL
    space_api.add_space_api_routes(app)
    widget.add_widget_routes(app)  # the embed script, the chat frame, the demo page
    space_page.add_space_page_routes(app)  # /space: the visitor's letters behind a link
    operator_pages.add_console_routes(app)  # /console and its files
    login.add_login_routes(app)  # /login, /logout
    enrolment.add_enrolment_routes(app)  # 2FA set-up at first login: /login/enrol
    supervisor.add_supervisor_routes(app)  # the live floor and statistics: /supervisor...
    admin.add_admin_routes(app)  # /admin pages, and /api/audit and /api/holds
    appointment_api.add_appointment_routes(app)  # the visitor's space cancels or moves a chat
