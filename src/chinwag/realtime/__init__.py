"""Realtime: Twilio's JavaScript Conversations client over a WebSocket (Twilsock V3.0).

How a change reaches a socket (docs/ARCHITECTURE.md, "Realtime"):

1. A write (REST, a socket command, a timer) appends Sync-shaped rows to `realtime_events` in its
   own transaction (realtime/log.py), and wakes the process after commit.
2. The hub (hub.py, one task per process) reads the log after its cursor and hands each event to
   the connections subscribed to its object (`{CH}.doc`, `{CH}.msgs`, `{CH}.roster`, `{US}.info`,
   `{US}.convs`).
3. A connection (session.py) sends it as a `twilio.sync.event` notification. On (re)subscribe
   (cds.py) it first replays the object's events after the client's `last_event_id`.

Entry point: `Realtime`, built in app.py, started and stopped in its lifespan, called by the
router for websocket scopes at `/v3/wsconnect`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from chinwag.domain import users
from chinwag.domain.access_tokens import ChatGrant
from chinwag.domain.deps import Deps
from chinwag.domain.models import Scope
from chinwag.events import Events
from chinwag.realtime.hub import Hub
from chinwag.realtime.presence import Presence
from chinwag.realtime.session import Connection
from chinwag.storage.db import Database
from chinwag.storage.repos import users as user_repo

PATH = "/v3/wsconnect"


class Realtime:
    def __init__(self, db: Database, deps: Deps, events: Events, *, public_url: str | None, poll: float) -> None:
        self.db = db
        self.deps = deps
        self.events = events
        self.public_url = public_url
        self.hub = Hub(db, poll=poll)
        self.presence = Presence(db, deps, self.hub)
        self.connections: set[Connection] = set()

    async def start(self) -> None:
        await self.hub.start()
        await self.presence.start()

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.close(503, "SERVICE_UNAVAILABLE")  # other codes: the client reconnects with backoff
        await asyncio.sleep(0)
        await self.presence.stop()
        await self.hub.stop()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """An ASGI websocket scope routed here by the router."""
        conn = Connection(self, scope, receive, send)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)

    def base_url(self, conn: Connection) -> str:
        """`scheme://host` of the real HTTP routes (media), as the client reached the socket."""
        if self.public_url:
            return self.public_url.rstrip("/")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in conn.scope.get("headers", [])}
        host = headers.get("host", "localhost")
        scheme = "https" if conn.scope.get("scheme") == "wss" else "http"
        return f"{scheme}://{host}"

    async def user_for(self, grant: ChatGrant) -> str:
        """The SID of the token's User; a first connection with a new identity creates it."""
        async with self.db.read() as tx:
            found = await user_repo.find(tx, grant.service_sid, grant.identity)
        if found is not None:
            return found.sid
        try:
            async with self.db.write() as tx:
                made = await users.create(tx, self.deps, Scope(grant.account_sid, grant.service_sid), grant.identity)
            return made.sid
        except Exception:  # a concurrent first connection made it: read it again
            async with self.db.read() as tx:
                again = await user_repo.find(tx, grant.service_sid, grant.identity)
            if again is None:
                raise
            return again.sid

    async def attach(self, conn: Connection) -> None:
        self.hub.attach(conn)
        await self.presence.opened(conn)

    async def detach(self, conn: Connection) -> None:
        self.hub.detach(conn)
        if conn.grant is not None:
            with contextlib.suppress(Exception):
                await self.presence.closed(conn)
