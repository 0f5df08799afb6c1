"""The background task in every server process that carries out conversation timers.

Deadlines live in the database (conversations.date_inactive / date_closed), so a restart loses
none: the first sweep after start applies whatever fell due while the server was down. Several
processes (on one host or many) may sweep at once; on SQLite the writer lock serialises them, on
PostgreSQL each sweep claims due rows with `FOR UPDATE SKIP LOCKED` and re-reads them under the
lock, so each transition happens once, in one process (docs/decisions.md #159).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from chinwag.core import tasks
from chinwag.core.clock import ShiftedClock
from chinwag.core.tasks import woken_or_after
from chinwag.domain import timers
from chinwag.domain.deps import Deps
from chinwag.events import API, Events, payloads
from chinwag.storage.db import Database
from chinwag.storage.faults import classify, monitor
from chinwag.storage.repos import emulator as emulator_repo

log = logging.getLogger("chinwag.timers")


class TimerTask:
    def __init__(
        self,
        db: Database,
        deps: Deps,
        interval: float,
        events: Events | None = None,
        *,
        per_account_clocks: bool = False,
    ) -> None:
        self._db = db
        self._events = events
        self._deps = deps
        self._interval = interval
        # Emulator mode: accounts may run on their own clocks (emulator/clock.py).
        self._per_account_clocks = per_account_clocks
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chinwag-timers")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        self._task = None

    def wake(self) -> None:
        """Sweep now (the clock was moved)."""
        self._wake.set()

    async def sweep(self) -> int:
        if self._per_account_clocks:
            return await self._sweep_by_account()
        return await self._sweep(self._deps)

    async def _sweep(
        self, deps: Deps, *, account_sid: str | None = None, skip_clocked: bool = False, wait: bool = False
    ) -> int:
        """One transaction of due transitions, each with its onConversationStateUpdated event
        (Source=API, Reason=TIMER), written with the move itself (docs/decisions.md #70)."""
        async with self._db.write() as tx:
            moved = await timers.due(tx, deps, account_sid=account_sid, skip_clocked=skip_clocked, wait=wait)
            if self._events is not None:
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

    async def _sweep_by_account(self) -> int:
        """Each account whose clock was moved, by its own clock; then everyone else by the server's."""
        async with self._db.read() as tx:
            clocks = await emulator_repo.clock_offsets(tx)
        moved = 0
        for account_sid, offset in clocks:
            moved += await self.sweep_account(account_sid, offset)
        moved += await self._sweep(self._deps, skip_clocked=True)
        return moved

    async def sweep_account(self, account_sid: str, offset: float, *, wait: bool = False) -> int:
        """Every due transition of one account, by its clock (the server's plus `offset`). `wait`:
        conversations another sweeper holds are waited for (POST Clock answers when all moved)."""
        deps = replace(self._deps, clock=ShiftedClock(self._deps.clock, offset))
        moved = 0
        while True:
            step = await self._sweep(deps, account_sid=account_sid, wait=wait)
            moved += step
            if step == 0:
                return moved

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
            await woken_or_after(self._wake, self._interval)
            self._wake.clear()
