"""Real chinwag servers for the tests: `chinwag serve` as a user runs it, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

PG_BASE = os.environ.get("CHINWAG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BOOT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
BOOT_AUTH_TOKEN = "f" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_reachable() -> bool:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_BASE, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
        return True
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False


def pg_execute(sql: str) -> None:
    """One statement on the test database, as its superuser."""

    async def run() -> None:
        conn = await asyncpg.connect(PG_BASE)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def new_pg_schema() -> tuple[str, str]:
    """A fresh schema inside the `test` database; returns (schema, chinwag database URL)."""
    schema = "chinwag_t_" + uuid.uuid4().hex[:12]
    pg_execute(f"CREATE SCHEMA {schema}")
    return schema, f"{PG_BASE}?search_path={schema}"


def drop_pg_schema(schema: str) -> None:
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def pg_role_schema() -> Iterator[tuple[str, str]]:
    """A fresh schema owned by a login role of its own; yields (chinwag database URL connecting as
    that role, the role). A test can then refuse that role's new connections (`ALTER ROLE ...
    CONNECTION LIMIT 0`) as a full server would, without touching anybody else's. Both dropped after."""
    _require_postgres()
    name = "chinwag_r_" + uuid.uuid4().hex[:12]
    pg_execute(f"CREATE ROLE {name} LOGIN")
    pg_execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    base = urlsplit(PG_BASE)
    url = urlunsplit(base._replace(netloc=f"{name}@{base.hostname}:{base.port or 5432}", query=f"search_path={name}"))
    try:
        yield url, name
    finally:
        pg_execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'")
        pg_execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        pg_execute(f"DROP ROLE IF EXISTS {name}")


def _require_postgres() -> None:
    if not postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")


@contextmanager
def pg_schema() -> Iterator[str]:
    """The database URL of a fresh schema, dropped after. Without the server the test is skipped,
    or fails under CI (CI=true), where PostgreSQL is required."""
    _require_postgres()
    schema, url = new_pg_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


# Connections of each test server's pool per worker on PostgreSQL, unless its URL says otherwise.
# chinwag's default (10) is for a server with the database to itself; the suite has a dozen servers
# up at once on one PostgreSQL (max_connections 100): each xdist worker's session servers, module
# clusters, pgbouncer. A request waits for a free connection, so fewer change no outcome; where a
# request held one connection while waiting for another, a small pool would show it as a hang.
TEST_POOL_SIZE = 4


def with_test_pool(url: str) -> str:
    if not url.startswith("postgresql") or "pool_size=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}pool_size={TEST_POOL_SIZE}"


@dataclass
class Server:
    database_url: str
    port: int
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        env = {
            **os.environ,
            "CHINWAG_ACCOUNT_SID": BOOT_ACCOUNT_SID,
            "CHINWAG_AUTH_TOKEN": BOOT_AUTH_TOKEN,
            **self.extra_env,
        }
        cmd = [
            sys.executable,
            "-m",
            "chinwag",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database",
            with_test_pool(self.database_url),
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chinwag serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chinwag serve did not become healthy: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
