"""Every difference between SQLite and PostgreSQL that the code above storage must not see.

SQL is written once, with `?` placeholders and syntax both engines share (RETURNING, ON CONFLICT,
LIMIT). What differs is gathered here: placeholder style, how uniqueness and foreign-key
violations are reported, and which URL names which engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """Rewrite `?` placeholders as asyncpg's `$1, $2, …` (our SQL has no `?` inside literals)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def for_update(engine: str, of: str | None = None) -> str:
    """Row lock for a read-then-write (of one table of a join, when named). SQLite needs none:
    `BEGIN IMMEDIATE` already holds the database's single writer lock for the whole transaction."""
    if engine != "postgresql":
        return ""
    return " FOR UPDATE" if of is None else f" FOR UPDATE OF {of}"


class UniqueViolation(Exception):
    """A unique constraint refused a write; `detail` names the constraint where the engine says."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ReferenceGone(Exception):
    """A write referred to a row that does not exist any more: a concurrent delete won. Foreign-key
    violations are reported as this (our writes only refer to rows they have just read)."""


def engine_of(url: str) -> str:
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…")


def sqlite_path(url: str) -> str:
    """`sqlite:///rel.db` → `rel.db`; `sqlite:////abs/x.db` → `/abs/x.db`."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"bad SQLite URL {url!r}: use sqlite:///FILE")
    return url[len("sqlite:///") :]


# chinwag's own URL parameters (docs/SCALING.md), taken out before the rest reach PostgreSQL.
POOL_SIZE = "pool_size"  # connections of each worker's pool (default 10)
POOLING = "pooling"  # `transaction`: behind a transaction-pooling pooler such as pgbouncer
DEFAULT_POOL_SIZE = 10
POOLING_MODES = ("session", "transaction")


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    """How chinwag connects, from its own URL parameters (docs/decisions.md #155)."""

    pool_size: int = DEFAULT_POOL_SIZE
    # Behind a pooler in transaction mode: consecutive transactions of one client connection may run
    # on different server connections, so nothing may outlive a transaction on one: no named
    # prepared statements (asyncpg's statement cache is off; its unnamed statements are parsed and
    # bound without a Sync between, so they stay on one server connection), no LISTEN (a direct
    # connection is needed for it), no session settings beyond the startup parameters.
    transaction_pooling: bool = False


def postgres_target(url: str) -> tuple[str, dict[str, str]]:
    """Split `postgresql://u@h:p/db?search_path=x` into a plain DSN and server settings.

    Query parameters become PostgreSQL session settings (e.g. `search_path`, so the tests can give
    each run its own schema inside one database), except chinwag's own (`postgres_options`).
    """
    parts = urlsplit("postgresql://" + url.split("://", 1)[1])
    settings = {k: v for k, v in parse_qsl(parts.query) if k not in (POOL_SIZE, POOLING)}
    return urlunsplit(parts._replace(query="")), settings


def postgres_options(url: str) -> PostgresOptions:
    """chinwag's own parameters of a PostgreSQL URL; a bad value is a ValueError (a one-line error
    at start)."""
    query = dict(parse_qsl(urlsplit(url).query))
    size_text = query.get(POOL_SIZE, str(DEFAULT_POOL_SIZE))
    if not (size_text.isascii() and size_text.isdigit() and 1 <= int(size_text) <= 1000):
        raise ValueError(f"{POOL_SIZE}={size_text!r} in the database URL: give a number of connections, 1 to 1000")
    mode = query.get(POOLING, "session")
    if mode not in POOLING_MODES:
        raise ValueError(f"{POOLING}={mode!r} in the database URL: give {' or '.join(POOLING_MODES)}")
    return PostgresOptions(int(size_text), mode == "transaction")


def sqlalchemy_url(url: str) -> str:
    """The URL Alembic's engine needs: asyncpg for PostgreSQL, the stdlib driver for SQLite."""
    if engine_of(url) == "postgresql":
        return "postgresql+asyncpg://" + postgres_target(url)[0].split("://", 1)[1]
    return url
