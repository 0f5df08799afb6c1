"""Fixtures: a real `chinwag serve` per database engine, a fresh account per test, and the real
twilio-python client pointed at the server (`client.conversations.base_url`).

Every test that takes `twilio` runs twice, on SQLite and on PostgreSQL. PostgreSQL is the machine's
server (127.0.0.1:5432, user postgres, database `test`); each run gets its own schema. When it is
unreachable the PostgreSQL half is skipped locally, but fails under CI (CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.rest import Client
from twilio.rest.conversations.v1 import V1

from chinwag import bootstrap
from tests.support.scoped import FORMS, Scoped, scoped
from tests.support.servers import Server, free_port, pg_schema

ENGINES = ["sqlite", "postgres"]
# Webhook tests' fixtures (a server allowed to deliver to loopback, a receiver per test).
pytest_plugins = ["tests.support.webhooks"]


@dataclass
class Running:
    engine: str
    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database_url(self) -> str:
        return self.server.database_url


@contextmanager
def serving(
    engine: str,
    tmp: Path,
    extra_env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> Iterator[Running]:
    """A `chinwag serve` on a fresh database of that engine, stopped (and its schema dropped) after."""
    with empty_database_url(engine, tmp) as url:
        server = Server(url, free_port(), tmp / "server.log", extra_env or {}, extra_args or [])
        try:
            server.start()
            yield Running(engine, server)
        finally:
            server.stop()


@contextmanager
def empty_database_url(engine: str, tmp: Path) -> Iterator[str]:
    """A database of that engine with nothing in it, not even the schema: a file under `tmp`, or a
    fresh PostgreSQL schema (dropped after)."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'chinwag.db'}"
        return
    with pg_schema() as url:
        yield url


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`empty_database_url` per engine, for tests of the storage layer without a server."""
    with empty_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=ENGINES)
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with serving(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server


@pytest.fixture(scope="session", params=ENGINES)
def multi_running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """Two server processes on one database: writers really race (concurrency tests)."""
    with serving(request.param, tmp_path_factory.mktemp("multi"), extra_args=["--workers", "2"]) as server:
        yield server


@pytest.fixture(scope="session", params=ENGINES)
def emulator_running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """A `chinwag serve --emulator`: the control API under /_chinwag/v1/ (accounts, clocks, …)."""
    with serving(request.param, tmp_path_factory.mktemp("emulator"), extra_args=["--emulator"]) as server:
        yield server


@dataclass
class Account:
    sid: str
    token: str


@pytest.fixture
def account(running: Running) -> Account:
    """A fresh account (with its default service) in the running server's database."""
    sid, token = bootstrap.create_account(running.database_url)
    return Account(sid, token)


def new_account(base_url: str) -> Account:
    """A fresh account from a running emulator (`POST /_chinwag/v1/Accounts`)."""
    response = httpx.post(base_url + "/_chinwag/v1/Accounts")
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["account_sid"], body["auth_token"])


def make_client(base_url: str, account: Account) -> Client:
    client = Client(account.sid, account.token)
    client.conversations.base_url = base_url
    return client


@pytest.fixture
def twilio(running: Running, account: Account) -> V1:
    """`client.conversations.v1` of a real twilio-python Client pointed at the server."""
    return make_client(running.url, account).conversations.v1


@pytest.fixture
def http(running: Running, account: Account) -> Iterator[httpx.Client]:
    """Raw HTTP with the account's credentials, for what the SDK cannot send."""
    with httpx.Client(base_url=running.url, auth=(account.sid, account.token)) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert body["status"] == response.status_code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return body


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(params=FORMS)
def where(request: pytest.FixtureRequest, twilio: V1, running: Running) -> Scoped:
    """The resource collections of one URL form (tests/support/scoped.py), per engine."""
    return scoped(twilio, running.url, request.param)
