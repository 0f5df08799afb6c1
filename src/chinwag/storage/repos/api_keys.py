"""API keys (SK…) and the credentials epoch (migration 0009)."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import ApiKey, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

_COLUMNS = "id, sid, account_sid, friendly_name, date_created, date_updated"


def _key(row: Row) -> ApiKey:
    return ApiKey(
        row["id"], row["sid"], row["account_sid"], row["friendly_name"], row["date_created"], row["date_updated"]
    )


async def insert(tx: Tx, sid: str, account_sid: str, friendly_name: str | None, secret: str, now: str) -> ApiKey:
    row = await tx.one(
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, date_updated)"
        f" VALUES (?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        sid,
        account_sid,
        friendly_name,
        secret,
        now,
        now,
    )
    assert row is not None
    return _key(row)


async def get(tx: Tx, account_sid: str, sid: str) -> ApiKey | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM api_keys WHERE sid = ? AND account_sid = ?", sid, account_sid)
    return None if row is None else _key(row)


async def owner_and_secret(tx: Tx, sid: str) -> tuple[str, str] | None:
    """(account SID, secret) of a key: what authentication and token verification need."""
    row = await tx.one("SELECT account_sid, secret FROM api_keys WHERE sid = ?", sid)
    return None if row is None else (str(row["account_sid"]), str(row["secret"]))


async def rename(tx: Tx, account_sid: str, sid: str, friendly_name: str | None, now: str) -> ApiKey | None:
    row = await tx.one(
        "UPDATE api_keys SET friendly_name = ?, date_updated = ? WHERE sid = ? AND account_sid = ?"
        f" RETURNING {_COLUMNS}",
        friendly_name,
        now,
        sid,
        account_sid,
    )
    return None if row is None else _key(row)


async def delete(tx: Tx, account_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM api_keys WHERE sid = ? AND account_sid = ?", sid, account_sid) > 0


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[ApiKey]:
    return await keyset_page(tx, f"SELECT {_COLUMNS} FROM api_keys", "account_sid = ?", (account_sid,), req, _key)


async def credentials_epoch(tx: Tx) -> int:
    """Grows whenever a credential changes or goes (triggers of migration 0009)."""
    row = await tx.one("SELECT version FROM credentials_epoch WHERE id = 1")
    return 0 if row is None else int(row["version"])
