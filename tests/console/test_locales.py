"""Dutch and English say the same things: no key missing in one language, none unknown."""

from __future__ import annotations

import json
import re

from chatserver.web.console import CONSOLE


def catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CONSOLE / "locales" / f"{lang}.json").read_text())
    return data


def test_both_languages_have_the_same_keys_and_no_empty_text() -> None:
    nl, en = catalog("nl"), catalog("en")
    assert set(nl) == set(en)
    assert [k for k in nl if not nl[k].strip() or not en[k].strip()] == []


def test_every_key_the_pages_and_the_script_use_exists() -> None:
    keys = set(catalog("nl"))
    used: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        text = template.read_text()
        used |= set(re.findall(r"\bt\.([a-z_]+)", text))
        used |= {k for k in re.findall(r"\bt\[\"([a-z_]+)\"\]", text) if not k.endswith("_")}
    script = (CONSOLE / "static" / "console.js").read_text()
    used |= {k for k in re.findall(r"\bt\(\"([a-z_]+)\"", script) if not k.endswith("_")}
    assert sorted(used - keys) == []
    # keys built at run time from a prefix and a protocol value
    for prefix, values in {
        "state_": ("available", "paused", "away"),
        "risk_": ("none", "low", "high", "acute"),
        "left_": ("left", "quick_exit", "disconnected", "forgot"),
        "released_": ("ended", "handed_over", "taken_over", "disconnected"),
        "handover_declined_": ("declined", "timeout", "unavailable"),
        "observer_": ("backup", "observer"),
        "language_": ("nl", "en"),
    }.items():
        assert [prefix + v for v in values if prefix + v not in keys] == []
