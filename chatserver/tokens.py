"""The one way a secret token (a visitor's resume token, an operator's session) is stored.

Only this hash reaches storage, so a copy of the database can resume nobody's chat and log
nobody in. The tokens are long random strings, so a plain SHA-256 suffices: there is no
password to guess and nothing a slow hash would protect.
"""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
