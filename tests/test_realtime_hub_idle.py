"""The hub of a process where nobody subscribes (a REST-only server, or one whose chat clients are
on other workers) moves past the log's new events without reading them (realtime/hub.py); a
subscription, even one made while it does so, still hears every event that commits after it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from chinwag.realtime import log
from chinwag.realtime.hub import Hub
from chinwag.storage import migrate
from chinwag.storage.db import SqliteDatabase
from chinwag.storage.repos import realtime_events as repo
from chinwag.storage.repos.realtime_events import NewEvent
from tests.support.hub import RecordingSocket, counting_reads


async def _post(db: SqliteDatabase, n: int) -> None:
    async with db.write() as tx:
        await repo.insert(tx, [NewEvent("AC1", "CH1.msgs", "list", "list_item_added", None, n, {"n": n})], "d")


async def _hub(db: SqliteDatabase) -> Hub:
    """A hub whose tail is driven by the test alone: `start()` would also run its loop, which
    drains on every commit's wake-up and would hide what one `drain` does."""
    hub = Hub(db, poll=60)
    hub._tail = await log.Tail.start(db)
    return hub


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = tmp_path / "hub.db"
    migrate.upgrade(f"sqlite:///{path}")
    return str(path)


def test_an_idle_hub_skips_the_events_and_a_later_subscriber_hears_the_next(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = counting_reads(monkeypatch)

    async def run() -> list[int]:
        db = SqliteDatabase(db_path)
        await db.start()
        hub = await _hub(db)
        try:
            for n in (1, 2, 3):
                await _post(db, n)
                await hub.drain()
            assert read == []  # nobody subscribed: nothing was read
            socket = RecordingSocket()
            hub.subscribe(socket, "CH1.msgs")  # type: ignore[arg-type]
            await _post(db, 4)
            await hub.drain()
            return socket.indexes
        finally:
            await db.close()

    assert asyncio.run(run()) == [4]


def test_a_subscription_made_while_the_idle_hub_looks_hears_what_commits_meanwhile(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the hub guards against: it finds nobody subscribed and asks for the newest id; a
    client subscribes (its replay reading before the next event commits) and the event commits,
    all before that answer. Moving past the newest id would lose the event for that client."""

    async def run() -> list[int]:
        db = SqliteDatabase(db_path)
        await db.start()
        hub = await _hub(db)
        socket = RecordingSocket()
        real_newest = log.newest_id

        async def newest_while_a_client_subscribes(database: Any) -> int:
            hub.subscribe(socket, "CH1.msgs")  # type: ignore[arg-type]
            await _post(db, 7)
            return await real_newest(database)

        monkeypatch.setattr(log, "newest_id", newest_while_a_client_subscribes)
        try:
            await hub.drain()
            return socket.indexes
        finally:
            await db.close()

    assert asyncio.run(run()) == [7]
