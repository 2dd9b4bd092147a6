"""Making and editing an account by the rules (``rules.py``), whoever does it: the CLI or
the administration pages. Saving, auditing and telling live consoles is the hub's part
(``hub/account_changes.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import replace

from chatserver.accounts.credentials import hash_password, new_totp_secret
from chatserver.accounts.rules import MAX_ALIAS, problems, raise_first, requires_two_factor
from chatserver.hub.model import Account


def new_account(
    username: str,
    password: str,
    role: str,
    alias: str | None,
    lines: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("nl", "en"),
    capacity: int = 1,
    backup: bool = False,
    now: float = 0.0,
    two_factor_roles: Collection[str] | None = None,
) -> Account:
    """Validate and build an account; the password is hashed here and never kept.

    When the role needs a second factor the TOTP secret is made here too, so the account is
    never without one: the creator hands it over through :func:`provisioning_uri`.
    """
    username = username.strip().lower()
    raise_first(
        problems(
            username=username, password=password, role=role, capacity=capacity,
            languages=languages,
        )
    )  # fmt: skip
    password_hash = hash_password(password)
    return Account(
        id="o" + secrets.token_hex(6),
        username=username,
        alias=(alias or "").strip()[:MAX_ALIAS] or username,
        role=role,
        password_hash=password_hash,
        lines=tuple(lines),
        languages=tuple(languages),
        capacity=capacity,
        backup=backup,
        totp_secret=new_totp_secret() if requires_two_factor(role, two_factor_roles) else None,
        created_at=now,
    )


def edited(
    account: Account,
    *,
    role: str,
    alias: str,
    lines: tuple[str, ...],
    languages: tuple[str, ...],
    capacity: int,
    backup: bool,
) -> Account:
    """The account with an administrator's changes, checked by the same rules as creation.

    A role that needs 2FA given to an account without a secret means enrolment at its next
    login; a role that does not need it keeps the secret it has (and so still asks a code).
    """
    raise_first(problems(role=role, capacity=capacity, languages=languages))
    return replace(
        account,
        role=role,
        alias=alias.strip()[:MAX_ALIAS] or account.username,
        lines=tuple(lines),
        languages=tuple(languages),
        capacity=capacity,
        backup=backup,
    )
