"""The retention purge: what a visitor wrote disappears on the schedule the helpline promised.

Each line's terms (``Settings.retention_for``) say how many days after a conversation ends its
transcript (visitor, volunteer and system messages) and its private notes (notes, whispers) are
kept; 0 means at the first purge after the end. The conversation's record stays: it holds no
text (line, times, intake codes, risk) and carries the statistics.

A supervisor may keep one conversation back with a safeguarding hold. A hold has an end, and
the shorter of its own end and ``hold_max_days`` after it was placed wins, so lowering the
maximum in the configuration also shortens holds already placed. Lapsed holds are released
(and audited) first, so the same purge then erases what they kept.

The same function serves the server's schedule and ``chatserver purge [--dry-run]``; a dry run
counts exactly what a real purge would remove and changes nothing.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from chatserver.backends.base import AuditEntry, Hold, Store
from chatserver.errors import InvalidPayload
from chatserver.hub.model import Conversation, Role
from chatserver.settings import RetentionSettings, Settings

DAY = 86400
TRANSCRIPT_ROLES: tuple[str, ...] = (Role.VISITOR, Role.OPERATOR, Role.SYSTEM)
NOTE_ROLES: tuple[str, ...] = (Role.NOTE, Role.WHISPER)
# erases queued together share the store's group commit (one fsync and one WAL checkpoint for
# many conversations) without holding one write transaction open for a whole backlog
CHUNK = 50
# the audit log's actor for what the purge itself does; no operator account has this id
SYSTEM_ACTOR = "system"
MAX_REASON = 500  # a hold's reason is a short statement, not a case file


@dataclass
class PurgeReport:
    """What one purge removed (or, in a dry run, would remove). Counts only, never text."""

    dry_run: bool = False
    conversations: int = 0  # conversations that lost a transcript or notes
    messages: int = 0  # transcript messages: visitor, volunteer and system
    notes: int = 0  # private notes and whispers
    audit_entries: int = 0
    holds_lapsed: int = 0
    held: int = 0  # conversations due for erasing that an unexpired hold kept back
    spaces: int = 0  # visitors' spaces behind links, idle past their line's term
    letter_threads: int = 0  # letter threads idle past the term in spaces still in use

    @property
    def anything(self) -> bool:
        """Whether the purge removed (or would remove) anything at all: worth a log line."""
        return any(
            (self.conversations, self.audit_entries, self.holds_lapsed, self.spaces,
             self.letter_threads)
        )  # fmt: skip

    def lines(self) -> list[str]:
        """Sentences for a person: the CLI prints them, a log line may carry them."""
        remove = "Would remove" if self.dry_run else "Removed"
        out: list[str] = []
        if self.holds_lapsed:
            release = "Would release" if self.dry_run else "Released"
            held = _count(self.holds_lapsed, "safeguarding hold")
            out.append(f"{release} {held} past its term." if self.holds_lapsed == 1
                       else f"{release} {held} past their term.")  # fmt: skip
        if self.messages or self.notes:
            texts = ((self.messages, "message"), (self.notes, "private note"))
            what = " and ".join(_count(n, noun) for n, noun in texts if n)
            out.append(f"{remove} {what} from {_count(self.conversations, 'conversation')}.")
        if self.audit_entries:
            out.append(f"{remove} {_count(self.audit_entries, 'audit log entry')} past the term.")
        if self.spaces:
            out.append(
                f"{remove} {_count(self.spaces, 'space')} behind a link, idle past the term."
            )
        if self.held:
            verb = "would be" if self.dry_run else ("was" if self.held == 1 else "were")
            out.append(
                f"{_count(self.held, 'conversation')} due for removal {verb} kept back by a"
                " safeguarding hold."
            )
        if not out:
            out.append("Nothing is due: nothing would be removed." if self.dry_run
                       else "Nothing was due: nothing was removed.")  # fmt: skip
        return out


def hold_ends(hold: Hold, settings: Settings) -> float:
    """When a hold lapses: its own end, but never later than the configured maximum term."""
    return min(hold.expires_at, hold.created_at + settings.retention.hold_max_days * DAY)


def new_hold(
    settings: Settings,
    conversation_id: str,
    operator_id: str,
    reason: str,
    now: float,
    days: int | None = None,
) -> Hold:
    """A hold as a supervisor asks for it, checked against the policy before it is stored.

    A reason is required (the hold is audited and listed for administrators, who must be able
    to judge it); ``days`` defaults to, and may not exceed, ``hold_max_days``.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidPayload("A safeguarding hold needs a reason.")
    if len(reason) > MAX_REASON:
        raise InvalidPayload(f"Keep the reason under {MAX_REASON} characters.")
    most = settings.retention.hold_max_days
    days = most if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= most:
        raise InvalidPayload(f"A hold lasts 1 to {most} days.")
    return Hold(conversation_id, operator_id, reason, now, now + days * DAY)


# the follow-up's part of the purge (``Spaces.purge_idle``): (now, dry_run) -> how many
# spaces and letter threads
SpacePurge = Callable[[float, bool], Awaitable[tuple[int, int]]]


async def purge(
    store: Store,
    settings: Settings,
    now: float,
    dry_run: bool = False,
    spaces: SpacePurge | None = None,
) -> PurgeReport:
    """Erase every transcript and note past its line's term, except under an unexpired hold,
    and (with ``spaces``) every visitor's space behind a link that was idle for its term.

    Order matters: lapsed holds go first, so what they kept is erased in the same run; the
    VACUUM comes last, so the erased text is gone from the database file and its WAL, not only
    from the tables.
    """
    report = PurgeReport(dry_run=dry_run)
    held: set[str] = set()
    for hold in await store.holds():
        if now < hold_ends(hold, settings):
            held.add(hold.conversation_id)
            continue
        report.holds_lapsed += 1
        if not dry_run:
            await store.release_hold(hold.conversation_id)
            await store.add_audit(
                AuditEntry(now, SYSTEM_ACTOR, "hold_lapsed", hold.conversation_id, hold.operator_id)
            )

    # what is due, per conversation: which of its two kinds of text
    due: dict[str, tuple[Conversation, set[str]]] = {}
    for kind, roles in (("transcript", TRANSCRIPT_ROLES), ("notes", NOTE_ROLES)):
        for conversation in await _due(store, settings, now, kind, roles):
            due.setdefault(conversation.id, (conversation, set()))[1].add(kind)
    report.held = sum(1 for cid in due if cid in held)
    work = [(c, kinds) for cid, (c, kinds) in due.items() if cid not in held]

    erase = _count_only(store) if dry_run else _erase(store)
    for start in range(0, len(work), CHUNK):
        chunk = work[start : start + CHUNK]
        results = await asyncio.gather(*(erase(c.id, kinds) for c, kinds in chunk))
        for messages, notes in results:
            report.messages += messages
            report.notes += notes
            report.conversations += bool(messages or notes)

    if spaces is not None:
        report.spaces, report.letter_threads = await spaces(now, dry_run)

    audit_before = now - settings.retention.audit_days * DAY
    if dry_run:
        # purge_audit removes ``at < before``; audit_entries includes its upper bound
        last = math.nextafter(audit_before, -math.inf)
        report.audit_entries = len(await store.audit_entries(-math.inf, last, limit=2**62))
    else:
        report.audit_entries = await store.purge_audit(audit_before)
        scrub: Callable[[], Awaitable[None]] | None = getattr(store, "scrub", None)
        if scrub is not None:
            await scrub()
    return report


async def _due(
    store: Store, settings: Settings, now: float, kind: str, roles: tuple[str, ...]
) -> list[Conversation]:
    """Ended conversations still holding text of ``roles`` whose ``kind`` term has passed.

    One query per configured line (each has its own term), then one for lines no longer in
    the configuration, which fall under the global term.
    """
    found: list[Conversation] = []
    configured = {line.id for line in settings.lines}
    for line_id in sorted(configured):
        found += await store.ended_conversations(
            _before(settings.retention_for(line_id), kind, now), line_id, with_roles=roles
        )
    found += [
        c
        for c in await store.ended_conversations(
            _before(settings.retention, kind, now), None, with_roles=roles
        )
        if c.line not in configured
    ]
    return found


def _before(retention: RetentionSettings, kind: str, now: float) -> float:
    """The ``before`` for ``ended_conversations``: due when ``ended_at + days <= now``.

    The store's bound is strict (``ended_at < before``), so the cut-off is nudged up by the
    smallest step a float has: a conversation that ended exactly ``days`` ago is due.
    """
    days = retention.transcripts_days if kind == "transcript" else retention.notes_days
    return math.nextafter(now - days * DAY, math.inf)


def _erase(store: Store) -> Callable[[str, set[str]], Awaitable[tuple[int, int]]]:
    async def erase(conversation_id: str, kinds: set[str]) -> tuple[int, int]:
        messages = notes = 0
        if "transcript" in kinds:
            messages = await store.erase_transcript(conversation_id, TRANSCRIPT_ROLES)
        if "notes" in kinds:
            notes = await store.erase_transcript(conversation_id, NOTE_ROLES)
        return messages, notes

    return erase


def _count_only(store: Store) -> Callable[[str, set[str]], Awaitable[tuple[int, int]]]:
    async def count(conversation_id: str, kinds: set[str]) -> tuple[int, int]:
        roles = [m.role for m in await store.messages(conversation_id)]
        messages = _roles_in(roles, TRANSCRIPT_ROLES) if "transcript" in kinds else 0
        notes = _roles_in(roles, NOTE_ROLES) if "notes" in kinds else 0
        return messages, notes

    return count


def _roles_in(roles: Iterable[str], wanted: tuple[str, ...]) -> int:
    return sum(1 for role in roles if role in wanted)


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {plural}"
