"""Group commit for SQLite: many requests' write transactions share one durable COMMIT.

With `synchronous=FULL` every COMMIT waits for an fsync of the WAL, about a millisecond here; one
COMMIT per request, run inline on the event loop, capped message posts near 900/s (bench:
post-message) and stalled every other request of the worker meanwhile. Here each request's
transaction is a SAVEPOINT inside one batch transaction on the loop's write connection, and the
COMMIT runs on a thread of its own, so the event loop keeps working while the disk syncs. Requests
that arrive during that fsync run their bodies one after another on the loop (the asyncio lock is
first come, first served), into the next batch, which then commits with one fsync.

What a request sees is unchanged: its statements run together, in order, with no other request's
statements between them (the lock); an error rolls back its own savepoint only; its response
waits until the batch's COMMIT returned, so an acknowledged write is on disk (kill -9 keeps it). A
later request of the same batch sees the earlier ones' writes, and fails with them should the
COMMIT itself fail (disk full, I/O error): nothing is acknowledged before it is durable. Reads use
another connection and see committed data only.

Statements a request hands over with `Tx.at_commit` (writes nobody reads back in the transaction:
the webhook outbox's rows) join the batch when the request's savepoint is released, and run on the
commit thread just before COMMIT, grouped by statement (`executemany`), each group in request
order. Outside any savepoint, SQLite keeps no copy of the pages they change for a rollback; off
the event loop, they cost the requests' thread nothing; in one `executemany`, the batch's rows go
into each table and index together (bench/webhooks.py; docs/decisions.md #161). Should one fail,
the batch fails like a failed COMMIT.

Values a request hands over with `hand_over` (the realtime events it wrote, with their ids) follow
the same path the other way: kept with the request's savepoint, joined to the batch when it is
released, dropped when it rolls back, and given to their callback once the batch has committed,
all of a batch's in one call, in commit order (the realtime hub then needs no read of what this
process wrote; docs/decisions.md #164).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

from chinwag.storage.faults import monitor

log = logging.getLogger("chinwag.storage")
T = TypeVar("T")
Deferred = tuple[str, tuple[Any, ...]]  # a statement and its arguments (`Tx.at_commit`)
Receiver = Callable[[list[Any]], None]  # takes the values a committed batch handed over (`hand_over`)


class BatchLost(sqlite3.OperationalError):
    """SQLite rolled the whole batch back (it may, on I/O errors or a full disk)."""


class GroupCommit(Generic[T]):
    """One event loop's write connection and its open batch. Use `transaction()` per request;
    it yields `tx`, the statement interface over `conn`."""

    def __init__(self, conn: sqlite3.Connection, tx: T) -> None:
        self.conn = conn  # opened with check_same_thread=False: COMMIT runs on `_syncer`
        self.tx = tx
        self.lock = asyncio.Lock()
        self._batch: asyncio.Future[None] | None = None  # the open batch's outcome
        self._flushing: asyncio.Task[None] | None = None
        self._batch_wrote = False  # a request of the open batch changed rows and kept them
        self._syncer = ThreadPoolExecutor(1, thread_name_prefix="chinwag-commit")
        self._hooked: tuple[asyncio.Future[None] | None, set[Callable[[], None]]] = (None, set())
        self._request_later: list[Deferred] = []  # the running request's `at_commit` statements
        self._batch_later: dict[str, list[tuple[Any, ...]]] = {}  # the open batch's, by statement
        self._request_handed: list[tuple[Receiver, Any]] = []  # the running request's `hand_over` values
        self._batch_handed: dict[Receiver, list[Any]] = {}  # the open batch's, by receiver, in order
        # Waiting for another process's write lock is done here, off SQLite's busy handler, which
        # sleeps with the event loop blocked (and in steps of up to 100 ms): see `begin`.
        self._busy_limit = float(conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000
        conn.execute("PRAGMA busy_timeout=0")

    def transaction(self) -> _Transaction[T]:
        return _Transaction(self)

    def _schedule_flush(self) -> None:
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        # Queued behind every request already waiting for the lock: they join this batch first.
        async with self.lock:
            self._flushing = None
            batch, self._batch = self._batch, None
            if batch is None:  # lost meanwhile (see _Transaction.__aexit__)
                return
            later, self._batch_later = self._batch_later, {}
            handed, self._batch_handed = self._batch_handed, {}
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._syncer, self._commit, later)
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if not batch.done():
                    batch.set_exception(exc if isinstance(exc, Exception) else BatchLost(str(exc)))
                    batch.exception()  # retrieved here too: requests may all have gone
                if not isinstance(exc, Exception):
                    raise
            else:
                batch.set_result(None)
                if self._batch_wrote:
                    monitor.write_committed()  # a fault (disk full, ...) is over, if there was one
                for receiver, values in handed.items():
                    try:
                        receiver(values)
                    except Exception:  # the commit stands; a receiver's fault is its own
                        log.exception("a group-commit receiver failed")

    def _commit(self, later: dict[str, list[tuple[Any, ...]]]) -> None:
        """On the commit thread (the loop holds `lock`, so the connection is this thread's)."""
        for sql, rows in later.items():
            self.conn.executemany(sql, rows)
        self.conn.execute("COMMIT")

    def defer(self, sql: str, args: tuple[Any, ...]) -> None:
        """`Tx.at_commit` inside `transaction()`: kept with the request until its savepoint is
        released (a request that fails takes its statements with it)."""
        self._request_later.append((sql, args))

    def hand_over(self, receiver: Receiver, value: Any) -> None:
        """`Tx.hand_over` inside `transaction()`: `receiver` gets `value` once the batch has
        committed, if the request's savepoint was released (with the batch's other values for it)."""
        self._request_handed.append((receiver, value))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the open batch (the caller's, inside `transaction()`) has committed;
        never if it fails; once per batch however many of its requests ask. The webhook outbox
        wakes its dispatcher this way."""
        batch = self._batch
        if batch is None:
            return
        if self._hooked[0] is not batch:
            self._hooked = (batch, set())
        if callback in self._hooked[1]:
            return
        self._hooked[1].add(callback)
        batch.add_done_callback(lambda f: None if f.cancelled() or f.exception() else callback())

    async def begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for another process (a second worker, the webhook delivery
        process) to release the write lock with the event loop free: short sleeps, up to the
        connection's busy timeout, then SQLite's own "database is locked" (a 503, #50)."""
        waited, pause = 0.0, 0.0002
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or waited >= self._busy_limit:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.002)

    async def close(self) -> None:
        """Commit what is open, then close the connection."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)
        self._syncer.shutdown(wait=True)
        self.conn.close()

    def _settle(self) -> None:
        """After a request's statements: the open batch commits soon; if SQLite rolled it back
        meanwhile, everyone in it fails."""
        if self.conn.in_transaction:
            self._schedule_flush()
        else:
            self._lose_batch()

    def _lose_batch(self) -> None:
        """The batch's transaction is gone: everyone in it fails rather than hear 'committed'."""
        batch, self._batch = self._batch, None
        self._batch_later = {}
        self._batch_handed = {}
        if batch is not None and not batch.done():
            batch.set_exception(BatchLost("the batch transaction was rolled back by SQLite"))
            batch.exception()


class _Transaction(Generic[T]):
    """`async with` one request's transaction: a savepoint in the open batch; on a clean exit,
    waits for the batch's COMMIT. A plain class: a generator context manager costs more per use."""

    __slots__ = ("_batch", "_changes", "_group")

    def __init__(self, group: GroupCommit[T]) -> None:
        self._group = group
        self._batch: asyncio.Future[None] | None = None
        self._changes = 0

    async def __aenter__(self) -> T:
        group = self._group
        await group.lock.acquire()
        try:
            if group._batch is None:
                await group.begin()
                group._batch_wrote = False
                group._batch = asyncio.get_running_loop().create_future()
            group.conn.execute("SAVEPOINT request")
            group._request_later = []
            group._request_handed = []
            self._changes = group.conn.total_changes  # rolled-back changes count too: compare on success
        except BaseException:
            group._settle()  # the batch, if any, goes on without this request
            group.lock.release()
            raise
        self._batch = group._batch
        return group.tx

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        group = self._group
        conn = group.conn
        try:
            later, group._request_later = group._request_later, []
            handed, group._request_handed = group._request_handed, []
            if exc_type is None:
                conn.execute("RELEASE request")
                if conn.total_changes != self._changes or later:
                    group._batch_wrote = True
                for sql, args in later:
                    group._batch_later.setdefault(sql, []).append(args)
                for receiver, value in handed:
                    group._batch_handed.setdefault(receiver, []).append(value)
            elif conn.in_transaction:
                conn.execute("ROLLBACK TO request")
                conn.execute("RELEASE request")
            group._settle()
        except BaseException:
            if not conn.in_transaction:
                group._lose_batch()
            raise
        finally:
            group.lock.release()
        if exc_type is None:
            assert self._batch is not None
            # Shielded: a client that hangs up does not cancel the batch everyone else waits for.
            await asyncio.shield(self._batch)
