"""Changes to an operator's account, each one domain action: saved, audited and announced.

An administrator who deactivates a volunteer, gives it another role or other lines, or sets
a new password changes what that person may do *now*, while its console may be open with a
visitor in it. So each change does three things at once, and no caller can forget one
(the shape of Zulip's ``do_deactivate_user``):

* the account is saved, and where the change means "whoever is logged in must be out"
  (deactivation, a new password, a forgotten second factor) its sessions end;
* it is written to the audit log (``account_*``, ``detail`` = the account's id), so a second
  administrator can see who gave whom which powers;
* one :class:`~chatserver.hub.events.AccountChanged` is published. The realtime bridge turns
  it into closing that operator's live connections: a console connects again at once and
  the hub takes the account as it is now, or, deactivated or logged out, it is refused and
  its page goes to the login. Without that, a deactivated volunteer's open console would
  keep receiving visitors until the page was closed.

The rules for what an account may be (roles, limits, hashing) are ``chatserver.accounts``';
these actions take an account already checked by them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from chatserver import accounts
from chatserver.hub.core import FloorMechanics
from chatserver.hub.events import AccountChanged
from chatserver.hub.messages import Messages
from chatserver.hub.model import Account
from chatserver.hub.state import Node, OnNode


class AccountChanges(OnNode):
    """Account changes: saved, audited and announced in one step each."""

    def __init__(self, node: Node, messages: Messages, mechanics: FloorMechanics) -> None:
        super().__init__(node)
        self.messages = messages
        self.mechanics = mechanics

    async def create_account(self, by: str, account: Account) -> None:
        """A new account (``ValueError`` when the username is taken)."""
        await self.store.add_account(account)
        await self._account_changed(by, account, "account_create", "created")

    async def edit_account(self, by: str, changed: Account) -> None:
        """Role, alias, lines, languages, capacity, backup: one form, so one change.

        A console that is open reconnects and works with the new role and lines at once.
        """
        await self.store.update_account(changed)
        await self._account_changed(by, changed, "account_edit", "edited")

    async def set_password(self, by: str, account: Account, password: str) -> Account:
        """A new password (checked by the account rules); every session of the account ends.

        A reset usually means the old password is lost or known to someone else: whoever is
        logged in with it must be out too.
        """
        # argon2 takes tens of milliseconds of CPU: off the event loop, so chats keep flowing
        password_hash = await asyncio.to_thread(accounts.hash_password, password)
        changed = replace(account, password_hash=password_hash)
        await self._save_and_log_out(changed)
        await self._account_changed(by, changed, "account_password", "password")
        return changed

    async def reset_two_factor(self, by: str, account: Account) -> Account:
        """Forget the TOTP secret (a lost or replaced phone) and end the account's sessions.

        A role that needs 2FA enrols again at its next login, with the password; a volunteer's
        account then logs in with the password alone.
        """
        changed = replace(account, totp_secret=None)
        await self._save_and_log_out(changed)
        await self._account_changed(by, changed, "account_two_factor", "two_factor")
        return changed

    async def deactivate_account(self, by: str, account: Account) -> Account:
        """Every session ends and login refuses the account; its consoles are closed.

        Accounts are deactivated, never deleted: the audit log and the statistics keep
        pointing at an id that still has a name.
        """
        changed = replace(account, active=False)
        await self._save_and_log_out(changed)
        await self._account_changed(by, changed, "account_deactivate", "deactivated")
        return changed

    async def reactivate_account(self, by: str, account: Account) -> Account:
        """The account may log in again (with its old password and second factor)."""
        changed = replace(account, active=True)
        await self.store.update_account(changed)
        await self._account_changed(by, changed, "account_reactivate", "reactivated")
        return changed

    async def _save_and_log_out(self, account: Account) -> None:
        await self.store.update_account(account)
        await self.store.delete_sessions_of(account.id)

    async def _account_changed(self, by: str, account: Account, action: str, change: str) -> None:
        await self.mechanics.audit(by, action, None, account.id)
        await self.messages.everywhere(AccountChanged(account.id, change))
