"""Twilio's @twilio/conversations JS client against `chinwag serve` (tests/realtime/, `node --test`).

A server per engine (allowed to call webhook receivers on loopback, for the pre-event test);
`npm ci` installs the locked client (tests/realtime/package-lock.json) the first time, or when the
lock changes. Node is required under CI (CI=true); elsewhere the test is skipped without it.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from chinwag import bootstrap
from tests.conftest import ENGINES, Account, Running, serving
from tests.test_twilio_node import _tool

NODE_DIR = Path(__file__).resolve().parent / "realtime"
STAMP = NODE_DIR / "node_modules" / ".chinwag-installed"
LOCK = Path(tempfile.gettempdir()) / f"chinwag-npm-{zlib.crc32(str(NODE_DIR).encode()):08x}.lock"


def npm_ci() -> None:
    """Once per lock file, one process at a time (as tests/test_twilio_node.py does)."""
    npm = _tool("npm")
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock_file = NODE_DIR / "package-lock.json"
        if STAMP.exists() and STAMP.stat().st_mtime >= lock_file.stat().st_mtime:
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        STAMP.touch()


@pytest.fixture(scope="module", params=ENGINES)
def realtime_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp(f"realtime-{request.param}")
    with serving(request.param, tmp, extra_args=["--webhook-allow", "127.0.0.0/8"]) as server:
        yield server


def _suite(running: Running, account: Account, *files: str) -> str:
    node = _tool("node")
    npm_ci()
    env = {
        **os.environ,
        "CHINWAG_URL": running.url,
        "CHINWAG_ACCOUNT_SID": account.sid,
        "CHINWAG_AUTH_TOKEN": account.token,
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", "--test-concurrency=1", *files],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = done.stdout + done.stderr
    print(report)  # shown by pytest -rP
    assert done.returncode == 0, f"realtime suite failed on {running.engine}:\n{report}"
    counts = dict(re.findall(r"^\S+ (pass|fail|cancelled) (\d+)$", report, re.MULTILINE))
    assert counts.get("fail") == "0" and counts.get("cancelled") == "0" and int(counts.get("pass", 0)) > 0, report
    return report


def test_realtime_client_suite(realtime_server: Running) -> None:
    sid, token = bootstrap.create_account(realtime_server.database_url)
    _suite(realtime_server, Account(sid, token), "realtime.test.mjs")
