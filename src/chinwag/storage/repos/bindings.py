"""Push bindings (BS) of a service's users (migration 0011). Created by client push registrations
(the realtime layer, to come) through `insert`; the REST API lists, fetches and deletes them."""

from __future__ import annotations

import json
from typing import Any

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Binding, Page
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

FIELDS = (
    "sid",
    "account_sid",
    "chat_service_sid",
    "credential_sid",
    "endpoint",
    "identity",
    "binding_type",
    "message_types",
    "date_created",
    "date_updated",
)
COLUMNS = "id, " + ", ".join(FIELDS)
_SELECT = f"SELECT {COLUMNS} FROM bindings"


def from_row(row: Row) -> Binding:
    values = list(row)
    values[8] = tuple(json.loads(values[8]))  # message_types, stored as a JSON array
    return Binding(*values)


async def insert(tx: Tx, b: Binding) -> Binding:
    values: list[Any] = [getattr(b, f) for f in FIELDS]
    values[7] = json.dumps(list(b.message_types))
    marks = ", ".join("?" for _ in FIELDS)
    row = await tx.one(f"INSERT INTO bindings ({', '.join(FIELDS)}) VALUES ({marks}) RETURNING {COLUMNS}", *values)
    assert row is not None
    return from_row(row)


async def get(tx: Tx, service_sid: str, sid: str) -> Binding | None:
    row = await tx.one(f"{_SELECT} WHERE sid = ? AND chat_service_sid = ?", sid, service_sid)
    return None if row is None else from_row(row)


async def page(tx: Tx, service_sid: str, types: list[str], identities: list[str], req: PageRequest) -> Page[Binding]:
    where, args = "chat_service_sid = ?", [service_sid]
    if types:
        where += f" AND binding_type IN ({', '.join('?' for _ in types)})"
        args.extend(types)
    if identities:
        where += f" AND identity IN ({', '.join('?' for _ in identities)})"
        args.extend(identities)
    return await keyset_page(tx, _SELECT, where, tuple(args), req, from_row)


async def delete(tx: Tx, service_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM bindings WHERE sid = ? AND chat_service_sid = ?", sid, service_sid) > 0
