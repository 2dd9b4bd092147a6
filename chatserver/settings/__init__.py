"""Configuration is data: TOML files in ``config/``, read with tomllib, validated at start-up.

``shape.py`` holds the typed shape of the configuration (frozen dataclasses the hub reads),
``load.py`` turns a TOML file into it and ``validate.py`` checks each value on the way. Every
validation error names the file, the key and what is expected, so ``chatserver check-config``
can tell an administrator how to fix it. Import from here: ``from chatserver.settings import
Settings`` keeps working however the package is arranged inside.
"""

from chatserver.settings.load import collect_errors, load_settings
from chatserver.settings.shape import (
    ACCOUNT_ROLES,
    DEFAULT_CONFIG,
    DEFAULT_EXIT_URL,
    DEFAULT_LANGUAGES,
    DEFAULT_PRIVACY_STATEMENT,
    WEEKDAYS,
    AbuseSettings,
    AccountSettings,
    Canned,
    ConfigError,
    Contact,
    FollowUpPolicy,
    FollowUpSettings,
    Interval,
    LineSettings,
    RetentionSettings,
    RoutingSettings,
    SelfHelp,
    ServerSettings,
    Settings,
    Topic,
    TriageSettings,
)

__all__ = [
    "ACCOUNT_ROLES",
    "DEFAULT_CONFIG",
    "DEFAULT_EXIT_URL",
    "DEFAULT_LANGUAGES",
    "DEFAULT_PRIVACY_STATEMENT",
    "WEEKDAYS",
    "AbuseSettings",
    "AccountSettings",
    "Canned",
    "ConfigError",
    "Contact",
    "FollowUpPolicy",
    "FollowUpSettings",
    "Interval",
    "LineSettings",
    "RetentionSettings",
    "RoutingSettings",
    "SelfHelp",
    "ServerSettings",
    "Settings",
    "Topic",
    "TriageSettings",
    "collect_errors",
    "load_settings",
]
