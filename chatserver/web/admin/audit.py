"""The audit log and the safeguarding holds, for administrators: ``/admin/audit``.

Supervisors can read along invisibly and colleagues pass conversations on; that power is only
acceptable if someone can check afterwards how it was used. The log holds ids, actions and
short codes, never chat text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from chatserver.backends.base import AuditEntry
from chatserver.privacy.retention import SYSTEM_ACTOR
from chatserver.settings import Settings
from chatserver.web.admin.guard import Ctx, admin_page
from chatserver.web.keys import HUB
from chatserver.web.stats import FIRST_DAY, LAST_DAY

AUDIT_DAYS = 7  # the audit page's period when none is asked for
AUDIT_LIMIT = 1000


def _zone(settings: Settings) -> ZoneInfo:
    """The organisation's time: the first line's zone (UTC without lines)."""
    return ZoneInfo(settings.lines[0].timezone if settings.lines else "UTC")


def _period(ctx: Ctx, zone: ZoneInfo) -> tuple[date, date, bool]:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (local days, both included); else the last week.

    A malformed or reversed period falls back to the last week and says so; so does one
    outside the statistics' years (the calendar's ends overflowed computing midnights).
    """
    today = datetime.fromtimestamp(ctx.request.app[HUB].clock.now(), zone).date()
    default = (today - timedelta(days=AUDIT_DAYS - 1), today)
    raw_from, raw_to = ctx.request.query.get("from"), ctx.request.query.get("to")
    if raw_from is None and raw_to is None:
        return default[0], default[1], True
    try:
        first = date.fromisoformat(raw_from or "")
        last = date.fromisoformat(raw_to or "")
    except ValueError:
        return default[0], default[1], False
    if first > last or first < FIRST_DAY or last > LAST_DAY:
        return default[0], default[1], False
    return first, last, True


def _label(t: dict[str, str], action: str) -> str:
    """The action in the reader's words; an action without a label yet (a newer server's)
    as plain words rather than a key."""
    return t.get(f"action_{action}") or action.replace("_", " ")


def _who(t: dict[str, str], actor: str, names: dict[str, str]) -> str:
    if actor == SYSTEM_ACTOR:
        return t["audit_system"]
    return names.get(actor, actor)


def _detail(t: dict[str, str], entry: AuditEntry, names: dict[str, str]) -> str:
    """A risk level or a hold's days in words; an operator id (handover target, account
    changed, previous holder) shown as its name."""
    if not entry.detail:
        return ""
    if entry.action == "flag":
        return t.get(f"risk_{entry.detail}", entry.detail)
    if entry.action == "hold":
        return t["audit_hold_days"].format(n=entry.detail)
    return names.get(entry.detail, entry.detail)


@admin_page
async def audit_page(ctx: Ctx) -> web.Response:
    """``GET /admin/audit``: the period's entries (oldest first) and every safeguarding hold."""
    hub = ctx.request.app[HUB]
    zone = _zone(ctx.settings)
    first, last, valid = _period(ctx, zone)
    since = datetime.combine(first, datetime.min.time(), zone).timestamp()
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone).timestamp()
    entries = await hub.store.audit_entries(since, until - 0.001, AUDIT_LIMIT)
    names = {a.id: a.username for a in await hub.store.accounts()}
    now = hub.clock.now()

    def local(at: float) -> str:
        return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M")

    rows = [
        {
            "at": local(e.at),
            "who": _who(ctx.t, e.actor, names),
            "action": e.action,
            "label": _label(ctx.t, e.action),
            "conversation": e.conversation_id or "",
            "detail": _detail(ctx.t, e, names),
        }
        for e in entries
    ]
    holds = [
        {
            "conversation": h.conversation_id,
            "by": names.get(h.operator_id, h.operator_id),
            "reason": h.reason,
            "since": local(h.created_at),
            "until": local(h.expires_at),
            "lapsed": h.expires_at <= now,
        }
        for h in await hub.store.holds()
    ]
    return ctx.render(
        "admin_audit.html", title=ctx.t["admin_audit"], section="audit", rows=rows,
        holds=holds, first=first.isoformat(), last=last.isoformat(), valid=valid,
        limited=len(entries) >= AUDIT_LIMIT, limit=AUDIT_LIMIT, zone=str(zone),
    )  # fmt: skip
