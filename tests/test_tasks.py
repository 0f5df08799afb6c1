"""core/tasks.py: the pause between a background loop's rounds ends at once when the loop's task
is cancelled, even if it was woken in the same instant (Python 3.11's wait_for lost that
cancellation, and `stop()` then waited out a whole pause)."""

from __future__ import annotations

import asyncio

from chinwag.core.tasks import woken_or_after


def test_a_pause_cancelled_as_it_is_woken_ends_the_loop() -> None:
    async def run() -> tuple[bool, int]:
        wake = asyncio.Event()
        rounds = 0

        async def background() -> None:
            nonlocal rounds
            while True:
                rounds += 1
                wake.clear()
                await woken_or_after(wake, 60)

        task = asyncio.create_task(background())
        await asyncio.sleep(0)  # in its pause
        wake.set()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        return bool(done), rounds

    assert asyncio.run(run()) == (True, 1)


def test_a_pause_ends_when_woken_or_when_its_time_is_up() -> None:
    async def run() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        started = loop.time()
        await woken_or_after(wake, 0.05)
        timed_out = loop.time() - started
        loop.call_later(0.01, wake.set)
        started = loop.time()
        await woken_or_after(wake, 60)
        return timed_out, loop.time() - started

    timed_out, woken = asyncio.run(run())
    assert 0.05 <= timed_out < 1 and woken < 1
