"""What every server-rendered page family (widget, console) shares: templates and strings.

Autoescaping is always on: aliases, usernames, line names and privacy statements come from
people and configuration and are never trusted as HTML. Strings live in ``<folder>/locales``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2


@cache
def templates(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def locale(folder: Path, name: str) -> dict[str, str]:
    """``<folder>/locales/<name>.json``, read once."""
    data: dict[str, str] = json.loads((folder / "locales" / f"{name}.json").read_text("utf-8"))
    return data
