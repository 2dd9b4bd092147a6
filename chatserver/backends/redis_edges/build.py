"""One node's edges on Redis, built in one call: what the distributed mode's wiring uses."""

from __future__ import annotations

from chatserver.backends.redis_client import COMMAND_TIMEOUT
from chatserver.backends.redis_edges import DEFAULT_PREFIX, connect
from chatserver.backends.redis_edges.abuse import RedisAbuseGuard
from chatserver.backends.redis_edges.enrolments import RedisEnrolments
from chatserver.backends.redis_edges.hourly import RedisHourlyCounts
from chatserver.backends.redis_edges.pseudonyms import ANSWER_WAIT, RedisPseudonyms
from chatserver.backends.redis_edges.throttle import RedisThrottle
from chatserver.clock import Clock
from chatserver.edges import Edges
from chatserver.privacy.abuse import Limits
from chatserver.privacy.letter_limit import LetterLimit
from chatserver.privacy.link_guard import LinkGuard


async def redis_edges(
    url: str,
    clock: Clock,
    limits: Limits,
    key_period: float,
    wrong_links_per_hour: int,
    prefix: str = DEFAULT_PREFIX,
    answer_wait: float = ANSWER_WAIT,
    socket_timeout: float = COMMAND_TIMEOUT,
) -> Edges:
    """One node's edges on Redis. Asks the running nodes for the pseudonym key first (or
    makes it, when none answers within ``answer_wait`` seconds): await it before serving.
    ``Edges.close`` forgets the key and closes the connections."""
    client = connect(url, socket_timeout)
    pseudonyms = RedisPseudonyms(client, clock, key_period, prefix, answer_wait)
    await pseudonyms.start()

    async def close() -> None:
        await pseudonyms.close()
        await client.aclose()

    return Edges(
        pseudonyms,
        RedisAbuseGuard(client, clock, pseudonyms, limits, prefix, key_period),
        RedisThrottle(client, prefix),
        RedisEnrolments(client, prefix),
        LinkGuard(clock, wrong_links_per_hour, RedisHourlyCounts(client, "links", prefix)),
        LetterLimit(clock, counts=RedisHourlyCounts(client, "letters", prefix)),
        close,
    )
