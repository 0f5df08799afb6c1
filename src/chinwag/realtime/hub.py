"""The hub: one task per process that tails the event log and pushes each event to the
connections subscribed to its object, plus the ephemeral typing fan-out.

Wake-ups: the after-commit callback of this process's writes (`log.on_commit`), PostgreSQL
`LISTEN chinwag_realtime` (every process hears every commit), and a short poll (`poll` seconds)
that finds what other SQLite processes committed (docs/decisions.md #125).

Ids come from one increasing sequence, but on PostgreSQL a transaction that drew a smaller id
can commit after one that drew a larger: the hub therefore re-reads a window below its cursor
for GAP_WAIT seconds and delivers each id once (`_seen`), so a late commit is not skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson

from chinwag.realtime import log as event_log
from chinwag.realtime.log import SyncEvent
from chinwag.storage.db import Database, PostgresDatabase
from chinwag.storage.faults import report_background_failure

if TYPE_CHECKING:
    from chinwag.realtime.session import Connection

log = logging.getLogger("chinwag.realtime")

NOTIFY_CHANNEL = "chinwag_realtime"
TYPING_CHANNEL = "chinwag_typing"
BATCH = 500
GAP_WAIT = 5.0  # how long a missing id may still turn up (a PostgreSQL transaction committing late)
SEEN_KEPT = 20_000


class Hub:
    def __init__(self, db: Database, *, poll: float) -> None:
        self._db = db
        self._poll = poll
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: Any = None
        self._by_object: dict[str, set[Connection]] = {}
        self._by_conversation_typing: dict[str, set[Connection]] = {}
        self._cursor = 0
        self._gaps: dict[int, float] = {}  # missing id → when it was first missed
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def start(self) -> None:
        self._cursor = await event_log.newest_id(self._db)
        event_log.on_commit(self.wake)
        self._tasks.append(asyncio.create_task(self._run(), name="chinwag-realtime-hub"))
        if isinstance(self._db, PostgresDatabase):
            self._tasks.append(asyncio.create_task(self._listen(self._db), name="chinwag-realtime-listen"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def wake(self) -> None:
        self._wake.set()

    # -- subscriptions ---------------------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        """Nothing until the connection subscribes; kept for symmetry with `detach`."""

    def detach(self, conn: Connection) -> None:
        for object_sid in list(conn.subscribed):
            self.unsubscribe(conn, object_sid)

    def subscribe(self, conn: Connection, object_sid: str) -> None:
        conn.subscribed.add(object_sid)
        self._by_object.setdefault(object_sid, set()).add(conn)

    def unsubscribe(self, conn: Connection, object_sid: str) -> None:
        conn.subscribed.discard(object_sid)
        subscribers = self._by_object.get(object_sid)
        if subscribers is not None:
            subscribers.discard(conn)
            if not subscribers:
                del self._by_object[object_sid]

    def subscribers(self, object_sid: str) -> set[Connection]:
        return self._by_object.get(object_sid, set())

    # -- the tail --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except Exception as exc:
                report_background_failure(log, "realtime hub", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def drain(self) -> None:
        while True:
            now = time.monotonic()
            for gap, since in list(self._gaps.items()):
                if now - since > GAP_WAIT:
                    del self._gaps[gap]
            start = min(self._gaps, default=self._cursor + 1) - 1
            events = await event_log.after(self._db, start, BATCH)
            for event in events:
                if event.id in self._seen:
                    continue
                self._remember(event.id)
                self._gaps.pop(event.id, None)
                if event.id > self._cursor:
                    for missing in range(self._cursor + 1, min(event.id, self._cursor + 1000)):
                        if missing not in self._seen:
                            self._gaps.setdefault(missing, now)
                    self._cursor = event.id
                self.deliver(event)
            if len(events) < BATCH:
                return

    def _remember(self, event_id: int) -> None:
        self._seen[event_id] = None
        while len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)

    def deliver(self, event: SyncEvent) -> None:
        for conn in list(self._by_object.get(event.object_sid, ())):
            if conn.grant is None or conn.grant.account_sid != event.account_sid:
                continue
            held = conn.replaying.get(event.object_sid)
            if held is not None:
                held.append(event)
            else:
                conn.notify("twilio.sync.event", wire_event(event))

    async def _listen(self, db: PostgresDatabase) -> None:
        """A connection of its own holds LISTEN on both channels; reconnects if it drops."""
        import asyncpg

        while True:
            try:
                conn = await asyncpg.connect(db.dsn, server_settings=db.settings)
                self._listener = conn
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                await conn.add_listener(TYPING_CHANNEL, lambda *args: self._typing_notified(args[-1]))
                while not conn.is_closed():
                    await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("realtime LISTEN connection lost (%s); polling meanwhile", exc)
                await asyncio.sleep(2)

    # -- typing (ephemeral, never in the log: docs/decisions.md #126) ------------------------

    async def typing(self, account_sid: str, conversation_sid: str, identity: str, timeout: int) -> None:
        note = {"a": account_sid, "c": conversation_sid, "i": identity, "t": timeout}
        if isinstance(self._db, PostgresDatabase):  # every process, this one included, hears it
            async with self._db.read() as tx:
                await tx.one("SELECT pg_notify(?, ?)", TYPING_CHANNEL, orjson.dumps(note).decode())
        else:
            self._typing_local(note)

    def _typing_notified(self, payload: str) -> None:
        with contextlib.suppress(ValueError):
            note = orjson.loads(payload)
            if isinstance(note, dict):
                self._typing_local(note)

    def _typing_local(self, note: dict[str, Any]) -> None:
        body = {"channel_sid": note["c"], "identity": note["i"], "typing_timeout": note["t"]}
        # Members whose client opened the conversation (any of its three objects): the client
        # matches the identity in the roster it loaded, and drops the notice otherwise.
        members = set().union(*(self._by_object.get(f"{note['c']}.{kind}", ()) for kind in ("roster", "msgs", "doc")))
        for conn in members:
            grant = conn.grant
            if grant is None or grant.account_sid != note["a"] or grant.identity == note["i"]:
                continue  # the typist's own sockets are not told
            conn.notify("twilio.ipmsg.typing_indicator", body)


def wire_event(event: SyncEvent) -> dict[str, Any]:
    """A log row as the `twilio.sync.event` payload Sync's client routes by `event_type`."""
    kind = event.object_type
    body: dict[str, Any] = {f"{kind}_sid": event.object_sid, "id": event.id, "date_created": event.date_created}
    if kind == "map" and event.item_key is not None:
        body["item_key"] = event.item_key
        body["item_data"] = event.data if event.data is not None else {}
    elif kind == "list" and event.item_index is not None:
        body["item_index"] = event.item_index
        body["item_data"] = event.data if event.data is not None else {}
    elif kind == "document" and event.data is not None:
        body["document_data"] = event.data
    return {"event_type": event.event_type, "event": body}
