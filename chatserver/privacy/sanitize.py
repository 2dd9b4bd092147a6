"""The one road from plain text to HTML.

Visitor and operator text is stored as plain text. The ``html`` field of a message is made
here and nowhere else: everything is escaped, and only http, https and mailto links become
clickable, opening in a new tab with no referrer and no trust.

A URL that holds invisible control or format characters (bidi overrides such as U+202E,
zero-width spaces) stays plain text: they let a link read as another address than the one it
opens (an override before "moc.elgoog" displays "google.com"), and no honest link needs them.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any, cast

from bleach.linkifier import Linker

_SAFE_REL = "noopener noreferrer nofollow"


def _hidden(text: str) -> bool:
    """Does ``text`` hold a character that is not shown but changes what is shown?"""
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def _harden(attrs: dict[Any, str], new: bool = False) -> dict[Any, str] | None:
    href = attrs.get((None, "href"), "")
    if not href.lower().startswith(("http://", "https://", "mailto:")):
        return None  # leave it as text
    if _hidden(href) or _hidden(attrs.get("_text", "")):
        return None  # a link that may not read as where it goes stays text
    attrs[(None, "rel")] = _SAFE_REL
    attrs[(None, "target")] = "_blank"
    return attrs


_linker = Linker(callbacks=[_harden], skip_tags=None, parse_email=True)


def to_html(text: str) -> str:
    """Escape ``text`` completely, then turn safe links into anchors."""
    # bleach ships no type hints; linkify returns the str it was given, linked
    return cast(str, _linker.linkify(html.escape(text, quote=True)))
