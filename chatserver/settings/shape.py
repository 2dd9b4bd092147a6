"""The shape of the configuration: frozen dataclasses the hub reads, built once at start-up.

Configuration is data: TOML files in ``config/``, read with tomllib and validated at start-up
by ``load.py`` (with the leaf validators of ``validate.py``). Only this shape is what the rest
of the server sees; ``chatserver.settings`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent.parent / "config" / "chatserver.toml"

# the quick exit's default destination: a weather site, as harmless as a tab can look
DEFAULT_EXIT_URL = "https://www.buienradar.nl"

# the languages texts are checked against while no line gives valid languages of its own
DEFAULT_LANGUAGES = ("nl", "en")

# what a visitor agrees to when a line states nothing of its own
DEFAULT_PRIVACY_STATEMENT = {
    "nl": (
        "Je blijft anoniem. We slaan geen IP-adres, cookies of andere gegevens op waarmee je "
        "herkend kunt worden. Het gesprek wordt na een vaste termijn verwijderd, en je kunt het "
        "zelf meteen laten verwijderen. Door het gesprek te beginnen ga je hiermee akkoord."
    ),
    "en": (
        "You stay anonymous. We do not store your IP address, cookies or anything else that could "
        "identify you. The conversation is deleted after a fixed period, and you can delete it "
        "yourself straight away. By starting the chat you agree to this."
    ),
}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Interval:
    """Minutes after local midnight, ``start < end <= 1440``; "22:00-02:00" is split in two."""

    start: int
    end: int


@dataclass(frozen=True)
class Contact:
    """An emergency contact or alternative shown to a visitor, e.g. 112 or a 24/7 phone line."""

    label: dict[str, str]  # language -> text
    phone: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Canned:
    """A canned response (standaardzin) a volunteer can insert into the compose box and edit."""

    id: str
    title: dict[str, str]  # language -> short title shown in the menu
    text: dict[str, str]  # language -> the text inserted


@dataclass(frozen=True)
class SelfHelp:
    """A self-help text (and where to read more) in the visitor's own space behind a link."""

    title: dict[str, str]  # language -> text
    text: dict[str, str]
    url: str | None = None


@dataclass(frozen=True)
class FollowUpSettings:
    """``[lines.follow_up]``: what a line offers beyond one live chat, by a unique link.

    Off by default: a line that offers letters promises an answer within
    ``answer_within_hours``, and only the organisation knows whether it can keep that.
    """

    # a visitor may write a letter when the chat cannot help now (closed, full, nobody on duty)
    letters: bool = False
    answer_within_hours: int = 72  # what the line promises; later ones are marked overdue
    # a volunteer may agree a next chat with the visitor at the end of a chat
    appointments: bool = False


@dataclass(frozen=True)
class LineSettings:
    """A line (service) visitors choose: its own queue, opening hours and contacts.

    ``hours`` holds all seven weekdays once loaded (closed days map to ``()``); intervals are
    sorted, merged and never cross midnight, so opening-hours logic stays simple.
    """

    id: str
    name: dict[str, str]  # language -> name
    languages: tuple[str, ...]
    timezone: str
    # weekday ("mon".."sun") -> opening intervals in local time
    hours: dict[str, tuple[Interval, ...]]
    # ISO date "2026-12-25" -> intervals that replace that day's hours (empty: closed all day)
    exceptions: dict[str, tuple[Interval, ...]]
    queue_limit: int
    emergency: tuple[Contact, ...]
    alternatives: tuple[Contact, ...] = ()
    alternatives_after_seconds: int = 600
    privacy_statement: dict[str, str] = field(default_factory=dict)
    # language -> what a volunteer does when a chat is flagged acute; shown to them, never to
    # the visitor. Empty: the console shows no procedure (the emergency contacts still apply).
    emergency_procedure: dict[str, str] = field(default_factory=dict)
    # sites that may embed the widget (CSP frame-ancestors), e.g. "https://www.example.nl"
    embed_origins: tuple[str, ...] = ()
    # where the quick exit sends the visitor's tab: somewhere neutral and harmless
    exit_url: str = DEFAULT_EXIT_URL
    # this line's own terms from [lines.retention], the global [retention] filled in for the
    # keys it leaves out; None: the global terms apply. Read it through Settings.retention_for.
    retention: RetentionSettings | None = None
    # store transcripts with phone numbers, e-mail, IBANs and postal codes replaced
    redact: bool = False
    # canned responses the console offers for this line's chats, from [[lines.canned]]
    canned: tuple[Canned, ...] = ()
    follow_up: FollowUpSettings = field(default_factory=FollowUpSettings)
    # texts and sites the visitor's own space shows, from [[lines.self_help]]
    self_help: tuple[SelfHelp, ...] = ()


@dataclass(frozen=True)
class RoutingSettings:
    default_capacity: int = 1
    cooldown_seconds: int = 0
    visitor_grace_seconds: int = 120
    operator_grace_seconds: int = 60
    # used for the wait estimate until real chats have been measured
    assumed_chat_seconds: int = 900
    # how many recent chats the wait estimate averages over
    estimate_window: int = 20
    # how long a handover offer waits for the colleague to accept: a visitor must never be
    # parked between two volunteers, neither of whom is answering
    handover_timeout_seconds: int = 60
    # how long a backup (achterwacht) request waits for a colleague to answer before it times
    # out, so an unanswered call for help is noticed instead of silently pending
    backup_timeout_seconds: int = 30
    # a visitor handed back to the queue is not offered straight back to the same volunteer
    # while a colleague could take them; after this long that wish lapses (and at once when
    # nobody else is on duty), so later visitors cannot overtake them for ever
    handback_avoid_seconds: int = 120
    # after a chat that ended with risk high or acute the volunteer is set to paused, so they
    # get a moment (and a debrief) before the next visitor is offered
    debrief_pause: bool = True


@dataclass(frozen=True)
class AbuseSettings:
    """Limits keyed on a daily-rotating pseudonym of the visitor's address, never the address."""

    messages_per_minute: int = 30  # a person typing fast sends a few; a script hundreds
    burst: int = 10
    # open chats from one connection (a family, a shelter, a school behind one router) beyond
    # which volunteers see "several chats from one connection"; the extra ones are still served
    conversations_per_source: int = 3
    # open chats from one connection beyond which a new one is refused (kindly): only a flood
    # or a script gets there, never a household
    conversations_ceiling: int = 25
    key_rotation_hours: int = 24  # blocks lapse when the key is replaced
    # reverse proxies whose X-Forwarded-For is believed (addresses or networks); without it,
    # behind a proxy every visitor looks like one connection (the server warns once)
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriageSettings:
    """Keyword triage: a waiting visitor whose words match moves up the queue by ``boost``.

    Off by default: a keyword list both misses people and raises false alarms, so an
    organisation turns it on deliberately, with lists its own volunteers have reviewed. It only
    reorders the queue; a volunteer still judges the risk.
    """

    enabled: bool = False
    boost: int = 1  # added to the conversation's queue priority on a match
    # language -> words or phrases, lower-cased, matched against lower-cased visitor text
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionSettings:
    """How long text is kept, in days after a conversation ends (0: erased at the next purge).

    Globally in ``[retention]``; a line may set its own ``transcripts_days`` and ``notes_days``
    in ``[lines.retention]`` (a youth line may promise less than an adult line). The audit log,
    the hold term, the purge interval and the scrub delay are the organisation's, so they are
    global only.
    """

    transcripts_days: int = 30
    notes_days: int = 30
    audit_days: int = 365
    # a safeguarding hold keeps one transcript back from the purge at most this long, so a
    # hold nobody releases cannot turn "deleted on schedule" into "kept for ever"
    hold_max_days: int = 30
    # how often the running server purges; the purge erases at most this much later than due
    purge_interval_minutes: int = 60
    # an erase ("delete my conversation", the purge) is gone from memory at once and from the
    # store's files this much later: the VACUUM or append-only rewrite that follows gathers
    # the erases of this many seconds (each rewrites the whole file)
    scrub_after_seconds: int = 60


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "data"
    max_message_length: int = 4000
    cors_allowed_origins: tuple[str, ...] = ()
    # who may read GET /metrics (addresses or networks): the scraper, not the world. A request
    # through a reverse proxy counts as from the client the proxy names, and only if the proxy
    # is one of [abuse] trusted_proxies. Empty: nobody.
    metrics_allowed: tuple[str, ...] = ("127.0.0.0/8", "::1")
    # mark cookies Secure (HTTPS only) even when no TLS is seen: a proxy that ends TLS but is
    # not in abuse.trusted_proxies, so its X-Forwarded-Proto is not believed
    secure_cookies: bool = False
    # on SIGTERM: stop taking chats, tell clients, flush the store, and be gone within this
    shutdown_seconds: int = 10


@dataclass(frozen=True)
class Topic:
    id: str
    label: dict[str, str]


# roles that exist; accounts.ROLES says the same, settings cannot import it (accounts imports us)
ACCOUNT_ROLES = ("volunteer", "supervisor", "admin")


@dataclass(frozen=True)
class FollowUpPolicy:
    """``[follow_up]``: the organisation's rules for links, letters and appointments."""

    # wrong links one source may try per hour (keyed on the rotating pseudonym, never the
    # address) before every link is refused to it until the hour is over: a guesser gets
    # nowhere, a visitor who mistyped once is not locked out
    wrong_links_per_hour: int = 10
    max_letter_length: int = 10000  # a letter may be longer than a chat message
    # an agreed chat opens this long before its time, and counts as missed this long after
    appointment_opens_minutes: int = 10
    appointment_missed_minutes: int = 30
    appointment_days_ahead: int = 28  # how far ahead a next chat may be agreed


@dataclass(frozen=True)
class AccountSettings:
    """``[accounts]``: which roles must log in with a TOTP second factor."""

    two_factor_roles: tuple[str, ...] = ("supervisor", "admin")


@dataclass(frozen=True)
class Settings:
    source: str  # the file this came from, for messages
    server: ServerSettings
    routing: RoutingSettings
    retention: RetentionSettings
    lines: tuple[LineSettings, ...]
    wrapup_topics: tuple[Topic, ...]
    intake_topics: tuple[Topic, ...] = ()
    age_bands: tuple[str, ...] = ()
    triage: TriageSettings = field(default_factory=TriageSettings)
    abuse: AbuseSettings = field(default_factory=AbuseSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    follow_up: FollowUpPolicy = field(default_factory=FollowUpPolicy)

    def line(self, line_id: str) -> LineSettings | None:
        for line in self.lines:
            if line.id == line_id:
                return line
        return None

    def retention_for(self, line_id: str) -> RetentionSettings:
        """The retention terms of a line: its own transcript and note terms over the global ones.

        A line that is no longer configured (its old conversations are still in the store) gets
        the global terms, so removing a line from the file never stops its purge. Only the two
        per-line keys are taken from the line: audit, hold and purge interval stay global even
        if a line's ``RetentionSettings`` was built by hand with other values.
        """
        line = self.line(line_id)
        if line is None or line.retention is None:
            return self.retention
        return replace(
            self.retention,
            transcripts_days=line.retention.transcripts_days,
            notes_days=line.retention.notes_days,
        )


class ConfigError(Exception):
    """A configuration mistake: which file, which key, and what is expected there."""

    def __init__(self, file: str, key: str, expected: str) -> None:
        super().__init__(f"{file}: {key}: {expected}")
        self.file = file
        self.key = key
        self.expected = expected
