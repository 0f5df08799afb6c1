"""The official `twilio` npm package against the running server (tests/node/, `node --test`).

`npm ci` installs the locked package (tests/node/package-lock.json) the first time, or when the
lock changes. Node is required under CI (CI=true); elsewhere the test is skipped without it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import Account, Running

NODE_DIR = Path(__file__).resolve().parent / "node"
STAMP = NODE_DIR / "node_modules" / ".chinwag-installed"
# Outside the tree (npm ci empties node_modules), one per checkout.
LOCK = Path(tempfile.gettempdir()) / f"chinwag-npm-{zlib.crc32(str(NODE_DIR).encode()):08x}.lock"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (Node 18+)")
        pytest.skip(f"{name} is not installed")
    return path


def _npm_ci() -> None:
    """Once per lock file, and only one process at a time (pytest-xdist workers share the tree)."""
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


def test_twilio_node_suite(running: Running, account: Account) -> None:
    node = _tool("node")
    _npm_ci()
    env = {
        **os.environ,
        "CHINWAG_URL": running.url,
        "CHINWAG_ACCOUNT_SID": account.sid,
        "CHINWAG_AUTH_TOKEN": account.token,
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", "chinwag.test.mjs"],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    print(report)  # shown by pytest -rP
    assert done.returncode == 0, f"twilio-node suite failed on {running.engine}:\n{report}"
    counts = dict(re.findall(r"^\S+ (pass|fail|cancelled) (\d+)$", report, re.MULTILINE))
    assert counts.get("fail") == "0" and counts.get("cancelled") == "0" and int(counts.get("pass", 0)) > 0, report
