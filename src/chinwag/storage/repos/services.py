"""Conversation Services (IS) and their Configuration rows."""

from __future__ import annotations

from chinwag.core.pagination import PageRequest
from chinwag.domain.models import Page, Service, ServiceConfig
from chinwag.storage.db import Row, Tx
from chinwag.storage.repos.paging import keyset_page

_COLUMNS = "id, sid, account_sid, friendly_name, date_created, date_updated"


def _service(row: Row) -> Service:
    return Service(
        row["id"], row["sid"], row["account_sid"], row["friendly_name"], row["date_created"], row["date_updated"]
    )


async def insert(tx: Tx, sid: str, account_sid: str, friendly_name: str, now: str) -> Service:
    row = await tx.one(
        f"INSERT INTO services (sid, account_sid, friendly_name, date_created, date_updated)"
        f" VALUES (?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        sid,
        account_sid,
        friendly_name,
        now,
        now,
    )
    assert row is not None
    return _service(row)


async def get(tx: Tx, account_sid: str, sid: str) -> Service | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM services WHERE sid = ? AND account_sid = ?", sid, account_sid)
    return None if row is None else _service(row)


async def exists(tx: Tx, account_sid: str, sid: str) -> bool:
    row = await tx.one("SELECT 1 FROM services WHERE sid = ? AND account_sid = ?", sid, account_sid)
    return row is not None


async def page(tx: Tx, account_sid: str, req: PageRequest) -> Page[Service]:
    return await keyset_page(tx, f"SELECT {_COLUMNS} FROM services", "account_sid = ?", (account_sid,), req, _service)


async def delete(tx: Tx, account_sid: str, sid: str) -> bool:
    return await tx.run("DELETE FROM services WHERE sid = ? AND account_sid = ?", sid, account_sid) > 0


_CONFIG_COLUMNS = (
    "chat_service_sid, default_conversation_creator_role_sid, default_conversation_role_sid,"
    " default_chat_service_role_sid, reachability_enabled"
)


def _config(row: Row) -> ServiceConfig:
    return ServiceConfig(
        row["chat_service_sid"],
        row["default_conversation_creator_role_sid"],
        row["default_conversation_role_sid"],
        row["default_chat_service_role_sid"],
        bool(row["reachability_enabled"]),
    )


async def config(tx: Tx, service_sid: str) -> ServiceConfig | None:
    row = await tx.one(f"SELECT {_CONFIG_COLUMNS} FROM service_configs WHERE chat_service_sid = ?", service_sid)
    return None if row is None else _config(row)


async def scoped_config(tx: Tx, account_sid: str, service_sid: str | None) -> ServiceConfig | None:
    """The configuration of the account's default service (`service_sid` None) or of `service_sid`
    if it is one of the account's: the URL's scope and its defaults in one query. Read ahead of a
    write's BEGIN (`Tx.before`): it takes no lock, and nothing the write does depends on more."""
    if service_sid is None:
        sql = (
            f"SELECT {_CONFIG_COLUMNS} FROM service_configs WHERE chat_service_sid ="
            " (SELECT default_chat_service_sid FROM account_configs WHERE account_sid = ?)"
        )
        row = await tx.before(sql, account_sid)
    else:
        sql = (
            f"SELECT {_CONFIG_COLUMNS} FROM service_configs WHERE chat_service_sid = ?"
            " AND EXISTS (SELECT 1 FROM services WHERE sid = ? AND account_sid = ?)"
        )
        row = await tx.before(sql, service_sid, service_sid, account_sid)
    return None if row is None else _config(row)


async def save_config(tx: Tx, cfg: ServiceConfig) -> None:
    await tx.run(
        f"INSERT INTO service_configs ({_CONFIG_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (chat_service_sid) DO UPDATE SET"
        " default_conversation_creator_role_sid = excluded.default_conversation_creator_role_sid,"
        " default_conversation_role_sid = excluded.default_conversation_role_sid,"
        " default_chat_service_role_sid = excluded.default_chat_service_role_sid,"
        " reachability_enabled = excluded.reachability_enabled",
        cfg.chat_service_sid,
        cfg.default_conversation_creator_role_sid,
        cfg.default_conversation_role_sid,
        cfg.default_chat_service_role_sid,
        cfg.reachability_enabled,
    )
