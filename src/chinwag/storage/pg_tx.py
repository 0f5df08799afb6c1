"""PostgreSQL transactions as repositories see them (`Tx`): statements through asyncpg, `?`
placeholders rewritten, integrity errors mapped to the engine-neutral ones. `PostgresWriteTx` is a
write transaction that sends BEGIN lazily and can run a whole write as one statement (`solo`): see
docs/ARCHITECTURE.md "PostgreSQL write path: round trips". `storage/db.py` opens and commits them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from chinwag.storage.dialect import ReferenceGone, UniqueViolation, to_postgres
from chinwag.storage.faults import postgres_connection_fault

Row = Any  # asyncpg.Record: indexes by column name and by position


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

    async def solo(self, sql: str, *args: Any) -> Row | None:
        return await self.one(sql, *args)  # outside a write: a statement commits by itself anyway

    async def before(self, sql: str, *args: Any) -> Row | None:
        return await self.one(sql, *args)

    async def at_commit(self, sql: str, *args: Any) -> None:
        await self.run(sql, *args)  # at once: its locks (the outbox lane's row) order commits (#72)


class PostgresWriteTx(PostgresTx):
    """A write transaction whose BEGIN is sent with its first statement's turn, not before it.

    Every statement costs a round trip to the server, and so do BEGIN and COMMIT: a request whose
    whole write is one statement (a message post, through the `chinwag_post_message` function of
    migration 0014) runs it with `solo()`, outside any transaction block, where PostgreSQL commits
    it by itself: one round trip instead of three. Any other statement sends BEGIN first, and the
    transaction commits when the `write()` block ends, as before.
    """

    __slots__ = ("_transaction", "solo_state")

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._transaction: Any = None  # asyncpg's Transaction once BEGIN was sent
        # "" nothing sent; "sent" a solo statement is under way; "done" it wrote and committed.
        self.solo_state = ""

    async def _begin(self) -> None:
        if self.solo_state == "done":
            raise RuntimeError("a solo statement ended this transaction; nothing may follow it")
        self._transaction = self._conn.transaction()
        await self._transaction.start()

    async def one(self, sql: str, *args: Any) -> Row | None:
        if self._transaction is None:
            await self._begin()
        return await super().one(sql, *args)

    async def all(self, sql: str, *args: Any) -> list[Row]:
        if self._transaction is None:
            await self._begin()
        return await super().all(sql, *args)

    async def run(self, sql: str, *args: Any) -> int:
        if self._transaction is None:
            await self._begin()
        return await super().run(sql, *args)

    async def solo(self, sql: str, *args: Any) -> Row | None:
        if self._transaction is not None or self.solo_state:
            return await self.one(sql, *args)  # not the first statement: an ordinary one
        # A connection already known lost sends nothing: its error is retryable like any other
        # before COMMIT. Otherwise the statement is its own COMMIT, and a fault from here on leaves
        # its outcome unknown (`write()`).
        self.solo_state = "" if self._conn.is_closed() else "sent"
        try:
            row = await super().one(sql, *args)
        except BaseException as exc:
            if not postgres_connection_fault(exc):
                self.solo_state = ""  # the server answered with an error: nothing was committed
            raise
        self.solo_state = "done" if row is not None else ""
        return row

    async def before(self, sql: str, *args: Any) -> Row | None:
        if self._transaction is not None or self.solo_state:
            return await self.one(sql, *args)
        return await super().one(sql, *args)

    async def commit(self) -> None:
        if self._transaction is not None:
            await self._transaction.commit()

    async def rollback(self) -> None:
        if self._transaction is not None and not self._conn.is_closed():
            await self._transaction.rollback()


def _integrity(exc: Exception) -> Exception:
    constraint: str = getattr(exc, "constraint_name", None) or str(exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        return UniqueViolation(constraint)
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return ReferenceGone(constraint)
    return exc
