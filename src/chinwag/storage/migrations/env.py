"""Alembic environment: one script for both engines (asyncpg for PostgreSQL, stdlib sqlite3)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
# PostgreSQL session settings (e.g. search_path) from the chinwag URL's query string.
server_settings = dict(config.attributes.get("server_settings", {}))

# Serialises migrations when several servers start against one PostgreSQL at once.
_PG_LOCK_KEY = 0x636869_6E776167


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    context.configure(connection=connection, render_as_batch=True, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()
    # The advisory lock above opened the transaction, so Alembic joined it rather than owning it.
    connection.commit()


def _connect_args() -> dict[str, Any]:
    args: dict[str, Any] = {"server_settings": server_settings}
    if config.attributes.get("transaction_pooling"):
        # Behind a transaction pooler (docs/decisions.md #155): SQLAlchemy prepares named statements,
        # which stay on the pooler's server connection after we leave; asyncpg's default names
        # (__asyncpg_stmt_1__, …) would then collide with the next client's there. Unique names.
        args["statement_cache_size"] = 0
        args["prepared_statement_cache_size"] = 0
        args["prepared_statement_name_func"] = lambda: f"__chinwag_{uuid.uuid4().hex}__"
    return args


async def _run_async() -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool, connect_args=_connect_args())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if url.startswith("postgresql+asyncpg"):
    asyncio.run(_run_async())
else:
    sync_engine = create_engine(url, poolclass=pool.NullPool)
    with sync_engine.connect() as conn:
        _run(conn)
    sync_engine.dispose()
