"""The one road from plain text to HTML.

Visitor and operator text is stored as plain text. The ``html`` field of a message is made
here and nowhere else: everything is escaped, and only http, https and mailto links become
clickable, opening in a new tab with no referrer and no trust. What counts as a link is
decided by :mod:`chatserver.privacy.links`, in time linear in the text, so no message can
hold up the server (the hub makes each message's HTML once, when it is posted).

A URL that holds invisible control or format characters (bidi overrides such as U+202E,
zero-width spaces) stays plain text: they let a link read as another address than the one it
opens (an override before "moc.elgoog" displays "google.com"), and no honest link needs them.

Like any HTML parser, the output carries CR and CRLF as LF and drops NUL; the stored text
keeps them.
"""

from __future__ import annotations

from html import escape

from chatserver.privacy.links import find_links

SAFE_REL = "noopener noreferrer nofollow"


def to_html(text: str) -> str:
    """Escape ``text`` completely, with its safe links as anchors."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    parts: list[str] = []
    done = 0
    for link in find_links(text):
        parts.append(escape(text[done : link.start]))
        parts.append(
            f'<a href="{escape(link.href)}" rel="{SAFE_REL}" target="_blank">'
            f"{escape(text[link.start : link.end])}</a>"
        )
        done = link.end
    parts.append(escape(text[done:]))
    return "".join(parts)
