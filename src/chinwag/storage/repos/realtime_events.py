"""The realtime event log's SQL (migration 0013; what is written where: docs/ARCHITECTURE.md, "The
event log and the Sync projection").

Writers add a change's events with ONE statement (`insert`, a multi-row INSERT), inside the
change's own transaction, after the statement that locked the changed row: the lock is what keeps
one object's event ids in commit order on PostgreSQL (see `realtime/log.py`). The same statement
wakes the readers after commit: on PostgreSQL its RETURNING calls `pg_notify` (PostgreSQL folds
the repeats into one notification per transaction, sent at COMMIT); on SQLite the write
transaction's group-commit batch runs `wake` once it has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from chinwag.storage.db import Row, Tx

NOTIFY_CHANNEL = "chinwag_realtime"
COLUMNS = "id, account_sid, object_sid, object_type, event_type, item_key, item_index, data, date_created"
_INSERT = (
    "INSERT INTO realtime_events (account_sid, object_sid, object_type, event_type, item_key, item_index, data,"
    " date_created) VALUES "
)
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)"
_NOTIFY = f" RETURNING pg_notify('{NOTIFY_CHANNEL}', '')"


@dataclass(frozen=True, slots=True)
class NewEvent:
    account_sid: str
    object_sid: str
    object_type: str  # map | list | document
    event_type: str
    item_key: str | None
    item_index: int | None
    data: Any  # JSON-able: item data, the whole document, or None (removals)


# In-process listeners (SQLite): called after a batch holding events has committed.
_listeners: list[Callable[[], None]] = []


def listen(callback: Callable[[], None]) -> None:
    _listeners.append(callback)


def unlisten(callback: Callable[[], None]) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def wake() -> None:
    for callback in list(_listeners):
        callback()


async def insert(tx: Tx, events: Sequence[NewEvent], date: str) -> None:
    """All of one change's events in one statement, in the order given (their ids increase so)."""
    if not events:
        return
    args: list[Any] = []
    for e in events:
        data = None if e.data is None else orjson.dumps(e.data).decode()
        args += (e.account_sid, e.object_sid, e.object_type, e.event_type, e.item_key, e.item_index, data, date)
    sql = _INSERT + ", ".join(_ROW for _ in events)
    if tx.engine == "postgresql":
        await tx.run(sql + _NOTIFY, *args)
        return
    await tx.run(sql, *args)
    on_commit: Callable[[Callable[[], None]], None] | None = getattr(tx, "on_commit", None)
    if on_commit is not None:  # None: a bare connection (tests, tools) with nobody to wake
        on_commit(wake)


async def after(tx: Tx, after_id: int, limit: int) -> list[Row]:
    return await tx.values(f"SELECT {COLUMNS} FROM realtime_events WHERE id > ? ORDER BY id LIMIT ?", after_id, limit)


async def of_object(tx: Tx, account_sid: str, object_sid: str, after_id: int, limit: int) -> list[Row]:
    return await tx.values(
        f"SELECT {COLUMNS} FROM realtime_events WHERE object_sid = ? AND id > ? AND account_sid = ? ORDER BY id"
        " LIMIT ?",
        object_sid,
        after_id,
        account_sid,
        limit,
    )


async def newest_id(tx: Tx) -> int:
    row = await tx.values("SELECT MAX(id) FROM realtime_events")
    return int(row[0][0] or 0)


async def newest_of(tx: Tx, account_sid: str, object_sid: str) -> int:
    """The object's newest event id, 0 without events (one index probe: `(object_sid, id)`)."""
    row = await tx.values(
        "SELECT MAX(id) FROM realtime_events WHERE object_sid = ? AND account_sid = ?", object_sid, account_sid
    )
    return int(row[0][0] or 0)
