"""What the ``test_settings_*`` files share: one valid ``[[lines]]`` table to vary key by key,
and a config file written where the test wants it.
"""

from __future__ import annotations

from pathlib import Path

BASE_LINE = {
    "id": '"chat"',
    "name": '"Chat"',
    "languages": '["nl", "en"]',
    "timezone": '"Europe/Amsterdam"',
    "always_open": "true",
    "emergency": '[{ label = "Alarmnummer", phone = "112" }]',
}


def line_toml(**changes: str | None) -> str:
    """One [[lines]] table: the valid base line with keys replaced (None drops a key)."""
    fields = {**BASE_LINE, **changes}
    body = "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)
    return "[[lines]]\n" + body


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chatserver.toml"
    path.write_text(text, encoding="utf-8")
    return path
