"""Login sessions ending, as the hub announces it: a logout, or a session idle too long.

A session is a cookie's right to act as a volunteer; a console socket was opened with one.
When the session ends, the socket must not carry on: a volunteer who logs out on a shared
office computer, or walks away from it for the night, must not leave behind a console that
still receives visitors' words. So each ending is saved and published as one
:class:`~chatserver.hub.events.SessionEnded`, which the realtime bridge turns into closing the
sockets of that session (as it does for an administrator's account changes).

Activity on a socket keeps its session alive (``accounts.keep_alive``, from the operator
namespace); the sweep ends the sessions that saw none for ``accounts.SESSION_IDLE_SECONDS``.
"""

from __future__ import annotations

from chatserver import accounts
from chatserver.hub.events import SessionEnded
from chatserver.hub.messages import Messages
from chatserver.hub.state import Node, OnNode

# how often the sweep looks for idle sessions: an idle session ends at most this much late
EXPIRY_CHECK_SECONDS = 60.0


class Sessions(OnNode):
    """Login sessions ending: a logout, or idle too long."""

    def __init__(self, node: Node, messages: Messages) -> None:
        super().__init__(node)
        self.messages = messages
        self._checked_at = float("-inf")  # when the sweep last looked for idle sessions

    async def log_out(self, session: str) -> None:
        """End the session (its token hash) and close every socket opened with it."""
        await self.store.delete_session(session)
        await self.messages.everywhere(SessionEnded(session, "logout"))

    async def expire_sessions(self, now: float) -> None:
        """Due from the sweep: end the sessions idle too long, and close their sockets."""
        if now - self._checked_at < EXPIRY_CHECK_SECONDS:
            return
        self._checked_at = now
        for session in await self.store.expire_sessions(now - accounts.SESSION_IDLE_SECONDS):
            await self.messages.everywhere(SessionEnded(session, "expired"))
