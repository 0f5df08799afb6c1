"""The `chinwag` command: `serve`, `migrate`, `accounts create`, `accounts list`, `keys create`.

`chinwag serve --host H --port P --database URL` is a contract that outside scripts rely on.
Arguments are checked before anything touches the database (docs/decisions.md #90).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import click

from chinwag import logs, serve_checks
from chinwag.config import DEFAULT_DATABASE
from chinwag.core.sids import SidPrefix, looks_like
from chinwag.limits import flood_limits

T = TypeVar("T")

# Every environment variable chinwag reads, for `--help` and the README (keep them in step).
ENVIRONMENT = """\b
Environment variables (a flag, where there is one, wins):
  CHINWAG_DATABASE            --database
  CHINWAG_LISTEN_DATABASE     --listen-database
  CHINWAG_ACCOUNT_SID         with CHINWAG_AUTH_TOKEN: make this account exist
  CHINWAG_AUTH_TOKEN            with this token (both or neither)
  CHINWAG_EMULATOR=1          --emulator
  CHINWAG_CONSOLE=1           --console
  CHINWAG_ACCESS_LOG=1|0      --access-log / --no-access-log
  CHINWAG_LOG_LEVEL           --log-level
  CHINWAG_PUBLIC_URL          --public-url
  CHINWAG_SID_SEED            --sid-seed
  CHINWAG_WEBHOOK_ALLOW       --webhook-allow
  CHINWAG_WEBHOOK_DISPATCH=0  this server only writes the webhook outbox
  CHINWAG_WEBHOOK_POLL        seconds between webhook outbox polls (1)
  CHINWAG_CLOCK_OFFSET        seconds the server's clock starts ahead
  CHINWAG_AUTH_CACHE_SECONDS  how long a verified credential is trusted (60)
  CHINWAG_TIMER_INTERVAL      seconds between conversation timer sweeps (1)
  CHINWAG_MAX_CONNECTIONS     open connections per worker (10000)
  CHINWAG_HEADER_TIMEOUT      seconds to send a request head (10)
  CHINWAG_BODY_TIMEOUT        seconds to send a request body (30)
  CHINWAG_MEDIA_MAX_BYTES     largest media upload in bytes (16777216)
  CHINWAG_SQLITE_MAX_PAGE_COUNT  cap on the SQLite file's pages (a full disk, for tests)
  CHINWAG_SQL_RECORD          file prefix: record every SQL statement run (tests of account scoping)
"""

# `sqlite:///:memory:` (or `sqlite://`): a database that lives as long as the server
# (docs/decisions.md #91).
MEMORY_URLS = ("sqlite:///:memory:", "sqlite://")


def _database_option(fn):  # type: ignore[no-untyped-def]
    return click.option(
        "--database",
        "database",
        envvar="CHINWAG_DATABASE",
        default=DEFAULT_DATABASE,
        show_default=True,
        help="sqlite:///FILE or postgresql://user@host:port/db[?pool_size=N&pooling=transaction] (docs/SCALING.md)",
    )(fn)


def _with_database(work: Callable[[], T], database: str | None = None) -> T:
    """Start-up database work; a bad URL or a database that cannot be opened is a one-line error."""
    import asyncpg
    import sqlalchemy.exc

    if database is not None and database.split("?")[0] in MEMORY_URLS:
        raise click.ClickException(
            "an in-memory database lives only inside `chinwag serve`; give a file (sqlite:///FILE) here"
        )
    try:
        return work()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except (OSError, sqlite3.Error, asyncpg.PostgresError, sqlalchemy.exc.SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"cannot open the database: {reason}") from None


@click.group(epilog=ENVIRONMENT)
@click.version_option(package_name="chinwag", prog_name="chinwag")
def main() -> None:
    """chinwag: the Twilio Conversations REST API v1, self-hosted."""


@main.command(epilog=ENVIRONMENT)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default="1",
    show_default=True,
    type=serve_checks.WorkersType(),
    help="server processes: a number, or `auto` for one per CPU core this process may run on",
)
@click.option(
    "--public-url", default=None, envvar="CHINWAG_PUBLIC_URL", help="base of response URLs when behind a proxy"
)
@click.option(
    "--emulator",
    is_flag=True,
    envvar="CHINWAG_EMULATOR",
    help="emulator mode: the control API under /_chinwag/ (reset, snapshots, clock); off, it answers 404",
)
@click.option(
    "--console",
    is_flag=True,
    envvar="CHINWAG_CONSOLE",
    help="the web console at /_chinwag/console/ (always on in emulator mode)",
)
@click.option(
    "--access-log/--no-access-log",
    "access_log",
    default=None,
    envvar="CHINWAG_ACCESS_LOG",
    help="one line per request on stderr  [default: on in emulator mode]",
)
@click.option(
    "--log-level",
    type=click.Choice(logs.LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
    envvar="CHINWAG_LOG_LEVEL",
)
@click.option(
    "--webhook-allow",
    "webhook_allow",
    multiple=True,
    help="a non-public address range (CIDR) webhooks may be delivered to; repeatable (env CHINWAG_WEBHOOK_ALLOW)",
)
@click.option(
    "--sid-seed",
    type=int,
    default=None,
    help="emulator mode, one worker: SIDs from a generator seeded with N (the same requests give the same SIDs)",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="emulator mode: load this snapshot into the account at start",
)
@click.option(
    "--listen-database",
    "listen_database",
    envvar="CHINWAG_LISTEN_DATABASE",
    default=None,
    help="PostgreSQL behind a transaction pooler: a direct postgresql:// URL for LISTEN (webhook wake-ups);"
    " without it the outbox is polled",
)
@_database_option
def serve(
    host: str,
    port: int,
    workers: int,
    public_url: str | None,
    emulator: bool,
    console: bool,
    access_log: bool | None,
    log_level: str,
    sid_seed: int | None,
    import_file: str | None,
    database: str,
    listen_database: str | None = None,
    webhook_allow: tuple[str, ...] = (),
) -> None:
    """Migrate the database, make sure an account exists, and serve the API (granian)."""
    from granian import Granian
    from granian.constants import Interfaces

    from chinwag import bootstrap

    logs.configure(log_level)
    if public_url is not None and not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", public_url):
        raise click.BadParameter(f"{public_url!r} is not an http(s) URL", param_hint="'--public-url'")
    sid, token = serve_checks.account_from_env()
    if sid_seed is not None and not emulator:
        raise click.ClickException("--sid-seed needs --emulator")
    if sid_seed is not None and workers != 1:
        raise click.ClickException("--sid-seed needs a single worker (--workers 1): workers would mint the same SIDs")
    if import_file is not None and not emulator:
        raise click.ClickException("--import needs --emulator")
    from chinwag.events.ssrf import parse_networks

    try:
        parse_networks(" ".join(webhook_allow) if webhook_allow else os.environ.get("CHINWAG_WEBHOOK_ALLOW", ""))
    except ValueError as exc:
        raise click.ClickException(f"--webhook-allow: {exc}") from None
    serve_checks.check_database_url(database, listen_database)
    serve_checks.check_port_free(host, port)
    memory_dir = None
    delivery = None
    shown_database = database.split("?")[0]
    if shown_database in MEMORY_URLS:
        if workers != 1:  # docs/decisions.md #91
            raise click.ClickException("an in-memory database is for one worker: drop --workers or use a file")
        database, memory_dir = serve_checks.memory_database()
    try:
        made = _with_database(lambda: bootstrap.prepare(database, sid, token))
        if made is not None:
            click.echo(f"Created account\n  CHINWAG_ACCOUNT_SID={made[0]}\n  CHINWAG_AUTH_TOKEN={made[1]}", err=True)
        if import_file is not None:
            _import_at_start(database, sid or (made[0] if made else None), import_file)
        os.environ["CHINWAG_SID_SEED"] = "" if sid_seed is None else str(sid_seed)
        if memory_dir is None:
            click.echo(f"Credentials again: chinwag accounts list --database {database}", err=True)
        os.environ["CHINWAG_DATABASE"] = database
        os.environ["CHINWAG_LISTEN_DATABASE"] = listen_database or ""
        if public_url:
            os.environ["CHINWAG_PUBLIC_URL"] = public_url
        os.environ["CHINWAG_EMULATOR"] = "1" if emulator else ""
        if webhook_allow:
            os.environ["CHINWAG_WEBHOOK_ALLOW"] = " ".join(webhook_allow)
        os.environ["CHINWAG_CONSOLE"] = "1" if console or emulator else ""
        os.environ["CHINWAG_ACCESS_LOG"] = "1" if (emulator if access_log is None else access_log) else ""
        os.environ["CHINWAG_LOG_LEVEL"] = log_level.lower()
        plural = "worker" if workers == 1 else "workers"
        click.echo(f"chinwag serving http://{host}:{port} on {shown_database} ({workers} {plural})", err=True)
        limits = flood_limits()
        if console or emulator:
            click.echo(f"web console: http://{host}:{port}/_chinwag/console/", err=True)
        from chinwag.events import delivery_process

        delivery = delivery_process.start_beside_workers()
        Granian(
            "chinwag.asgi:create",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            factory=True,
            log_access=False,
            log_level=_granian_level(log_level),
            log_dictconfig=logs.granian_config(),
            # granian waits for open connections before a worker's lifespan shutdown, and realtime
            # sockets stay open: past this a worker is killed, its clients reconnect to the next
            # process and replay (docs/decisions.md #131).
            workers_kill_timeout=SHUTDOWN_GRACE,
            **limits.granian_options(),
        ).serve()
    finally:
        if delivery is not None:
            delivery.stop()
        if memory_dir is not None:
            shutil.rmtree(memory_dir, ignore_errors=True)


SHUTDOWN_GRACE = 5  # seconds a stopping worker may take


def _granian_level(level: str) -> Any:
    from granian.log import LogLevels

    return LogLevels(level.lower())


@main.command()
@_database_option
def migrate(database: str) -> None:
    """Apply the schema migrations and exit."""
    from chinwag.storage import migrate as migrations

    _with_database(lambda: migrations.upgrade(database), database)
    click.echo("database is at the latest schema", err=True)


@main.group()
def accounts() -> None:
    """Accounts (the credentials clients authenticate with)."""


@accounts.command("create")
@_database_option
def accounts_create(database: str) -> None:
    """Create an account with its default service; prints its SID and auth token."""
    from chinwag import bootstrap

    sid, token = _with_database(lambda: bootstrap.create_account(database), database)
    click.echo(f"{sid} {token}")


@accounts.command("list")
@_database_option
def accounts_list(database: str) -> None:
    """Print every account: SID, auth token, date created."""
    from chinwag import bootstrap

    for sid, token, created in _with_database(lambda: bootstrap.list_accounts(database), database):
        click.echo(f"{sid} {token} {created}")


def _import_at_start(database: str, account_sid: str | None, path: str) -> None:
    from chinwag.emulator import offline

    if account_sid is None:
        raise click.ClickException(
            "--import loads into the account of CHINWAG_ACCOUNT_SID: set it (and CHINWAG_AUTH_TOKEN)"
        )
    with open(path, "rb") as handle:
        raw = handle.read()
    _with_database(lambda: offline.import_snapshot(database, account_sid, None, raw))
    click.echo(f"imported {path} into {account_sid}", err=True)


@main.group()
def snapshot() -> None:
    """An account's whole state as a JSON document (the emulator's snapshots)."""


@snapshot.command("export")
@_database_option
@click.option("--account", "account_sid", required=True, help="the account's SID (AC…)")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
def snapshot_export(database: str, account_sid: str, file: str) -> None:
    """Write the account's snapshot to FILE (`-`: standard output)."""
    from chinwag.emulator import offline

    raw = _with_database(lambda: offline.export_snapshot(database, account_sid))
    with click.open_file(file, "wb") as out:
        out.write(raw)


@snapshot.command("import")
@_database_option
@click.option("--account", "account_sid", required=True, help="the account's SID (AC…); created if missing")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def snapshot_import(database: str, account_sid: str, file: str) -> None:
    """Replace the account's state with the snapshot in FILE. An account the database lacks is
    created, with the token in CHINWAG_AUTH_TOKEN."""
    from chinwag.emulator import offline

    with click.open_file(file, "rb") as handle:
        raw = handle.read()
    token = os.environ.get("CHINWAG_AUTH_TOKEN") or None
    created = _with_database(lambda: offline.import_snapshot(database, account_sid, token, raw))
    click.echo(f"{'created ' if created else ''}{account_sid}: snapshot imported", err=True)


@main.group()
def keys() -> None:
    """API keys (SK…): Basic credentials of an account, and the secret that signs its access tokens."""


@keys.command("create")
@_database_option
@click.option("--account", "account", required=True, help="the account SID (AC…) the key belongs to")
@click.option("--friendly-name", "friendly_name", default=None, help="a name for the key (up to 64 characters)")
def keys_create(database: str, account: str, friendly_name: str | None) -> None:
    """Create an API key; prints its SID and secret (the secret is shown this once)."""
    from chinwag import bootstrap
    from chinwag.core.errors import TwilioError

    if not looks_like(account, SidPrefix.ACCOUNT):
        raise click.ClickException(f"--account must be AC and 32 hex digits, not {account!r}")
    try:
        sid, secret = _with_database(lambda: bootstrap.create_key(database, account, friendly_name))
    except TwilioError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{sid} {secret}")
