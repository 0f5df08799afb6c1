"""What `chinwag serve` checks and prepares before it starts the workers (split from cli.py):
the account variables, the port, the number of workers, an in-memory database's file, and
chinwag's own parameters in the database URL. Each refuses with a `click.ClickException` that
names the problem (docs/decisions.md #90)."""

from __future__ import annotations

import errno
import os
import socket
import tempfile
from typing import Any

import click

from chinwag.core.sids import SidPrefix, looks_like


def account_from_env() -> tuple[str | None, str | None]:
    """CHINWAG_ACCOUNT_SID and CHINWAG_AUTH_TOKEN come together or not at all (docs/decisions.md)."""
    sid = os.environ.get("CHINWAG_ACCOUNT_SID") or None
    token = os.environ.get("CHINWAG_AUTH_TOKEN") or None
    if (sid is None) != (token is None):
        missing = "CHINWAG_AUTH_TOKEN" if token is None else "CHINWAG_ACCOUNT_SID"
        raise click.ClickException(
            f"{missing} is not set: set both CHINWAG_ACCOUNT_SID and CHINWAG_AUTH_TOKEN, or neither"
        )
    if sid is not None and not looks_like(sid, SidPrefix.ACCOUNT):
        raise click.ClickException(f"CHINWAG_ACCOUNT_SID must be AC and 32 hex digits, not {sid!r}")
    if token is not None and not (token.isascii() and token.isprintable() and " " not in token):
        raise click.ClickException("CHINWAG_AUTH_TOKEN must be printable ASCII without spaces")
    return sid, token


def check_port_free(host: str, port: int) -> None:
    """Granian binds with SO_REUSEPORT, so a second server on a busy port would start and silently
    take a share of the first one's connections. Refuse instead: a plain bind fails on a port in use."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "it is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise click.ClickException(f"cannot listen on {host} port {port}: {reason}") from None


def cpu_cores() -> int:
    """The cores this process may run on (its affinity set, which a container's cpuset narrows),
    else the machine's count; at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


class WorkersType(click.ParamType[int, Any]):
    """`--workers N` (1 to 1024) or `--workers auto` (one per core: `cpu_cores()`; docs/decisions.md #158)."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return cpu_cores()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 1024:
            return int(text)
        self.fail(f"{value!r} is not a number of workers (1 to 1024) or 'auto'", param, ctx)


def memory_database() -> tuple[str, str]:
    """A fresh SQLite file in memory-backed /dev/shm where there is one (else the temporary
    directory), removed when the server stops: (its URL, its directory)."""
    shm = "/dev/shm"
    parent = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    directory = tempfile.mkdtemp(prefix="chinwag-memory-", dir=parent)
    return f"sqlite:///{directory}/chinwag.db", directory


def check_database_url(database: str, listen_database: str | None) -> None:
    """chinwag's own URL parameters and the LISTEN URL, checked before anything is opened."""
    from chinwag.storage.dialect import engine_of, postgres_options

    try:
        if engine_of(database) == "postgresql":
            postgres_options(database)
        if listen_database and engine_of(listen_database) != "postgresql":
            raise ValueError("--listen-database must be a postgresql:// URL")
        if listen_database and engine_of(database) != "postgresql":
            raise ValueError("--listen-database goes with a postgresql:// --database")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
