"""Roles (RL). Permissions are stored as a JSON array in one column."""

from __future__ import annotations

import json

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page, Role
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

_COLUMNS = "id, sid, account_sid, chat_service_sid, friendly_name, type, permissions, date_created, date_updated"


def _role(row: Row) -> Role:
    return Role(
        row["id"],
        row["sid"],
        row["account_sid"],
        row["chat_service_sid"],
        row["friendly_name"],
        row["type"],
        tuple(json.loads(row["permissions"])),
        row["date_created"],
        row["date_updated"],
    )


async def insert(
    tx: Tx,
    sid: str,
    account_sid: str,
    service_sid: str,
    friendly_name: str,
    type_: str,
    permissions: list[str],
    now: str,
) -> Role:
    row = await tx.one(
        "INSERT INTO roles (sid, account_sid, chat_service_sid, friendly_name, type, permissions,"
        f" date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        sid,
        account_sid,
        service_sid,
        friendly_name,
        type_,
        json.dumps(permissions),
        now,
        now,
    )
    assert row is not None
    return _role(row)


async def get(tx: Tx, service_sid: str, sid: str) -> Role | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM roles WHERE sid = ? AND chat_service_sid = ?", sid, service_sid)
    return None if row is None else _role(row)


async def page(tx: Tx, service_sid: str, req: PageRequest) -> Page[Role]:
    return await keyset_page(tx, f"SELECT {_COLUMNS} FROM roles", "chat_service_sid = ?", (service_sid,), req, _role)


async def set_permissions(tx: Tx, service_sid: str, sid: str, permissions: list[str], now: str) -> Role | None:
    row = await tx.one(
        "UPDATE roles SET permissions = ?, date_updated = ? WHERE sid = ? AND chat_service_sid = ?"
        f" RETURNING {_COLUMNS}",
        json.dumps(permissions),
        now,
        sid,
        service_sid,
    )
    return None if row is None else _role(row)


async def in_use(tx: Tx, service_sid: str, sid: str) -> bool:
    """Whether a user or a participant holds the role, or the service configuration names it as a default."""
    row = await tx.one(
        "SELECT 1 FROM users WHERE role_sid = ?"
        " UNION ALL SELECT 1 FROM participants WHERE chat_service_sid = ? AND role_sid = ?"
        " UNION ALL SELECT 1 FROM service_configs WHERE chat_service_sid = ?"
        " AND ? IN (default_conversation_creator_role_sid, default_conversation_role_sid,"
        " default_chat_service_role_sid) LIMIT 1",
        sid,
        service_sid,
        sid,
        service_sid,
        sid,
    )
    return row is not None


async def delete(tx: Tx, service_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM roles WHERE sid = ? AND chat_service_sid = ?", sid, service_sid) > 0
