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
from chinwag.events import API, Events, payloads
from chinwag.storage.db import Database
from chinwag.storage.faults import classify, monitor

log = logging.getLogger("chinwag.timers")


class TimerTask:
    def __init__(self, db: Database, deps: Deps, interval: float, events: Events | None = None) -> None:
        self._db = db
        self._events = events
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
            moved = await timers.due(tx, self._deps)
            if self._events is not None:
                # Timer moves fire onConversationStateUpdated (Source=API, Reason=TIMER), written
                # with the move itself (docs/decisions.md #70).
                for conv, state_from in moved:
                    await self._events.emit(
                        tx,
                        API,
                        "onConversationStateUpdated",
                        payloads.state_updated(conv, state_from, "TIMER"),
                        account_sid=conv.account_sid,
                        service_sid=conv.chat_service_sid,
                        conversation_sid=conv.sid,
                    )
            return len(moved)

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
