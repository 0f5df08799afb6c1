"""Node for the tests that drive npm packages (tests/node/, tests/realtime/): finding the tools,
and `npm ci` of a folder's locked packages, once per lock file and one process at a time
(pytest-xdist workers share the tree)."""

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


def tool(name: str) -> str:
    """`node` or `npm`: required under CI (CI=true); elsewhere the test is skipped without it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (Node 18+)")
        pytest.skip(f"{name} is not installed")
    return path


def npm_ci(node_dir: Path) -> None:
    """Install `node_dir`'s locked packages the first time, or when its lock file changes."""
    npm = tool("npm")
    stamp = node_dir / "node_modules" / ".chinwag-installed"
    # Outside the tree (npm ci empties node_modules), one per folder and checkout.
    lock_path = Path(tempfile.gettempdir()) / f"chinwag-npm-{zlib.crc32(str(node_dir).encode()):08x}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock_file = node_dir / "package-lock.json"
        if stamp.exists() and stamp.stat().st_mtime >= lock_file.stat().st_mtime:
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=node_dir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        stamp.touch()


def run_suite(
    node_dir: Path,
    url: str,
    engine: str,
    account: tuple[str, str],
    *files: str,
    serial: bool = False,
    timeout: int = 300,
) -> str:
    """`node --test` on `files` in `node_dir` (its locked packages installed first) against the
    server at `url` as `account` (sid, token); fails the test unless every node test passed.
    `serial`: one file at a time (suites that share an account's settings). The report."""
    node = tool("node")
    npm_ci(node_dir)
    sid, token = account
    env = {**os.environ, "CHINWAG_URL": url, "CHINWAG_ACCOUNT_SID": sid, "CHINWAG_AUTH_TOKEN": token, "NO_COLOR": "1"}
    flags = ["--test-concurrency=1"] if serial else []
    done = subprocess.run(
        [node, "--test", "--test-reporter=spec", *flags, *files],
        cwd=node_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    report = done.stdout + done.stderr
    print(report)  # shown by pytest -rP
    assert done.returncode == 0, f"{node_dir.name} suite failed on {engine}:\n{report}"
    counts = dict(re.findall(r"^\S+ (pass|fail|cancelled) (\d+)$", report, re.MULTILINE))
    assert counts.get("fail") == "0" and counts.get("cancelled") == "0" and int(counts.get("pass", 0)) > 0, report
    return report
