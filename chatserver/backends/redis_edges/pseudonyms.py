"""One pseudonym key for every node, handed between them in memory and never written down.

A visitor's address becomes a pseudonym by an HMAC with a key that only the nodes' memory
holds (``privacy/pseudonyms.py`` says why). With several nodes they must share the key, or a
block placed through one node would not hold on the next request, which the load balancer
may send anywhere. What was decided, and why:

* **No Redis key holds key material.** Redis in production persists every write to its
  append-only file, and a copy of that file (a backup, a replica, a disk) plus the key would
  turn every pseudonym in it back into an address by trying all of them (2^32 for IPv4).
  Nodes hand the key over Redis **pub/sub** instead: a ``PUBLISH`` goes to the subscribers'
  memory and is not written to the append-only file (distributed-notes.md). A starting node
  asks on the channel ``P pseudonym-key`` (``{"ask": node}``); every node that has the key
  answers (``{"have": node, "period": n, "secret": hex, "born": t}``). When nobody answers
  within ``answer_wait`` seconds (the first node of a cold start), the node makes a random
  secret and announces it the same way. Whenever a node hears a key other than its own it
  keeps the older one (``born``: when the first node made it), the smaller secret on a tie,
  and announces its own back when it kept it: nodes that started alone at once converge,
  and a node whose ask went unanswered in time adopts the running nodes' key rather than
  replacing it (which would lift their blocks).
* **Rotation without talking: a one-way ratchet.** The secret of period ``n + 1`` is
  ``HMAC(secret_n, "next period")`` and the HMAC key of period ``n`` is
  ``HMAC(secret_n, "pseudonym key")``; a node steps forward when its clock enters a new
  period (``clock.now() // period_seconds``, as today) and forgets the older secret. So all
  nodes change key at the same moment without a message, a key handed over is only that of
  the current period, and someone who later copies a node's memory cannot go back: the
  pseudonyms of earlier periods (and every block kept under them) cannot be traced to an
  address. Blocks lapse when the period turns, because every pseudonym changes (the abuse
  keys carry the period too), and when every node stops at once, because the secret is gone
  with their memory and the next node makes a new one.
* **The trade-off.** Whoever reads one node's memory (or subscribes to the channel while a
  node is asked) can compute the keys of later periods until all nodes are stopped at the
  same time; with a random key per period they could not. But they could then also read
  each day's key from that memory, so the ratchet gives away nothing a memory reader lacks,
  and it needs no coordination at the turn of a period (where nodes would otherwise disagree,
  and a block would not hold, until they had agreed). Anyone who can subscribe to the
  channel can read the key: Redis access must be as trusted as the nodes (it holds the
  chats too). An active party on Redis could also answer with a key it chose; that needs the
  same access. Replicas receive the ``PUBLISH`` in memory only.

``of`` and ``epoch`` stay synchronous (the key is in memory); ``start`` must be awaited
before the first ``of``, and ``close`` at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

import redis.asyncio as aioredis

from chatserver.backends.redis_edges import DEFAULT_PREFIX
from chatserver.clock import Clock

log = logging.getLogger(__name__)

ANSWER_WAIT = 1.0
RECONNECT_WAIT = 1.0
CLOSE_WAIT = 1.0


KEY_NAME = "the key in use"  # no address looks like this: its pseudonym names the key


def next_secret(secret: bytes) -> bytes:
    """One period forward; the older secret cannot be computed back from the newer."""
    return hmac.new(secret, b"next period", hashlib.sha256).digest()


def period_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"pseudonym key", hashlib.sha256).digest()


class RedisPseudonyms:
    def __init__(
        self,
        client: aioredis.Redis,
        clock: Clock,
        period_seconds: float = 86400.0,
        prefix: str = DEFAULT_PREFIX,
        answer_wait: float = ANSWER_WAIT,
    ) -> None:
        self._redis = client
        self.clock = clock
        self.period = period_seconds
        self.channel = f"{prefix}pseudonym-key"
        self.node = secrets.token_hex(8)
        self.answer_wait = answer_wait
        self._secret = b""
        self._at = -1  # the period of ``_secret``
        self._key = b""
        self._born = 0.0  # when the first node made this key (its lineage), by its clock
        self._have = asyncio.Event()
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._closing = False

    # ------------------------------------------------------------------ the key
    @property
    def epoch(self) -> str:
        """Which key is in use: its period and a name of the key itself (the key's own
        pseudonym of a fixed word: it tells no more of the key than any pseudonym stored
        beside it). Blocks remember it and lapse when it changes: at the turn of a period,
        and when every node stopped and the next one made a new key for the same period (the
        pseudonyms under the old key then belong to nobody; a block under it would stop
        nobody)."""
        self._advance(self._now_period())
        return f"{self._at}.{self.of(KEY_NAME)}"

    def of(self, address: str) -> str:
        if not self._secret:
            raise RuntimeError("RedisPseudonyms.start() was not awaited: no key yet")
        self._advance(self._now_period())
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:24]

    def _now_period(self) -> int:
        return int(self.clock.now() // self.period)

    def _advance(self, period: int) -> None:
        """Ratchet forward to ``period`` (never back: a node whose clock lags keeps the newer
        key it was handed), forgetting each older secret."""
        if not self._secret or period <= self._at:
            return
        secret = self._secret
        for _ in range(period - self._at):
            secret = next_secret(secret)
        self._secret, self._at, self._key = secret, period, period_key(secret)

    def _adopt(self, period: int, secret: bytes, born: float) -> bool:
        """Take a secret handed over (or made here), unless ours is the one to keep: the
        older key, or at the same age the smaller secret (compared at the same period).
        True when ours was kept over a different one: its holder must hear ours."""
        self._have.set()
        if self._secret:
            target = max(period, self._at, self._now_period())
            self._advance(target)
            while period < target:
                secret, period = next_secret(secret), period + 1
            if (born, secret) >= (self._born, self._secret):
                return secret != self._secret
        self._secret, self._at, self._key = secret, period, period_key(secret)
        self._born = born
        self._advance(self._now_period())
        return False

    # ------------------------------------------------------------------ between nodes
    async def start(self) -> None:
        """Subscribe, ask the live nodes for the key, and make one if nobody answers."""
        self._pubsub = self._redis.pubsub()
        await self._pubsub.subscribe(self.channel)
        self._listener = asyncio.create_task(self._listen())
        await self._send({"ask": self.node})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._have.wait(), self.answer_wait)
        if not self._secret:
            self._adopt(self._now_period(), secrets.token_bytes(32), self.clock.now())
            log.info("pseudonym key: no node answered, made a new one")
            await self._announce()

    async def close(self) -> None:
        """Stop listening and forget the key. The subscription is closed first: redis-py's
        blocking read does not always give way to a plain cancel."""
        self._closing = True
        if self._pubsub is not None:
            await self._pubsub.aclose()
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.wait({self._listener}, timeout=CLOSE_WAIT)
        self._secret = self._key = b""  # nothing left in this object to copy

    async def _send(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self.channel, json.dumps(message))

    async def _announce(self) -> None:
        self._advance(self._now_period())
        await self._send({"have": self.node, "period": self._at, "secret": self._secret.hex(),
                          "born": self._born})  # fmt: skip

    async def _listen(self) -> None:
        """Answer the nodes that ask, adopt what others announce. Pub/sub is at-most-once:
        after a lost connection the node resubscribes; an ask missed meanwhile is answered
        by another node, or the asker makes a key of its own, announces it, and hears the
        older key back from every running node (which keep theirs), and adopts it."""
        while not self._closing:
            try:
                event = await self._pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=None)  # fmt: skip
                if event is not None and event.get("type") == "message":
                    await self._heard(json.loads(event["data"]))
            except (aioredis.ConnectionError, aioredis.TimeoutError):
                if self._closing:
                    return
                log.warning("pseudonym key channel lost; resubscribing")
                await asyncio.sleep(RECONNECT_WAIT)
                with contextlib.suppress(aioredis.ConnectionError, aioredis.TimeoutError):
                    await self._pubsub.subscribe(self.channel)
            except (ValueError, KeyError, TypeError):
                log.warning("pseudonym key channel: a message that is not ours, ignored")

    async def _heard(self, message: dict[str, Any]) -> None:
        if "ask" in message:
            if message["ask"] != self.node and self._secret:
                await self._announce()
        elif "have" in message:
            held = self._secret
            born = float(message["born"])
            if self._adopt(int(message["period"]), bytes.fromhex(message["secret"]), born):
                await self._announce()  # a newer key than ours: its node adopts ours
            elif held and self._secret != held:
                log.info("pseudonym key: adopted another node's key")
