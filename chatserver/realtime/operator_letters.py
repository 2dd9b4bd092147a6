"""The ``/operator`` events of letters and of the supervisors' follow-up overview.

A part of ``OperatorNamespace`` (a mixin, so the chat's events and these grow apart): each
handler validates the payload, calls the follow-up service with the caller's account (the
service authorizes: a thread of another line answers ``forbidden`` like an unknown one) and
answers. What the wire carries is shaped in ``wire.py``. docs/protocol.md §13.2 and §13.4.
"""

from __future__ import annotations

from typing import Any

from chatserver.errors import InvalidPayload, Unauthorized
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.hub import Hub
from chatserver.hub.model import Account
from chatserver.realtime import wire
from chatserver.realtime.acks import acknowledged, ok, optional_text, payload, text_field

MAX_NOTE = 1000  # as LetterDesk.hand_over allows


def thread_id(data: dict[str, Any], name: str = "thread_id") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise InvalidPayload(f'"{name}" must be an id from the letters list.', field=name)
    return value


class LetterEvents:
    """``letters``, ``letter_open``, ``letter_take``, ``letter_answer``, ``letter_colleagues``,
    ``letter_handover``;
    for supervisors ``followup_overview`` and ``link_revoke``."""

    hub: Hub
    followup: FollowUp

    async def _me(self, sid: str) -> str:  # the namespace's: the caller's account id
        raise NotImplementedError

    async def _account(self, sid: str) -> Account:
        """The caller's account as stored now (lines and role as an administrator left them)."""
        account = await self.hub.store.account(await self._me(sid))
        if account is None or not account.active:
            raise Unauthorized("Your account is not active. Log in again.")
        return account

    async def _lists(self, account: Account) -> dict[str, Any]:
        letters = self.followup.letters
        describe = self.followup.oversight.describe
        return {
            "queue": [
                wire.letter_thread(x, account.id)
                for x in await describe(await letters.queue(account))
            ],
            "mine": [
                wire.letter_thread(x, account.id)
                for x in await describe(await letters.mine(account))
            ],
        }

    @acknowledged
    async def on_letters(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        return ok(**await self._lists(await self._account(sid)))

    @acknowledged
    async def on_letter_open(self, sid: str, data: Any) -> dict[str, Any]:
        account = await self._account(sid)
        thread, letters = await self.followup.letters.read(account, thread_id(payload(data)))
        [info] = await self.followup.oversight.describe([thread])
        return ok(
            thread=wire.letter_thread(info, account.id),
            letters=[wire.letter(x) for x in letters],
        )

    @acknowledged
    async def on_letter_take(self, sid: str, data: Any) -> dict[str, Any]:
        account = await self._account(sid)
        thread = await self.followup.letters.take(account, thread_id(payload(data)))
        [info] = await self.followup.oversight.describe([thread])
        return ok(thread=wire.letter_thread(info, account.id))

    @acknowledged
    async def on_letter_answer(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        account = await self._account(sid)
        letters = self.followup.letters
        letter = await letters.answer(account, thread_id(data), text_field(data, "text"))
        thread = await letters.store.thread(letter.thread_id)
        described = await self.followup.oversight.describe([thread] if thread else [])
        return ok(
            letter=wire.letter(letter),
            thread=wire.letter_thread(described[0], account.id) if described else None,
        )

    @acknowledged
    async def on_letter_colleagues(self, sid: str, data: Any) -> dict[str, Any]:
        """Whom a thread can go to: its line's colleagues, whether online now or not."""
        account = await self._account(sid)
        found = await self.followup.letters.colleagues(account, thread_id(payload(data)))
        return ok(
            colleagues=[wire.letter_colleague(x, await self.hub.presence(x.id)) for x in found]
        )

    @acknowledged
    async def on_letter_handover(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        to = data.get("to")
        if not isinstance(to, str) or not 0 < len(to) <= 64:
            raise InvalidPayload('"to" must be a colleague\'s id.', field="to")
        note = optional_text(data, "note", MAX_NOTE) or ""
        account = await self._account(sid)
        await self.followup.letters.hand_over(account, thread_id(data), to, note)
        return ok()

    # ---------------------------------------------------------------- supervisors
    @acknowledged
    async def on_followup_overview(self, sid: str, data: Any) -> dict[str, Any]:
        payload(data)
        account = await self._account(sid)
        overview = await self.followup.oversight.overview(account)
        return ok(**wire.followup_overview(overview, account.id))

    @acknowledged
    async def on_link_revoke(self, sid: str, data: Any) -> dict[str, Any]:
        data = payload(data)
        account = await self._account(sid)
        thread = thread_id(data) if data.get("thread_id") is not None else None
        appointment = (
            thread_id(data, "appointment_id") if data.get("appointment_id") is not None else None
        )
        revoked = await self.followup.oversight.revoke(account, thread, appointment)
        return ok(revoked=revoked)
