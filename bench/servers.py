"""The servers a benchmark drives: `chinwag serve` as a user starts it, and the bare ASGI app.

Each runs in its own process group until its block ends, pinned (taskset) to the server CPU when
the run pins; it is ready once its health URL answers 200.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bench import datagen

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LOG_DIR = BENCH_DIR / "results" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpus() -> tuple[str | None, str | None]:
    """(the server's CPU, everyone else's) for the drivers that pin by hand (bench/webhooks.py,
    bench/realtime.py): the server on the last core, load generators, receivers and clients on the
    others, as bench/run pins (bench/README.md "Choices"); (None, None) on one core."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, None
    return str(cores[-1]), ",".join(str(c) for c in cores[:-1])


def children(pid: int) -> list[int]:
    """The processes `pid` started (e.g. `chinwag serve`'s workers and webhook delivery process)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def pinned(cmd: list[str], cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus, *cmd] if cpus else cmd


@contextmanager
def serving(
    cmd: list[str], env: dict[str, str], log: Path, health_url: str, timeout: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server (its own process group) until the block ends; ready once `health_url` is 200.
    Yields the process."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(health_url, timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{health_url} not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # granian's worker processes share the group: make sure none outlives its parent.
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@contextmanager
def chinwag_server(data: datagen.Dataset, cpus: str | None, name: str, workers: int = 1) -> Iterator[str]:
    """`chinwag serve` exactly as a user starts it (the CLI's own granian settings)."""
    env = python_env()
    env["CHINWAG_ACCOUNT_SID"] = data.account_sid
    env["CHINWAG_AUTH_TOKEN"] = data.auth_token
    port = free_port()
    cmd = [sys.executable, "-m", "chinwag", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--database", data.database_url]
    base = f"http://127.0.0.1:{port}"
    with serving(pinned(cmd, cpus), env, LOG_DIR / f"chinwag-{name}.log", base + "/health"):
        yield base


@contextmanager
def bare_server(
    body_file: Path, cpus: str | None, name: str, workers: int = 1, pg_url: str | None = None
) -> Iterator[str]:
    """The bare app; with `pg_url`, the one that also reads the path's user per request."""
    port = free_port()
    cmd = [sys.executable, "-m", "bench.bare", "--port", str(port), "--workers", str(workers), "--body", str(body_file)]
    if pg_url:
        cmd += ["--pg-url", pg_url]
    base = f"http://127.0.0.1:{port}"
    with serving(pinned(cmd, cpus), python_env(), LOG_DIR / f"bare-{name}.log", base):
        yield base
