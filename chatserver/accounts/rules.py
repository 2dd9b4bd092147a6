"""What an operator account may be: roles, the limits of its fields, and which roles must
use a second factor. Pure rules, with no storage and no crypto, so the CLI, the admin pages
and the hub check the same thing and a form can show every broken rule at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType

from chatserver.errors import InvalidPayload

ROLES = ("volunteer", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is an attack
MAX_ALIAS = 40
# More chats at once than this is no longer care; it guards against a typo like 30 for 3.
MAX_CAPACITY = 10

# Which roles must log in with a TOTP code. Supervisors and administrators can read along in
# any conversation and change accounts, so a stolen password alone must not be enough. A
# volunteer sees only the chats it holds and often logs in from a shared office computer
# without a phone at hand, so it is off by default. This is the default only: the running
# server asks ``requires_two_factor`` with ``[accounts] two_factor_roles`` from the settings.
# A role that needs it but an account without a secret yet (new from the admin pages, or
# reset by an administrator) enrols at its next login: see ``Enrolments``.
TWO_FACTOR: Mapping[str, bool] = MappingProxyType(
    {"volunteer": False, "supervisor": True, "admin": True}
)


def requires_two_factor(role: str, roles: Collection[str] | None = None) -> bool:
    """Whether ``role`` must log in with a TOTP code: ``roles`` from the settings
    (``settings.accounts.two_factor_roles``), or the default ``TWO_FACTOR`` without them."""
    if roles is None:
        return TWO_FACTOR.get(role, True)  # an unknown role gets the stricter rule
    return role in roles or role not in ROLES


def problems(
    *,
    username: str | None = None,
    password: str | None = None,
    role: str | None = None,
    capacity: int | None = None,
    languages: Iterable[str] | None = None,
) -> list[InvalidPayload]:
    """Every rule the given values break, whoever makes or edits the account (CLI or admin
    pages); values left out are not checked.

    Each error names its ``field``, so a form can show all of them at once, each next to its
    input, instead of one per attempt.
    """
    found: list[InvalidPayload] = []
    if username is not None and not USERNAME.match(username.strip().lower()):
        found.append(
            InvalidPayload(
                "Usernames are 2-40 characters: a-z, 0-9, '.', '_' or '-'.", field="username"
            )
        )
    if password is not None and len(password) < MIN_PASSWORD:
        found.append(
            InvalidPayload(
                f"A password needs at least {MIN_PASSWORD} characters.", field="password"
            )
        )
    elif password is not None and len(password) > MAX_PASSWORD:
        found.append(
            InvalidPayload(f"A password has at most {MAX_PASSWORD} characters.", field="password")
        )
    if role is not None and role not in ROLES:
        found.append(InvalidPayload(f"role must be one of {', '.join(ROLES)}", field="role"))
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        found.append(InvalidPayload(f"capacity must be 1 to {MAX_CAPACITY}", field="capacity"))
    if languages is not None and not tuple(languages):
        found.append(InvalidPayload("An account needs at least one language.", field="languages"))
    return found


def raise_first(found: list[InvalidPayload]) -> None:
    """Raise the first broken rule: for callers that need one valid value, not a form."""
    if found:
        raise found[0]
