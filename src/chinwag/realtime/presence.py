"""Reachability: who has a socket open (docs/decisions.md #128).

Counted per process, by (account, service, identity): a user's first socket here makes them
online, their last one closing makes them offline. Written through to the user's `.info` map
(`reachability` item) and the REST User's `is_online` once the log has that change site.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from chinwag.domain.deps import Deps
from chinwag.storage.db import Database

if TYPE_CHECKING:
    from chinwag.realtime.hub import Hub
    from chinwag.realtime.session import Connection


class Presence:
    def __init__(self, db: Database, deps: Deps, hub: Hub) -> None:
        self._db = db
        self._deps = deps
        self._hub = hub
        self._open: Counter[tuple[str, str, str]] = Counter()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._open.clear()

    @staticmethod
    def _key(conn: Connection) -> tuple[str, str, str]:
        grant = conn.grant
        assert grant is not None
        return grant.account_sid, grant.service_sid, grant.identity

    async def opened(self, conn: Connection) -> bool:
        """True when this is the user's first socket in this process."""
        key = self._key(conn)
        self._open[key] += 1
        return self._open[key] == 1

    async def closed(self, conn: Connection) -> bool:
        """True when this was the user's last socket in this process."""
        key = self._key(conn)
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]
            return True
        return False
