"""Limits that protect volunteers and other visitors from abuse, keyed on pseudonyms only.

Per connection: a message rate (token bucket). Per source (pseudonym): how many
conversations at once. Blocks by volunteers: a set of pseudonyms of the current key period,
so a block lasts at most until the key is replaced (a day by default). All in memory.

A source is an address, and an address is often shared: a family behind one router, a
shelter, a school, a library. Refusing the fourth person there would turn away someone in
crisis because of who else is online, so past ``conversations_per_source`` a conversation is
still served, only marked, so its volunteer knows several chats come from one connection.
Only ``conversations_ceiling``, far above any household, refuses: that is a flood or a script,
and even then the answer is kind and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatserver.clock import Clock
from chatserver.errors import Blocked, ConnectionCrowded, RateLimited
from chatserver.privacy.pseudonyms import Pseudonyms


@dataclass(frozen=True)
class Limits:
    messages_per_minute: int = 30  # a person typing fast sends a few; a script sends hundreds
    burst: int = 10
    conversations_per_source: int = 3  # beyond this, served but marked as a shared connection
    conversations_ceiling: int = 25  # beyond this, refused: a flood, not a family


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class AbuseGuard:
    clock: Clock
    pseudonyms: Pseudonyms
    limits: Limits = field(default_factory=Limits)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _conversations: dict[str, set[str]] = field(default_factory=dict)
    _blocked: set[str] = field(default_factory=set)
    _blocked_epoch: int = -1
    _source_of: dict[str, str] = field(default_factory=dict)  # conversation -> pseudonym

    def check_message(self, connection: str) -> None:
        """Raise ``RateLimited`` when a connection writes faster than a person can."""
        now = self.clock.now()
        rate = self.limits.messages_per_minute / 60.0
        bucket = self._buckets.get(connection)
        if bucket is None:
            bucket = self._buckets[connection] = _Bucket(float(self.limits.burst), now)
        bucket.tokens = min(self.limits.burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens < 1:
            raise RateLimited("You are sending messages very fast; wait a moment.")
        bucket.tokens -= 1

    def check_start(self, source: str) -> int:
        """Before a new conversation: not blocked, and not a flood from one source.

        Returns how many conversations the source will have open with this one, when that is
        more than ``conversations_per_source`` (the volunteer's "several chats from one
        connection"), else 0. Raises ``ConnectionCrowded`` at ``conversations_ceiling``.
        """
        if self.is_blocked(source):
            raise Blocked()
        open_now = len(self._conversations.get(source, ()))
        if open_now >= self.limits.conversations_ceiling:
            raise ConnectionCrowded()
        with_this = open_now + 1
        return with_this if with_this > self.limits.conversations_per_source else 0

    def started(self, source: str, conversation_id: str) -> None:
        self._expire_blocks()
        self._conversations.setdefault(source, set()).add(conversation_id)
        self._source_of[conversation_id] = source

    def finished(self, conversation_id: str) -> None:
        for source, conversations in list(self._conversations.items()):
            conversations.discard(conversation_id)
            if not conversations:
                del self._conversations[source]

    def forget_connection(self, connection: str) -> None:
        self._buckets.pop(connection, None)

    def block_conversation(self, conversation_id: str) -> bool:
        """Block whoever started this conversation, for the rest of the key period.

        False if the source is no longer known (the key was replaced since): nothing to block.
        """
        self._expire_blocks()
        source = self._source_of.get(conversation_id)
        if source is None:
            return False
        self._blocked.add(source)
        return True

    def is_blocked(self, source: str) -> bool:
        self._expire_blocks()
        return source in self._blocked

    def _expire_blocks(self) -> None:
        """A new key period: every pseudonym changed, so every block has lapsed."""
        epoch = self.pseudonyms.epoch
        if epoch != self._blocked_epoch:
            self._blocked_epoch = epoch
            self._blocked.clear()
            self._source_of.clear()
