"""JSON from clients, parsed once at the edge into values the rest of the server can hold.

Python's ``json`` accepts more than any honest client sends, and some of it breaks things
far from the edge: nesting a few thousand levels deep raises ``RecursionError`` (not a
``ValueError``), a 5000-digit integer raises a ``ValueError`` of its own and a 4000-digit
one overflows SQLite and ``timedelta`` later, ``NaN`` and ``Infinity`` are not JSON at all,
and a lone UTF-16 surrogate (``"\\ud800"``) is a ``str`` that cannot be written as UTF-8,
so the store raises ``UnicodeEncodeError`` when it saves it (or ``hash_token`` when it hashes
it). Both transports parse through :func:`loads`, so each of these is one error,
:class:`BadJson`, that the edge answers with ``invalid_payload`` before any handler runs.
A lone surrogate gets the words the hub has long used for it in a message's text.
"""

from __future__ import annotations

import json
import re
from typing import Any

# JavaScript's safe integers: a JSON number beyond them is not what a browser meant
MAX_INT = 2**53 - 1
_DIGITS = len(str(MAX_INT)) + 1  # a sign, then at most as many digits as MAX_INT
# an escaped surrogate in the raw text; paired ones decode to one character and pass
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
NOT_TEXT = "The message contains characters that are not text."


class BadJson(ValueError):
    """Not JSON this server accepts; ``reason`` says why in a sentence that quotes nothing
    of the input, fit for the error's message and for the log."""

    NOT_JSON = "The payload is not valid JSON."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(digits: str) -> int:
    if len(digits) > _DIGITS:
        raise BadJson("A number is larger than this server accepts.")
    value = int(digits)
    if abs(value) > MAX_INT:
        raise BadJson("A number is larger than this server accepts.")
    return value


def _constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number.")


# made once: ``json.loads`` with hooks builds a new decoder on every call, and every event a
# client sends is parsed here (a BOM, which ``json.loads`` names, fails here as any bad JSON)
_DECODER = json.JSONDecoder(parse_int=_int, parse_constant=_constant)


def loads(text: str | bytes) -> Any:
    """``text`` as JSON; :class:`BadJson` for anything the server cannot hold."""
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode("utf-8")
        value = _DECODER.decode(text)
        if _SURROGATE_ESCAPE.search(text) and not _storable(value):
            raise BadJson(NOT_TEXT)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson("The payload is nested too deeply.") from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise BadJson(BadJson.NOT_JSON) from None
    return value


def _storable(value: Any) -> bool:
    """Whether every string in ``value`` (keys too) can be written as UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
