"""Reachability: a user is online while one of their sockets is open, in any server process
(docs/decisions.md #128).

Each initialised socket is a `realtime_connections` row (migration 0015) tagged with this
process and a lease the process renews every RENEW seconds. A user's first live row makes them
online, their last one going makes them offline: written, where the service has
ReachabilityEnabled, as the `reachability` item of their `.info` map in the event log (which the
clients' `user.isOnline` and REST's `is_online` read). Each change holds the user's realtime lock (#139), so
an open and a close of the same user never both miss each other.

After a crash nobody closes the rows: a starting process removes rows of dead processes on its
host at once (their pid is gone), and every process sweeps rows whose lease ran out (a dead
process elsewhere) every RENEW seconds; a user left without live rows goes offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from chinwag.core import tasks
from chinwag.domain import sync_events, sync_shapes
from chinwag.domain.deps import Deps
from chinwag.domain.models import User
from chinwag.storage.db import Database, Tx
from chinwag.storage.faults import report_background_failure
from chinwag.storage.repos import realtime_connections as connection_repo
from chinwag.storage.repos import services as service_repo
from chinwag.storage.repos import users as user_repo

if TYPE_CHECKING:
    from chinwag.realtime.hub import Hub
    from chinwag.realtime.session import Connection

log = logging.getLogger("chinwag.realtime")

RENEW = 20.0  # seconds between lease renewals and sweeps
LEASE = 60.0  # a row outlives its process's last renewal by this much


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    try:  # a killed process nobody reaped yet (a container's init may never) is a zombie: dead
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


async def is_online(tx: Tx, user: User) -> bool | None:
    """REST's `is_online`: None where the service has reachability off, else what the user's
    `.info` map says (the same item the clients read)."""
    enabled, stored = await connection_repo.reachability(
        tx, user.account_sid, user.chat_service_sid, sync_shapes.info_id(user.sid)
    )
    if not enabled:
        return None
    return stored is not None and bool(orjson.loads(stored).get("online"))


class Presence:
    def __init__(self, db: Database, deps: Deps, hub: Hub) -> None:
        self._db = db
        self._deps = deps
        self._hub = hub
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._host = socket.gethostname()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.sweep()
        self._task = asyncio.create_task(self._renew(), name="chinwag-realtime-presence")

    async def stop(self) -> None:
        await tasks.cancel(self._task)
        self._task = None
        with contextlib.suppress(Exception):  # this process's sockets are closed: nobody left here
            async with self._db.write() as tx:
                for account_sid, service_sid, user_sid in await connection_repo.release_process(tx, self.process):
                    await self._settle(tx, account_sid, service_sid, user_sid)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW)
            try:
                async with self._db.write() as tx:
                    await connection_repo.renew(tx, self.process, self._deps.clock.now() + LEASE)
                await self.sweep()
            except Exception as exc:
                report_background_failure(log, "realtime presence", exc)

    async def sweep(self) -> None:
        """Remove rows of processes that died without closing them; settle their users."""
        now = self._deps.clock.now()
        async with self._db.read() as tx:
            rows = await connection_repo.of_others(tx, self.process)
        # On this host a row whose process is gone is dead at once (a restart after a crash);
        # elsewhere, once its lease ran out.
        dead = [r for r in rows if r.lease_until < now or (r.host == self._host and not _alive(r.pid))]
        if not dead:
            return
        async with self._db.write() as tx:
            await connection_repo.delete(tx, [r.id for r in dead])
            for account_sid, service_sid, user_sid in {(r.account_sid, r.service_sid, r.user_sid) for r in dead}:
                await self._settle(tx, account_sid, service_sid, user_sid)
        log.info("realtime: removed %d socket(s) of processes that are gone", len(dead))

    @staticmethod
    async def _held(tx: Tx, service_sid: str, user_sid: str) -> User | None:
        """The user, with their realtime lock held until commit (the lock every writer of their
        `.info` events takes: docs/decisions.md #139); None if the user is gone."""
        user = await user_repo.find(tx, service_sid, user_sid)
        if user is None:
            return None
        await sync_events.hold_user(tx, user)
        return user

    async def _settle(self, tx: Tx, account_sid: str, service_sid: str, user_sid: str) -> None:
        """After rows of the user went: offline if none is left (the user's lock held)."""
        user = await self._held(tx, service_sid, user_sid)
        if user is not None and await connection_repo.live(tx, user_sid, self._deps.clock.now()) == 0:
            await self._say(tx, user, online=False)

    async def _say(self, tx: Tx, user: User, *, online: bool) -> None:
        cfg = await service_repo.config(tx, user.chat_service_sid)
        if cfg is None or not cfg.reachability_enabled:
            return
        await sync_events.reachability(tx, user, online, False, self._deps.now())

    async def opened(self, conn: Connection) -> None:
        grant = conn.grant
        assert grant is not None
        now = self._deps.clock.now()
        async with self._db.write() as tx:
            user = await self._held(tx, grant.service_sid, conn.user_sid)
            if user is None:
                return
            first = await connection_repo.live(tx, conn.user_sid, now) == 0
            conn.presence_row = await connection_repo.insert(
                tx,
                grant.account_sid,
                grant.service_sid,
                conn.user_sid,
                self.process,
                self._host,
                os.getpid(),
                now + LEASE,
            )
            if first:
                await self._say(tx, user, online=True)

    async def closed(self, conn: Connection) -> None:
        grant = conn.grant
        if grant is None or not conn.presence_row:
            return
        async with self._db.write() as tx:
            await connection_repo.delete(tx, [conn.presence_row])
            await self._settle(tx, grant.account_sid, grant.service_sid, conn.user_sid)
