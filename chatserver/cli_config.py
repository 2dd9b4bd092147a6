"""``chatserver check-config``: validate a configuration file before (re)starting the server.

An administrator edits TOML by hand; this prints every mistake with the file, the key and what
is expected there, so one run shows all fixes instead of one failed start per typo.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chatserver.settings import DEFAULT_CONFIG, collect_errors, load_settings


def check_config(path: str | Path | None = None) -> int:
    """Print "<file>: OK (<n> lines: a, b)" and return 0, or each error on stderr and return 1.

    Without a path the shipped default configuration is checked.
    """
    file = str(Path(path) if path is not None else DEFAULT_CONFIG)
    errors = collect_errors(path)
    if errors:
        for error in errors:
            print(f"{error.file}: {error.key}: {error.expected}", file=sys.stderr)
        return 1
    settings = load_settings(path)
    count = len(settings.lines)
    ids = ", ".join(line.id for line in settings.lines)
    print(f"{file}: OK ({count} {'line' if count == 1 else 'lines'}: {ids})")
    return 0
