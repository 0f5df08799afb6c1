"""The dialect seam reports constraint violations the same way on both engines (storage/db.py)."""

from __future__ import annotations

import asyncio

import pytest

from chinwag.storage import migrate
from chinwag.storage.db import open_database
from chinwag.storage.dialect import ReferenceGone, UniqueViolation

_USER = (
    "INSERT INTO users (sid, account_sid, chat_service_sid, identity, attributes, role_sid, date_created,"
    " date_updated) VALUES (?, 'AC1', ?, ?, '{}', 'RL1', 'd', 'd')"
)


@pytest.fixture
def database(empty_database: str) -> str:
    migrate.upgrade(empty_database)
    return empty_database


def _outcome(url: str, *statements: tuple[str, tuple[str, ...]]) -> type[Exception] | None:
    async def main() -> type[Exception] | None:
        db = open_database(url)
        await db.start()
        try:
            async with db.write() as tx:
                for sql, args in statements:
                    await tx.run(sql, *args)
        except (ReferenceGone, UniqueViolation) as exc:
            return type(exc)
        finally:
            await db.close()
        return None

    return asyncio.run(main())


def test_a_missing_referenced_row_is_reference_gone(database: str) -> None:
    assert _outcome(database, (_USER, ("US1", "IS-missing", "a"))) is ReferenceGone


def test_a_duplicate_is_a_unique_violation(database: str) -> None:
    service = (
        "INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
        " VALUES ('IS1', 'AC1', 's', 'd', 'd')"
    )
    account = "INSERT INTO accounts (sid, auth_token, date_created) VALUES ('AC1', 't', 'd')"
    statements = [(account, ()), (service, ()), (_USER, ("US1", "IS1", "a")), (_USER, ("US2", "IS1", "a"))]
    assert _outcome(database, *statements) is UniqueViolation
