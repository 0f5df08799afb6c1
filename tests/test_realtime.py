"""Twilio's @twilio/conversations JS client against `chinwag serve` (tests/realtime/, `node --test`).

A server per engine (allowed to call webhook receivers on loopback, for the pre-event test);
`npm ci` installs the locked client (tests/realtime/package-lock.json) the first time, or when the
lock changes. Node is required under CI (CI=true); elsewhere the test is skipped without it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag import bootstrap
from tests.conftest import ENGINES, Account, Running, make_client, serving
from tests.support.node import npm_ci, run_suite, tool

NODE_DIR = Path(__file__).resolve().parent / "realtime"


@pytest.fixture(scope="module", params=ENGINES)
def realtime_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp(f"realtime-{request.param}")
    with serving(request.param, tmp, extra_args=["--webhook-allow", "127.0.0.0/8"]) as server:
        yield server


def _suite(running: Running, account: Account, *files: str) -> str:
    """The suite shares the account's settings (webhooks, reachability) between files: one at a time."""
    return run_suite(
        NODE_DIR, running.url, running.engine, (account.sid, account.token), *files, serial=True, timeout=600
    )


def test_realtime_client_suite(realtime_server: Running) -> None:
    sid, token = bootstrap.create_account(realtime_server.database_url)
    _suite(realtime_server, Account(sid, token), "realtime.test.mjs")


class Held:
    """tests/realtime/hold.mjs: one client kept open while the test restarts or kills the server."""

    def __init__(self, running: Running, account: Account, identity: str, conversation: str) -> None:
        env = {
            **os.environ,
            "CHINWAG_URL": running.url,
            "CHINWAG_ACCOUNT_SID": account.sid,
            "CHINWAG_AUTH_TOKEN": account.token,
            "CHINWAG_IDENTITY": identity,
            "CHINWAG_CONVERSATION": conversation,
        }
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [tool("node"), "hold.mjs"], cwd=NODE_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def wait_for(self, line: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while line not in self.lines:
            assert self.process.poll() is None, f"hold.mjs exited: {self.lines}"
            assert time.monotonic() < deadline, f"no {line!r} from the client: {self.lines}"
            time.sleep(0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _kill_hard(server: Running) -> None:
    """SIGKILL the server and its worker processes (no shutdown code runs: a crash)."""
    process = server.server.process
    assert process is not None
    children = [
        int(stat.split()[0])
        for stat in (p.read_text() for p in Path("/proc").glob("[0-9]*/stat") if p.exists())
        if int(stat.rsplit(")", 1)[1].split()[1]) == process.pid
    ]
    for pid in [process.pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    server.server.process = None


def test_restart_and_crash(realtime_server: Running) -> None:
    """Events committed while the server restarts arrive once; after a crash nobody stays online."""
    tool("node")
    npm_ci(NODE_DIR)
    sid, token = bootstrap.create_account(realtime_server.database_url)
    account = Account(sid, token)
    rest = make_client(realtime_server.url, account).conversations.v1
    service = rest.configuration().fetch().default_chat_service_sid
    rest.services(service).configuration().update(reachability_enabled=True)
    conv = rest.conversations.create(friendly_name="restart")
    rest.conversations(conv.sid).participants.create(identity="held")
    held = Held(realtime_server, account, "held", conv.sid)
    try:
        held.wait_for("ready")
        assert rest.users("held").fetch().is_online is True
        rest.conversations(conv.sid).messages.create(author="x", body="before")
        held.wait_for("added before")

        realtime_server.server.stop()  # a graceful restart: sockets closed, the client retries
        realtime_server.server.start()
        for body in ("away1", "away2"):
            rest.conversations(conv.sid).messages.create(author="x", body=body)
        held.wait_for("added away2", timeout=60)
        rest.conversations(conv.sid).messages.create(author="x", body="after")
        held.wait_for("added after")
        added = [line for line in held.lines if line.startswith("added ")]
        assert added == ["added before", "added away1", "added away2", "added after"], held.lines

        _kill_hard(realtime_server)  # a crash: no process closes the socket's row
        held.close()
        realtime_server.server.start()
        assert rest.users("held").fetch().is_online is False
    finally:
        held.close()


@pytest.fixture(scope="module", params=ENGINES)
def two_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp(f"realtime-workers-{request.param}")
    with serving(request.param, tmp, extra_args=["--workers", "2"]) as server:
        yield server


def test_across_workers(two_workers: Running) -> None:
    sid, token = bootstrap.create_account(two_workers.database_url)
    _suite(two_workers, Account(sid, token), "workers.test.mjs")
