"""Letters: asynchronous help when a chat cannot help now.

A visitor writes when the line is closed, the queue is full or nobody is on duty, and gets a
link to their space (``spaces.py``) to read the answer and write back. Volunteers see the
threads waiting for an answer in a queue of their own, oldest first, overdue marked against
the line's promise (``[lines.follow_up] answer_within_hours``). A volunteer takes a thread
(becomes its owner), answers it, or hands it to a colleague with a note, like a chat.

Text follows the chat's rules: plain text, sanitized once into HTML by the one sanitizer,
redacted in the stored copy where the line asks for it. Letters are the only copy, so a line
with ``redact`` shows its volunteers the redacted letter too.

Several nodes may serve the same letters (issue 13), so nothing here is ordered by a lock of
this process: taking and handing a thread are conditional on the owner read
(``FollowUpStore.set_thread_owner``), and a letter is numbered from the letters read and
refused by the store if another took that number first (``post_letter``), then numbered anew.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from chatserver.backends.base import AuditEntry, StatsDelta
from chatserver.errors import (
    ConsentRequired,
    FollowUpUnavailable,
    Forbidden,
    InvalidPayload,
    TooLong,
    UnknownAccount,
)
from chatserver.hub.events import EventBus, LettersChanged
from chatserver.hub.followup.model import Letter, LetterThread, Space
from chatserver.hub.followup.spaces import FollowUpStores, Spaces
from chatserver.hub.model import Account, Role
from chatserver.privacy.redaction import redact
from chatserver.settings import LineSettings, Settings

HOUR = 3600
SUPERVISOR_ROLES = ("supervisor", "admin")
MAX_NOTE = 1000
# a conditional step refused because another changed the record first is tried again on what
# it then reads; this many refusals in a row and the step gives up
ATTEMPTS = 8
TAKEN = "A colleague has taken this letter; ask them to hand it over."


class LetterDesk:
    """The letters of every line: write, queue, take, answer, hand over."""

    def __init__(
        self,
        settings: Settings,
        store: FollowUpStores,
        spaces: Spaces,
        bus: EventBus,
        sanitize: Callable[[str], str],
    ) -> None:
        self.settings = settings
        self.store = store
        self.spaces = spaces
        self.clock = spaces.clock
        self.bus = bus
        self.sanitize = sanitize

    # ------------------------------------------------------------------ the visitor's side
    async def write_first(
        self, line_id: str, lang: str, text: str, consent: bool
    ) -> tuple[Space, str, LetterThread]:
        """A first letter: a new space, its key (returned once) and the thread."""
        line = self._letters_line(line_id)
        if consent is not True:
            raise ConsentRequired()
        text = self._valid_text(text)
        space, key = await self.spaces.create(line.id, lang)
        thread = await self._new_thread(space)
        await self._add(thread, Role.VISITOR, text)
        return space, key, thread

    async def write(self, space: Space, text: str, thread_id: str | None = None) -> LetterThread:
        """The visitor writes in their space: back in a thread of theirs, or a new one."""
        self._letters_line(space.line)
        text = self._valid_text(text)
        if thread_id is None:
            thread = await self._new_thread(space)
        else:
            found = await self.store.thread(thread_id)
            if found is None or found.space_id != space.id:
                raise InvalidPayload("No such letter in this space.")
            thread = found
        await self._add(thread, Role.VISITOR, text)
        return thread

    # ------------------------------------------------------------------ the volunteers' side
    async def queue(self, operator: Account) -> list[LetterThread]:
        """Threads waiting for an answer on the operator's lines, the longest waiting first."""
        return [t for t in await self.store.letter_queue() if self._serves(operator, t.line)]

    async def mine(self, operator: Account) -> list[LetterThread]:
        return [
            t for t in await self.store.threads_owned(operator.id) if self.settings.line(t.line)
        ]

    async def read(self, operator: Account, thread_id: str) -> tuple[LetterThread, list[Letter]]:
        """A thread and its letters, for a volunteer of its line (audited: who read what)."""
        thread = await self._thread_for(operator, thread_id)
        await self._audit(operator.id, "letter_read", thread)
        return thread, await self.store.letters(thread.id)

    async def take(self, operator: Account, thread_id: str) -> LetterThread:
        """The volunteer will answer this thread. A thread another colleague owns is theirs
        to hand on; a supervisor may take it anyway (the owner may be gone for weeks).

        Of two volunteers taking one thread at once, on any nodes, one gets it; the other
        reads it again, finds it taken and hears so."""
        for _ in range(ATTEMPTS):
            thread = await self._thread_for(operator, thread_id)
            if thread.owner == operator.id:
                return thread
            if thread.owner is not None and operator.role not in SUPERVISOR_ROLES:
                raise Forbidden(TAKEN)
            if await self.store.set_thread_owner(thread.id, thread.owner, operator.id, None):
                thread.owner, thread.note = operator.id, None
                await self._audit(operator.id, "letter_take", thread)
                await self.bus.publish(LettersChanged(thread.line))
                return thread
        raise Forbidden(TAKEN)

    async def answer(self, operator: Account, thread_id: str, text: str) -> Letter:
        """The volunteer's letter to the visitor; taking the thread if nobody has."""
        text = self._valid_text(text)  # a refused letter takes nothing either
        thread = await self.take(operator, thread_id)
        letter = await self._add(thread, Role.OPERATOR, text, operator)
        return letter

    async def colleagues(self, operator: Account, thread_id: str) -> list[Account]:
        """Whom this thread may be handed to: every active colleague of its line, online or
        not. A letter waits for hours, not seconds: handing it to whoever works tomorrow is
        the point, unlike a chat, which only goes to someone there now."""
        thread = await self._thread_for(operator, thread_id)
        found = [
            account
            for account in await self.store.accounts()
            if account.active and account.id != operator.id and self._serves(account, thread.line)
        ]
        return sorted(found, key=lambda account: account.alias.lower())

    async def hand_over(
        self, operator: Account, thread_id: str, to: str, note: str
    ) -> LetterThread:
        """Give the thread to a colleague with a note; they find it under their letters."""
        # everything checked before ``take``: a refused handover leaves the thread as it was
        thread = await self._thread_for(operator, thread_id)
        receiver = await self.store.account(to)
        if receiver is None or not receiver.active or not self._serves(receiver, thread.line):
            raise UnknownAccount("That colleague cannot take letters of this line.")
        if receiver.id == operator.id:
            raise InvalidPayload("Hand the letter to a colleague, not to yourself.")
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise TooLong(f"Keep the note under {MAX_NOTE} characters.", limit=MAX_NOTE)
        thread = await self.take(operator, thread_id)
        if not await self.store.set_thread_owner(thread.id, operator.id, receiver.id, note or None):
            raise Forbidden(TAKEN)  # a supervisor took it (or it was handed on) meanwhile
        thread.owner, thread.note = receiver.id, note or None
        await self._audit(operator.id, "letter_handover", thread, receiver.id)
        await self.bus.publish(LettersChanged(thread.line))
        return thread

    # ------------------------------------------------------------------ helpers
    def _letters_line(self, line_id: str) -> LineSettings:
        line = self.spaces.line(line_id)
        if not line.follow_up.letters:
            raise FollowUpUnavailable("This line does not take letters.")
        return line

    def _valid_text(self, text: str) -> str:
        limit = self.settings.follow_up.max_letter_length
        if not isinstance(text, str) or not text.strip():
            raise InvalidPayload("The letter is empty.")
        if len(text) > limit:
            raise TooLong(f"A letter may be at most {limit} characters.", limit=limit)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidPayload("The letter contains characters that are not text.") from None
        return text

    def _serves(self, operator: Account, line: str) -> bool:
        return operator.role in SUPERVISOR_ROLES or not operator.lines or line in operator.lines

    async def _thread_for(self, operator: Account, thread_id: str) -> LetterThread:
        """ "Not found" and "not your line" answer alike, as for conversations."""
        thread = await self.store.thread(thread_id)
        if thread is None or not self._serves(operator, thread.line):
            raise Forbidden()
        return thread

    async def _new_thread(self, space: Space) -> LetterThread:
        now = self.clock.now()
        thread = LetterThread(
            id="t" + secrets.token_hex(8),
            space_id=space.id,
            line=space.line,
            lang=space.lang,
            created_at=now,
            active_at=now,
        )
        await self.store.save_thread(thread)
        return thread

    async def _add(
        self, thread: LetterThread, role: Role, text: str, author: Account | None = None
    ) -> Letter:
        """Keep the letter and move the thread's clock: waiting after a visitor's letter
        (the first unanswered one sets the promise), answered after a volunteer's. Numbered
        after the letters read; a number another letter took meanwhile is refused by the
        store, and the letter is numbered again."""
        line = self.spaces.line(thread.line)
        stored = redact(text) if line.redact else text
        letter, due = await self._post(thread, line, role, stored, author)
        now = letter.at
        thread.active_at = max(thread.active_at, now)
        if role is Role.VISITOR:
            if thread.waiting_since is None:
                thread.waiting_since, thread.due_at = now, due
            delta = StatsDelta(thread.line, now, letters_received=1)
        else:
            thread.waiting_since = thread.due_at = None
            delta = StatsDelta(thread.line, now, letters_answered=1)
        await self.store.touch_space(thread.space_id, now)  # a letter keeps its space alive
        await self.spaces.record(delta)
        await self.bus.publish(LettersChanged(thread.line))
        return letter

    async def _post(
        self,
        thread: LetterThread,
        line: LineSettings,
        role: Role,
        text: str,
        author: Account | None,
    ) -> tuple[Letter, float]:
        """Number the letter after those read and store it with the thread's clock in one
        step (``post_letter``); if another letter took the number first, read and number
        again. Returns the letter and the promise a visitor's letter sets."""
        html = self.sanitize(text)
        attempt = 1
        while True:
            now = self.clock.now()
            letters = await self.store.letters(thread.id)
            letter = Letter(
                thread_id=thread.id,
                seq=(letters[-1].seq if letters else 0) + 1,
                role=role,
                text=text,
                html=html,
                at=now,
                author=author.id if author else None,
                author_alias=author.alias if author else None,
            )
            due = now + line.follow_up.answer_within_hours * HOUR
            try:
                await self.store.post_letter(letter, due if role is Role.VISITOR else None)
            except ValueError:  # the number was taken (or the thread is gone): again
                if attempt == ATTEMPTS:
                    raise
                attempt += 1
                continue
            return letter, due

    async def _audit(
        self, actor: str, action: str, thread: LetterThread, detail: str | None = None
    ) -> None:
        """Who read or moved which thread (in the entry's conversation column); never text."""
        await self.store.add_audit(AuditEntry(self.clock.now(), actor, action, thread.id, detail))
