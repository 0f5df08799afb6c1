"""The background task in every server process that carries out conversation timers.

Deadlines live in the database (conversations.date_inactive / date_closed), so a restart loses
none: the first sweep after start applies whatever fell due while the server was down. Several
processes may sweep at once; on SQLite the writer lock serialises them, on PostgreSQL the due rows
are re-read under row locks, so each transition happens once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from chinwag.domain import timers
from chinwag.domain.deps import Deps
from chinwag.storage.db import Database
from chinwag.storage.faults import classify, monitor

log = logging.getLogger("chinwag.timers")


class TimerTask:
    def __init__(self, db: Database, deps: Deps, interval: float) -> None:
        self._db = db
        self._deps = deps
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chinwag-timers")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Sweep now (the clock was moved)."""
        self._wake.set()

    async def sweep(self) -> int:
        async with self._db.write() as tx:
            return await timers.due(tx, self._deps)

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:
                fault = classify(exc)
                if fault is None:
                    log.exception("timer sweep failed; retrying")
                else:  # the database cannot write now: said once per interval, not every second
                    monitor.record(fault)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
