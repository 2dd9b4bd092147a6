"""Operator accounts and login sessions: argon2 passwords, TOTP second factor, lockout, CSRF.

A console account can read what people in crisis wrote, so logging in is guarded in depth:
a second factor for the roles that see everything (supervisors, administrators), a lockout
that makes guessing a password slow, and a CSRF token that a page must send back with every
request that changes something, so another site cannot act with the operator's cookie.

The package, by seam:

* ``rules``: roles, field limits, which roles need 2FA, every broken rule of a form;
* ``credentials``: argon2 passwords and TOTP codes, secrets and QR codes;
* ``profiles``: making and editing an account by the rules;
* ``sessions``: login (with the lockout and the second factor), sessions, CSRF, logout;
* ``throttle``: the lockout's memory; ``enrolments``: 2FA set-ups in progress.

Import from here (``from chatserver import accounts``); the errors a login raises are in
``chatserver.errors``.
"""

from __future__ import annotations

from chatserver.accounts.credentials import (
    TOTP_STEP,
    hash_password,
    provisioning_qr_svg,
    provisioning_uri,
    secret_uri,
    verify_password,
)
from chatserver.accounts.enrolments import Enrolments, PendingEnrolment
from chatserver.accounts.profiles import edited, new_account
from chatserver.accounts.rules import (
    MAX_ALIAS,
    MAX_CAPACITY,
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    TWO_FACTOR,
    USERNAME,
    problems,
    requires_two_factor,
)
from chatserver.accounts.sessions import (
    SESSION_IDLE_SECONDS,
    authenticate,
    complete_enrolment,
    csrf_matches,
    keep_alive,
    login,
    logout,
)
from chatserver.accounts.throttle import LoginThrottle

__all__ = [
    "MAX_ALIAS",
    "MAX_CAPACITY",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "ROLES",
    "SESSION_IDLE_SECONDS",
    "TOTP_STEP",
    "TWO_FACTOR",
    "USERNAME",
    "Enrolments",
    "LoginThrottle",
    "PendingEnrolment",
    "authenticate",
    "complete_enrolment",
    "csrf_matches",
    "edited",
    "hash_password",
    "keep_alive",
    "login",
    "logout",
    "new_account",
    "problems",
    "provisioning_qr_svg",
    "provisioning_uri",
    "requires_two_factor",
    "secret_uri",
    "verify_password",
]
