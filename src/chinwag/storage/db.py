"""The two drivers behind one small async interface, and one transaction per request.

SQLite runs through the stdlib `sqlite3` module: long-lived connections per thread (WAL,
synchronous=FULL so an acknowledged write survives kill -9, foreign keys on), called inline. A
primary-key read costs microseconds, far less than handing it to a thread pool. Requests on one
event loop share a read connection, so a per-connection asyncio lock keeps each request's
statements together; writes go through group commit (storage/group_commit.py): each request a
savepoint of a shared `BEGIN IMMEDIATE` batch (no read-to-write upgrade deadlocks between worker
processes), one COMMIT per batch, off the event loop. Its connections' settings and its `Tx` are in
storage/sqlite_tx.py. PostgreSQL runs through an asyncpg pool;
its transactions (storage/pg_tx.py) send BEGIN lazily, so a write that is one statement can be a
single round trip (`Tx.solo`).

Repositories see only `Tx.one/all/run/values` (and `solo`, `before`), with `?` placeholders.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import asyncpg

from chinwag.storage.dialect import (
    engine_of,
    postgres_options,
    postgres_target,
    sqlite_path,
)
from chinwag.storage.faults import StorageFault, monitor, postgres_connection_fault
from chinwag.storage.group_commit import GroupCommit
from chinwag.storage.pg_tx import PostgresTx, PostgresWriteTx
from chinwag.storage.sqlite_tx import SqliteTx, connect_sqlite

Row = Any  # sqlite3.Row or asyncpg.Record: both index by column name


class Tx(Protocol):
    engine: str

    async def one(self, sql: str, *args: Any) -> Row | None: ...
    async def all(self, sql: str, *args: Any) -> list[Row]: ...
    async def values(self, sql: str, *args: Any) -> list[Any]: ...  # rows read by position only
    async def run(self, sql: str, *args: Any) -> int: ...
    # A write transaction's first statement that may be the whole transaction: a row back means it
    # wrote and committed (nothing may follow); None means it wrote nothing and the transaction
    # goes on. PostgreSQL sends it without BEGIN/COMMIT: one round trip (see PostgresWriteTx).
    async def solo(self, sql: str, *args: Any) -> Row | None: ...
    # A plain read (no lock) before a write's first other statement: PostgreSQL runs it ahead of
    # BEGIN, where it sees what it would see inside (READ COMMITTED: a snapshot per statement).
    async def before(self, sql: str, *args: Any) -> Row | None: ...
    # A write that nothing in the transaction reads back (the webhook outbox's rows): PostgreSQL
    # runs it at once; SQLite appends it to the group-commit batch, run just before the batch's
    # COMMIT, outside the request's savepoint (storage/group_commit.py). It takes effect when the
    # transaction commits and never if it rolls back, as any statement.
    async def at_commit(self, sql: str, *args: Any) -> None: ...


class Database(Protocol):
    engine: str

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def read(self) -> Any: ...  # async context manager yielding Tx
    def write(self) -> Any: ...  # async context manager yielding Tx, committing on success


def open_database(url: str, listen_url: str | None = None) -> Database:
    """`listen_url`: PostgreSQL, a direct connection (not through a pooler) for LISTEN
    (`--listen-database`); without one LISTEN uses `url`, or, behind a transaction pooler, is off
    and the dispatcher polls (docs/decisions.md #156)."""
    record = os.environ.get("CHINWAG_SQL_RECORD")
    if record:  # a test aid (tests/test_account_scoping.py): every statement, with its caller
        from chinwag.storage import statement_log

        statement_log.install(record)
    if engine_of(url) == "sqlite":
        return SqliteDatabase(sqlite_path(url))
    dsn, settings = postgres_target(url)
    options = postgres_options(url)
    listen: tuple[str, dict[str, str]] | None = (dsn, settings)
    if listen_url:
        if engine_of(listen_url) != "postgresql":
            raise ValueError("the LISTEN database (--listen-database) must be a postgresql:// URL")
        listen = postgres_target(listen_url)
    elif options.transaction_pooling:
        listen = None
    return PostgresDatabase(
        dsn,
        settings,
        min_size=min(2, options.pool_size),
        max_size=options.pool_size,
        statement_cache=not options.transaction_pooling,
        listen=listen,
    )


# --- SQLite -----------------------------------------------------------------------------------


class _Slot:
    """One thread's (one event loop's) connections: reads on one, writes on another through group
    commit, so a read never waits for a batch's fsync and never sees uncommitted rows."""

    __slots__ = ("read_conn", "read_lock", "read_tx", "writer")

    def __init__(self, path: str, synchronous: str) -> None:
        self.read_conn = connect_sqlite(path)
        self.read_lock = asyncio.Lock()
        self.read_tx = SqliteTx(self.read_conn)
        write_conn = connect_sqlite(path, any_thread=True, synchronous=synchronous)
        write_tx = SqliteTx(write_conn)
        self.writer = GroupCommit(write_conn, write_tx)
        write_tx.defer = self.writer.defer
        write_tx.hand_over = self.writer.hand_over

    async def close(self) -> None:
        await self.writer.close()
        self.read_conn.close()


class SqliteDatabase:
    engine = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        # FULL: a COMMIT returns once it is on disk, what the API promises for an acknowledged
        # request. NORMAL (set before `start`) skips that fsync: a power cut (not a crash of the
        # process) may lose the last commits. Only the webhook delivery process uses it; what it
        # writes is outcomes and leases, and losing one means a delivery is sent again, which
        # at-least-once delivery allows (events/delivery_process.py).
        self.synchronous = "FULL"

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
            slot = _Slot(self.path, self.synchronous)
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


async def _keep_session(_: asyncpg.Connection) -> None:
    """What the pool does to a connection it takes back, besides asyncpg's own cleanup (rolling back
    a transaction left open, dropping listeners): nothing. asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release: one more
    round trip per request, a fifth of a user fetch's time (bench/). Nothing here leaves session
    state behind: no session advisory locks, cursors, LISTEN, or SET outside a transaction (keep it
    that way; settings from the URL are connection parameters, which RESET ALL would keep anyway).
    That is also what lets the pool run behind a transaction pooler (docs/decisions.md #157)."""


# The pool's `reset` hook exists from asyncpg 0.30; older versions keep their default.
_POOL_RESET: dict[str, Any] = (
    {"reset": _keep_session} if "reset" in inspect.signature(asyncpg.create_pool).parameters else {}
)


class PostgresDatabase:
    engine = "postgresql"

    def __init__(
        self,
        dsn: str,
        settings: dict[str, str],
        min_size: int = 2,
        max_size: int = 10,
        *,
        statement_cache: bool = True,
        listen: tuple[str, dict[str, str]] | None = None,
    ) -> None:
        self.dsn = dsn
        self.settings = settings
        self._sizes = (min_size, max_size)
        # Off behind a transaction pooler: a named statement prepared on one server connection is
        # not there when the next transaction runs on another (docs/decisions.md #155).
        self._statement_cache: dict[str, Any] = {} if statement_cache else {"statement_cache_size": 0}
        # Where LISTEN connects ((dsn, settings)); None: nowhere, wake-ups come from polling.
        self.listen = listen
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                server_settings=self.settings,
                min_size=self._sizes[0],
                max_size=self._sizes[1],
                **self._statement_cache,
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
        """One transaction (BEGIN sent lazily, see PostgresWriteTx). A connection fault before COMMIT
        was sent is a retryable StorageFault (nothing was applied); one during COMMIT, or during a
        solo statement (its own commit), is not retryable, its outcome unknown (docs/decisions.md #51,
        #150)."""
        pool = self._require_pool()
        conn = await self._acquire(pool)
        try:
            tx = PostgresWriteTx(conn)
            try:
                yield tx
            except BaseException as exc:
                if postgres_connection_fault(exc):
                    # The server refusing the statement (no space, read-only) means it failed,
                    # whole; a connection lost under it leaves its commit unknown.
                    if tx.solo_state == "sent" and not isinstance(exc, _REFUSED):
                        raise await self._unknown(pool, conn, exc) from exc
                    raise await self._lost(pool, conn, exc) from exc
                await tx.rollback()
                raise
            try:
                await tx.commit()
            except BaseException as exc:
                if postgres_connection_fault(exc):
                    raise await self._unknown(pool, conn, exc) from exc
                raise
            if monitor.failing is not None:
                monitor.write_committed()
        finally:
            await pool.release(conn)

    @staticmethod
    async def _unknown(pool: asyncpg.Pool, conn: asyncpg.Connection, exc: BaseException) -> StorageFault:
        """The connection broke while the server may have been committing: applied or not, nobody
        here can know, so the request must not run again."""
        _drop(conn)
        await pool.expire_connections()
        return StorageFault("commit-unknown", _describe(exc), outcome_unknown=True)

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


# Faults the server reports as the statement's own error: nothing of it was committed.
_REFUSED = (asyncpg.InsufficientResourcesError, asyncpg.ReadOnlySQLTransactionError)


def _drop(conn: asyncpg.Connection) -> None:
    """Close a broken connection at once (the pool may have detached it already)."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


# Every class a `Tx` is made of, for storage/statement_log.py (a test aid that wraps their methods).
TX_CLASSES: tuple[type, ...] = (SqliteTx, PostgresTx)
