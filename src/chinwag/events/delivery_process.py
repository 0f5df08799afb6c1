"""Webhook delivery in a process of its own, beside `chinwag serve`'s workers.

Why: delivering is CPU work (an HTTP exchange, the outcome written back) of about the size of
serving a request. Run inside a worker, it shared that worker's event loop with the requests, and
posting with a hook configured ran at under half the rate without one (bench/webhooks.py). In its
own process the request path keeps only the outbox insert; the delivery work runs on whatever
core is free (docs/decisions.md #118).

How it is wired:
- `chinwag serve` calls `Supervisor.start()` before the workers start (and `stop()` when they
  are done). The supervisor runs `python -m chinwag.events.delivery_process` with the same
  environment (so the same settings) and starts it again if it dies. The child is told by the
  kernel to stop if `chinwag serve` itself dies (PR_SET_PDEATHSIG), so a killed server leaves
  nothing behind; its lanes' leases expire and the next dispatcher takes them over.
- The serve command sets `CHINWAG_WEBHOOK_DISPATCH=process` for its workers: they start no
  dispatcher and, on SQLite, wake this one after a commit that wrote deliveries through a Unix
  datagram socket (wake.py). On PostgreSQL the transaction's NOTIFY wakes it, as it did before.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from chinwag import logs
from chinwag.config import load_settings
from chinwag.core import tasks
from chinwag.events import wake
from chinwag.storage import faults

if TYPE_CHECKING:
    from chinwag.storage.db import Database

log = logging.getLogger("chinwag.webhooks")

PROCESS = "process"  # CHINWAG_WEBHOOK_DISPATCH value `chinwag serve` gives its workers
_PR_SET_PDEATHSIG = 1
# Seconds between this process's write transactions on SQLite. Each one takes the file's write
# lock (and an fsync) away from the workers' group commits, which wait for it with their event
# loop blocked; at most ~40 a second keeps that to a few per cent (bench/webhooks.py), for a few
# tens of milliseconds more latency.
SQLITE_COALESCE = 0.1
SHUTDOWN_GRACE = 5.0  # seconds the process may take to stop before it exits regardless
START_RETRY = 1.0  # seconds between tries to reach a database that refused the process's connections
# The process's niceness (docs/decisions.md #160). Delivering is background work: when every core
# is busy the kernel gives the workers' requests about ten times its share of CPU, the outbox holds
# what could not go out yet, and it drains as soon as a core is idle. At equal priority a busy
# delivery process took its share straight from posting (bench/webhooks.py).
NICENESS = 10


def _die_with(parent: int) -> Callable[[], None]:
    def arm() -> None:  # runs in the child between fork and exec
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the server died before the signal was armed
            os._exit(0)

    return arm


class Supervisor:
    """Keeps one delivery process running while `chinwag serve` runs."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="chinwag-delivery-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        env = os.environ | {"CHINWAG_WEBHOOK_DISPATCH": "1"}
        cmd = [sys.executable, "-m", "chinwag.events.delivery_process"]
        self._child = subprocess.Popen(cmd, env=env, preexec_fn=_die_with(os.getpid()))

    def _watch(self) -> None:
        while not self._stopping.is_set():
            child = self._child
            assert child is not None
            code = child.wait()
            if self._stopping.is_set():
                return
            log.warning("the webhook delivery process exited (%s); starting it again in 1 s", code)
            if self._stopping.wait(1.0):
                return
            self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def start_beside_workers() -> Supervisor | None:
    """Webhooks are delivered by a process of their own beside the workers (events/
    delivery_process.py), unless CHINWAG_WEBHOOK_DISPATCH=0 says another server delivers."""
    if os.environ.get("CHINWAG_WEBHOOK_DISPATCH", "1").lower() in ("0", "false", "no"):
        return None
    supervisor = Supervisor()
    supervisor.start()
    os.environ["CHINWAG_WEBHOOK_DISPATCH"] = PROCESS  # the workers only wake it
    return supervisor


async def _start_when_reachable(db: Database, stop: asyncio.Event) -> bool:
    """Open the database's connections, trying again every START_RETRY seconds while it refuses
    them (PostgreSQL down or at max_connections): the outbox keeps what waits meanwhile, and the
    fault is reported once per interval like any other, not as a traceback and a restart a second
    (docs/decisions.md #165).
    False: told to stop before it could start."""
    while not stop.is_set():
        try:
            await db.start()
            return True
        except Exception as exc:
            fault = faults.classify(exc)
            if fault is None:
                raise  # not the database's condition: a bug, reported in full
            faults.monitor.record(fault)
        await tasks.woken_or_after(stop, START_RETRY)
    return False


async def _serve() -> None:
    from chinwag.core.clock import OffsetClock
    from chinwag.core.sids import SidFactory
    from chinwag.domain.deps import Deps
    from chinwag.events import Events
    from chinwag.events.dispatcher import COALESCE
    from chinwag.storage.db import SqliteDatabase, open_database

    settings = load_settings()
    db = open_database(settings.database_url, settings.listen_database_url)
    if isinstance(db, SqliteDatabase):
        # Its commits wait for no fsync: each one holds the file's write lock, which the workers'
        # group commits wait for, and what it writes (outcomes, leases) may be lost to a power cut
        # at the price of a delivery sent twice (docs/decisions.md #160).
        db.synchronous = "NORMAL"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not await _start_when_reachable(db, stop):
        return
    deps = Deps(OffsetClock(settings.clock_offset), SidFactory(None))
    coalesce = SQLITE_COALESCE if isinstance(db, SqliteDatabase) else COALESCE
    events = Events.for_settings(db, deps, settings, coalesce=coalesce)
    listener = wake.listen(wake.path_for(os.getppid()), events.dispatcher.wake)
    events.start()
    try:
        await stop.wait()
    finally:
        # Told to stop (by `chinwag serve`, or by the kernel when it died): record what was sent,
        # but never outlive it waiting for a database that went away; leases cover the rest.
        deadline = threading.Timer(SHUTDOWN_GRACE, os._exit, (0,))
        deadline.daemon = True  # a clean stop exits at once
        deadline.start()
        listener.close()
        await events.stop()
        await db.close()


def main() -> None:
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    logs.configure(load_settings().log_level)
    # Its faults are its own (it shares the workers' log): say whose, and that it retries.
    faults.monitor.where = "the webhook delivery process"
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
