"""Reading the realtime event log (migration 0013): the hub's tail, a subscription's replay, and
the in-process wake-up. Writers never come here: the domain writes its events through
`domain/sync_events.py` inside each change's own transaction.

Ordering, and why `Tail` exists. On SQLite one writer at a time commits whole batches, so ids
become visible in id order. On PostgreSQL an id is drawn at INSERT, not at COMMIT: a transaction
holding id 100 may commit after another one's 101 became visible. Every writer of one Sync object
holds that object's owning row lock (the conversation row for `CH…` objects, the participant's or
user's row for a user's items) from before its INSERT until COMMIT, so ONE object's ids are in
commit order, which is what the client's dedup (per item and per document, by id) needs. Across
objects they are not, so a reader that follows the whole log by "id > last seen" would skip id 100
for good. `Tail` keeps its cursor below such a hole until the hole fills or has stayed open
`gap_wait` seconds (a rolled-back transaction leaves a hole for ever), and never hands out an
event twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from chinwag.storage.db import Database, Row
from chinwag.storage.repos import realtime_events as repo

NOTIFY_CHANNEL = repo.NOTIFY_CHANNEL  # PostgreSQL: LISTEN here; one notification per committed change
POSTGRES_GAP_WAIT = 5.0  # seconds an id hole may stay open before the tail moves past it


@dataclass(frozen=True, slots=True)
class SyncEvent:
    id: int
    account_sid: str
    object_sid: str
    object_type: str  # map | list | document
    event_type: str  # map_item_added|updated|removed, list_item_*, document_updated, *_removed
    item_key: str | None  # maps
    item_index: int | None  # lists
    data: Any  # item data / whole document (parsed JSON), None for removals
    date_created: str

    def notification(self) -> dict[str, Any]:
        """The payload of a `twilio.sync.event` notification for this event."""
        event: dict[str, Any] = {"id": self.id, "date_created": self.date_created}
        if self.object_type == "map":
            event["map_sid"] = self.object_sid
            if self.item_key is not None:
                event["item_key"] = self.item_key
        elif self.object_type == "list":
            event["list_sid"] = self.object_sid
            if self.item_index is not None:
                event["item_index"] = self.item_index
        else:
            event["document_sid"] = self.object_sid
            if self.data is not None:
                event["document_data"] = self.data
                event["document_revision"] = str(self.id)
        if self.object_type != "document" and self.data is not None:  # removals carry no data
            event["item_data"] = self.data
            event["item_revision"] = str(self.id)
        return {"event_type": self.event_type, "event": event}


def _event(row: Row) -> SyncEvent:
    data = row[7]
    return SyncEvent(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        None if row[6] is None else int(row[6]),
        None if data is None else orjson.loads(data),
        row[8],
    )


def _written(id_: int, e: repo.NewEvent, date: str) -> SyncEvent:
    """An event as its writer made it: the same as `_event` of its row, with no JSON to decode."""
    kind = e.object_type
    return SyncEvent(id_, e.account_sid, e.object_sid, kind, e.event_type, e.item_key, e.item_index, e.data, date)


async def after(db: Database, after_id: int, limit: int) -> list[SyncEvent]:
    """Events with id > `after_id` that are visible now, in id order (the hub: use `Tail`)."""
    async with db.read() as tx:
        return [_event(r) for r in await repo.after(tx, after_id, limit)]


async def replay(db: Database, account_sid: str, object_sid: str, after_id: int, limit: int = 1000) -> list[SyncEvent]:
    """One object's events after `after_id` (a subscription's `last_event_id`), in id order. Add
    the subscription to the hub BEFORE reading this: an event committing meanwhile then reaches the
    client through the hub (a duplicate is harmless: the client drops ids it has seen)."""
    async with db.read() as tx:
        return [_event(r) for r in await repo.of_object(tx, account_sid, object_sid, after_id, limit)]


async def newest_id(db: Database) -> int:
    """The largest id in the log (0 when empty): where a new hub starts its tail."""
    async with db.read() as tx:
        return await repo.newest_id(tx)


# The repository's receivers made for `on_commit`'s callbacks, to remove them again.
_receivers: dict[Callable[[list[SyncEvent]], None], Callable[[list[repo.Committed]], None]] = {}


def on_commit(callback: Callable[[list[SyncEvent]], None]) -> None:
    """Call `callback` on the event loop with the events of every SQLite write batch of THIS
    process once it has committed, in id order, as written (nothing is read back). Other
    processes and PostgreSQL: LISTEN on `NOTIFY_CHANNEL`, and poll now and then (SQLite has no
    cross-process notification)."""

    def receive(committed: list[repo.Committed]) -> None:
        callback([_written(*c) for c in committed])

    _receivers[callback] = receive
    repo.listen(receive)


def off_commit(callback: Callable[[list[SyncEvent]], None]) -> None:
    receive = _receivers.pop(callback, None)
    if receive is not None:
        repo.unlisten(receive)


class Tail:
    """The whole log in id order, every event once, holes waited for (see the module docstring).

    `events = await tail.read(db)` returns the events not handed out before; call it on every
    wake-up and poll. `cursor`: every id at or below it was handed out or given up on."""

    def __init__(self, start: int, *, gap_wait: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cursor = start
        self.gap_wait = gap_wait
        self._clock = clock
        self._given: set[int] = set()  # handed out above the cursor (past a hole)
        self._holes: dict[int, float] = {}  # first missing id -> when it was first seen missing

    @classmethod
    async def start(cls, db: Database) -> Tail:
        """From the log's current end; holes waited for on PostgreSQL only."""
        return cls(await newest_id(db), gap_wait=0.0 if db.engine == "sqlite" else POSTGRES_GAP_WAIT)

    @property
    def in_commit_order(self) -> bool:
        """Ids become visible in id order (SQLite: one writer at a time), so every id at or below
        the newest visible one has committed: nothing can appear below it later."""
        return self.gap_wait == 0.0

    def take(self, events: list[SyncEvent]) -> list[SyncEvent] | None:
        """Events this process committed, handed over in commit order (`on_commit`): those past the
        cursor, which moves past them, if they follow it without a hole. None when there is one
        (another process committed in between, or the log is not in commit order): read instead."""
        if not self.in_commit_order:
            return None
        fresh = [e for e in events if e.id > self.cursor]
        for expected, e in enumerate(fresh, self.cursor + 1):
            if e.id != expected:
                return None
        if fresh:
            self.cursor = fresh[-1].id
        return fresh

    def skip_to(self, newest: int) -> None:
        """Every event up to `newest` is handed out (to nobody); only `in_commit_order`."""
        if newest > self.cursor:
            self.cursor = newest
            self._holes.clear()
            self._given = {i for i in self._given if i > newest}

    async def read(self, db: Database, limit: int = 500) -> list[SyncEvent]:
        events = await after(db, self.cursor, limit)
        fresh = [e for e in events if e.id not in self._given]
        now = self._clock()
        for e in events:
            if e.id != self.cursor + 1:
                since = self._holes.setdefault(self.cursor + 1, now)
                if now - since < self.gap_wait:
                    break
            self.cursor = e.id
        self._holes = {k: v for k, v in self._holes.items() if k > self.cursor}
        self._given = {i for i in self._given if i > self.cursor}
        self._given.update(e.id for e in fresh if e.id > self.cursor)
        return fresh
