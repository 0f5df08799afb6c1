"""The settings that make an acknowledged SQLite write survive kill -9 and power loss, pinned on
both connections a server process opens (reads, and group commit's writes): WAL and
synchronous=FULL. The kill -9 test (test_cli.py) cannot tell FULL from OFF, since the OS keeps
written pages across a killed process; only a power loss would. So the setting itself is asserted.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from chinwag.storage import migrate
from chinwag.storage.db import SqliteDatabase, open_database

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def settings_of(conn: sqlite3.Connection) -> tuple[str, int, int]:
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    return journal, synchronous, foreign_keys


def test_both_server_connections_are_wal_and_synchronous_full(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chinwag.db'}"
    migrate.upgrade(url)

    async def main() -> list[tuple[str, int, int]]:
        db = open_database(url)  # what the server's app builds from its --database URL
        assert isinstance(db, SqliteDatabase)
        await db.start()
        try:
            slot = db._slot()
            async with db.write() as tx:  # the write connection really is the one that commits
                await tx.run("UPDATE accounts SET auth_token = auth_token")
            return [settings_of(slot.read_conn), settings_of(slot.writer.conn)]
        finally:
            await db.close()

    assert asyncio.run(main()) == [("wal", FULL, 1), ("wal", FULL, 1)]


def test_no_connection_maps_the_file(tmp_path: Path) -> None:
    """docs/decisions.md #162: a read connection drops its pages whenever another commits, and with
    a memory map it unmapped the whole file each time too (a page fault per page touched next)."""
    url = f"sqlite:///{tmp_path / 'chinwag.db'}"
    migrate.upgrade(url)

    async def main() -> list[int]:
        db = open_database(url)
        assert isinstance(db, SqliteDatabase)
        await db.start()
        try:
            slot = db._slot()
            return [conn.execute("PRAGMA mmap_size").fetchone()[0] for conn in (slot.read_conn, slot.writer.conn)]
        finally:
            await db.close()

    assert asyncio.run(main()) == [0, 0]
