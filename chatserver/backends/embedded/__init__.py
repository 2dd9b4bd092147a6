"""The embedded store: one SQLite file, written with group commit, read in place.

Enough for a regional helpline with no other service to run. The package in reading order:

* ``store.py``: :class:`SqliteStore`, the ``Store`` interface on one file: lifecycle,
  conversations, messages, holds and the audit log, and why an erase is gone from the disk;
  ``accounts.py`` and ``stats.py`` hold its account and statistics queries (mixins).
* ``writer.py``: the group-commit writer: write before ack, many writes to one fsync, a bad
  write fails alone, reads see only committed data.
* ``schema.py``: the tables as numbered migrations, applied to an existing file at start-up.
* ``rows.py``: how a domain record lies in a row.

Privacy by construction: no table has a column for an address, a user agent or a cookie.
"""

from chatserver.backends.embedded.schema import MIGRATIONS
from chatserver.backends.embedded.store import MEMORY, SCRUB_DELAY, SqliteStore
from chatserver.backends.embedded.writer import MAX_BATCH, Statement

__all__ = ["MAX_BATCH", "MEMORY", "MIGRATIONS", "SCRUB_DELAY", "SqliteStore", "Statement"]
