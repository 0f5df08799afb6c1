"""Push credentials (CR) of an account (migration 0011). The secrets are stored for the push
sender to come; nothing here returns them to a client (see http/resources/credentials.py)."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Credential, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "type",
    "friendly_name",
    "sandbox",
    "certificate",
    "private_key",
    "api_key",
    "secret",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM credentials"
_MUTABLE = (*FIELDS[2:9], "date_updated")


def from_row(row: Row) -> Credential:
    c = Credential(*row)  # by position: COLUMNS are in field order
    c.sandbox = None if c.sandbox is None else bool(c.sandbox)  # SQLite keeps booleans as 0/1
    return c


async def insert(tx: Tx, c: Credential) -> Credential:
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(
        f"INSERT INTO credentials ({', '.join(FIELDS)}) VALUES ({marks}) RETURNING {COLUMNS}",
        *(getattr(c, f) for f in FIELDS),
    )
    assert row is not None
    return from_row(row)


async def update(tx: Tx, c: Credential) -> Credential:
    sets = ", ".join(f"{f} = ?" for f in _MUTABLE)
    row = await tx.one(
        f"UPDATE credentials SET {sets} WHERE sid = ? AND account_sid = ? RETURNING {COLUMNS}",
        *(getattr(c, f) for f in _MUTABLE),
        c.sid,
        c.account_sid,
    )
    assert row is not None
    return from_row(row)


async def get(tx: Tx, account_sid: str, sid: str) -> Credential | None:
    row = await tx.one(f"{_SELECT} WHERE sid = ? AND account_sid = ?", sid, account_sid)
    return None if row is None else from_row(row)


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[Credential]:
    return await keyset_page(tx, _SELECT, "account_sid = ?", (account_sid,), req, from_row)


async def delete(tx: Tx, account_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM credentials WHERE sid = ? AND account_sid = ?", sid, account_sid) > 0
