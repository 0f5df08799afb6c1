"""A pgbouncer of the test's own in transaction pooling mode, in front of the machine's PostgreSQL.

Debian's `pgbouncer` binary (installed like PostgreSQL: `.ci/run` installs it where it is missing),
started as a plain process with its own configuration in a temporary directory, never the system
service. Its one database `chinwag` is PostgreSQL's `test` database with `search_path` set to the
test's schema on every server connection (`connect_query`; docs/decisions.md #157): pgbouncer 1.18
refuses `search_path` as a client's startup parameter, and a `SET` from a client would stay behind on a shared server
connection. The pool is kept smaller than chinwag's, so client connections really take turns on
server connections: a named prepared statement, a LISTEN or a session setting of one client would
show up on another's transactions.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.servers import PG_BASE, free_port

SERVER_CONNECTIONS = 4  # pgbouncer's server connections to PostgreSQL, shared by every client


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is required in CI (Debian package pgbouncer; .ci/run installs it)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


@contextmanager
def pgbouncer(schema: str, pool_size: int = 10) -> Iterator[str]:
    """Start a pgbouncer for `schema`; yields chinwag's database URL through it."""
    binary = pgbouncer_binary()
    target = urlsplit(PG_BASE)
    port = free_port()
    # pgbouncer will not run as root; as root it is told to switch to an unprivileged user, which must be able
    # to read its configuration and write its log, hence a world-readable directory of its own.
    directory = Path(tempfile.mkdtemp(prefix="chinwag-pgbouncer-"))
    directory.chmod(0o755)
    (directory / "users.txt").write_text(f'"{target.username or "postgres"}" ""\n')
    connect_query = f"SET search_path TO {schema}"
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"chinwag = host={target.hostname} port={target.port or 5432} dbname={target.path.lstrip('/')}"
        f" user={target.username or 'postgres'} pool_size={SERVER_CONNECTIONS} connect_query='{connect_query}'\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        "max_client_conn = 1000\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
        # asyncpg and SQLAlchemy send none, but psql-style clients do; harmless to accept.
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    (directory / "pgbouncer.log").touch(mode=0o666)
    (directory / "pgbouncer.log").chmod(0o666)
    command = [binary, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", _unprivileged_user()]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, directory)
        user = target.username or "postgres"
        yield f"postgresql://{user}@127.0.0.1:{port}/chinwag?pooling=transaction&pool_size={pool_size}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], directory: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {(directory / 'pgbouncer.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening")


def _unprivileged_user() -> str:
    """`postgres` where PostgreSQL's package made it, else `nobody`."""
    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        return "nobody"
