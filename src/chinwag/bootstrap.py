"""Start-up work done once, before the server processes start: migrations and the account."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from chinwag.core.clock import SystemClock
from chinwag.core.sids import SidFactory
from chinwag.domain import accounts
from chinwag.domain.deps import Deps
from chinwag.storage import migrate, probe
from chinwag.storage.db import Tx, open_database

T = TypeVar("T")


def _deps() -> Deps:
    return Deps(SystemClock(), SidFactory())


async def _with_db(url: str, work: Callable[[Tx], Awaitable[T]]) -> T:
    db = open_database(url)
    await db.start()
    try:
        async with db.write() as tx:
            return await work(tx)
    finally:
        await db.close()


def prepare(url: str, account_sid: str | None, auth_token: str | None) -> tuple[str, str] | None:
    """Migrate, then make the configured account exist; with none configured and none in the
    database, create one. Returns the credentials of an account this call created, if any.
    A database this process cannot write is refused (storage/probe.py)."""
    migrate.upgrade(url)
    probe.check_writable(url)

    async def work(tx: Tx) -> tuple[str, str] | None:
        if account_sid and auth_token:
            created = await accounts.ensure(tx, _deps(), account_sid, auth_token)
            return (account_sid, auth_token) if created else None
        if not await accounts.list_all(tx):
            return await accounts.create(tx, _deps())
        return None

    return asyncio.run(_with_db(url, work))


def create_account(url: str) -> tuple[str, str]:
    migrate.upgrade(url)

    async def work(tx: Tx) -> tuple[str, str]:
        return await accounts.create(tx, _deps())

    return asyncio.run(_with_db(url, work))


def list_accounts(url: str) -> list[tuple[str, str, str]]:
    migrate.upgrade(url)

    async def work(tx: Tx) -> list[tuple[str, str, str]]:
        return await accounts.list_all(tx)

    return asyncio.run(_with_db(url, work))


def create_key(url: str, account_sid: str, friendly_name: str | None) -> tuple[str, str]:
    """A new API key of the account; returns (key SID, secret). ValueError when the account is not
    in the database."""
    from chinwag.domain import api_keys

    migrate.upgrade(url)

    async def work(tx: Tx) -> tuple[str, str]:
        try:
            key, secret = await api_keys.create(tx, _deps(), account_sid, friendly_name)
        except api_keys.UnknownAccount:
            raise ValueError(f"no account {account_sid} in this database") from None
        return key.sid, secret

    return asyncio.run(_with_db(url, work))
