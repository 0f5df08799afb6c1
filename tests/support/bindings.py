"""Push bindings have no public create until the realtime layer lands: tests register them with
the domain's `register` (what a client's push registration will call), on the server's database."""

from __future__ import annotations

import asyncio

from chinwag.core.clock import OffsetClock
from chinwag.core.sids import SidFactory
from chinwag.domain import bindings
from chinwag.domain.deps import Deps
from chinwag.domain.models import Scope
from chinwag.storage.db import open_database


def register(
    database_url: str, account_sid: str, service_sid: str, identity: str, binding_type: str, endpoint: str
) -> str:
    """A new binding's SID."""

    async def run() -> str:
        db = open_database(database_url)
        await db.start()
        try:
            async with db.write() as tx:
                made = await bindings.register(
                    tx, Deps(OffsetClock(0), SidFactory()), Scope(account_sid, service_sid), identity,
                    binding_type, endpoint, "CR" + "a" * 32,
                )  # fmt: skip
            return made.sid
        finally:
            await db.close()

    return asyncio.run(run())
