"""Address configurations (IG), one per account, type and address (migration 0011)."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import AddressConfiguration, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "type",
    "address",
    "friendly_name",
    "address_country",
    "auto_creation",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM address_configurations"


def from_row(row: Row) -> AddressConfiguration:
    return AddressConfiguration(*row)  # by position: COLUMNS are in field order


async def insert(tx: Tx, a: AddressConfiguration) -> AddressConfiguration:
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(
        f"INSERT INTO address_configurations ({', '.join(FIELDS)}) VALUES ({marks}) RETURNING {COLUMNS}",
        *(getattr(a, f) for f in FIELDS),
    )
    assert row is not None
    return from_row(row)


async def update(tx: Tx, a: AddressConfiguration) -> AddressConfiguration:
    row = await tx.one(
        "UPDATE address_configurations SET friendly_name = ?, auto_creation = ?, date_updated = ?"
        f" WHERE sid = ? AND account_sid = ? RETURNING {COLUMNS}",
        a.friendly_name,
        a.auto_creation,
        a.date_updated,
        a.sid,
        a.account_sid,
    )
    assert row is not None
    return from_row(row)


async def get(tx: Tx, account_sid: str, sid: str) -> AddressConfiguration | None:
    row = await tx.one(f"{_SELECT} WHERE sid = ? AND account_sid = ?", sid, account_sid)
    return None if row is None else from_row(row)


async def by_address(tx: Tx, account_sid: str, type_: str, address: str) -> AddressConfiguration | None:
    row = await tx.one(f"{_SELECT} WHERE account_sid = ? AND type = ? AND address = ?", account_sid, type_, address)
    return None if row is None else from_row(row)


async def page(tx: Tx, account_sid: str, type_: str | None, req: PageRequest) -> Page[AddressConfiguration]:
    if type_ is None:
        return await keyset_page(tx, _SELECT, "account_sid = ?", (account_sid,), req, from_row)
    return await keyset_page(tx, _SELECT, "account_sid = ? AND type = ?", (account_sid, type_), req, from_row)


async def delete(tx: Tx, account_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM address_configurations WHERE sid = ? AND account_sid = ?", sid, account_sid) > 0
