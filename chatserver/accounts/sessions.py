"""Logging in and staying logged in: sessions behind a cookie, their CSRF token, logout.

Only a hash of a session token is stored, like the visitors' resume tokens: a copy of the
database lets nobody log in. Sessions end after a period without activity, on a page or on a
console's socket (``keep_alive``); the hub's sweep ends the idle ones and closes their
sockets (``hub/sessions.py``).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Collection
from dataclasses import replace

from chatserver.accounts.credentials import totp_step, verify_password
from chatserver.accounts.enrolments import PendingEnrolment
from chatserver.accounts.rules import requires_two_factor
from chatserver.accounts.throttle import LoginThrottle, Throttle
from chatserver.backends.base import Session, Store
from chatserver.clock import Clock
from chatserver.errors import EnrolmentRequired, InvalidCredentials, InvalidOtp, OtpRequired
from chatserver.hub.model import Account
from chatserver.tokens import hash_token

SESSION_IDLE_SECONDS = 8 * 3600  # a long evening shift without a break still stays logged in


def csrf_matches(session: Session, token: str | None) -> bool:
    """Constant-time comparison, so the token cannot be guessed one character at a time."""
    return bool(token) and hmac.compare_digest(session.csrf, token or "")


async def login(
    store: Store,
    clock: Clock,
    username: str,
    password: str,
    otp: str | None = None,
    throttle: Throttle | None = None,
    two_factor_roles: Collection[str] | None = None,
    source: str = "",
) -> tuple[str, Session, Account]:
    """Check credentials (and the TOTP code where the role needs one) and open a session.

    The token goes into the cookie only. Raises ``Locked``, ``InvalidCredentials``,
    ``OtpRequired``, ``InvalidOtp`` or ``EnrolmentRequired``. A missing code is not counted
    as a failure (the page asks for it next); a wrong password or a wrong code is. Without a
    ``throttle`` there is no lockout and no memory of used codes: the HTTP routes always pass
    the app's one, and the ``source`` of the request (a pseudonym, never an address).
    """
    name = username.strip().lower()
    throttle = throttle or LoginThrottle()
    now = clock.now()
    await throttle.check(name, source, now)
    account = await store.account_by_username(name)
    # argon2 takes tens of milliseconds of CPU: off the event loop, so chats keep flowing
    right = await asyncio.to_thread(verify_password, account, password)
    if not right or account is None or not account.active:
        await throttle.failed(name, source, now)
        raise InvalidCredentials()
    if requires_two_factor(account.role, two_factor_roles) or account.totp_secret:
        if not account.totp_secret:
            # the role needs 2FA but the account has no secret yet (new, or reset by an
            # administrator): the page shows the enrolment step. Like a missing code this is
            # not a failure, and it does not forget earlier ones either.
            raise EnrolmentRequired(account)
        if not otp:
            raise OtpRequired()
        step = totp_step(account.totp_secret, otp, now)
        if step is None or not await throttle.fresh_step(account.id, step):
            await throttle.failed(name, source, now)
            raise InvalidOtp()
    await throttle.succeeded(name, source)
    token, session = await _open_session(store, account, now)
    return token, session, account


async def complete_enrolment(
    store: Store,
    clock: Clock,
    pending: PendingEnrolment,
    code: str,
    throttle: Throttle,
    source: str = "",
) -> tuple[str, Session, Account]:
    """Check a code against the pending secret, store the secret and open a session.

    Raises ``Locked`` or ``InvalidOtp`` (counted as a failure, like a wrong code at login),
    or ``InvalidCredentials`` when the account was deactivated or got a secret meanwhile
    (enrolled in another tab): then the person logs in again from the start.
    """
    now = clock.now()
    await throttle.check(pending.username, source, now)
    step = totp_step(pending.secret, code, now)
    if step is None:
        await throttle.failed(pending.username, source, now)
        raise InvalidOtp()
    account = await store.account(pending.account_id)
    if account is None or not account.active or account.totp_secret:
        raise InvalidCredentials("Log in again.")
    await throttle.fresh_step(account.id, step)  # this code cannot log in a second time
    account = replace(account, totp_secret=pending.secret)
    await store.update_account(account)
    await throttle.succeeded(pending.username, source)
    token, session = await _open_session(store, account, now)
    return token, session, account


async def _open_session(store: Store, account: Account, now: float) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    session = Session(hash_token(token), account.id, secrets.token_urlsafe(24), now, now)
    await store.add_session(session)
    return token, session


async def authenticate(
    store: Store, clock: Clock, token: str | None
) -> tuple[Session, Account] | None:
    """The session and account behind a cookie, or None if unknown, expired or deactivated."""
    if not token or len(token) > 128:
        return None
    digest = hash_token(token)
    session = await store.session(digest)
    if session is None:
        return None
    now = clock.now()
    if now - session.last_seen > SESSION_IDLE_SECONDS:
        return None  # the hub's sweep ends it, and closes the sockets opened with it
    account = await store.account(session.operator_id)
    if account is None or not account.active:
        return None
    await store.touch_session(digest, now)
    return session, account


async def keep_alive(store: Store, clock: Clock, session_hash: str) -> bool:
    """Activity on a console socket counts as the session's: its idle timer starts again.

    False when the session has ended meanwhile (logged out, or idle too long): then the
    socket must not act any more, whatever it still holds.
    """
    session = await store.session(session_hash)
    now = clock.now()
    if session is None or now - session.last_seen > SESSION_IDLE_SECONDS:
        return False
    await store.touch_session(session_hash, now)
    return True


async def logout(store: Store, token: str | None) -> None:
    if token:
        await store.delete_session(hash_token(token))
