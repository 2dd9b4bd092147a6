"""Operator accounts and login sessions: argon2 passwords, TOTP second factor, lockout, CSRF.

Only a hash of a session token is stored, like the visitors' resume tokens: a copy of the
database lets nobody log in. Sessions end after a period without activity.

A console account can read what people in crisis wrote, so logging in is guarded in depth:
a second factor for the roles that see everything (supervisors, administrators), a lockout
that makes guessing a password slow, and a CSRF token that a page must send back with every
request that changes something, so another site cannot act with the operator's cookie.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.backends.base import Session, Store
from chatserver.clock import Clock
from chatserver.errors import (
    EnrolmentRequired,
    InvalidCredentials,
    InvalidOtp,
    InvalidPayload,
    Locked,
    OtpRequired,
)
from chatserver.hub.model import Account
from chatserver.tokens import hash_token

ROLES = ("volunteer", "supervisor", "admin")
SESSION_IDLE_SECONDS = 8 * 3600  # a long evening shift without a break still stays logged in
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
TOTP_STEP = 30  # seconds per code, what every authenticator app uses
TOTP_WINDOW = 1  # one step either side: a phone clock a little off still works

_hasher = PasswordHasher()
# verified when the username is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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


def _raise_first(found: list[InvalidPayload]) -> None:
    if found:
        raise found[0]


def hash_password(password: str) -> str:
    """Check the length rules and hash; the clear text is never kept anywhere."""
    _raise_first(problems(password=password))
    return _hasher.hash(password)


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
    _raise_first(
        problems(
            username=username, password=password, role=role, capacity=capacity,
            languages=languages,
        )
    )  # fmt: skip
    password_hash = _hasher.hash(password)
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
        totp_secret=pyotp.random_base32() if requires_two_factor(role, two_factor_roles) else None,
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
    _raise_first(problems(role=role, capacity=capacity, languages=languages))
    return replace(
        account,
        role=role,
        alias=alias.strip()[:MAX_ALIAS] or account.username,
        lines=tuple(lines),
        languages=tuple(languages),
        capacity=capacity,
        backup=backup,
    )


def provisioning_uri(account: Account, issuer: str = "Chatserver") -> str:
    """The ``otpauth://`` URI an authenticator app reads (as text or as a QR code)."""
    if not account.totp_secret:
        raise ValueError(f"{account.username} has no TOTP secret")
    return secret_uri(account.totp_secret, account.username, issuer)


def secret_uri(secret: str, username: str, issuer: str = "Chatserver") -> str:
    """The ``otpauth://`` URI for a secret that is not stored yet (enrolment)."""
    return pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(
        name=username, issuer_name=issuer
    )


def provisioning_qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code: no image host, no CDN, nothing leaves the server."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return svg


def verify_password(account: Account | None, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password) and (
            account is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def csrf_matches(session: Session, token: str | None) -> bool:
    """Constant-time comparison, so the token cannot be guessed one character at a time."""
    return bool(token) and hmac.compare_digest(session.csrf, token or "")


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failed logins per username, in memory: a lockout with a growing delay.

    The first ``FREE`` failures cost nothing; then the name is locked for ``FIRST_LOCK``
    seconds, and each further failure doubles that, up to ``MAX_LOCK``. Unknown usernames
    are counted like real ones, so a lockout reveals nothing about which names exist. A
    success forgets the name, and so does a day without failures. It lives in one process:
    with several nodes an attacker gets a budget per node, which is still slow. Used TOTP
    codes are remembered here too, so a code seen over someone's shoulder works only once.
    """

    FREE = 5
    FIRST_LOCK = 30.0
    MAX_LOCK = 15 * 60.0
    FORGET_AFTER = 24 * 3600.0
    MAX_TRACKED = 10_000  # bounded memory, whatever names an attacker invents

    def __init__(self) -> None:
        self._failures: dict[str, _Failures] = {}
        self._last_step: dict[str, int] = {}

    def check(self, username: str, now: float) -> None:
        """Raise ``Locked`` while the name is locked; nothing is verified meanwhile."""
        record = self._failures.get(username)
        if record is None:
            return
        if now - record.last > self.FORGET_AFTER:
            del self._failures[username]
        elif record.locked_until > now:
            wait = math.ceil(record.locked_until - now)
            raise Locked(f"Too many failed attempts. Try again in {wait} s.", retry_after=wait)

    def failed(self, username: str, now: float) -> None:
        if username not in self._failures and len(self._failures) >= self.MAX_TRACKED:
            self._forget_oldest(now)
        record = self._failures.setdefault(username, _Failures())
        record.count += 1
        record.last = now
        if record.count >= self.FREE:
            lock = min(self.FIRST_LOCK * 2 ** (record.count - self.FREE), self.MAX_LOCK)
            record.locked_until = now + lock

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

    def fresh_step(self, account_id: str, step: int) -> bool:
        """Whether this TOTP time step is newer than the last one used; remember it if so."""
        if step <= self._last_step.get(account_id, -1):
            return False
        self._last_step[account_id] = step
        return True

    def _forget_oldest(self, now: float) -> None:
        """Drop expired locks first, then the oldest records, to stay within MAX_TRACKED."""
        order = sorted(
            self._failures,
            key=lambda n: (self._failures[n].locked_until > now, self._failures[n].last),
        )
        for name in order[: max(1, len(order) // 10)]:
            del self._failures[name]


@dataclass
class PendingEnrolment:
    """A secret shown to someone who proved the password, not yet confirmed by a code."""

    account_id: str
    username: str
    secret: str
    csrf: str  # the enrolment form's token: no session exists yet to carry one
    expires_at: float


class Enrolments:
    """Second-factor enrolments in progress, in memory, keyed by a random token (a cookie).

    The secret is made here and stored on the account only when a code from the app proves
    it was scanned: an enrolment left half-way changes nothing, and a secret nobody confirmed
    never becomes a way in. Pending ones vanish after ``TTL`` seconds, and there is one per
    account at a time (a new login replaces it). Per process, like the lockout: a restart
    just means logging in again.
    """

    TTL = 600.0  # ten minutes to install an app and scan a code
    MAX_PENDING = 1000  # bounded memory, however many logins an attacker with passwords starts

    def __init__(self) -> None:
        self._pending: dict[str, PendingEnrolment] = {}

    def start(self, account: Account, now: float) -> tuple[str, PendingEnrolment]:
        """A fresh secret and the token that finds it again; forgets older ones of the account."""
        self._forget(lambda p: p.expires_at <= now or p.account_id == account.id)
        if len(self._pending) >= self.MAX_PENDING:
            oldest = min(self._pending, key=lambda token: self._pending[token].expires_at)
            del self._pending[oldest]
        token = secrets.token_urlsafe(32)
        pending = PendingEnrolment(
            account.id, account.username, pyotp.random_base32(), secrets.token_urlsafe(24),
            now + self.TTL,
        )  # fmt: skip
        self._pending[token] = pending
        return token, pending

    def get(self, token: str | None, now: float) -> PendingEnrolment | None:
        """The enrolment behind a cookie, or None when unknown or expired."""
        pending = self._pending.get(token or "")
        if pending is not None and pending.expires_at <= now:
            del self._pending[token or ""]
            return None
        return pending

    def finish(self, token: str) -> None:
        self._pending.pop(token, None)

    def _forget(self, matches: Callable[[PendingEnrolment], bool]) -> None:
        for token in [t for t, p in self._pending.items() if matches(p)]:
            del self._pending[token]


def _totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code matches, within the allowed drift; None if none does."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = int(now // TOTP_STEP)
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        step = current + offset
        if hmac.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


async def login(
    store: Store,
    clock: Clock,
    username: str,
    password: str,
    otp: str | None = None,
    throttle: LoginThrottle | None = None,
    two_factor_roles: Collection[str] | None = None,
) -> tuple[str, Session, Account]:
    """Check credentials (and the TOTP code where the role needs one) and open a session.

    The token goes into the cookie only. Raises ``Locked``, ``InvalidCredentials``,
    ``OtpRequired``, ``InvalidOtp`` or ``EnrolmentRequired``. A missing code is not counted
    as a failure (the page asks for it next); a wrong password or a wrong code is. Without a
    ``throttle`` there is no lockout and no memory of used codes: the HTTP routes always pass
    the app's one.
    """
    name = username.strip().lower()
    throttle = throttle or LoginThrottle()
    now = clock.now()
    throttle.check(name, now)
    account = await store.account_by_username(name)
    # argon2 takes tens of milliseconds of CPU: off the event loop, so chats keep flowing
    right = await asyncio.to_thread(verify_password, account, password)
    if not right or account is None or not account.active:
        throttle.failed(name, now)
        raise InvalidCredentials()
    if requires_two_factor(account.role, two_factor_roles) or account.totp_secret:
        if not account.totp_secret:
            # the role needs 2FA but the account has no secret yet (new, or reset by an
            # administrator): the page shows the enrolment step. Like a missing code this is
            # not a failure, and it does not forget earlier ones either.
            raise EnrolmentRequired(account)
        if not otp:
            raise OtpRequired()
        step = _totp_step(account.totp_secret, otp, now)
        if step is None or not throttle.fresh_step(account.id, step):
            throttle.failed(name, now)
            raise InvalidOtp()
    throttle.succeeded(name)
    token, session = await _open_session(store, account, now)
    return token, session, account


async def complete_enrolment(
    store: Store, clock: Clock, pending: PendingEnrolment, code: str, throttle: LoginThrottle
) -> tuple[str, Session, Account]:
    """Check a code against the pending secret, store the secret and open a session.

    Raises ``Locked`` or ``InvalidOtp`` (counted as a failure, like a wrong code at login),
    or ``InvalidCredentials`` when the account was deactivated or got a secret meanwhile
    (enrolled in another tab): then the person logs in again from the start.
    """
    now = clock.now()
    throttle.check(pending.username, now)
    step = _totp_step(pending.secret, code, now)
    if step is None:
        throttle.failed(pending.username, now)
        raise InvalidOtp()
    account = await store.account(pending.account_id)
    if account is None or not account.active or account.totp_secret:
        raise InvalidCredentials("Log in again.")
    throttle.fresh_step(account.id, step)  # this code cannot log in a second time
    account = replace(account, totp_secret=pending.secret)
    await store.update_account(account)
    throttle.succeeded(pending.username)
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
        await store.delete_session(digest)
        return None
    account = await store.account(session.operator_id)
    if account is None or not account.active:
        return None
    await store.touch_session(digest, now)
    return session, account


async def logout(store: Store, token: str | None) -> None:
    if token:
        await store.delete_session(hash_token(token))
