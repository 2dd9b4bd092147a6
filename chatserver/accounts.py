"""Operator accounts and login sessions: argon2 passwords, random session tokens.

Only a hash of a session token is stored, like the visitors' resume tokens: a copy of the
database lets nobody log in. Sessions end after a period without activity.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.backends.base import Session, Store
from chatserver.clock import Clock
from chatserver.errors import InvalidCredentials, InvalidPayload
from chatserver.hub.model import Account

ROLES = ("volunteer", "supervisor", "admin")
SESSION_IDLE_SECONDS = 8 * 3600  # a long evening shift without a break still stays logged in
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# verified when the username is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
) -> Account:
    """Validate and build an account; the password is hashed here and never kept."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidPayload("Usernames are 2-40 characters: a-z, 0-9, '.', '_' or '-'.")
    if role not in ROLES:
        raise InvalidPayload(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InvalidPayload(f"A password needs at least {MIN_PASSWORD} characters.")
    if capacity < 1:
        raise InvalidPayload("capacity must be at least 1")
    return Account(
        id="o" + secrets.token_hex(6),
        username=username,
        alias=(alias or username).strip()[:40],
        role=role,
        password_hash=_hasher.hash(password),
        lines=tuple(lines),
        languages=tuple(languages),
        capacity=capacity,
        backup=backup,
        created_at=now,
    )


def verify_password(account: Account | None, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password) and (
            account is not None
        )
    except (VerificationError, InvalidHashError):
        return False


async def login(
    store: Store, clock: Clock, username: str, password: str
) -> tuple[str, Session, Account]:
    """Check credentials and open a session; the token goes into the cookie only."""
    account = await store.account_by_username(username.strip().lower())
    if not verify_password(account, password) or account is None or not account.active:
        raise InvalidCredentials()
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session = Session(token_hash(token), account.id, secrets.token_urlsafe(24), now, now)
    await store.add_session(session)
    return token, session, account


async def authenticate(
    store: Store, clock: Clock, token: str | None
) -> tuple[Session, Account] | None:
    """The session and account behind a cookie, or None if unknown, expired or deactivated."""
    if not token or len(token) > 128:
        return None
    digest = token_hash(token)
    session = await store.session(digest)
    if session is None:
        return None
    now = clock.now()
    if now - session.last_seen > SESSION_IDLE_SECONDS:
        await store.delete_session(digest)
        return None
    account = await store.account(session.operator_id)
    if account is None or not account.active:
        return None
    await store.touch_session(digest, now)
    return session, account


async def logout(store: Store, token: str | None) -> None:
    if token:
        await store.delete_session(token_hash(token))
