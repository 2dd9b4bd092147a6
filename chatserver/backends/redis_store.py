"""The records in Redis mode: :class:`RedisStore` (``redis_records/``, where the key layout and
the persistence it demands are described). Like the floor, it lives beside the hub: the hub
package never imports ``redis``."""

from chatserver.backends.redis_records import REQUIRED, SCRUB_DELAY, RedisStore

__all__ = ["REQUIRED", "SCRUB_DELAY", "RedisStore"]
