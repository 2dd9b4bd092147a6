"""Strings a visitor or volunteer reads, in Dutch and English, from ``chatserver/locales``.

The hub writes system messages in the conversation's language at the moment they happen,
so a stored transcript reads the same later for the visitor; each keeps its ``system.<code>``
and parameters too, so a console words it in the volunteer's own language. Missing keys fall
back to English, then to the key itself: a visible key is a bug report, a crash is not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
FALLBACK = "en"


@cache
def catalog(lang: str) -> dict[str, str]:
    path = LOCALES / f"{lang}.json"
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def available() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.json"))


def t(lang: str, key: str, **values: object) -> str:
    text = catalog(lang).get(key) or catalog(FALLBACK).get(key) or key
    return text.format(**values) if values else text


def localized(texts: Mapping[str, str], lang: str, fallback: str = "") -> str:
    """The label in ``lang``, else English, else the first one configured, else ``fallback``.

    Configuration carries labels per language (line names, topics, procedures); a language
    an operator added for one label only must still show *something* everywhere else, and
    a missing label must show the caller's fallback (often an id), never a blank.
    """
    return texts.get(lang) or texts.get(FALLBACK) or next(iter(texts.values()), "") or fallback
