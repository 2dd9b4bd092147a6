"""Accounts: the list, a new account, and one account's settings, password, 2FA and access.

The rules for accounts live in ``chatserver.accounts`` and the changes themselves are hub
actions (``hub/account_changes.py``: saved, audited, and live consoles told); these views
only read forms, call them and render the outcome. Forms post, then redirect (303) to a page
that says what happened, so reloading never repeats an action.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from chatserver import accounts
from chatserver.errors import ErrorPage, InvalidPayload, UnknownAccount
from chatserver.hub.model import Account
from chatserver.i18n import localized
from chatserver.web.admin.guard import Ctx, admin_page
from chatserver.web.keys import HUB

LANGUAGES = ("nl", "en")  # the languages an account can serve: those the service speaks
# the account form's fields, top to bottom: the order of its error summary
FIELDS = (
    "username", "alias", "role", "lines", "languages", "capacity", "password", "password_repeat",
)  # fmt: skip
DONE = ("created", "saved", "password", "two_factor", "deactivated", "reactivated")
NO_SUCH_ACCOUNT = ErrorPage("admin_not_found_title", "admin_not_found", "/admin")


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
