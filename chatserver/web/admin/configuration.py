"""The configuration the server runs with, read-only: ``/admin/config``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from chatserver import accounts
from chatserver.i18n import localized
from chatserver.settings import WEEKDAYS, Contact, Interval, LineSettings, Settings
from chatserver.web.admin.guard import Ctx, admin_page


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _intervals(intervals: tuple[Interval, ...]) -> list[str]:
    return [f"{_clock(i.start)}–{_clock(i.end)}" for i in intervals]


def _contact(contact: Contact, lang: str) -> dict[str, str | None]:
    return {"label": localized(contact.label, lang), "phone": contact.phone, "url": contact.url}


def _line_view(settings: Settings, line: LineSettings, lang: str) -> dict[str, Any]:
    """One line as the configuration page shows it: hours per weekday in the line's own time
    zone (an evening across midnight shows as two days, as the server applies it)."""
    retention = settings.retention_for(line.id)
    return {
        "id": line.id,
        "name": localized(line.name, lang, line.id),
        "languages": line.languages,
        "timezone": line.timezone,
        "hours": [(day, _intervals(line.hours.get(day, ()))) for day in WEEKDAYS],
        "exceptions": sorted((day, _intervals(i)) for day, i in line.exceptions.items()),
        "queue_limit": line.queue_limit,
        "emergency": [_contact(c, lang) for c in line.emergency],
        "alternatives": [_contact(c, lang) for c in line.alternatives],
        "alternatives_after": line.alternatives_after_seconds,
        "embed_origins": line.embed_origins,
        "exit_url": line.exit_url,
        "redact": line.redact,
        "emergency_procedure": localized(line.emergency_procedure, lang),
        "own_retention": line.retention is not None,
        "transcripts_days": retention.transcripts_days,
        "notes_days": retention.notes_days,
    }


@admin_page
async def config_page(ctx: Ctx) -> web.Response:
    """``GET /admin/config``: the settings the server runs with, read-only.

    Shown from the loaded ``Settings`` (not the file), so it is what is in force, defaults
    filled in. Nothing secret is in there to leave out: the abuse pseudonym key lives only in
    memory, and of the triage keywords only the counts are shown (the lists are sensitive
    reading, and long).
    """
    settings = ctx.settings
    return ctx.render(
        "admin_config.html", title=ctx.t["admin_config"], section="config",
        settings=settings, source=settings.source,
        lines=[_line_view(settings, line, ctx.lang) for line in settings.lines],
        keyword_counts=[(k, len(v)) for k, v in settings.triage.keywords.items()],
        wrapup_topics=[localized(topic.label, ctx.lang) for topic in settings.wrapup_topics],
        intake_topics=[localized(topic.label, ctx.lang) for topic in settings.intake_topics],
        two_factor=[
            (role, accounts.requires_two_factor(role, settings.accounts.two_factor_roles))
            for role in accounts.ROLES
        ],
    )  # fmt: skip
