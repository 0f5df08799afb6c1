"""Plain SQL against a test database on either engine, for what the API cannot show or set."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg

from chinwag.storage.dialect import postgres_target, to_postgres


class Raw:
    """Plain SQL with `?` placeholders on either engine, one connection per call (few calls)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")

    def all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.postgres:
            return asyncio.run(self._pg(sql, args))
        conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")  # as chinwag's own connections
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    async def _pg(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        dsn, settings = postgres_target(self.url)
        conn = await asyncpg.connect(dsn, server_settings=settings)
        try:
            return [tuple(r) for r in await conn.fetch(to_postgres(sql), *args)]
        finally:
            await conn.close()

    def refused(self, sql: str, *args: Any) -> bool:
        try:
            self.all(sql, *args)
        except (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError):
            return True
        return False

    def columns(self, table: str) -> set[str]:
        if self.postgres:
            sql = (
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = ? AND table_schema = current_schema()"
            )
            return {r[0] for r in self.all(sql, table)}
        return {r[1] for r in self.all(f"PRAGMA table_info({table})")}
