"""The records in Redis: accounts, transcripts, wrap-ups, statistics, the audit log, holds and
the follow-up's letters, for the distributed mode, where every node must reach them.

Redis *is* the record here, so it must be configured as one: ``appendonly yes`` with
``appendfsync always`` (each write fsynced before Redis answers: write before acknowledge),
``save ""`` (no RDB snapshots, a second copy erased text would linger in) and
``maxmemory-policy noeviction``. ``RedisStore.open`` checks these and refuses otherwise
(``persistence.py``). Every write is one command, one MULTI/EXEC or one Lua script
(``scripts.py``), so a multi-key write is atomic and reaches the append-only file as a unit.

**Erased means gone from the disk, within a bounded time.** A ``DEL`` removes the text from
memory at once but only appends to the append-only file, which still holds the write that
put it there. So each erase schedules a rewrite of that file from memory (BGREWRITEAOF,
``scrub_delay`` later, gathering erases; :meth:`RedisStore.scrub` does it at once and waits
until it is done, and ``close`` does it too): after the rewrite, the old files are deleted
and the text is in none of the files of Redis's data directory. Replicas and backups of
that directory are copies with the same retention duty (docs/architecture.md).

Key layout: every key starts with the prefix ``P`` (default ``chat:``, the floor's own) and
the records' namespace ``rec:``, so records and floor share one Redis and never a key. No
key or field holds a visitor's address, user agent or cookie: there is none to hold them.

| key (after ``P rec:``) | type | holds |
| --- | --- | --- |
| ``acct:{id}``, ``accts`` | hash, set | an account; every account id |
| ``users`` | hash | username (lower case) -> account id |
| ``sess:{token hash}`` | hash | a login session |
| ``sessions_of:{op}``, ``seen`` | set, sorted set | an operator's sessions; all by last seen |
| ``conv:{id}`` | hash | a conversation (its stored fields only, ``codec.FIELDS``) |
| ``tokens`` | hash | resume token hash -> conversation id |
| ``open``, ``ended`` | sorted sets | not ended, by creation; ended, by end |
| ``done:{line}`` | sorted set | answered, ended chats by end (the wait estimate) |
| ``msg:{id}`` | hash | seq -> the message as JSON (text, html, alias, code, params) |
| ``erased:{id}`` | string | ``1``: "delete my conversation" erased it; refuses later messages |
| ``holding:{role}`` | set | chats holding a message of this role: the purge's work |
| ``wrap:{id}`` | hash | a wrap-up: topic codes and risk |
| ``hour:{line}:{hour}`` | hash | an hour's counters (``stats.py``), numbers only |
| ``hours:{line}`` | sorted set | the hours a line has counters for |
| ``audit``, ``audit_n`` | sorted set, counter | ``{n}|{entry JSON}`` by time; ``n``: the order |
| ``hold:{id}``, ``holds`` | hash, sorted set | a safeguarding hold; holds by end |
| ``space:{id}``, ``spaces`` | hash, sorted set | a follow-up space; spaces by activity |
| ``space_keys`` | hash | link hash -> space id |
| ``space_threads:{id}`` | set | a space's letter threads |
| ``space_appts:{id}`` | set | a space's appointments |
| ``space_convs:{id}``, ``space_kept:{id}`` | list, hash | its chats in order; chat -> kept |
| ``thread:{id}``, ``threads`` | hash, sorted set | a letter thread; threads by activity |
| ``letterq``, ``owned:{op}`` | sorted set, set | waiting threads by since; a volunteer's |
| ``let:{thread}`` | hash | seq -> the letter as JSON |
| ``appt:{id}``, ``appts`` | hash, sorted set | an appointment; appointments by time |
| ``offer:{conv}``, ``offers`` | hash, sorted set | a next chat offered in a chat; by when made |

Reads that follow an index (``tokens``, ``space_keys``, ``owned``) check the record they find,
so an index entry a changed record left behind answers nothing.

``erased:{id}`` (the erase's mark) lives exactly as long as ``conv:{id}``: it is set only
while the record exists, and neither is ever deleted today (the record, without text, stays
for the statistics; the purge erases text, not records). Whatever comes to delete a
conversation's record must delete its mark in the same step. The retention purge's erase by
role leaves no mark: it erases ended chats, where nothing more arrives.

Modules: ``store.py`` (:class:`RedisStore`, lifecycle), ``core.py`` (connection, keys, the
scrub), ``accounts.py``, ``conversations.py``, ``stats.py``, ``followup.py`` (mixins),
``codec.py`` (records as hashes), ``scripts.py`` (Lua), ``persistence.py`` (the check, the
rewrite).
"""

from chatserver.backends.redis_records.core import SCRUB_DELAY
from chatserver.backends.redis_records.persistence import REQUIRED
from chatserver.backends.redis_records.store import RedisStore

__all__ = ["REQUIRED", "SCRUB_DELAY", "RedisStore"]
