"""SQLite connections as the server opens them (`connect_sqlite`: WAL, synchronous, cache, no
memory map, temporary store; each setting with its reason) and its transactions as repositories
see them (`SqliteTx`): statements run inline on the connection, integrity errors mapped to the
engine-neutral ones. `storage/db.py` opens them per thread and commits through group commit.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

from chinwag.storage.dialect import ReferenceGone, UniqueViolation
from chinwag.storage.group_commit import Receiver

Row = Any  # sqlite3.Row: indexes by column name


class SqliteTx:
    __slots__ = ("_conn", "_plain", "defer", "hand_over")
    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # A write connection's: hand a statement to the batch, to run before its COMMIT (`at_commit`).
        self.defer: Callable[[str, tuple[Any, ...]], None] | None = None
        # A write connection's: give a value to a receiver once the batch has committed, if this
        # request's savepoint was kept (GroupCommit.hand_over). None on reads.
        self.hand_over: Callable[[Receiver, Any], None] | None = None
        # Plain tuples for `values`: a sqlite3.Row per row costs more to make, and its name lookups
        # more to read, which a 50-row list page pays 50 times (bench: list-users).
        self._plain = conn.cursor()
        self._plain.row_factory = None

    def _execute(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            if "FOREIGN KEY" in str(exc):
                raise ReferenceGone(str(exc)) from exc
            raise

    async def one(self, sql: str, *args: Any) -> Row | None:
        return self._execute(sql, args).fetchone()

    async def all(self, sql: str, *args: Any) -> list[Row]:
        return self._execute(sql, args).fetchall()

    async def values(self, sql: str, *args: Any) -> list[Any]:
        return self._plain.execute(sql, args).fetchall()

    async def run(self, sql: str, *args: Any) -> int:
        return self._execute(sql, args).rowcount

    async def solo(self, sql: str, *args: Any) -> Row | None:
        return self._execute(sql, args).fetchone()  # a savepoint of the batch, like any other statement

    async def before(self, sql: str, *args: Any) -> Row | None:
        return self._execute(sql, args).fetchone()

    async def at_commit(self, sql: str, *args: Any) -> None:
        if self.defer is None:
            raise RuntimeError("at_commit outside a write transaction")
        self.defer(sql, args)


def connect_sqlite(path: str, *, any_thread: bool = False, synchronous: str = "FULL") -> sqlite3.Connection:
    """`any_thread`: the connection is used from another thread too (group commit's COMMIT).
    `synchronous`: FULL (each COMMIT is on disk before it returns) unless a caller can lose its
    last commits to a power cut (SqliteDatabase.synchronous)."""
    conn = sqlite3.connect(
        path, isolation_level=None, cached_statements=512, timeout=10.0, check_same_thread=not any_thread
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    # Reads of a big database: SQLite's default page cache is 2 MB per connection, so a page of a
    # user's 50 conversations (rows scattered over the participants and conversations tables)
    # went to the OS for most of its pages once the file was past a few hundred MB (bench:
    # user-conversations-scale). 64 MB of cache per connection (one per thread) keeps them.
    conn.execute("PRAGMA cache_size=-65536")
    # No memory map (docs/decisions.md #162). A connection that sees the file changed by another
    # (every read connection, after each commit) drops its page cache and, with a map, unmaps the
    # whole file: each page it touches next is a page fault again. With 200 commits a second the
    # user fetches between them paid twice what they paid without the map (bench/realtime.py),
    # and without it the 10^6-row scale bench is no slower.
    conn.execute("PRAGMA mmap_size=0")
    # Each request is a SAVEPOINT of its group-commit batch (storage/group_commit.py), and SQLite
    # keeps a copy of every page a savepoint changes, to roll it back. With the default temporary
    # store that copy spills to a temporary FILE past 64 KiB: a hooked message post (message,
    # realtime events, outbox row and their indexes) crossed that line, and its writes to the temp
    # file were most of what a post-event hook cost (bench/webhooks.py; docs/decisions.md #161).
    conn.execute("PRAGMA temp_store=MEMORY")
    # A cap on the file's size in pages, for the disk-full fault test (tests/test_sqlite_faults.py):
    # SQLite then fails writes exactly as on a full disk (SQLITE_FULL). Per connection, so it is
    # set on every connection the server opens. Unset: SQLite's own limit.
    max_pages = os.environ.get("CHINWAG_SQLITE_MAX_PAGE_COUNT")
    if max_pages:
        conn.execute(f"PRAGMA max_page_count={int(max_pages)}")
    return conn
