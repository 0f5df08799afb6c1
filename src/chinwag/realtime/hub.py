"""The hub: one task per process that tails the event log and pushes each event to the
connections subscribed to its object, plus the ephemeral typing fan-out.

Wake-ups: the after-commit hand-over of this process's writes on SQLite (`log.on_commit`: the
events themselves, so the hub reads back nothing this process wrote, #164), PostgreSQL
`LISTEN chinwag_realtime` (every process hears every commit), and a short poll (`poll` seconds)
that finds what other SQLite processes committed (docs/decisions.md #125).

Ids are read in order by `log.Tail`, which waits a few seconds for an id a PostgreSQL
transaction drew but has not committed yet, and hands out every event once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson

from chinwag.core.tasks import woken_or_after
from chinwag.realtime import log as event_log
from chinwag.realtime.log import SyncEvent, Tail
from chinwag.storage.db import Database, PostgresDatabase
from chinwag.storage.faults import report_background_failure
from chinwag.storage.pg_listen import Listener
from chinwag.storage.repos import realtime_commands

if TYPE_CHECKING:
    from chinwag.realtime.session import Connection

log = logging.getLogger("chinwag.realtime")

NOTIFY_CHANNEL = event_log.NOTIFY_CHANNEL
TYPING_CHANNEL = "chinwag_typing"
BATCH = 500


class Hub:
    def __init__(self, db: Database, *, poll: float) -> None:
        self._db = db
        self._poll = poll
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: Listener | None = None
        self._by_object: dict[str, set[Connection]] = {}
        self._by_conversation_typing: dict[str, set[Connection]] = {}
        self._tail: Tail | None = None
        self._handed: list[SyncEvent] = []  # committed by this process, not yet delivered (SQLite)

    async def start(self) -> None:
        self._tail = await Tail.start(self._db)
        event_log.on_commit(self._committed)
        self._tasks.append(asyncio.create_task(self._run(), name="chinwag-realtime-hub"))
        if isinstance(self._db, PostgresDatabase) and self._db.listen is not None:  # else: the poll
            self._listener = Listener(
                *self._db.listen,
                {NOTIFY_CHANNEL: lambda _: self._wake.set(), TYPING_CHANNEL: self._typing_notified},
                "realtime",
                self._wake.set,
            )
            self._tasks.append(asyncio.create_task(self._listener.run(), name="chinwag-realtime-listen"))

    async def stop(self) -> None:
        event_log.off_commit(self._committed)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def wake(self) -> None:
        self._wake.set()

    def _committed(self, events: list[SyncEvent]) -> None:
        self._handed += events
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
            await woken_or_after(self._wake, self._poll)

    async def drain(self) -> None:
        assert self._tail is not None
        handed, self._handed = self._handed, []
        if not self._by_object and self._tail.in_commit_order:
            # Nobody here subscribes to anything (a REST-only server, or its clients are on other
            # workers): the events are nobody's here, and reading and decoding them after every
            # commit was a tenth of what a message post cost (bench/realtime.py; decisions #163).
            # Move past them: to the last one handed over (every id up to it has committed), or
            # after a poll to the newest id. If a client subscribed while that was asked, read as
            # usual instead: its replay may have read before an event committed that the hub must
            # then hand it. (One that came and went meanwhile needs nothing.)
            newest = handed[-1].id if handed else await event_log.newest_id(self._db)
            if not self._by_object:
                self._tail.skip_to(newest)
                return
        if handed and (fresh := self._tail.take(handed)) is not None:
            for event in fresh:  # what this process committed, as written: nothing to read back
                self.deliver(event)
            return
        while True:
            events = await self._tail.read(self._db, BATCH)
            for event in events:
                self.deliver(event)
            if len(events) < BATCH:
                return

    def deliver(self, event: SyncEvent) -> None:
        subscribers = self._by_object.get(event.object_sid)
        if not subscribers:
            return
        encoded = orjson.dumps(event.notification())  # once, for every socket it goes to
        for conn in list(subscribers):
            if conn.grant is None or conn.grant.account_sid != event.account_sid:
                continue
            held = conn.replaying.get(event.object_sid)
            if held is not None:
                held.append(event)
            else:
                conn.notify("twilio.sync.event", encoded)
            if event.event_type == "map_item_removed" and event.object_sid == f"{conn.user_sid}.convs":
                self._left(conn, str(event.item_key))

    def _left(self, conn: Connection, conversation_sid: str) -> None:
        """The user left the conversation: its sockets stop hearing it, whatever the client does
        (a well-behaved one unsubscribes by itself on `conversationLeft`)."""
        for kind in ("doc", "msgs", "roster"):
            self.unsubscribe(conn, f"{conversation_sid}.{kind}")

    async def typing(self, account_sid: str, conversation_sid: str, identity: str, timeout: int) -> None:
        note = {"a": account_sid, "c": conversation_sid, "i": identity, "t": timeout}
        if isinstance(self._db, PostgresDatabase):  # every process, this one included, hears it
            async with self._db.read() as tx:
                await realtime_commands.notify(tx, TYPING_CHANNEL, orjson.dumps(note).decode())
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
