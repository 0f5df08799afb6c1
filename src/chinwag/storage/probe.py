"""Can this server write its database? Asked once, before the server starts.

SQLite opens a file it may not write (permissions, an immutable file, a read-only mount) read-only
without a word, and the connection stays read-only after the cause is fixed: the server used to
start, say `ok` on /health, and answer every write with a 500 until it was restarted. So
`chinwag serve` refuses to start on such a database, naming the cause (docs/decisions.md #50).
"""

from __future__ import annotations

import sqlite3

from chinwag.storage.dialect import engine_of, sqlite_path
from chinwag.storage.faults import sqlite_fault_kind


class NotWritable(ValueError):
    """The database cannot be written; the message says why, in one line."""


def check_writable(url: str) -> None:
    if engine_of(url) != "sqlite":
        return  # PostgreSQL refuses writes per statement; those faults are answered 503 as they come
    path = sqlite_path(url)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        # A schema change in a transaction that is rolled back: it needs the write lock and a
        # writable file, and leaves nothing behind.
        conn.execute("CREATE TABLE chinwag_write_probe (x INTEGER)")
    except sqlite3.Error as exc:
        kind = sqlite_fault_kind(exc) or "error"
        raise NotWritable(
            f"cannot write the database {path} ({kind}: {exc}); chinwag needs to write the file, its -wal and"
            " -shm files and their directory (check permissions, immutable attributes and read-only mounts)"
        ) from None
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
