"""Stopping the background tasks each server process runs (timers, credentials, presence)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def woken_or_after(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` have passed, whichever is first. A background loop's
    pause between rounds. Not `asyncio.wait_for(event.wait(), seconds)`: on Python 3.11, when the
    event is set just as the task is cancelled, wait_for returns normally and the cancellation is
    lost, so the loop ran one more round and `stop()` waited out a whole pause for it (the realtime
    hub's 60 s poll in tests/test_realtime_hub_idle.py)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
