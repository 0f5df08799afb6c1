"""Reading a running server's realtime event log and Sync projection from the test process, through
chinwag's own readers (realtime/log.py, realtime/sync_reads.py) on the server's database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chinwag.realtime import log, sync_reads
from chinwag.storage.db import Database, open_database

T = TypeVar("T")


@dataclass(frozen=True)
class Grant:
    """The parts of a verified access token a Sync read needs."""

    account_sid: str
    identity: str
    service_sid: str


def on_database(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = open_database(url)
        await db.start()
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def events(url: str, account_sid: str, object_sid: str, after: int = 0) -> list[log.SyncEvent]:
    return on_database(url, lambda db: log.replay(db, account_sid, object_sid, after))


def newest(url: str) -> int:
    return on_database(url, log.newest_id)


def read_object(url: str, grant: Grant, object_sid: str, include_items: bool = False) -> dict[str, Any]:
    return on_database(url, lambda db: sync_reads.read_object(db, grant, object_sid, include_items=include_items))


def read_items(url: str, grant: Grant, object_sid: str, **query: str) -> dict[str, Any]:
    return on_database(url, lambda db: sync_reads.read_items(db, grant, object_sid, query))
