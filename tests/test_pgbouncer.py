"""chinwag behind pgbouncer in transaction pooling mode (issue 14; docs/SCALING.md).

The server's every connection goes through a pgbouncer of the test's own (tests/support/pgbouncer.py:
`pool_mode = transaction`, four server connections shared by all of chinwag's pooled connections),
with `?pooling=transaction` in the URL and LISTEN on a direct connection (`--listen-database`).
Then a meaningful part of the suite runs again against it, unchanged: users, messages, conversations
of a user, the concurrency tests (message indexes, unread counts, racing joins and deletes, two
workers) and webhook delivery. They are the same test functions as in their own modules, collected
here a second time with this module's fixtures, so they cannot drift apart.

Without `pooling=transaction` the same server fails at once: asyncpg's named prepared statements
meet each other on pgbouncer's shared server connections (`test_named_statements_break_behind_it`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import asyncpg
import httpx
import pytest

from chinwag.storage.repos import outbox
from tests import test_concurrency, test_messages, test_user_conversations, test_users, test_webhook_delivery
from tests.conftest import Account, Running, make_client
from tests.support.pgbouncer import pgbouncer
from tests.support.receiver import receiving
from tests.support.servers import BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN, PG_BASE, Server, free_port, pg_schema
from tests.support.webhooks import ALLOW_LOOPBACK, HOOK_ENV


@dataclass
class Bounced(Running):
    """A server whose connections go through pgbouncer; `database_url` is the direct one, for the
    tests' own set-up (accounts, raw SQL), which is not what is under test."""

    direct_url: str = ""
    listener_name: str = ""  # the application_name of its LISTEN connections

    @property
    def database_url(self) -> str:
        return self.direct_url


@contextmanager
def bounced(
    tmp: Path, *, args: tuple[str, ...] = (), env: dict[str, str] | None = None, listen: bool = True
) -> Iterator[Bounced]:
    """A `chinwag serve` (two workers) on a fresh schema, through its own pgbouncer."""
    with ExitStack() as stack:
        direct = stack.enter_context(pg_schema())
        through = stack.enter_context(pgbouncer(direct.rsplit("search_path=", 1)[1]))
        extra = dict(env or {})
        name = "chinwag_t_listen_" + uuid.uuid4().hex[:8]  # its own, among the other tests' servers
        if listen:
            extra["CHINWAG_LISTEN_DATABASE"] = f"{direct}&application_name={name}"
        server = Server(through, free_port(), tmp / "server.log", extra, ["--workers", "2", *args])
        stack.callback(server.stop)
        server.start()
        yield Bounced("postgres", server, direct, name)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with bounced(tmp_path_factory.mktemp("bounced")) as server:
        yield server


@pytest.fixture(scope="module")
def multi_running(running: Running) -> Running:
    return running  # two workers already


@pytest.fixture(scope="module")
def hook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """As tests/support/webhooks.py's, behind pgbouncer."""
    with bounced(tmp_path_factory.mktemp("bounced-hooks"), args=(*ALLOW_LOOPBACK, "--emulator"), env=HOOK_ENV) as s:
        yield s


# Tests that start servers of their own (an `engine` or `tmp_path` parameter) stay in their module.
_OWN_SERVERS = {"engine", "tmp_path", "empty_database", "tmp_path_factory"}


def _borrow(module: ModuleType) -> None:
    short = module.__name__.rsplit(".", 1)[1].removeprefix("test_")
    for name, fn in list(vars(module).items()):
        own_server = inspect.isfunction(fn) and not _OWN_SERVERS.isdisjoint(inspect.signature(fn).parameters)
        if name.startswith("test_") and inspect.isfunction(fn) and not own_server:
            globals()[f"test_{short}__{name.removeprefix('test_')}"] = fn


for _module in (test_users, test_messages, test_user_conversations, test_concurrency, test_webhook_delivery):
    _borrow(_module)


def test_listen_wakes_the_dispatcher_through_the_direct_connection(tmp_path: Path) -> None:
    """With the outbox polled only every 30 s, an event still arrives at once: LISTEN on the direct
    connection woke the dispatcher, although every write went through pgbouncer."""
    with bounced(tmp_path, args=(*ALLOW_LOOPBACK,), env={"CHINWAG_WEBHOOK_POLL": "30"}) as server:
        delivered_after(server, within=10.0, listener=server.listener_name)


def test_without_a_direct_connection_the_outbox_is_polled(tmp_path: Path) -> None:
    """No `--listen-database`: nothing LISTENs through pgbouncer (a pooled server connection would
    take the LISTEN to other clients); the dispatcher's poll delivers instead."""
    with bounced(tmp_path, args=(*ALLOW_LOOPBACK,), env={"CHINWAG_WEBHOOK_POLL": "0.5"}, listen=False) as server:
        delivered_after(server, within=5.0)
        assert "LISTEN connection lost" not in Path(server.server.log_path).read_text()


def delivered_after(server: Running, within: float, *, listener: str | None = None) -> None:
    account = Account(BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN)
    twilio = make_client(server.url, account).conversations.v1
    with receiving() as receiver:
        twilio.configuration.webhooks().update(
            post_webhook_url=receiver.url + "/post", filters=["onConversationAdded"], method="POST"
        )
        if listener:  # the delivery process (niced, so late on a busy machine) has its LISTEN
            _wait_for_listen(listener, outbox.NOTIFY_CHANNEL)
        time.sleep(1.5)  # let the first poll after start pass: what follows is a wake-up's doing
        started = time.monotonic()
        conv = twilio.conversations.create(friendly_name="woken", x_twilio_webhook_enabled="true")
        got = receiver.wait_for(1, timeout=within, event="onConversationAdded")
        assert got[0].params["ConversationSid"] == conv.sid
        assert time.monotonic() - started < within


def _wait_for_listen(application_name: str, channel: str, timeout: float = 30.0) -> None:
    """Until `pg_stat_activity` shows that server's LISTEN. On one connection for the whole wait,
    and its connect tried again while PostgreSQL is full: with this module's servers up and the
    other test worker's, max_connections (100) is reached at times ("too many clients already")."""

    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = await asyncpg.connect(PG_BASE)
                break
            except asyncpg.TooManyConnectionsError:
                assert time.monotonic() < deadline, "PostgreSQL stayed full"
                await asyncio.sleep(0.2)
        try:
            query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query = $2"
            while not await conn.fetchval(query, application_name, f'LISTEN "{channel}"'):
                assert time.monotonic() < deadline, f"nothing LISTENs on {channel}"
                await asyncio.sleep(0.1)
        finally:
            await conn.close()

    asyncio.run(wait())


def test_named_statements_break_behind_it(tmp_path: Path) -> None:
    """The setting is needed: the same server without `pooling=transaction` (asyncpg's statement
    cache on) fails as soon as two clients' statements meet on a shared server connection."""
    with ExitStack() as stack:
        direct = stack.enter_context(pg_schema())
        through = stack.enter_context(pgbouncer(direct.rsplit("search_path=", 1)[1]))
        url = through.replace("pooling=transaction", "pooling=session")
        server = Server(url, free_port(), tmp_path / "s.log", {}, ["--workers", "2"])
        stack.callback(server.stop)
        try:
            server.start(timeout=30)
        except RuntimeError as exc:  # the migrations' own named statements may already collide
            assert "prepared statement" in str(exc)
            return
        auth = (BOOT_ACCOUNT_SID, BOOT_AUTH_TOKEN)

        def create(n: int) -> int:
            try:
                return httpx.post(server.url + "/v1/Users", data={"Identity": f"u{n}"}, auth=auth).status_code
            except httpx.TransportError:  # a worker fell over on a collision: broken as well
                return 0

        with ThreadPoolExecutor(8) as pool:
            statuses = set(pool.map(create, range(40)))
        assert statuses - {201}, "named statements through transaction pooling should have collided"
        assert "prepared statement" in Path(server.log_path).read_text()


def test_bad_pooling_parameters_are_refused_at_start(tmp_path: Path) -> None:
    for query, said in (
        ("pooling=statement", "pooling="),
        ("pool_size=0", "pool_size="),
        ("pool_size=x", "pool_size="),
    ):
        server = Server(f"postgresql://postgres@127.0.0.1:5432/test?{query}", free_port(), tmp_path / "bad.log")
        with pytest.raises(RuntimeError) as refused:
            server.start(timeout=20)
        assert said in str(refused.value)
        assert "Traceback" not in str(refused.value)
