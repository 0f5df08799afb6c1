"""Snapshots from the command line, without a running server: `chinwag snapshot export|import`
and `chinwag serve --emulator --import FILE` (which loads before the server starts)."""

from __future__ import annotations

import asyncio

from chinwag.core.clock import SystemClock
from chinwag.core.errors import TwilioError
from chinwag.core.sids import SidFactory, SidPrefix, looks_like
from chinwag.domain import accounts
from chinwag.domain.deps import Deps
from chinwag.emulator import snapshot
from chinwag.storage import migrate
from chinwag.storage.db import open_database
from chinwag.storage.repos import accounts as account_repo


def export_snapshot(url: str, account_sid: str) -> bytes:
    """The account's snapshot document; ValueError when the account does not exist."""
    migrate.upgrade(url)

    async def run() -> bytes:
        db = open_database(url)
        await db.start()
        try:
            async with db.read() as tx:
                if not await account_repo.exists(tx, account_sid):
                    raise ValueError(f"no account {account_sid} in this database")
                return snapshot.dumps(await snapshot.export(tx, account_sid))
        finally:
            await db.close()

    return asyncio.run(run())


def import_snapshot(url: str, account_sid: str, token: str | None, raw: bytes) -> bool:
    """Replace the account's state with the document; an account the database lacks is created
    first with `token` (ValueError without one). True when the account was created. A document
    that does not hold together is a ValueError naming the problem, and nothing changes."""
    if not looks_like(account_sid, SidPrefix.ACCOUNT):
        raise ValueError(f"{account_sid!r} is not an account SID (AC + 32 hex digits)")
    try:
        doc = snapshot.parse(raw)
    except TwilioError as exc:
        raise ValueError(exc.message) from None
    migrate.upgrade(url)

    async def run() -> bool:
        db = open_database(url)
        await db.start()
        try:
            async with db.write() as tx:
                created = False
                if not await account_repo.exists(tx, account_sid):
                    if not token:
                        raise ValueError(f"no account {account_sid}: set CHINWAG_AUTH_TOKEN to create it")
                    await accounts.create(tx, Deps(SystemClock(), SidFactory()), account_sid, token)
                    created = True
                await snapshot.load(tx, account_sid, doc)
                return created
        except TwilioError as exc:
            raise ValueError(exc.message) from None
        finally:
            await db.close()

    return asyncio.run(run())
