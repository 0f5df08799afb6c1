"""The two drivers behind one small async interface, and one transaction per request.

SQLite runs through the stdlib `sqlite3` module: long-lived connections per thread (WAL,
synchronous=FULL so an acknowledged write survives kill -9, foreign keys on), called inline. A
primary-key read costs microseconds, far less than handing it to a thread pool. Requests on one
event loop share a read connection, so a per-connection asyncio lock keeps each request's
statements together; writes go through group commit (storage/group_commit.py): each request a
savepoint of a shared `BEGIN IMMEDIATE` batch (no read-to-write upgrade deadlocks between worker
processes), one COMMIT per batch, off the event loop. PostgreSQL runs through an asyncpg pool.

Repositories see only `Tx.one/all/run`, with `?` placeholders.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import asyncpg

from chinwag.storage.dialect import (
    ReferenceGone,
    UniqueViolation,
    engine_of,
    postgres_target,
    sqlite_path,
    to_postgres,
)
from chinwag.storage.faults import StorageFault, monitor, postgres_connection_fault
from chinwag.storage.group_commit import GroupCommit

Row = Any  # sqlite3.Row or asyncpg.Record: both index by column name


class Tx(Protocol):
    engine: str

    async def one(self, sql: str, *args: Any) -> Row | None: ...
    async def all(self, sql: str, *args: Any) -> list[Row]: ...
    async def values(self, sql: str, *args: Any) -> list[Any]: ...  # rows read by position only
    async def run(self, sql: str, *args: Any) -> int: ...


class Database(Protocol):
    engine: str

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def read(self) -> Any: ...  # async context manager yielding Tx
    def write(self) -> Any: ...  # async context manager yielding Tx, committing on success


def open_database(url: str) -> Database:
    if engine_of(url) == "sqlite":
        return SqliteDatabase(sqlite_path(url))
    dsn, settings = postgres_target(url)
    return PostgresDatabase(dsn, settings)


# --- SQLite -----------------------------------------------------------------------------------


class SqliteTx:
    __slots__ = ("_conn", "_plain", "on_commit")
    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        # A write connection's: call a callback once the open group-commit batch has committed
        # (the realtime log wakes its readers so, storage/repos/realtime_events.py). None on reads.
        self.on_commit: Callable[[Callable[[], None]], None] | None = None
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


def connect_sqlite(path: str, *, any_thread: bool = False) -> sqlite3.Connection:
    """`any_thread`: the connection is used from another thread too (group commit's COMMIT)."""
    conn = sqlite3.connect(
        path, isolation_level=None, cached_statements=512, timeout=10.0, check_same_thread=not any_thread
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    # Reads of a big database: SQLite's default page cache is 2 MB per connection, so a page of a
    # user's 50 conversations (rows scattered over the participants and conversations tables)
    # went to the OS for most of its pages once the file was past a few hundred MB (bench:
    # user-conversations-scale). 64 MB of cache per connection (one per thread) plus reads
    # through a memory map keep those lookups in memory; the map is address space, not RAM.
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA mmap_size=1073741824")
    # A cap on the file's size in pages, for the disk-full fault test (tests/test_sqlite_faults.py):
    # SQLite then fails writes exactly as on a full disk (SQLITE_FULL). Per connection, so it is
    # set on every connection the server opens. Unset: SQLite's own limit.
    max_pages = os.environ.get("CHINWAG_SQLITE_MAX_PAGE_COUNT")
    if max_pages:
        conn.execute(f"PRAGMA max_page_count={int(max_pages)}")
    return conn


class _Slot:
    """One thread's (one event loop's) connections: reads on one, writes on another through group
    commit, so a read never waits for a batch's fsync and never sees uncommitted rows."""

    __slots__ = ("read_conn", "read_lock", "read_tx", "writer")

    def __init__(self, path: str) -> None:
        self.read_conn = connect_sqlite(path)
        self.read_lock = asyncio.Lock()
        self.read_tx = SqliteTx(self.read_conn)
        write_conn = connect_sqlite(path, any_thread=True)
        write_tx = SqliteTx(write_conn)
        self.writer = GroupCommit(write_conn, write_tx)
        write_tx.on_commit = self.writer.after_commit

    async def close(self) -> None:
        await self.writer.close()
        self.read_conn.close()


class SqliteDatabase:
    engine = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    async def start(self) -> None:
        self._slot()

    async def close(self) -> None:
        slot: _Slot | None = getattr(self._local, "slot", None)
        if slot is not None:
            self._local.slot = None
            await slot.close()

    def _slot(self) -> _Slot:
        slot: _Slot | None = getattr(self._local, "slot", None)
        if slot is None:
            slot = _Slot(self.path)
            self._local.slot = slot
        return slot

    def read(self) -> _SqliteRead:
        slot = self._slot()
        return _SqliteRead(slot.read_tx, slot.read_lock)

    def write(self) -> Any:
        return self._slot().writer.transaction()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Inside `write()`: call `callback` once this transaction's batch has committed."""
        self._slot().writer.after_commit(callback)


class _SqliteRead:
    """`async with lock: yield tx` as a plain class: every request opens one, and a generator-based
    context manager costs a few microseconds more to set up and tear down."""

    __slots__ = ("_lock", "_tx")

    def __init__(self, tx: SqliteTx, lock: asyncio.Lock) -> None:
        self._tx = tx
        self._lock = lock

    async def __aenter__(self) -> Tx:
        await self._lock.acquire()
        return self._tx

    async def __aexit__(self, *exc_info: object) -> None:
        self._lock.release()


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresTx:
    __slots__ = ("_conn",)
    engine = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def one(self, sql: str, *args: Any) -> Row | None:
        try:
            return await self._conn.fetchrow(to_postgres(sql), *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc

    async def all(self, sql: str, *args: Any) -> list[Row]:
        try:
            rows: Sequence[Row] = await self._conn.fetch(to_postgres(sql), *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc
        return list(rows)

    async def values(self, sql: str, *args: Any) -> list[Any]:
        return await self.all(sql, *args)  # asyncpg's records read by position as cheaply

    async def run(self, sql: str, *args: Any) -> int:
        try:
            status: str = await self._conn.execute(to_postgres(sql), *args)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0


def _integrity(exc: Exception) -> Exception:
    constraint: str = getattr(exc, "constraint_name", None) or str(exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        return UniqueViolation(constraint)
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return ReferenceGone(constraint)
    return exc


async def _keep_session(_: asyncpg.Connection) -> None:
    """What the pool does to a connection it takes back, besides asyncpg's own cleanup (rolling back
    a transaction left open, dropping listeners): nothing. asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release: one more
    round trip per request, a fifth of a user fetch's time (bench/). Nothing here leaves session
    state behind: no session advisory locks, cursors, LISTEN, or SET outside a transaction (keep it
    that way; settings from the URL are connection parameters, which RESET ALL would keep anyway)."""


# The pool's `reset` hook exists from asyncpg 0.30; older versions keep their default.
_POOL_RESET: dict[str, Any] = (
    {"reset": _keep_session} if "reset" in inspect.signature(asyncpg.create_pool).parameters else {}
)


class PostgresDatabase:
    engine = "postgresql"

    def __init__(self, dsn: str, settings: dict[str, str], min_size: int = 2, max_size: int = 10) -> None:
        self.dsn = dsn
        self.settings = settings
        self._sizes = (min_size, max_size)
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                server_settings=self.settings,
                min_size=self._sizes[0],
                max_size=self._sizes[1],
                **_POOL_RESET,
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database not started")
        return self._pool

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        pool = self._require_pool()
        conn = await self._acquire(pool)
        try:
            yield PostgresTx(conn)
        except BaseException as exc:
            if postgres_connection_fault(exc):
                raise await self._lost(pool, conn, exc) from exc
            raise
        finally:
            await pool.release(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One transaction. A connection fault before COMMIT was sent is a retryable StorageFault
        (nothing was applied); one during COMMIT is not retryable, its outcome unknown
        (docs/decisions.md #51)."""
        pool = self._require_pool()
        conn = await self._acquire(pool)
        try:
            transaction = conn.transaction()
            try:
                await transaction.start()
                yield PostgresTx(conn)
            except BaseException as exc:
                if postgres_connection_fault(exc):
                    raise await self._lost(pool, conn, exc) from exc
                if not conn.is_closed():
                    await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except BaseException as exc:
                if postgres_connection_fault(exc):
                    _drop(conn)
                    await pool.expire_connections()
                    raise StorageFault("commit-unknown", _describe(exc), outcome_unknown=True) from exc
                raise
            if monitor.failing is not None:
                monitor.write_committed()
        finally:
            await pool.release(conn)

    @staticmethod
    async def _acquire(pool: asyncpg.Pool) -> asyncpg.Connection:
        try:
            return await pool.acquire()
        except Exception as exc:
            if postgres_connection_fault(exc):
                raise StorageFault("connection-lost", _describe(exc), retryable=True) from exc
            raise

    @staticmethod
    async def _lost(pool: asyncpg.Pool, conn: asyncpg.Connection, exc: BaseException) -> StorageFault:
        """The connection is gone or unusable (a terminated backend, a broken socket): drop it, and
        have the pool replace the others on their next use too (a server restart or an operator's
        pg_terminate_backend rarely ends just one)."""
        _drop(conn)
        await pool.expire_connections()
        return StorageFault("connection-lost", _describe(exc), retryable=True)


def _drop(conn: asyncpg.Connection) -> None:
    """Close a broken connection at once (the pool may have detached it already)."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
