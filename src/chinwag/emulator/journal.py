"""The request journal: each account's last 1,000 API requests (docs/decisions.md #83).

Recorded only in emulator mode, and off the request path: `record` appends to a list in memory
and a task writes the batch shortly after (one transaction for many requests). Reading the journal
first writes what is pending in this process. Credentials are never recorded: the Authorization
header is not looked at, and no API parameter carries a token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from chinwag.storage.db import Database
from chinwag.storage.repos import emulator as repo

log = logging.getLogger("chinwag.emulator")

FLUSH_DELAY = 0.05  # seconds a request waits in memory before its batch is written


def params_json(pairs: list[tuple[str, str]]) -> str:
    """Parameters as an object; a repeated name (`Permission`) becomes a list of its values."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            held = out[key]
            out[key] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            out[key] = value
    return orjson.dumps(out).decode()


class Journal:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[Any, ...]] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(self, entry: tuple[Any, ...]) -> None:
        self._pending.append(entry)
        if self._task is None:
            self._task = asyncio.create_task(self._flush_soon(), name="chinwag-journal")

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(FLUSH_DELAY)
            await self.flush()
        except Exception:
            log.exception("writing the request journal failed; %d entries dropped", len(self._pending))
            self._pending.clear()
        finally:
            self._task = None

    async def flush(self) -> None:
        async with self._lock:
            while self._pending:
                batch, self._pending = self._pending, []
                async with self._db.write() as tx:
                    await repo.append_requests(tx, batch)

    async def close(self) -> None:
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.flush()


async def read_requests(
    db: Database,
    journal: Journal | None,
    account_sid: str,
    *,
    before: int | None,
    size: int,
    method: str | None,
    status: int | None,
    path: str | None,
) -> list[dict[str, Any]]:
    """A page of the account's journal, newest first, one row more than `size` when a next page
    exists. What this process still holds in memory (`journal`, when it keeps one) is written first,
    so it is shown too."""
    if journal is not None:
        await journal.flush()
    async with db.read() as tx:
        return await repo.requests_page(
            tx, account_sid, before=before, size=size, method=method, status=status, path=path
        )
