"""The pytest plugin installed with chinwag (entry point `pytest11`: `chinwag`).

Fixtures:
- `chinwag_server` (session): a `chinwag serve --emulator` of its own, on a temporary SQLite
  database and a free port, stopped after the session; or, when `CHINWAG_URL` is set, the
  emulator already running there.
- `chinwag_account` (function): a fresh account for each test, so tests (also under xdist) never
  see each other's data.
- `twilio_client` (function): a `twilio.rest.Client` of that account whose Conversations API is
  the server (`client.conversations.base_url`).

Accounts come from the emulator's `POST /_chinwag/v1/Accounts`. A server this plugin started
itself also answers without that route (an older chinwag): the account is then created in its
database directly, as `chinwag accounts create --database URL` does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from twilio.rest import Client

ACCOUNTS_PATH = "/_chinwag/v1/Accounts"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class ChinwagAccount:
    sid: str
    token: str


@dataclass
class ChinwagServer:
    """A running chinwag: `url`, and `database_url` when this plugin started it (else None)."""

    url: str
    database_url: str | None = None
    log_path: Path | None = None

    def create_account(self) -> ChinwagAccount:
        request = urllib.request.Request(self.url + ACCOUNTS_PATH, data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read())
            return ChinwagAccount(body["account_sid"], body["auth_token"])
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise RuntimeError(f"POST {self.url}{ACCOUNTS_PATH} answered {exc.code}: {exc.read()!r}") from None
            if self.database_url is None:
                raise RuntimeError(
                    f"the chinwag at {self.url} has no {ACCOUNTS_PATH}: start it with `chinwag serve --emulator`"
                ) from None
        from chinwag import bootstrap

        sid, token = bootstrap.create_account(self.database_url)
        return ChinwagAccount(sid, token)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _start(directory: Path) -> tuple[subprocess.Popen[bytes], ChinwagServer]:
    port = _free_port()
    database = f"sqlite:///{directory / 'chinwag.db'}"
    log_path = directory / "chinwag.log"
    # A server of its own: none of the caller's CHINWAG_* settings apply to it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHINWAG_")}
    command = [sys.executable, "-m", "chinwag", "serve", "--emulator"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--database", database]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = ChinwagServer(f"http://127.0.0.1:{port}", database, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while not _healthy(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"chinwag serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    return process, server


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chinwag_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChinwagServer]:
    """The emulator at `CHINWAG_URL`, or a `chinwag serve --emulator` started for this session."""
    external = os.environ.get("CHINWAG_URL")
    if external:
        yield ChinwagServer(external.rstrip("/"))
        return
    process, server = _start(tmp_path_factory.mktemp("chinwag"))
    try:
        yield server
    finally:
        _stop(process)


@pytest.fixture
def chinwag_account(chinwag_server: ChinwagServer) -> ChinwagAccount:
    """A fresh account (SID and auth token) for this test."""
    return chinwag_server.create_account()


@pytest.fixture
def twilio_client(chinwag_server: ChinwagServer, chinwag_account: ChinwagAccount) -> Client:
    """A twilio-python Client for this test's account, its Conversations API pointed at chinwag."""
    from twilio.rest import Client

    client = Client(chinwag_account.sid, chinwag_account.token)
    # TWILIO_REGION / TWILIO_EDGE would make the SDK rewrite the host name.
    client.region = None
    client.edge = None
    client.conversations.base_url = chinwag_server.url
    return client
