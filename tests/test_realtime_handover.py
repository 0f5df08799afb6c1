"""The hub is handed what its own process commits on SQLite (realtime/hub.py, docs/decisions.md
#164): it pushes those events without reading the log, and reads it only when another process
wrote in between, so every event still reaches a subscriber once, in id order."""

from __future__ import annotations

import asyncio
import sqlite3
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


async def _post(db: SqliteDatabase, *indexes: int) -> None:
    async with db.write() as tx:
        events = [NewEvent("AC1", "CH1.msgs", "list", "list_item_added", None, n, {"n": n}) for n in indexes]
        await repo.insert(tx, events, "d")


def _post_from_another_process(path: str, n: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, item_index, data,"
            " date_created) VALUES ('AC1', 'CH1.msgs', 'list', 'list_item_added', ?, '{}', 'd')",
            (n,),
        )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = tmp_path / "handover.db"
    migrate.upgrade(f"sqlite:///{path}")
    return str(path)


def _run(db_path: str, scenario: Any) -> list[tuple[int, int]]:
    """`scenario(db, hub)` with a hub that is handed this process's commits but whose drains the
    test makes (its own loop would drain on every hand-over and hide what one drain does)."""

    async def main() -> list[tuple[int, int]]:
        db = SqliteDatabase(db_path)
        await db.start()
        hub = Hub(db, poll=60)
        hub._tail = await log.Tail.start(db)
        log.on_commit(hub._committed)
        socket = RecordingSocket()
        hub.subscribe(socket, "CH1.msgs")  # type: ignore[arg-type]
        try:
            await scenario(db, hub)
            return socket.pushed
        finally:
            log.off_commit(hub._committed)
            await db.close()

    return asyncio.run(main())


def test_what_this_process_commits_is_pushed_without_reading_the_log(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = counting_reads(monkeypatch)

    async def scenario(db: SqliteDatabase, hub: Hub) -> None:
        await _post(db, 0, 1)
        await _post(db, 2)
        await hub.drain()
        await _post(db, 3)
        await hub.drain()

    assert _run(db_path, scenario) == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert reads == []


def test_another_process_writing_in_between_makes_the_hub_read_and_nothing_comes_twice(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = counting_reads(monkeypatch)

    async def scenario(db: SqliteDatabase, hub: Hub) -> None:
        await _post(db, 0)
        await hub.drain()
        _post_from_another_process(db_path, 1)  # id 2: not handed over
        await _post(db, 2)  # id 3: handed over, but after a hole
        await hub.drain()
        await hub.drain()  # a poll: nothing new
        await _post(db, 3)  # id 4 follows the cursor again
        await hub.drain()

    assert _run(db_path, scenario) == [(1, 0), (2, 1), (3, 2), (4, 3)]
    assert reads == [1, 3]  # after the hole, and the poll


def test_a_poll_that_read_the_events_first_does_not_push_them_again(db_path: str) -> None:
    async def scenario(db: SqliteDatabase, hub: Hub) -> None:
        await _post(db, 0)
        handed, hub._handed = hub._handed, []  # the hand-over not yet seen when a poll reads
        await hub.drain()
        hub._handed = handed + hub._handed
        await hub.drain()
        await _post(db, 1)
        await hub.drain()

    assert _run(db_path, scenario) == [(1, 0), (2, 1)]
