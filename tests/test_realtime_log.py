"""The realtime log's readers (realtime/log.py): timers and Reset on a running emulator, the
in-process wake-up after a SQLite batch commits, and the tail's handling of ids that become
visible out of order (PostgreSQL draws an id at INSERT, not at COMMIT)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from chinwag.realtime import log
from chinwag.storage import migrate
from chinwag.storage.db import Database, SqliteDatabase
from chinwag.storage.dialect import postgres_target, to_postgres
from chinwag.storage.repos import realtime_events as repo
from chinwag.storage.repos.realtime_events import NewEvent
from tests.conftest import Running
from tests.support.emulated import emulated
from tests.support.realtime_log import events, newest, on_database

CLOCK = "/_chinwag/v1/Clock"


def test_timers_update_the_document(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    conv = e.twilio.conversations.create(state="active", timers_inactive="PT1M", timers_closed="PT10M")
    mark = newest(emulator_running.database_url)
    e.http.post(CLOCK, data={"Advance": "61"})  # answered once the account's timers have run
    doc = events(emulator_running.database_url, e.account.sid, f"{conv.sid}.doc", mark)
    assert [d.data["state"]["current"] for d in doc] == ["inactive"]
    e.http.post(CLOCK, data={"Advance": "601"})
    doc = events(emulator_running.database_url, e.account.sid, f"{conv.sid}.doc", mark)
    assert [d.data["state"]["current"] for d in doc] == ["inactive", "closed"]


def test_reset_deletes_the_accounts_events_only(emulator_running: Running) -> None:
    e, other = emulated(emulator_running.url), emulated(emulator_running.url)
    mine = e.twilio.conversations.create()
    mine.messages.create(body="gone soon")
    theirs = other.twilio.conversations.create()
    theirs.messages.create(body="stays")
    assert e.http.post("/_chinwag/v1/Reset").status_code in (200, 204)
    assert events(emulator_running.database_url, e.account.sid, f"{mine.sid}.msgs") == []
    assert len(events(emulator_running.database_url, other.account.sid, f"{theirs.sid}.msgs")) == 1


def _event(n: int) -> NewEvent:
    return NewEvent("AC1", f"CH{n}.msgs", "list", "list_item_added", None, n, {"n": n})


def test_sqlite_hands_the_batch_events_over_after_it_commits(tmp_path: Path) -> None:
    path = tmp_path / "wake.db"
    migrate.upgrade(f"sqlite:///{path}")

    async def run() -> list[list[log.SyncEvent]]:
        db = SqliteDatabase(str(path))
        await db.start()
        seen: list[list[log.SyncEvent]] = []

        def woken(events: list[log.SyncEvent]) -> None:
            seen.append(events)

        log.on_commit(woken)
        try:
            async with db.write() as tx:
                await repo.insert(tx, [_event(1), _event(2)], "2026-01-01T00:00:00Z")
                assert seen == []  # not before COMMIT
            await asyncio.sleep(0)
            async with db.write() as tx:  # a write without events wakes nobody
                await tx.run("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)")
            await asyncio.sleep(0)
            got = await log.after(db, 0, 10)
            assert [(e.id, e.item_index, e.data) for e in got] == [(1, 1, {"n": 1}), (2, 2, {"n": 2})]
            assert seen == [got]  # handed over as written: the same events the log holds
            assert got[0].notification() == {
                "event_type": "list_item_added",
                "event": {
                    "id": 1,
                    "date_created": "2026-01-01T00:00:00Z",
                    "list_sid": "CH1.msgs",
                    "item_index": 1,
                    "item_data": {"n": 1},
                    "item_revision": "1",
                },
            }
            removed = log.SyncEvent(9, "AC1", "US1.convs", "map", "map_item_removed", "CH1", None, None, "d")
            assert removed.notification() == {
                "event_type": "map_item_removed",
                "event": {"id": 9, "date_created": "d", "map_sid": "US1.convs", "item_key": "CH1"},
            }
        finally:
            log.off_commit(woken)
            await db.close()
        return seen

    assert len(asyncio.run(run())) == 1  # one batch with events: one hand-over


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_tail_waits_for_an_id_committed_late_on_postgresql(empty_database: str) -> None:
    """Transaction A draws an id and commits after B, which drew the next one: the tail hands out
    B's event at once, A's when it commits, and neither twice."""
    if not empty_database.startswith("postgresql"):
        pytest.skip("SQLite commits whole batches in id order")
    migrate.upgrade(empty_database)
    dsn, settings = postgres_target(empty_database)
    insert = to_postgres(
        "INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, item_index, data,"
        " date_created) VALUES ('AC1', ?, 'list', 'list_item_added', 0, '{}', 'd') RETURNING id"
    )

    async def run(db: Database) -> None:
        clock = _Clock()
        tail = log.Tail(await log.newest_id(db), gap_wait=5.0, clock=clock)
        a = await asyncpg.connect(dsn, server_settings=settings)
        b = await asyncpg.connect(dsn, server_settings=settings)
        try:
            ta = a.transaction()
            await ta.start()
            id_a = await a.fetchval(insert, "CHa.msgs")
            async with b.transaction():
                id_b = await b.fetchval(insert, "CHb.msgs")
            assert id_b > id_a
            assert [e.id for e in await tail.read(db)] == [id_b]
            assert tail.cursor < id_a
            clock.now = 1.0
            assert await tail.read(db) == []  # B's not again; A still open
            await ta.commit()
            assert [e.id for e in await tail.read(db)] == [id_a]
            assert tail.cursor == id_b

            # A hole that never fills (a rolled-back transaction) is given up after gap_wait.
            tc = a.transaction()
            await tc.start()
            await a.fetchval(insert, "CHc.msgs")
            await tc.rollback()
            async with b.transaction():
                id_d = await b.fetchval(insert, "CHd.msgs")
            assert [e.id for e in await tail.read(db)] == [id_d]
            assert tail.cursor == id_b
            clock.now = 7.0
            assert await tail.read(db) == []
            assert tail.cursor == id_d
        finally:
            await a.close()
            await b.close()

    on_database(empty_database, run)


def test_a_simulated_sms_reaches_the_log(emulator_running: Running) -> None:
    e = emulated(emulator_running.url)
    conv = e.twilio.conversations.create()
    phone = conv.participants.create(messaging_binding_address="+15550007777", messaging_binding_proxy_address="+1555")
    agent = conv.participants.create(identity="agent")
    roster = events(emulator_running.database_url, e.account.sid, f"{conv.sid}.roster")
    assert [(r.item_key, r.data["type"], r.data["identity"]) for r in roster] == [
        (phone.sid, "sms", None),
        (agent.sid, "chat", "agent"),
    ]
    assert "userInfo" not in roster[0].data  # no user behind a phone
    sent = e.http.post("/_chinwag/v1/Inbound", data={"From": "+15550007777", "To": "+1555", "Body": "from a phone"})
    assert sent.status_code == 201, sent.text
    msgs = events(emulator_running.database_url, e.account.sid, f"{conv.sid}.msgs")
    assert [(m.event_type, m.data["text"], m.data["memberSid"]) for m in msgs] == [
        ("list_item_added", "from a phone", phone.sid)
    ]
