"""Schema migrations on a database that already holds rows, on both engines.

`chinwag migrate` on an empty database is covered in test_cli.py; here a database is left at an
older revision with rows in it, then upgraded (and downgraded), and the data checked with raw SQL.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from chinwag.storage import migrate
from chinwag.storage.dialect import postgres_target, to_postgres
from tests.support.servers import drop_pg_schema, new_pg_schema, postgres_reachable


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


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    if not postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema, url = new_pg_schema()
    yield url
    drop_pg_schema(schema)


_PARTICIPANT = (
    "INSERT INTO participants (sid, account_sid, chat_service_sid, conversation_sid, identity, attributes,"
    " date_created, date_updated{extra}) VALUES (?, 'AC1', 'IS1', ?, ?, '{{}}', 'd', 'd'{marks})"
)


def _participant(db: Raw, sid: str, conversation_sid: str, identity: str, *conversation_id: int) -> None:
    extra, marks = (", conversation_id", ", ?") if conversation_id else ("", "")
    db.all(_PARTICIPANT.format(extra=extra, marks=marks), sid, conversation_sid, identity, *conversation_id)


def _seed_0002(db: Raw) -> None:
    """Conversations whose ids are not in SID order, and participants spread over them."""
    db.all("INSERT INTO accounts (sid, auth_token, date_created) VALUES ('AC1', 't', 'd')")
    db.all(
        "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
        " VALUES ('IS1', 'AC1', 'svc', 'd', 'd')"
    )
    for sid in ("CH3", "CH1", "CH2"):
        db.all(
            "INSERT INTO conversations (sid, account_sid, chat_service_sid, attributes, state, created_by,"
            " date_created, date_updated) VALUES (?, 'AC1', 'IS1', '{}', 'active', 'system', 'd', 'd')",
            sid,
        )
    for n in range(7):
        _participant(db, f"MB{n}", f"CH{1 + n % 3}", f"user-{n}")


def test_0003_participants_get_their_conversation_id(database: str) -> None:
    db = Raw(database)
    migrate.upgrade(database, "0002")
    _seed_0002(db)
    migrate.upgrade(database)

    # Existing rows were filled from their conversation_sid.
    rows = db.all(
        "SELECT p.sid, p.conversation_id, c.id FROM participants p JOIN conversations c ON c.sid = p.conversation_sid"
    )
    assert len(rows) == 7
    assert all(conversation_id == c_id for _, conversation_id, c_id in rows)
    ids = dict(db.all("SELECT sid, id FROM conversations"))
    assert ids["CH3"] < ids["CH1"]  # so a fill by position rather than by SID would have shown

    # New rows must name an existing conversation.
    assert db.refused(_PARTICIPANT.format(extra="", marks=""), "MBx", "CH1", "no-id")
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MBy", "CH1", "bad-id", 10**6)
    _participant(db, "MB7", "CH1", "user-7", ids["CH1"])
    # The constraints the table had survive (SQLite rebuilds the table to add the NOT NULL column).
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MB8", "CH1", "user-7", ids["CH1"])
    assert db.refused(_PARTICIPANT.format(extra=", conversation_id", marks=", ?"), "MB7", "CH2", "user-8", ids["CH2"])

    # Deleting a conversation still deletes its participants, and only those.
    db.all("DELETE FROM conversations WHERE sid = 'CH1'")
    left = db.all("SELECT conversation_sid, conversation_id FROM participants ORDER BY id")
    assert sorted({sid for sid, _ in left}) == ["CH2", "CH3"]
    assert all(conversation_id == ids[sid] for sid, conversation_id in left)

    # Down and up again: the column goes, the rows stay, and the column comes back filled.
    migrate.downgrade(database, "0002")
    assert "conversation_id" not in db.columns("participants")
    assert len(db.all("SELECT sid FROM participants")) == len(left)
    migrate.upgrade(database)
    assert db.all("SELECT conversation_sid, conversation_id FROM participants ORDER BY id") == left
