"""Limits that protect volunteers and other visitors from abuse, keyed on pseudonyms only.

Messages: a rate (token bucket) per conversation, and one per source (pseudonym) as large as
its ``conversations_per_source`` conversations together (or its open ones, if more). Neither
belongs to a connection: a script that reconnected with its resume token, or ended its chat
and started another, used to get a full bucket each time (1,540 messages in ten seconds). Per
source: how many conversations at once. Blocks by volunteers: a set of pseudonyms of the
current key period, so a block lasts at most until the key is replaced (a day by default).
``AbuseGuard`` keeps all of it in this process (the embedded default);
``backends/redis_edges/abuse.py`` keeps it in Redis for every node, behind the same
``SourceGuard`` protocol, so a block placed on one node holds on all of them.

A source is an address, and an address is often shared: a family behind one router, a
shelter, a school, a library. Refusing the fourth person there would turn away someone in
crisis because of who else is online, so past ``conversations_per_source`` a conversation is
still served, only marked, so its volunteer knows several chats come from one connection.
Only ``conversations_ceiling``, far above any household, refuses: that is a flood or a script,
and even then the answer is kind and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from chatserver.clock import Clock
from chatserver.errors import Blocked, ConnectionCrowded, RateLimited
from chatserver.privacy.pseudonyms import PseudonymKey


@dataclass(frozen=True)
class Limits:
    messages_per_minute: int = 30  # a person typing fast sends a few; a script sends hundreds
    burst: int = 10
    conversations_per_source: int = 3  # beyond this, served but marked as a shared connection
    conversations_ceiling: int = 25  # beyond this, refused: a flood, not a family


class SourceGuard(Protocol):
    """What the visitor and operator namespaces ask of the abuse limits (``AbuseGuard``'s
    methods, documented there)."""

    @property
    def pseudonyms(self) -> PseudonymKey: ...

    async def check_message(self, conversation_id: str, source: str) -> None: ...

    async def check_start(self, source: str) -> int: ...

    async def started(self, source: str, conversation_id: str) -> None: ...

    async def finished(self, conversation_id: str) -> None: ...

    async def block_conversation(self, conversation_id: str) -> bool: ...

    async def is_blocked(self, source: str) -> bool: ...


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class AbuseGuard:
    clock: Clock
    pseudonyms: PseudonymKey
    limits: Limits = field(default_factory=Limits)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)  # by conversation
    _source_buckets: dict[str, _Bucket] = field(default_factory=dict)  # by pseudonym
    _conversations: dict[str, set[str]] = field(default_factory=dict)
    _blocked: set[str] = field(default_factory=set)
    _blocked_epoch: str = ""
    _source_of: dict[str, str] = field(default_factory=dict)  # conversation -> pseudonym
    # conversation -> the pseudonym it is counted under in ``_conversations``: kept across a
    # new key period (unlike ``_source_of``), so finishing finds its count in one step
    _counted_under: dict[str, str] = field(default_factory=dict)

    async def check_message(self, conversation_id: str, source: str) -> None:
        """Raise ``RateLimited`` when a conversation, or all conversations from one source
        together, write faster than people can; otherwise count this message for both."""
        self._expire_blocks()
        now = self.clock.now()
        # a shelter with more chats open than the usual share gets room for each of them
        share = max(self.limits.conversations_per_source, len(self._conversations.get(source, ())))
        buckets = (
            self._refill(self._buckets, conversation_id, 1, now),
            self._refill(self._source_buckets, source, share, now),
        )
        if any(bucket.tokens < 1 for bucket in buckets):
            raise RateLimited("You are sending messages very fast; wait a moment.")
        for bucket in buckets:
            bucket.tokens -= 1

    def _refill(self, buckets: dict[str, _Bucket], key: str, size: int, now: float) -> _Bucket:
        """The bucket for ``key``, topped up for the time since it was last used; ``size``
        times the configured rate and burst."""
        burst = float(self.limits.burst * size)
        rate = self.limits.messages_per_minute * size / 60.0
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(burst, now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        return bucket

    async def check_start(self, source: str) -> int:
        """Before a new conversation: not blocked, and not a flood from one source.

        Returns how many conversations the source will have open with this one, when that is
        more than ``conversations_per_source`` (the volunteer's "several chats from one
        connection"), else 0. Raises ``ConnectionCrowded`` at ``conversations_ceiling``.
        """
        if await self.is_blocked(source):
            raise Blocked()
        open_now = len(self._conversations.get(source, ()))
        if open_now >= self.limits.conversations_ceiling:
            raise ConnectionCrowded()
        with_this = open_now + 1
        return with_this if with_this > self.limits.conversations_per_source else 0

    async def started(self, source: str, conversation_id: str) -> None:
        self._expire_blocks()
        self._conversations.setdefault(source, set()).add(conversation_id)
        self._source_of[conversation_id] = source
        self._counted_under[conversation_id] = source

    async def finished(self, conversation_id: str) -> None:
        """It is over for the visitor: no longer counted, and it sends no more messages (its
        source's bucket stays, so starting over does not refill it)."""
        self._buckets.pop(conversation_id, None)
        source = self._counted_under.pop(conversation_id, None)
        conversations = self._conversations.get(source or "")
        if source is not None and conversations is not None:
            conversations.discard(conversation_id)
            if not conversations:
                del self._conversations[source]

    async def block_conversation(self, conversation_id: str) -> bool:
        """Block whoever started this conversation, for the rest of the key period.

        False if the source is no longer known (the key was replaced since): nothing to block.
        """
        self._expire_blocks()
        source = self._source_of.get(conversation_id)
        if source is None:
            return False
        self._blocked.add(source)
        return True

    async def is_blocked(self, source: str) -> bool:
        self._expire_blocks()
        return source in self._blocked

    def _expire_blocks(self) -> None:
        """A new key period: every pseudonym changed, so every block has lapsed."""
        epoch = self.pseudonyms.epoch
        if epoch != self._blocked_epoch:
            self._blocked_epoch = epoch
            self._blocked.clear()
            self._source_of.clear()
            self._source_buckets.clear()  # nobody has these pseudonyms any more
