"""Group commit on SQLite (storage/group_commit.py), driven directly on a real database file.

Through HTTP the same is covered by the concurrency tests and the kill -9 test in test_cli.py;
here the cases HTTP cannot force: how requests share batches, a failing request inside a batch,
and a COMMIT that fails for the whole batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from chinwag.storage.db import SqliteDatabase, Tx
from chinwag.storage.sqlite_tx import SqliteTx


class Boom(Exception):
    pass


async def _insert(db: SqliteDatabase, n: int, fail: bool = False) -> int:
    async with db.write() as tx:
        await tx.run("INSERT INTO t (n) VALUES (?)", n)
        if fail:
            raise Boom(n)
    return n


def _setup(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for sql in ("CREATE TABLE t (n INTEGER PRIMARY KEY)", *statements):
        conn.execute(sql)
    conn.commit()
    conn.close()


Writes = Callable[[SqliteDatabase], list[Coroutine[Any, Any, object]]]


def _in_batches(path: Path, *batches: Writes) -> list[list[object]]:
    """Each batch's writes posted together (so they share one group commit), one batch after the
    other; each write's result or exception."""

    async def main() -> list[list[object]]:
        db = SqliteDatabase(str(path))
        await db.start()
        try:
            return [list(await asyncio.gather(*writes(db), return_exceptions=True)) for writes in batches]
        finally:
            await db.close()

    return asyncio.run(main())


def _rows(path: Path, table: str = "t") -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return sorted(n for (n,) in conn.execute(f"SELECT n FROM {table}"))
    finally:
        conn.close()


def test_concurrent_writes_share_commits_and_failures_stay_their_own(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    _setup(path)

    async def main() -> list[int | BaseException]:
        db = SqliteDatabase(str(path))
        await db.start()
        statements: list[str] = []
        db._slot().writer.conn.set_trace_callback(statements.append)  # the COMMITs are the point
        try:
            tasks = [_insert(db, n, fail=n % 3 == 0) for n in range(1, 61)]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await db.close()
        commits = statements.count("COMMIT")
        assert commits < 60, commits  # batched: fewer COMMITs than transactions
        return results

    results = asyncio.run(main())
    ok = [r for r in results if isinstance(r, int)]
    failed = [r for r in results if isinstance(r, Boom)]
    assert len(ok) == 40 and len(failed) == 20
    assert _rows(path) == sorted(ok)  # every acknowledged row, none of the failed ones


def test_a_failing_commit_fails_every_request_of_its_batch(tmp_path: Path) -> None:
    """A deferred foreign key is checked at COMMIT: the batch's COMMIT fails, and no request of it
    may be told its write landed; the next batch works again."""
    path = tmp_path / "f.db"
    _setup(
        path,
        "CREATE TABLE child (n INTEGER PRIMARY KEY, parent INTEGER REFERENCES t (n) DEFERRABLE INITIALLY DEFERRED)",
    )

    async def add_child(db: SqliteDatabase, n: int, parent: int) -> None:
        async with db.write() as tx:
            await tx.run("INSERT INTO child (n, parent) VALUES (?, ?)", n, parent)

    # Posted together, these land in one batch; the orphan makes its COMMIT fail.
    first, second = _in_batches(
        path,
        lambda db: [_insert(db, 1), add_child(db, 10, 999), _insert(db, 2)],
        lambda db: [_insert(db, 3), _insert(db, 4)],
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in first), first
    assert second == [3, 4]
    assert _rows(path) == [3, 4]
    assert _rows(path, "child") == []


def test_reads_see_only_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    _setup(path)

    async def main() -> tuple[int, int]:
        db = SqliteDatabase(str(path))
        await db.start()
        seen_inside: list[int] = []
        try:

            async def write_and_peek() -> None:
                async with db.write() as tx:
                    await tx.run("INSERT INTO t (n) VALUES (1)")
                    async with db.read() as reader:
                        seen_inside.append(await _count(reader))

            await write_and_peek()
            async with db.read() as reader:
                after = await _count(reader)
        finally:
            await db.close()
        return seen_inside[0], after

    assert asyncio.run(main()) == (0, 1)


async def _count(tx: Tx) -> int:
    row = await tx.one("SELECT COUNT(*) AS n FROM t")
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize("cancel_after", [0, 1])
def test_a_cancelled_request_does_not_cancel_its_batch(tmp_path: Path, cancel_after: int) -> None:
    """A client hanging up cancels its request's task; the batch others wait on still commits."""
    path = tmp_path / "c.db"
    _setup(path)

    async def main() -> list[object]:
        db = SqliteDatabase(str(path))
        await db.start()
        try:
            tasks = [asyncio.create_task(_insert(db, n)) for n in range(1, 11)]
            for _ in range(cancel_after):
                await asyncio.sleep(0)
            tasks[0].cancel()
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await db.close()

    results = asyncio.run(main())
    assert results[1:] == list(range(2, 11))
    assert set(range(2, 11)) <= set(_rows(path))


def test_waiting_for_another_process_lock_leaves_the_event_loop_free(tmp_path: Path) -> None:
    """Another process (a second worker, the webhook delivery process) holds the write lock: the
    write waits for it without blocking the loop, so other work (reads, timers) goes on; once
    the lock is free the write commits. SQLite's own busy handler would sleep on the loop."""
    path = tmp_path / "g.db"
    _setup(path)
    other = sqlite3.connect(path, isolation_level=None)

    async def main() -> tuple[int, bool]:
        db = SqliteDatabase(str(path))
        await db.start()
        other.execute("BEGIN IMMEDIATE")
        try:
            write = asyncio.create_task(_insert(db, 7))
            ticks = 0
            for _ in range(30):  # 300 ms of loop ticks while the write waits
                await asyncio.sleep(0.01)
                ticks += 1
            waiting = not write.done()
            other.execute("COMMIT")
            await asyncio.wait_for(write, 5)
            return ticks, waiting
        finally:
            await db.close()

    started = asyncio.run(main())
    other.close()
    assert started == (30, True)
    assert _rows(path) == [7]


def test_a_lock_held_past_the_busy_timeout_fails_the_write(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    _setup(path)
    other = sqlite3.connect(path, isolation_level=None)

    async def main() -> None:
        db = SqliteDatabase(str(path))
        await db.start()
        other.execute("BEGIN IMMEDIATE")
        writer = db._slot().writer
        writer._busy_limit = 0.2  # the connection's 10 s, shortened for the test
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await _insert(db, 8)
        finally:
            await db.close()

    try:
        asyncio.run(main())
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _rows(path) == []


async def _insert_later(db: SqliteDatabase, n: int, fail: bool = False) -> int:
    """A request that writes `t` now and `log` at the batch's end (`Tx.at_commit`)."""
    async with db.write() as tx:
        await tx.run("INSERT INTO t (n) VALUES (?)", n)
        await tx.at_commit("INSERT INTO log (n) VALUES (?)", n)
        if fail:
            raise Boom(n)
    return n


def test_at_commit_statements_land_with_their_request_in_request_order(tmp_path: Path) -> None:
    """A request's `at_commit` rows commit with its batch, in request order (the outbox's ids
    must follow the posts), and go with its savepoint when the request fails."""
    path = tmp_path / "l.db"
    _setup(path, "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL)")

    async def main() -> list[int | BaseException]:
        db = SqliteDatabase(str(path))
        await db.start()
        statements: list[str] = []
        db._slot().writer.conn.set_trace_callback(statements.append)
        try:
            tasks = [_insert_later(db, n, fail=n % 4 == 0) for n in range(1, 41)]
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await db.close()
        assert statements.count("COMMIT") < 40  # still batched
        return results

    results = asyncio.run(main())
    ok = [r for r in results if isinstance(r, int)]
    assert len(ok) == 30 and _rows(path) == sorted(ok)
    conn = sqlite3.connect(path)
    try:
        logged = [n for (n,) in conn.execute("SELECT n FROM log ORDER BY id")]
    finally:
        conn.close()
    assert logged == ok  # every kept request's row, none of the failed ones', in the order they ran


def test_a_failing_at_commit_statement_fails_the_whole_batch(tmp_path: Path) -> None:
    """A deferred statement that fails (here a CHECK; in production a full disk) fails its batch
    like a failed COMMIT: nobody in it hears 'written', nothing of it lands; the next batch works."""
    path = tmp_path / "b.db"
    _setup(path, "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL CHECK (n < 100))")

    first, second = _in_batches(
        path,
        lambda db: [_insert_later(db, 1), _insert_later(db, 100), _insert_later(db, 2)],
        lambda db: [_insert_later(db, 3), _insert_later(db, 4)],
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in first), first
    assert second == [3, 4]
    assert _rows(path) == [3, 4]
    assert _rows(path, "log") == [3, 4]


def _hand_over(tx: Tx) -> Callable[[Callable[[list[Any]], None], Any], None]:
    assert isinstance(tx, SqliteTx) and tx.hand_over is not None
    return tx.hand_over


async def _insert_handing(db: SqliteDatabase, n: int, got: list[list[Any]], fail: bool = False) -> int:
    async with db.write() as tx:
        await tx.run("INSERT INTO t (n) VALUES (?)", n)
        hand_over = _hand_over(tx)
        hand_over(got.append, n)
        hand_over(got.append, -n)
        if fail:
            raise Boom(n)
    return n


def test_handed_over_values_reach_their_receiver_after_commit_with_their_request_only(tmp_path: Path) -> None:
    """What a request hands over reaches the receiver once its batch has committed, all of a batch
    in one call in the order the requests ran; a request that fails hands nothing."""
    path = tmp_path / "h.db"
    _setup(path)
    got: list[list[Any]] = []

    async def main() -> list[int | BaseException]:
        db = SqliteDatabase(str(path))
        await db.start()
        try:
            tasks = [_insert_handing(db, n, got, fail=n % 4 == 0) for n in range(1, 13)]
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await db.close()

    results = asyncio.run(main())
    ok = [r for r in results if isinstance(r, int)]
    assert ok == [n for n in range(1, 13) if n % 4]
    assert [v for batch in got for v in batch] == [v for n in ok for v in (n, -n)]
    assert len(got) < len(ok)  # batched: fewer calls than requests


def test_a_failing_batch_hands_nothing_over(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    _setup(path, "CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL CHECK (n < 100))")
    got: list[list[Any]] = []

    async def handing_then_failing_at_commit(db: SqliteDatabase, n: int) -> int:
        async with db.write() as tx:
            _hand_over(tx)(got.append, n)
            await tx.at_commit("INSERT INTO log (n) VALUES (?)", n)  # 100 fails the batch's CHECK
        return n

    first, second = _in_batches(
        path,
        lambda db: [handing_then_failing_at_commit(db, 1), handing_then_failing_at_commit(db, 100)],
        lambda db: [handing_then_failing_at_commit(db, 2)],
    )
    assert all(isinstance(r, sqlite3.IntegrityError) for r in first), first
    assert second == [2]
    assert got == [[2]]
