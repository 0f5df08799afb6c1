"""The realtime event log's SQL (migration 0013; what is written where: docs/ARCHITECTURE.md, "The
event log and the Sync projection").

Writers add a change's events with ONE statement (`insert`, a multi-row INSERT), inside the
change's own transaction, after the statement that locked the changed row: the lock is what keeps
one object's event ids in commit order on PostgreSQL (see `realtime/log.py`). The same statement
wakes the readers after commit: on PostgreSQL its RETURNING calls `pg_notify` (PostgreSQL folds
the repeats into one notification per transaction, sent at COMMIT); on SQLite its RETURNING gives
the new ids, and the write transaction's group-commit batch hands the events, ids and all, to this
process's receivers (`listen`) once it has committed.
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


# An event this process committed, as its writer knew it: (id, the event, date_created).
Committed = tuple[int, NewEvent, str]

# In-process receivers (SQLite): given every batch's events once it has committed, in id order.
_receivers: list[Callable[[list[Committed]], None]] = []


def listen(receiver: Callable[[list[Committed]], None]) -> None:
    _receivers.append(receiver)


def unlisten(receiver: Callable[[list[Committed]], None]) -> None:
    if receiver in _receivers:
        _receivers.remove(receiver)


def _committed(handed: list[list[Committed]]) -> None:
    """A batch's events, one list per `insert` of its requests, in the order they ran."""
    events = [c for change in handed for c in change]
    for receiver in list(_receivers):
        receiver(events)


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
    hand_over: Callable[..., None] | None = getattr(tx, "hand_over", None)
    if hand_over is None or not _receivers:  # a bare connection (tests, tools), or nobody to tell
        await tx.run(sql, *args)
        return
    # The ids, so that this process's realtime hub is handed the events after COMMIT instead of
    # reading them back (docs/decisions.md #164). One statement's rows get increasing ids.
    ids = sorted(row[0] for row in await tx.values(sql + " RETURNING id", *args))
    hand_over(_committed, [(i, e, date) for i, e in zip(ids, events, strict=True)])


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
