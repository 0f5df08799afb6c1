"""Every difference between SQLite and PostgreSQL that the code above storage must not see.

SQL is written once, with `?` placeholders and syntax both engines share (RETURNING, ON CONFLICT,
LIMIT). What differs is gathered here: placeholder style, how uniqueness and foreign-key
violations are reported, and which URL names which engine.
"""

from __future__ import annotations

import re
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


def postgres_target(url: str) -> tuple[str, dict[str, str]]:
    """Split `postgresql://u@h:p/db?search_path=x` into a plain DSN and server settings.

    Query parameters become PostgreSQL session settings (e.g. `search_path`, so the tests can give
    each run its own schema inside one database).
    """
    parts = urlsplit("postgresql://" + url.split("://", 1)[1])
    settings = dict(parse_qsl(parts.query))
    return urlunsplit(parts._replace(query="")), settings


def sqlalchemy_url(url: str) -> str:
    """The URL Alembic's engine needs: asyncpg for PostgreSQL, the stdlib driver for SQLite."""
    if engine_of(url) == "postgresql":
        return "postgresql+asyncpg://" + postgres_target(url)[0].split("://", 1)[1]
    return url
