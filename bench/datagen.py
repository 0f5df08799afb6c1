"""The benchmark's data: one account whose default service holds N users and, for the
UserConversations and Messages scenarios, conversations, memberships and messages (bench/world.py),
made by chinwag's own code.

Every row goes through the same domain calls the API makes (`accounts.ensure`, `users.create`),
inside one write transaction opened with `chinwag.storage.db.open_database`, after the schema
migrations: the users are valid exactly as `POST /v1/Users` would have made them. On SQLite the
result is cached under bench/data/, keyed by size and by a fingerprint of the migrations and of
this file, so reruns start in a second. PostgreSQL gets a fresh schema per run, migrated by
chinwag and then bulk-loaded (COPY) with those same rows, so both engines serve identical data.

A `DataSpec` names one database: `DataSpec(users=100_000)` for the user scenarios,
`DataSpec(users=0, memberships=10**6)` for the conversations world; each is cached on its own.

To add data for a new scenario (conversations, participants, messages…), give `DataSpec` a field,
fill it in `_fill` through the domain layer, and read back what the scenarios need in `_load`.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bench import world
from bench.world import World
from chinwag.core.clock import SystemClock
from chinwag.core.sids import SidFactory
from chinwag.domain import accounts, chat_services, users
from chinwag.domain.deps import Deps
from chinwag.storage import migrate
from chinwag.storage.db import Tx, open_database

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
MIGRATIONS = Path(migrate.MIGRATIONS)

# The account every benchmark request authenticates as (fixed so cached databases stay usable).
ACCOUNT_SID = "AC" + "b0" * 16
AUTH_TOKEN = "5e" * 16
SEED = 20_240_601


@dataclass(frozen=True)
class DataSpec:
    users: int = 100_000
    memberships: int = 0  # participants rows in total (bench/world.py); 0: no conversations

    def key(self) -> str:
        parts = [f"users{self.users}"] if self.users or not self.memberships else []
        if self.memberships:
            parts.append(f"memberships{self.memberships}")
        return "-".join(parts)

    def describe(self) -> str:
        parts = [f"{self.users:,} users"] if self.users or not self.memberships else []
        if self.memberships:
            parts.append(f"{self.memberships:,} memberships")
        return ", ".join(parts)


@dataclass(frozen=True)
class UserRef:
    sid: str
    identity: str


@dataclass(frozen=True)
class Dataset:
    """What a scenario needs to know about the data to build its requests."""

    database_url: str
    account_sid: str
    auth_token: str
    service_sid: str
    users: list[UserRef]
    world: World | None = None

    def conversations(self) -> World:
        if self.world is None:
            raise ValueError("this dataset has no conversations (DataSpec.memberships = 0)")
        return self.world


def identity_of(n: int) -> str:
    return f"bench-user-{n:06d}@example.com"


def _fingerprint() -> str:
    """Changes when the schema or this generator changes, so a stale cache is never reused."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(world.__file__).read_bytes())
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def _fill(url: str, spec: DataSpec) -> None:
    deps = Deps(SystemClock(), SidFactory(SEED))
    db = open_database(url)
    await db.start()
    try:
        async with db.write() as tx:
            await accounts.ensure(tx, deps, ACCOUNT_SID, AUTH_TOKEN)
            scope = await chat_services.resolve_scope(tx, ACCOUNT_SID, None, "/Users")
            for n in range(spec.users):
                await users.create(
                    tx,
                    deps,
                    scope,
                    identity_of(n),
                    friendly_name=f"Bench User {n:06d}",
                    attributes=f'{{"team":"t{n % 100:02d}","n":"{n:06d}"}}',
                )
            if spec.memberships:
                await world.fill(tx, deps, scope, spec.memberships)
    finally:
        await db.close()


async def _load(url: str) -> Dataset:
    db = open_database(url)
    await db.start()
    try:
        async with db.read() as tx:
            scope = await chat_services.resolve_scope(tx, ACCOUNT_SID, None, "/Users")
            rows = await _users(tx, scope.service_sid)
            conversations = await world.load(tx, scope.service_sid)
    finally:
        await db.close()
    return Dataset(
        url, ACCOUNT_SID, AUTH_TOKEN, scope.service_sid, rows, conversations if conversations.chats else None
    )


async def _users(tx: Tx, service_sid: str) -> list[UserRef]:
    rows = await tx.all(
        "SELECT sid, identity FROM users WHERE chat_service_sid = ? AND identity LIKE 'bench-user-%' ORDER BY id",
        service_sid,
    )
    return [UserRef(r["sid"], r["identity"]) for r in rows]


def populate(url: str, spec: DataSpec) -> None:
    """Migrate `url` and fill it (it must hold no benchmark data yet)."""
    migrate.upgrade(url)
    asyncio.run(_fill(url, spec))


def load(url: str) -> Dataset:
    return asyncio.run(_load(url))


def cached_sqlite(spec: DataSpec, log: bool = True) -> Path:
    """The cached SQLite database for `spec`, built first if missing (never served from directly)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    cache = DATA_DIR / f"{spec.key()}-{_fingerprint()}.db"
    if cache.exists():
        return cache
    for stale in DATA_DIR.glob(f"{spec.key()}-*.db"):
        stale.unlink()
    building = cache.with_suffix(".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.monotonic()
    if log:
        print(f"generating {spec.describe()} into {cache.relative_to(BENCH_DIR.parent)} (cached)…", flush=True)
    populate(f"sqlite:///{building}", spec)
    _checkpoint(building)
    building.rename(cache)
    if log:
        print(f"  done in {time.monotonic() - started:.1f} s", flush=True)
    return cache


def sqlite_dataset(spec: DataSpec, work_file: Path, log: bool = True) -> Dataset:
    """A fresh working copy of the cached database for `spec`, so a run may write to it."""
    cache = cached_sqlite(spec, log)
    for old in (work_file, Path(f"{work_file}-wal"), Path(f"{work_file}-shm")):
        old.unlink(missing_ok=True)
    shutil.copyfile(cache, work_file)
    return load(f"sqlite:///{work_file}")


def postgres_dataset(spec: DataSpec, url: str, log: bool = True) -> Dataset:
    """Migrate an empty PostgreSQL schema (named by `url`'s search_path) and bulk-copy into it the
    rows the domain layer made in the cached SQLite database (COPY; 100k users in seconds, where
    re-running the domain calls over the wire takes ~25 s). Then ANALYZE, as autovacuum would."""
    source = cached_sqlite(spec, log)
    started = time.monotonic()
    migrate.upgrade(url)
    asyncio.run(_copy_to_postgres(source, url))
    if log:
        print(
            f"copied the database of {spec.describe()} to PostgreSQL in {time.monotonic() - started:.1f} s", flush=True
        )
    return load(url)


async def _copy_to_postgres(sqlite_file: Path, url: str) -> None:
    import sqlite3

    import asyncpg

    from chinwag.storage.dialect import postgres_target

    dsn, settings = postgres_target(url)
    source = sqlite3.connect(sqlite_file)
    conn = await asyncpg.connect(dsn, server_settings=settings)
    try:
        schema = await conn.fetchval("SELECT current_schema()")
        columns: dict[str, dict[str, str]] = {}
        for r in await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1",
            schema,
        ):
            columns.setdefault(r["table_name"], {})[r["column_name"]] = r["data_type"]
        parents: dict[str, set[str]] = {t: set() for t in columns}
        for r in await conn.fetch(
            "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = $1",
            schema,
        ):
            parents[r["child"].split(".")[-1]].add(r["parent"].split(".")[-1])
        copied: list[str] = []
        async with conn.transaction():
            for table in _parents_first(parents):
                if table == "alembic_version":
                    continue
                # Rows the migrations wrote themselves (the credentials epoch's one row) are there
                # already; copying SQLite's copy of them would collide.
                if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    continue
                types = columns[table]
                cursor = source.execute(f'SELECT * FROM "{table}"')
                names = [d[0] for d in cursor.description]
                booleans = [i for i, name in enumerate(names) if types[name] == "boolean"]
                # In batches: the 10^6-membership database's participants would not fit in memory
                # as one list of Python rows.
                while batch := cursor.fetchmany(50_000):
                    records = []
                    for row in batch:
                        values = list(row)
                        for i in booleans:
                            values[i] = None if values[i] is None else bool(values[i])
                        records.append(values)
                    await conn.copy_records_to_table(table, records=records, columns=names, schema_name=schema)
                    if table not in copied:
                        copied.append(table)
                if "id" in types:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                        f' (SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
                    )
        for table in copied:
            await conn.execute(f'ANALYZE "{schema}"."{table}"')
    finally:
        await conn.close()
        source.close()


def _parents_first(parents: dict[str, set[str]]) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()

    def place(table: str) -> None:
        if table in placed:
            return
        placed.add(table)
        for parent in sorted(parents[table]):
            if parent != table:
                place(parent)
        order.append(table)

    for table in sorted(parents):
        place(table)
    return order


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the cache is one self-contained file."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    Path(f"{path}-wal").unlink(missing_ok=True)
    Path(f"{path}-shm").unlink(missing_ok=True)
