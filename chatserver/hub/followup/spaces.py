"""The link and what it opens: the visitor's own space.

Why a link and nothing else: the visitor stays anonymous and in charge (regie). No account, no
e-mail address; a long random secret (256 bits) is the only key. It is shown once, stored only
as its hash, and never appears in a URL the server receives (the page carries it in the
fragment and sends it in a request body), so no access log can hold it.

Every way a link can fail (wrong, replaced, revoked, forgotten, purged) raises the one
:class:`~chatserver.errors.LinkUnknown`, so a guesser learns nothing. Guessing itself is
throttled at the edge (``privacy/link_guard.py``), on the rotating pseudonym of the source.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from typing import Protocol

from chatserver.backends.base import AuditEntry, StatsDelta, Store
from chatserver.backends.followup import FollowUpStore
from chatserver.clock import Clock
from chatserver.errors import LinkUnknown, UnknownLine
from chatserver.hub.events import EventBus, StatsRecorded
from chatserver.hub.followup.model import (
    Appointment,
    AppointmentState,
    Letter,
    LetterThread,
    Space,
)
from chatserver.hub.model import VISITOR_ROLES, Message
from chatserver.settings import LineSettings, Settings
from chatserver.tokens import hash_token

KEY_BYTES = 32
# what ``secrets.token_urlsafe(KEY_BYTES)`` makes: anything else is wrong without a look-up
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
DAY = 86400


class FollowUpStores(Store, FollowUpStore, Protocol):
    """The store the follow-up needs: the chat records and its own (one object embedded)."""


@dataclass
class SpaceView:
    """Everything behind a link, for the visitor: nothing about other spaces, no account ids."""

    space: Space
    threads: list[tuple[LetterThread, list[Letter]]] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    # chats the visitor chose to keep: (conversation id, its messages a visitor may see)
    transcripts: list[tuple[str, list[Message]]] = field(default_factory=list)


class Spaces:
    """Makes, opens, replaces, revokes, forgets and purges the spaces behind links."""

    def __init__(
        self, settings: Settings, store: FollowUpStores, clock: Clock, bus: EventBus
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.bus = bus

    def line(self, line_id: str) -> LineSettings:
        line = self.settings.line(line_id)
        if line is None:
            raise UnknownLine()
        return line

    async def create(self, line_id: str, lang: str) -> tuple[Space, str]:
        """A new space and its key: the key is returned here once and kept nowhere."""
        line = self.line(line_id)
        now = self.clock.now()
        key = secrets.token_urlsafe(KEY_BYTES)
        space = Space(
            id="s" + secrets.token_hex(8),
            line=line.id,
            lang=lang if lang in line.languages else line.languages[0],
            key_hash=hash_token(key),
            created_at=now,
            active_at=now,
        )
        await self.store.save_space(space)
        return space, key

    async def find(self, key: object) -> Space:
        """The space this key opens, or :class:`LinkUnknown` (the same for every failure)."""
        if not isinstance(key, str) or not KEY_SHAPE.fullmatch(key):
            raise LinkUnknown()
        space = await self.store.space_by_key(hash_token(key))
        if space is None or space.key_hash is None or self.line_of(space) is None:
            raise LinkUnknown()
        if self._idle_too_long(space, self.clock.now()):  # purge not yet run: already dead
            raise LinkUnknown()
        return space

    def line_of(self, space: Space) -> LineSettings | None:
        return self.settings.line(space.line)

    async def touch(self, space: Space) -> Space:
        """Activity keeps a space alive: its retention runs from its last activity, or from
        a booked appointment's time if that is later (``active_at`` never moves back). Only
        that moves: a key replaced or revoked meanwhile, on any node, stays as it is."""
        now = self.clock.now()
        await self.store.touch_space(space.id, now)
        space.active_at = max(space.active_at, now)
        return space

    async def view(self, space: Space) -> SpaceView:
        view = SpaceView(space)
        for thread in await self.store.threads_of_space(space.id):
            view.threads.append((thread, await self.store.letters(thread.id)))
        view.appointments = await self.store.appointments_of_space(space.id)
        for conversation_id, kept in await self.store.space_conversations(space.id):
            if kept:
                messages = await self.store.messages(conversation_id)
                visible = [m for m in messages if m.role in VISITOR_ROLES]
                if visible:
                    view.transcripts.append((conversation_id, visible))
        return view

    async def replace_key(self, space: Space) -> str:
        """The visitor fears someone saw the link: a new one, the old one dead at once.
        Only if the key that opened the space still is its key: replaced or revoked
        meanwhile (on any node), the old link opens nothing, so :class:`LinkUnknown`."""
        key = secrets.token_urlsafe(KEY_BYTES)
        now = self.clock.now()
        if space.key_hash is None or not await self.store.replace_space_key(
            space.id, space.key_hash, hash_token(key), now
        ):
            raise LinkUnknown()
        space.key_hash = hash_token(key)
        space.active_at = max(space.active_at, now)
        return key

    async def revoke(self, space_id: str, supervisor: str) -> bool:
        """A supervisor closes a link (leaked, misused): it opens nothing from now on. What
        is behind it stays for the volunteers until the retention purge. Audited."""
        space = await self.store.space(space_id)
        now = self.clock.now()
        if space is None or not await self.store.revoke_space(space_id, now):
            return False  # no such space, or closed already (here or on another node)
        space.key_hash = None
        space.revoked_at = now
        await self._cancel_booked(space, now)
        await self.store.add_audit(AuditEntry(now, supervisor, "link_revoked", None, space.id))
        return True

    async def forget(self, space: Space) -> int:
        """ "Forget me": everything behind the link goes now, the chats it holds included;
        returns how many letters and messages were erased."""
        now = self.clock.now()
        await self._cancel_booked(space, now)
        erased = 0
        for conversation_id, _kept in await self.store.space_conversations(space.id):
            erased += await self.store.erase_messages(conversation_id)
        erased += await self.store.erase_space(space.id)
        return erased

    async def purge_idle(self, now: float, dry_run: bool = False) -> tuple[int, int]:
        """The retention purge's part, per line's transcript term: a space idle that long goes
        with its link, its letters and the chats it holds; in a space still in use, a letter
        thread idle that long goes on its own. Returns how many spaces and threads were (or,
        in a dry run, would be) removed."""
        spaces: dict[str, Space] = {}
        threads: dict[str, str] = {}  # thread id -> its space id
        configured = {line.id for line in self.settings.lines}
        for line_id in [*sorted(configured), None]:  # None: lines no longer configured
            before = now - self._term(line_id) * DAY
            for space in await self.store.idle_spaces(before, line_id):
                if line_id is not None or space.line not in configured:
                    spaces[space.id] = space
            for thread in await self.store.idle_threads(before, line_id):
                if line_id is not None or thread.line not in configured:
                    threads[thread.id] = thread.space_id
        threads = {t: s for t, s in threads.items() if s not in spaces}
        if not dry_run:
            for space in spaces.values():
                await self.forget(space)
            for thread_id in threads:
                await self.store.erase_thread(thread_id)
        return len(spaces), len(threads)

    def _term(self, line_id: str | None) -> int:
        if line_id is None:
            return self.settings.retention.transcripts_days
        return self.settings.retention_for(line_id).transcripts_days

    def _idle_too_long(self, space: Space, now: float) -> bool:
        """Idle past the line's term. A booked appointment sets ``active_at`` to its own time
        (``appointments.py``), so a space with a chat still ahead is never idle."""
        days = self.settings.retention_for(space.line).transcripts_days
        return space.active_at < now - days * DAY

    async def _cancel_booked(self, space: Space, now: float) -> None:
        """Booked appointments of a space that goes are cancelled (and counted as such, once:
        one kept, cancelled or missed meanwhile by another step is left as it is)."""
        for appointment in await self.store.appointments_of_space(space.id):
            if appointment.state is AppointmentState.BOOKED:
                cancelled = replace(appointment, state=AppointmentState.CANCELLED)
                if await self.store.change_appointment(
                    cancelled, AppointmentState.BOOKED, appointment.at
                ):
                    await self.record(StatsDelta(appointment.line, now, appointments_cancelled=1))

    async def record(self, delta: StatsDelta) -> None:
        """Statistics, numbers only, as the hub records them (``FloorMechanics.record``)."""
        await self.store.add_stats(delta)
        await self.bus.publish(StatsRecorded(delta))
