"""The administration pages under ``/admin``: accounts, the effective configuration, the audit log.

Server-rendered like the console (same templates, same strict CSP, no script at all), for the
administrator role only: every view goes through :func:`admin_page`, which sends a visitor
without a session to the login, answers any other role with 403, and refuses a form without
the session's CSRF token. The rules for accounts live in ``chatserver.accounts`` and the
changes themselves are hub actions (``hub/account_changes.py``: saved, audited, and live
consoles told); these views only read forms, call them and render the outcome. Forms post,
then redirect (303) to a page that says what happened, so reloading never repeats an action.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

from chatserver import accounts
from chatserver.backends.base import AuditEntry, Session
from chatserver.errors import CsrfRejected, ErrorPage, Forbidden, InvalidPayload, UnknownAccount
from chatserver.hub.model import Account
from chatserver.i18n import localized
from chatserver.settings import WEEKDAYS, Contact, Interval, LineSettings, Settings
from chatserver.web import auth, operator_pages
from chatserver.web.keys import HUB, PAGE_LANG
from chatserver.web.operator_pages import admin_strings, form_field

Form = MultiDictProxy[str | Any]  # what request.post() gives: text fields (and file parts)
LANGUAGES = ("nl", "en")  # the languages an account can serve: those the service speaks
AUDIT_DAYS = 7  # the audit page's period when none is asked for
AUDIT_LIMIT = 1000
CSS = operator_pages.CONSOLE / "static" / "admin.css"
# the account form's fields, top to bottom: the order of its error summary
FIELDS = (
    "username", "alias", "role", "lines", "languages", "capacity", "password", "password_repeat",
)  # fmt: skip
DONE = ("created", "saved", "password", "two_factor", "deactivated", "reactivated")


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
NO_SUCH_ACCOUNT = ErrorPage("admin_not_found_title", "admin_not_found", "/admin")


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


# -- accounts ---------------------------------------------------------------------------------


@dataclass
class Profile:
    """An account form's values as entered, to fill the form again when something is wrong."""

    username: str = ""
    alias: str = ""
    role: str = "volunteer"
    lines: tuple[str, ...] = ()
    languages: tuple[str, ...] = LANGUAGES
    capacity: str = "1"
    backup: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, account: Account) -> Profile:
        return cls(
            account.username, account.alias, account.role, account.lines, account.languages,
            str(account.capacity), account.backup,
        )  # fmt: skip


def _read_profile(ctx: Ctx, role_fallback: str | None = None) -> tuple[Profile, int]:
    """The account form's fields; form-level problems go into ``errors`` (lines, alias,
    capacity that is no number), the account rules are checked by ``chatserver.accounts``."""
    assert ctx.form is not None
    known = {line.id for line in ctx.settings.lines}
    lines = tuple(v for v in ctx.form.getall("lines", []) if isinstance(v, str))
    chosen = {v for v in ctx.form.getall("languages", []) if isinstance(v, str)}
    profile = Profile(
        username=ctx.field("username", 200).strip().lower(),
        alias=ctx.field("alias", 200).strip(),
        role=ctx.field("role", 40) or role_fallback or "",
        lines=tuple(line.id for line in ctx.settings.lines if line.id in lines),
        languages=tuple(lang for lang in LANGUAGES if lang in chosen),
        capacity=ctx.field("capacity", 10).strip(),
        backup=ctx.field("backup", 10) == "on",
    )
    if set(lines) - known:
        profile.errors["lines"] = ctx.t["admin_error_lines"]
    if len(profile.alias) > accounts.MAX_ALIAS:
        profile.errors["alias"] = ctx.t["admin_error_alias"]
    try:
        capacity = int(profile.capacity)
    except ValueError:
        capacity = 0  # reported by the account rules: "1 to MAX_CAPACITY"
    return profile, capacity


def _explain(ctx: Ctx, profile: Profile, found: list[InvalidPayload]) -> None:
    """Each broken rule as a sentence in the page's language, next to its field."""
    for problem in found:
        name = str(problem.details.get("field", ""))
        text = ctx.t.get(f"admin_error_{name}", problem.message)
        profile.errors.setdefault(
            name, text.format(min=accounts.MIN_PASSWORD, max=accounts.MAX_CAPACITY)
        )
    # in the order of the form, so the summary reads top to bottom like the page
    order = {name: index for index, name in enumerate(FIELDS)}
    profile.errors = dict(sorted(profile.errors.items(), key=lambda e: order.get(e[0], 99)))


def _form_values(ctx: Ctx) -> dict[str, Any]:
    """What every account form needs besides the profile: the choices it offers."""
    return {
        "roles": accounts.ROLES,
        "line_choices": [
            (line.id, localized(line.name, ctx.lang, line.id)) for line in ctx.settings.lines
        ],
        "language_choices": LANGUAGES,
        "max_capacity": accounts.MAX_CAPACITY,
        "min_password": accounts.MIN_PASSWORD,
    }


@admin_page
async def accounts_page(ctx: Ctx) -> web.Response:
    """``GET /admin``: every account and what it may do; a notice after a change."""
    store = ctx.request.app[HUB].store
    everyone = await store.accounts()
    names = {line.id: localized(line.name, ctx.lang, line.id) for line in ctx.settings.lines}
    return ctx.render(
        "admin_accounts.html", title=ctx.t["admin_accounts"], section="accounts",
        accounts=everyone, line_names=names, notice=_notice(ctx, everyone),
        two_factor=functools.partial(
            _two_factor_state, roles=ctx.settings.accounts.two_factor_roles
        ),
    )  # fmt: skip


def _two_factor_state(account: Account, roles: tuple[str, ...]) -> str:
    if account.totp_secret:
        return "set"
    return "pending" if accounts.requires_two_factor(account.role, roles) else "off"


def _notice(ctx: Ctx, everyone: list[Account]) -> str | None:
    """The sentence for ``?done=<what>&who=<id>`` after a redirect, or None."""
    done, who = ctx.request.query.get("done"), ctx.request.query.get("who")
    if done not in DONE:
        return None
    name = next((a.username for a in everyone if a.id == who), "")
    return ctx.t[f"admin_done_{done}"].format(username=name)


@admin_page
async def new_account_page(ctx: Ctx) -> web.Response:
    """``GET /admin/accounts/new``: the empty form, defaults from the configuration."""
    capacity = str(min(ctx.settings.routing.default_capacity, accounts.MAX_CAPACITY))
    return ctx.render(
        "admin_account_new.html", title=ctx.t["admin_new_title"], section="accounts",
        profile=Profile(capacity=capacity), **_form_values(ctx),
    )  # fmt: skip


@admin_page
async def create_account(ctx: Ctx) -> web.Response:
    """``POST /admin/accounts``: the rules of ``accounts.new_account``; 400 with every
    problem at once, or the account and a redirect to the list.

    No TOTP secret is made here, unlike the CLI: a supervisor or administrator enrols at the
    first login with its own phone, so no administrator ever sees someone else's secret.
    """
    profile, capacity = _read_profile(ctx)
    password = ctx.field("password")
    if password != ctx.field("password_repeat"):
        profile.errors["password_repeat"] = ctx.t["admin_error_password_repeat"]
    _explain(
        ctx, profile,
        accounts.problems(
            username=profile.username, password=password, role=profile.role,
            capacity=capacity, languages=profile.languages,
        ),
    )  # fmt: skip
    hub = ctx.request.app[HUB]
    if not profile.errors:
        made = await asyncio.to_thread(  # argon2 takes CPU: off the event loop
            accounts.new_account, profile.username, password, profile.role,
            profile.alias or None, profile.lines, profile.languages, capacity, profile.backup,
            hub.clock.now(),
        )  # fmt: skip
        account = replace(made, totp_secret=None)
        try:
            await hub.create_account(ctx.me.id, account)
        except ValueError:
            profile.errors["username"] = ctx.t["admin_error_username_taken"]
        else:
            raise ctx.see_other("/admin", done="created", who=account.id)
    return ctx.render(
        "admin_account_new.html", 400, title=ctx.t["admin_new_title"], section="accounts",
        profile=profile, **_form_values(ctx),
    )  # fmt: skip


async def _target(ctx: Ctx) -> Account:
    """The account named in the path; unknown ones end in the guard's 404 page."""
    account = await ctx.request.app[HUB].store.account(ctx.request.match_info["id"])
    if account is None:
        raise UnknownAccount(page=NO_SUCH_ACCOUNT)
    return account


def _account_page(
    ctx: Ctx, account: Account, status: int = 200, profile: Profile | None = None,
    password_errors: dict[str, str] | None = None, access_error: str | None = None,
) -> web.Response:  # fmt: skip
    done = ctx.request.query.get("done")
    return ctx.render(
        "admin_account.html", status,
        title=ctx.t["admin_edit_title"].format(username=account.username), section="accounts",
        account=account, profile=profile or Profile.of(account), self_edit=account.id == ctx.me.id,
        password_errors=password_errors or {}, access_error=access_error,
        two_factor=_two_factor_state(account, ctx.settings.accounts.two_factor_roles),
        notice=ctx.t[f"admin_done_{done}"].format(username=account.username)
        if done in DONE else None,
        **_form_values(ctx),
    )  # fmt: skip


@admin_page
async def account_page(ctx: Ctx) -> web.Response:
    """``GET /admin/accounts/{id}``: settings, password, 2FA and access of one account."""
    return _account_page(ctx, await _target(ctx))


@admin_page
async def edit_account(ctx: Ctx) -> web.Response:
    """``POST /admin/accounts/{id}``: role, alias, lines, languages, capacity, backup.

    Your own role stays: an administrator who demoted itself could not undo it, and the
    service could end up with nobody to manage accounts.
    """
    account = await _target(ctx)
    profile, capacity = _read_profile(ctx, role_fallback=account.role)
    profile.username = account.username
    if account.id == ctx.me.id and profile.role != account.role:
        profile.errors["role"] = ctx.t["admin_error_self"]
    _explain(
        ctx, profile,
        accounts.problems(role=profile.role, capacity=capacity, languages=profile.languages),
    )  # fmt: skip
    if profile.errors:
        return _account_page(ctx, account, 400, profile=profile)
    changed = accounts.edited(
        account, role=profile.role, alias=profile.alias, lines=profile.lines,
        languages=profile.languages, capacity=capacity, backup=profile.backup,
    )  # fmt: skip
    await ctx.request.app[HUB].edit_account(ctx.me.id, changed)
    raise ctx.see_other(f"/admin/accounts/{account.id}", done="saved")


@admin_page
async def reset_password(ctx: Ctx) -> web.Response:
    """``POST /admin/accounts/{id}/password``: a new password; every session ends."""
    account = await _target(ctx)
    password = ctx.field("password")
    errors: dict[str, str] = {}
    if password != ctx.field("password_repeat"):
        errors["password_repeat"] = ctx.t["admin_error_password_repeat"]
    if accounts.problems(password=password):
        errors["password"] = ctx.t["admin_error_password"].format(min=accounts.MIN_PASSWORD)
    if errors:
        return _account_page(ctx, account, 400, password_errors=errors)
    await ctx.request.app[HUB].set_password(ctx.me.id, account, password)
    raise ctx.see_other(f"/admin/accounts/{account.id}", done="password")


@admin_page
async def reset_two_factor(ctx: Ctx) -> web.Response:
    """``POST /admin/accounts/{id}/2fa``: forget the secret; enrolment at the next login."""
    account = await _target(ctx)
    await ctx.request.app[HUB].reset_two_factor(ctx.me.id, account)
    raise ctx.see_other(f"/admin/accounts/{account.id}", done="two_factor")


@admin_page
async def set_active(ctx: Ctx) -> web.Response:
    """``POST /admin/accounts/{id}/active`` with ``active=0|1``: (de)activate an account.

    Deactivation ends its sessions and live connections at once; not for your own account.
    """
    account = await _target(ctx)
    active = ctx.field("active", 1) == "1"
    if account.id == ctx.me.id and not active:
        return _account_page(ctx, account, 400, access_error=ctx.t["admin_error_self"])
    hub = ctx.request.app[HUB]
    if active:
        await hub.reactivate_account(ctx.me.id, account)
    else:
        await hub.deactivate_account(ctx.me.id, account)
    raise ctx.see_other(
        f"/admin/accounts/{account.id}", done="reactivated" if active else "deactivated"
    )


# -- configuration ----------------------------------------------------------------------------


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


# -- audit log --------------------------------------------------------------------------------


def _zone(settings: Settings) -> ZoneInfo:
    """The organisation's time: the first line's zone (UTC without lines)."""
    return ZoneInfo(settings.lines[0].timezone if settings.lines else "UTC")


def _period(ctx: Ctx, zone: ZoneInfo) -> tuple[date, date, bool]:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (local days, both included); else the last week.

    A malformed or reversed period falls back to the last week and says so.
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
    if first > last:
        return default[0], default[1], False
    return first, last, True


def _detail(entry: AuditEntry, names: dict[str, str]) -> str:
    """An operator id in ``detail`` (handover target, account changed) shown as its name."""
    if entry.detail is None:
        return ""
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
            "who": names.get(e.actor, e.actor),
            "action": e.action,
            "label": ctx.t.get(f"action_{e.action}", e.action),
            "conversation": e.conversation_id or "",
            "detail": _detail(e, names),
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


# -- files and routes -------------------------------------------------------------------------


async def stylesheet(request: web.Request) -> web.FileResponse:
    """``GET /admin/static/admin.css``: the one file of its own (used by the enrolment too)."""
    headers = {
        **operator_pages.FILE_HEADERS,
        "Content-Type": operator_pages.CSS,
        "Cache-Control": "no-cache",
    }
    return web.FileResponse(CSS, headers=headers)


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/admin", accounts_page)
    app.router.add_get("/admin/accounts/new", new_account_page)
    app.router.add_post("/admin/accounts", create_account)
    app.router.add_get("/admin/accounts/{id}", account_page)
    app.router.add_post("/admin/accounts/{id}", edit_account)
    app.router.add_post("/admin/accounts/{id}/password", reset_password)
    app.router.add_post("/admin/accounts/{id}/2fa", reset_two_factor)
    app.router.add_post("/admin/accounts/{id}/active", set_active)
    app.router.add_get("/admin/config", config_page)
    app.router.add_get("/admin/audit", audit_page)
    app.router.add_get("/admin/static/admin.css", stylesheet)
