"""Security headers on every HTTP response, and no visitor address in aiohttp's own error log.

Why each header:

* ``X-Content-Type-Options: nosniff`` - a browser must never run an uploaded or echoed text as
  a script or a page because it "looks like" one.
* ``Referrer-Policy: no-referrer`` - a link clicked in a chat must not tell the site it opens
  that its reader came from a crisis helpline (nor which page). A view may deliberately choose
  another policy; it is only set when absent.
* ``Content-Security-Policy`` - every kind of page sets its own (the widget frame allows the
  organisation's sites as ``frame-ancestors``); an existing policy is never replaced. A response
  without one gets a default: for JSON, text and other non-HTML responses ``default-src 'none';
  frame-ancestors 'none'`` (nothing in them may load or run if someone opens them as a page);
  for an HTML page that forgot its own, a policy that cannot break the page but still forbids
  framing, plugins and a rewritten ``<base>``.
* ``X-Frame-Options: DENY`` - for browsers that ignore ``frame-ancestors``; left out when the
  view's own policy names ``frame-ancestors``, because that page decides who may embed it.
* ``Cross-Origin-Opener-Policy: same-origin`` on HTML - a site that opened the chat in a popup
  or tab cannot reach into it, and the chat's quick exit cannot be tracked from the opener.

A WebSocket upgrade (socket.io's transport) has sent its headers before the handler returns, so
it is passed through untouched, as is any other response already on its way.

Errors: aiohttp logs an unhandled handler exception as "Error handling request from <address>"
and answers with its own page, without our headers. So a handler's unexpected exception is
logged here (route and traceback, no address, no headers) and answered ``internal`` as JSON.
Errors aiohttp meets before any handler runs (a malformed request line or header) are logged
by aiohttp itself; :class:`WithholdPeer` removes the address from those records, and their
exception text, which can quote the raw header bytes (user agent, cookies).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web

from chatserver.errors import Internal

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_CSP = "default-src 'none'; frame-ancestors 'none'"
HTML_FALLBACK_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
CSP = "Content-Security-Policy"


def _is_html(response: web.StreamResponse) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml")


def _frame_ancestors(policy: str) -> bool:
    """Does the policy hold its own ``frame-ancestors`` directive?"""
    return any(
        directive.strip().lower().split(" ", 1)[0] == "frame-ancestors"
        for directive in policy.split(";")
    )


def apply_security_headers(headers: MutableMapping[str, str], html: bool) -> None:
    """Add the headers above to a response's ``headers``; what a view set itself is kept."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "no-referrer")
    own_policy = headers.get(CSP)
    if own_policy is None or not _frame_ancestors(own_policy):
        headers.setdefault("X-Frame-Options", "DENY")
    if own_policy is None:
        headers[CSP] = HTML_FALLBACK_CSP if html else API_CSP
    if html:
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response leaves with the security headers (see the module's docstring)."""
    try:
        response = await handler(request)
    except web.HTTPException as error:  # 404, 405, redirects ... are responses too
        apply_security_headers(error.headers, _is_html(error))
        raise
    except ConnectionResetError:
        raise  # the client went away: aiohttp notes that quietly (debug, no address)
    except Exception:
        # Our own log line: aiohttp's would carry the visitor's address. The route's pattern,
        # not the path, so an id or token in a URL is not written down either.
        route = request.match_info.route.resource
        log.exception(
            "unhandled error in %s %s",
            request.method,
            route.canonical if route is not None else "(no route)",
        )
        response = web.json_response(
            {"ok": False, "error": Internal("Internal error.").as_dict()}, status=500
        )
    if isinstance(response, web.WebSocketResponse) or response.status == 101 or response.prepared:
        return response  # its headers are on the wire already
    apply_security_headers(response.headers, _is_html(response))
    return response


class WithholdPeer(logging.Filter):
    """Rewrites aiohttp's "Error handling request from <address>" records without the address
    and without the exception's text (it can quote raw request bytes); keeps the error type."""

    PREFIX = "Error handling request"

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(self.PREFIX):
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
            record.msg = f"{self.PREFIX} ({kind or 'no exception'}); peer address withheld"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def _withhold_peer_addresses() -> None:
    """Installed once, on import: whoever builds the app imports this module, so no way of
    starting the server (CLI, tests, an embedding program) can miss it."""
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, WithholdPeer) for f in server_log.filters):
        server_log.addFilter(WithholdPeer())


_withhold_peer_addresses()
