"""What proves who you are: the password (argon2) and the second factor (TOTP).

The clear-text password is never kept: only its argon2 hash, which makes guessing slow even
for someone holding a copy of the database. The TOTP secret is shown once, as a QR code made
on this server, so no image service ever sees it.
"""

from __future__ import annotations

import hmac
import secrets

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.accounts.rules import problems, raise_first
from chatserver.hub.model import Account

TOTP_STEP = 30  # seconds per code, what every authenticator app uses
TOTP_WINDOW = 1  # one step either side: a phone clock a little off still works

_hasher = PasswordHasher()
# verified when the username is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Check the length rules and hash; the clear text is never kept anywhere."""
    raise_first(problems(password=password))
    return _hasher.hash(password)


def verify_password(account: Account | None, password: str) -> bool:
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password) and (
            account is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


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


def totp_step(secret: str, code: str, now: float) -> int | None:
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
