"""The administrators' JSON API: the audit log of who observed, took over or handed on which
chat, and the safeguarding holds.

Supervisors can read along invisibly and colleagues pass conversations on; that power is only
acceptable if someone can check afterwards how it was used. Only administrators may read the
log, and it holds ids, actions and short codes, never chat text (see ``AuditEntry``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chatserver.backends.base import AuditEntry
from chatserver.clock import iso
from chatserver.errors import Forbidden, InvalidPayload, Unauthorized
from chatserver.hub.model import Account
from chatserver.web import auth
from chatserver.web.keys import HUB

View = Callable[[web.Request], Awaitable[web.Response]]
DEFAULT_PERIOD = 7 * 24 * 3600  # what an administrator sees without asking for a period


async def _administrator(request: web.Request) -> Account:
    """The logged-in administrator, or ``Unauthorized`` (no session) or ``Forbidden``."""
    found = await auth.current(request)
    if found is None:
        raise Unauthorized()
    _, account = found
    if account.role != "admin":
        raise Forbidden("Only administrators may see this.")
    return account


def _epoch(request: web.Request, name: str, default: float) -> float:
    """A query parameter in seconds since the epoch; a typo is an error, not "everything"."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidPayload(f"{name} must be seconds since the epoch, like 1767225600.")
    return value


def _entry(entry: AuditEntry, names: dict[str, str]) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "actor": entry.actor,
        "actor_name": names.get(entry.actor),  # None once the account has been removed
        "action": entry.action,
        "conversation_id": entry.conversation_id,
        "detail": entry.detail,
    }


def administrators_only(view: View) -> View:
    """401 without a session, 403 for any role but admin; the view runs only for admins."""

    @functools.wraps(view)
    async def guarded(request: web.Request) -> web.Response:
        await _administrator(request)
        return await view(request)

    return guarded


@administrators_only
async def audit_log(request: web.Request) -> web.Response:
    """``GET /api/audit?since=<epoch>&until=<epoch>``: the period's entries, oldest first.

    Without a period: the last seven days up to now (the hub's clock). At most the store's
    default limit of entries is returned; ask for a later ``since`` to read further.
    """
    hub = request.app[HUB]
    now = hub.clock.now()
    until = _epoch(request, "until", now)
    since = _epoch(request, "since", until - DEFAULT_PERIOD)
    if since > until:
        raise InvalidPayload("since must not be after until.")
    entries = await hub.store.audit_entries(since, until)
    names = {account.id: account.username for account in await hub.store.accounts()}
    response = web.json_response(
        {"ok": True, "entries": [_entry(entry, names) for entry in entries]}
    )
    response.headers["Cache-Control"] = "no-store"  # nobody's browser cache keeps the log
    return response


@administrators_only
async def holds(request: web.Request) -> web.Response:
    """``GET /api/holds``: conversations kept from the purge, why, by whom and until when."""
    hub = request.app[HUB]
    names = {a.id: a.username for a in await hub.store.accounts()}
    body = [
        {
            "conversation_id": hold.conversation_id,
            "by": hold.operator_id,
            "by_name": names.get(hold.operator_id),
            "reason": hold.reason,
            "since": iso(hold.created_at),
            "until": iso(hold.expires_at),
        }
        for hold in await hub.store.holds()
    ]
    response = web.json_response({"ok": True, "holds": body})
    response.headers["Cache-Control"] = "no-store"
    return response
