"""Dutch and English say the same things: no key missing in one language, none unknown."""

from __future__ import annotations

import json
import re

from chatserver import i18n
from chatserver.web.operator_pages import CONSOLE

# every system line the hub can write (``system.<code>`` in chatserver/locales): the console
# words each from its code, in its own language
SYSTEM_CODES = tuple(
    k.removeprefix("system.") for k in i18n.catalog("en") if k.startswith("system.")
)


def catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CONSOLE / "locales" / f"{lang}.json").read_text())
    return data


def test_both_languages_have_the_same_keys_and_no_empty_text() -> None:
    nl, en = catalog("nl"), catalog("en")
    assert set(nl) == set(en)
    assert [k for k in nl if not nl[k].strip() or not en[k].strip()] == []


def test_every_key_the_pages_and_the_script_use_exists() -> None:
    # the administration pages and the enrolment add their own file (operator_pages.admin_strings)
    keys = set(catalog("nl")) | set(catalog("admin.nl"))
    used: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        text = template.read_text()
        used |= set(re.findall(r"\bt\.([a-z_]+)", text))
        used |= {k for k in re.findall(r"\bt\[\"([a-z_]+)\"\]", text) if not k.endswith("_")}
    for script in (CONSOLE / "static").glob("*.js"):
        text = script.read_text()
        used |= {k for k in re.findall(r"\bt\(\"([a-z_]+)\"", text) if not k.endswith("_")}
    # the statistics are worded on the server: t["key"] and fmt(t, "key", ...)
    for module in ("stats_view.py", "supervisor.py"):
        text = (CONSOLE.parent / "chatserver" / "web" / module).read_text()
        used |= set(re.findall(r"\bt\[\"([a-z0-9_]+)\"\]", text))
        used |= set(re.findall(r"\bfmt\(t, \"([a-z0-9_]+)\"", text))
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
        "conv_state_": ("waiting", "active", "wrapup"),
        "role_": ("volunteer", "supervisor", "admin"),
        "reading_as_": ("observer", "backup"),
        "stats_period_": ("day", "week", "custom"),
        "weekday_": tuple(str(n) for n in range(7)),
        "system_": SYSTEM_CODES,
    }.items():
        assert [prefix + v for v in values if prefix + v not in keys] == []


def audit_actions() -> set[str]:
    """Every action the server writes into the audit log, read from the code that writes it:
    ``audit(actor, "action", ...)``, ``_account_changed(by, account, "action", ...)``,
    ``AuditEntry(at, actor, "action", ...)``, and the handover offers' ``handover_{reason}``."""
    code = "\n".join(m.read_text() for m in (CONSOLE.parent / "chatserver").rglob("*.py"))
    found = set(re.findall(r"\b_?audit\(\s*[\w.]+,\s*\"([a-z_]+)\"", code))
    found |= set(re.findall(r"_account_changed\([^)\"]*\"([a-z_]+)\"", code))
    found |= set(re.findall(r"AuditEntry\([^\"\n]*\"([a-z_]+)\"", code))
    assert 'f"handover_{reason}"' in code
    found |= {f"handover_{r}" for r in re.findall(r"\b_?voided\([^)]*\"([a-z]+)\"\)", code)}
    return found


def test_every_audit_action_has_a_label_in_both_languages() -> None:
    """An administrator reads "Declined a handover", never ``handover_declined``."""
    actions = audit_actions()
    assert {"flag", "handover_declined", "account_create", "hold_lapsed", "two_factor_enrol"} <= (
        actions
    )
    for lang in ("nl", "en"):
        labels = catalog(f"admin.{lang}")
        assert sorted(a for a in actions if f"action_{a}" not in labels) == [], lang
