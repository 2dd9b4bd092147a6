"""Pending second-factor enrolments in Redis (``EnrolmentBook``): the QR code shown by one
node, the code typed on another.

* ``P en:t:{sha256(token)}``, a hash: the account id, username, the pending secret, the form's
  CSRF token and ``expires_at``. The cookie's token itself is never stored, only its hash.
* ``P en:a:{account}``: that account's one pending enrolment (the token's hash), so a new
  login replaces the older one in the same script (``START``).

Both live ``Enrolments.TTL`` (ten minutes) by Redis's clock too; ``get`` decides by the
caller's clock. The pending secret is in Redis for those minutes, and so, with append-only
persistence, on Redis's disk: it unlocks nothing until a code confirms it, and once confirmed
it is on the account in the store anyway.
"""

from __future__ import annotations

import hashlib
import secrets

import redis.asyncio as aioredis

from chatserver.accounts.credentials import new_totp_secret
from chatserver.accounts.enrolments import Enrolments, PendingEnrolment
from chatserver.backends.redis_edges import DEFAULT_PREFIX, ttl_ms
from chatserver.hub.model import Account

START = """
local older = redis.call('GET', KEYS[1])
if older then redis.call('DEL', ARGV[1] .. older) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'account_id', ARGV[4], 'username', ARGV[5], 'secret', ARGV[6],
           'csrf', ARGV[7], 'expires_at', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"""

FINISH = """
local account = redis.call('HGET', KEYS[1], 'account_id')
redis.call('DEL', KEYS[1])
if account and redis.call('GET', ARGV[1] .. account) == ARGV[2] then
  redis.call('DEL', ARGV[1] .. account)
end
return 1
"""


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RedisEnrolments:
    TTL = Enrolments.TTL

    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._tokens = f"{prefix}en:t:"
        self._accounts = f"{prefix}en:a:"
        self._start = client.register_script(START)
        self._finish = client.register_script(FINISH)

    async def start(self, account: Account, now: float) -> tuple[str, PendingEnrolment]:
        token = secrets.token_urlsafe(32)
        pending = PendingEnrolment(
            account.id, account.username, new_totp_secret(), secrets.token_urlsafe(24),
            now + self.TTL,
        )  # fmt: skip
        hashed = _hashed(token)
        await self._start(
            keys=[self._accounts + account.id, self._tokens + hashed],
            args=[self._tokens, hashed, ttl_ms(self.TTL), pending.account_id, pending.username,
                  pending.secret, pending.csrf, repr(pending.expires_at)],
        )  # fmt: skip
        return token, pending

    async def get(self, token: str | None, now: float) -> PendingEnrolment | None:
        if not token:
            return None
        found = {
            str(k): str(v)
            for k, v in (await self._redis.hgetall(self._tokens + _hashed(token))).items()
        }
        if not found:
            return None
        pending = PendingEnrolment(
            found["account_id"], found["username"], found["secret"], found["csrf"],
            float(found["expires_at"]),
        )  # fmt: skip
        if pending.expires_at <= now:
            await self.finish(token)
            return None
        return pending

    async def finish(self, token: str) -> None:
        if token:
            hashed = _hashed(token)
            await self._finish(keys=[self._tokens + hashed], args=[self._accounts, hashed])
