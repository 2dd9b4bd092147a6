"""The follow-up as volunteers list it and supervisors oversee it.

Two questions the letter desk itself does not answer: "what does this list of threads look
like to the person reading it" (the owner's alias, whether the link still opens, overdue
against the line's promise) and "what does a supervisor see" (letters waiting and overdue
per line, today's agreed chats, and closing a link that leaked).

Numbers, aliases and times only: no letter text is read here, so nothing here can show one.
Opening a thread to read it stays with ``LetterDesk.read``, which is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatserver.clock import Clock
from chatserver.errors import Forbidden, InvalidPayload
from chatserver.hub.followup.model import Appointment, LetterThread
from chatserver.hub.followup.spaces import FollowUpStores, Spaces
from chatserver.hub.model import Account
from chatserver.settings import Settings

SUPERVISOR_ROLES = ("supervisor", "admin")
MAX_LISTED = 200  # a supervisor's list of waiting letters: the oldest this many


@dataclass(frozen=True)
class ThreadInfo:
    """A thread as a list shows it: no text, the owner by alias."""

    thread: LetterThread
    overdue: bool
    owner_alias: str | None
    link_open: bool


@dataclass(frozen=True)
class AppointmentInfo:
    appointment: Appointment
    operator_alias: str | None
    link_open: bool


@dataclass
class LineLetters:
    line: str
    waiting: int = 0
    overdue: int = 0
    untaken: int = 0  # waiting and nobody took them yet


@dataclass
class Overview:
    """What the supervisor's floor shows of the follow-up, at ``now``."""

    now: float
    lines: list[LineLetters] = field(default_factory=list)
    waiting: list[ThreadInfo] = field(default_factory=list)  # oldest first
    today: list[AppointmentInfo] = field(default_factory=list)  # soonest first


class Oversight:
    """Describes threads for lists; the supervisors' overview and their "close this link"."""

    def __init__(
        self, settings: Settings, store: FollowUpStores, spaces: Spaces, clock: Clock
    ) -> None:
        self.settings = settings
        self.store = store
        self.spaces = spaces
        self.clock = clock

    async def describe(self, threads: Iterable[LetterThread]) -> list[ThreadInfo]:
        """Each thread with what a list needs, looked up once per owner and space."""
        now = self.clock.now()
        aliases = _Aliases(self.store)
        found = []
        for thread in threads:
            space = await self.store.space(thread.space_id)
            found.append(
                ThreadInfo(
                    thread,
                    thread.overdue(now),
                    await aliases.of(thread.owner),
                    space is not None and space.key_hash is not None,
                )
            )
        return found

    async def overview(self, supervisor: Account) -> Overview:
        """Letters waiting and overdue per line (every line that takes letters, and any
        other that still has some), and today's agreed chats in each line's own day."""
        _ensure_supervisor(supervisor)
        now = self.clock.now()
        queue = await self.store.letter_queue()
        counts = {
            line.id: LineLetters(line.id) for line in self.settings.lines if line.follow_up.letters
        }
        for thread in queue:
            item = counts.setdefault(thread.line, LineLetters(thread.line))
            item.waiting += 1
            item.overdue += thread.overdue(now)
            item.untaken += thread.owner is None
        result = Overview(now, list(counts.values()))
        result.waiting = await self.describe(queue[:MAX_LISTED])
        result.today = await self._today(now)
        return result

    async def revoke(
        self, supervisor: Account, thread_id: str | None, appointment_id: str | None
    ) -> bool:
        """Close the link behind a letter thread or an appointment: it opens nothing from
        now on (audited by ``Spaces.revoke``). False when it was closed already."""
        _ensure_supervisor(supervisor)
        if (thread_id is None) == (appointment_id is None):
            raise InvalidPayload('Send either "thread_id" or "appointment_id".')
        if thread_id is not None:
            thread = await self.store.thread(thread_id)
            space_id = thread.space_id if thread else None
        else:
            appointment = await self.store.appointment(appointment_id or "")
            space_id = appointment.space_id if appointment else None
        if space_id is None:
            raise Forbidden()
        return await self.spaces.revoke(space_id, supervisor.id)

    async def _today(self, now: float) -> list[AppointmentInfo]:
        """Appointments of today, each line's today in its own time zone."""
        windows = {}
        for line in self.settings.lines:
            zone = ZoneInfo(line.timezone)
            day = datetime.fromtimestamp(now, zone).date()
            start = datetime.combine(day, time(), zone).timestamp()
            end = datetime.combine(day + timedelta(days=1), time(), zone).timestamp()
            windows[line.id] = (start, end)
        if not windows:
            return []
        since = min(start for start, _ in windows.values())
        until = max(end for _, end in windows.values())
        aliases = _Aliases(self.store)
        found = []
        for item in await self.store.appointments_between(since, until):
            window = windows.get(item.line)
            if window is None or not window[0] <= item.at < window[1]:
                continue
            space = await self.store.space(item.space_id)
            found.append(
                AppointmentInfo(
                    item,
                    await aliases.of(item.operator_id),
                    space is not None and space.key_hash is not None,
                )
            )
        return found


def letter_lines(settings: Settings, account: Account) -> list[str]:
    """The lines whose letters ``account`` sees, as ``LetterDesk`` decides: its own lines
    that take letters (every one when it lists none), every such line for supervisors. The
    console's pane and the rooms of `letters_changed` follow it."""
    every = [line.id for line in settings.lines if line.follow_up.letters]
    if account.role in SUPERVISOR_ROLES or not account.lines:
        return every
    return [line for line in every if line in account.lines]


def _ensure_supervisor(account: Account) -> None:
    if account.role not in SUPERVISOR_ROLES:
        raise Forbidden("Only supervisors may do that.")


class _Aliases:
    """Account id -> alias, each looked up once (an owner may be offline for weeks)."""

    def __init__(self, store: FollowUpStores) -> None:
        self.store = store
        self.known: dict[str, str | None] = {}

    async def of(self, operator_id: str | None) -> str | None:
        if operator_id is None:
            return None
        if operator_id not in self.known:
            account = await self.store.account(operator_id)
            self.known[operator_id] = account.alias if account else None
        return self.known[operator_id]
